// SQL for what a project runs: MCP server definitions, tool policies and the template catalog.

import { partialUpdate } from './partial-update.ts'
import type { ServersRepo, TemplatesRepo, ToolPoliciesRepo } from './port.ts'
import type { Server, ServerPatch, Template, TemplatePatch, ToolPolicy, ToolPolicyPatch } from './rows.ts'
import { isUuid, json, type Sql } from './sql.ts'

const updateServer = partialUpdate<ServerPatch, 'projectId' | 'name'>(
  'servers',
  {
    name: 'text',
    description: 'text',
    transport: 'text',
    command: 'text',
    args: { json: '[]' },
    env: { json: '{}' },
    cwd: 'text',
    url: 'text',
    headers: { json: '{}' },
    timeoutMs: 'int',
    isolation: 'text',
    enabled: 'boolean',
    autoStart: 'boolean',
    healthCheckIntervalMs: 'int',
    protocol: 'text',
    auth: 'json?',
    toolToggles: { json: '{}' },
    source: 'text',
  },
  { projectId: 'text', name: 'text' },
)
const updateToolPolicy = partialUpdate<ToolPolicyPatch, 'id'>(
  'tool_policies',
  {
    priority: 'int',
    effect: 'text',
    serverPattern: 'text',
    toolPattern: 'text',
    roles: { json: '[]' },
    description: 'text',
  },
  { id: 'uuid' },
)
const updateTemplate = partialUpdate<TemplatePatch, 'id'>(
  'templates',
  {
    name: 'text',
    description: 'text',
    transport: 'text',
    command: 'text',
    args: { json: '[]' },
    envTemplate: { json: '{}' },
    url: 'text',
    headersTemplate: { json: '{}' },
    approved: 'boolean',
  },
  { id: 'uuid' },
)

export function serversRepo(sql: Sql): ServersRepo {
  return {
    async create(s) {
      const [row] = await sql<Server>`
        INSERT INTO servers (project_id, name, description, transport, command, args, env, cwd, url, headers,
                             timeout_ms, isolation, enabled, auto_start, tool_toggles, source,
                             health_check_interval_ms, protocol, auth)
        VALUES (${s.projectId}, ${s.name}, ${s.description ?? ''}, ${s.transport}, ${s.command}::text,
                coalesce(${json(s.args)}::text::jsonb, '[]'), coalesce(${json(s.env)}::text::jsonb, '{}'), ${s.cwd}::text,
                ${s.url}::text, coalesce(${json(s.headers)}::text::jsonb, '{}'), ${s.timeoutMs ?? 60000}::int,
                ${s.isolation}::text, ${s.enabled ?? true}, ${s.autoStart ?? false},
                coalesce(${json(s.toolToggles)}::text::jsonb, '{}'), ${s.source ?? 'ui'},
                ${s.healthCheckIntervalMs ?? null}::int, ${s.protocol ?? null}::text,
                ${json(s.auth)}::text::jsonb)
        RETURNING *`
      return row
    },
    async get(projectId, name) {
      const [row] = await sql.cached('servers')<Server>`
        SELECT * FROM servers WHERE project_id = ${projectId}::text AND name = ${name}::text`
      return row ?? null
    },
    async getById(id) {
      if (!isUuid(id)) return null
      const [row] = await sql<Server>`SELECT * FROM servers WHERE id = ${id}::uuid`
      return row ?? null
    },
    list(projectId) {
      return sql.cached('servers')<Server>`SELECT * FROM servers WHERE project_id = ${projectId}::text ORDER BY name`
    },
    listAll() {
      return sql<Server>`SELECT * FROM servers ORDER BY project_id, name`
    },
    async update(projectId, name, patch) {
      return updateServer.run<Server>(sql, { projectId, name }, patch)
    },
    async delete(projectId, name) {
      const rows = await sql`
        DELETE FROM servers WHERE project_id = ${projectId}::text AND name = ${name}::text RETURNING id`
      return rows.length > 0
    },
    async upsert(s) {
      const [row] = await sql<Server>`
        INSERT INTO servers (project_id, name, description, transport, command, args, env, cwd, url, headers,
                             timeout_ms, isolation, enabled, auto_start, tool_toggles, source,
                             health_check_interval_ms, protocol, auth)
        VALUES (${s.projectId}, ${s.name}, ${s.description ?? ''}, ${s.transport}, ${s.command}::text,
                coalesce(${json(s.args)}::text::jsonb, '[]'), coalesce(${json(s.env)}::text::jsonb, '{}'), ${s.cwd}::text,
                ${s.url}::text, coalesce(${json(s.headers)}::text::jsonb, '{}'), ${s.timeoutMs ?? 60000}::int,
                ${s.isolation}::text, ${s.enabled ?? true}, ${s.autoStart ?? false},
                coalesce(${json(s.toolToggles)}::text::jsonb, '{}'), ${s.source ?? 'config'},
                ${s.healthCheckIntervalMs ?? null}::int, ${s.protocol ?? null}::text,
                ${json(s.auth)}::text::jsonb)
        ON CONFLICT ON CONSTRAINT servers_project_name_key DO UPDATE SET
          description = excluded.description,
          transport = excluded.transport,
          command = excluded.command,
          args = excluded.args,
          env = excluded.env,
          cwd = excluded.cwd,
          url = excluded.url,
          headers = excluded.headers,
          timeout_ms = excluded.timeout_ms,
          isolation = excluded.isolation,
          auto_start = excluded.auto_start,
          health_check_interval_ms = excluded.health_check_interval_ms,
          protocol = excluded.protocol,
          auth = excluded.auth,
          source = excluded.source,
          updated_at = now()
        RETURNING *`
      return row
    },
  }
}

export function toolPoliciesRepo(sql: Sql): ToolPoliciesRepo {
  return {
    async create(p) {
      const [row] = await sql<ToolPolicy>`
        INSERT INTO tool_policies (project_id, priority, effect, server_pattern, tool_pattern, roles, description,
                                   created_by)
        VALUES (${p.projectId}, ${p.priority ?? 0}::int, ${p.effect}, ${p.serverPattern ?? '*'},
                ${p.toolPattern ?? '*'}, coalesce(${json(p.roles)}::text::jsonb, '[]'), ${p.description ?? ''},
                ${p.createdBy}::uuid)
        RETURNING *`
      return row
    },
    async get(id) {
      if (!isUuid(id)) return null
      const [row] = await sql<ToolPolicy>`SELECT * FROM tool_policies WHERE id = ${id}::uuid`
      return row ?? null
    },
    list(projectId) {
      return sql<ToolPolicy>`
        SELECT * FROM tool_policies WHERE project_id = ${projectId}::text ORDER BY priority, created_at, id`
    },
    async update(id, patch) {
      if (!isUuid(id)) return null
      return updateToolPolicy.run<ToolPolicy>(sql, { id }, patch)
    },
    async delete(id) {
      if (!isUuid(id)) return false
      const rows = await sql`DELETE FROM tool_policies WHERE id = ${id}::uuid RETURNING id`
      return rows.length > 0
    },
  }
}

export function templatesRepo(sql: Sql): TemplatesRepo {
  return {
    async create(t) {
      const [row] = await sql<Template>`
        INSERT INTO templates (name, description, transport, command, args, env_template, url, headers_template,
                               approved, created_by)
        VALUES (${t.name}, ${t.description ?? ''}, ${t.transport}, ${t.command}::text,
                coalesce(${json(t.args)}::text::jsonb, '[]'), coalesce(${json(t.envTemplate)}::text::jsonb, '{}'), ${t.url}::text,
                coalesce(${json(t.headersTemplate)}::text::jsonb, '{}'), ${t.approved ?? false}, ${t.createdBy}::uuid)
        RETURNING *`
      return row
    },
    async get(id) {
      if (!isUuid(id)) return null
      const [row] = await sql<Template>`SELECT * FROM templates WHERE id = ${id}::uuid`
      return row ?? null
    },
    async getByName(name) {
      const [row] = await sql<Template>`SELECT * FROM templates WHERE name = ${name}::text`
      return row ?? null
    },
    list(filter = {}) {
      return sql<Template>`
        SELECT * FROM templates
        WHERE ${filter.approved}::boolean IS NULL OR approved = ${filter.approved}::boolean
        ORDER BY lower(name), name`
    },
    async update(id, patch) {
      if (!isUuid(id)) return null
      return updateTemplate.run<Template>(sql, { id }, patch)
    },
    async delete(id) {
      if (!isUuid(id)) return false
      const rows = await sql`DELETE FROM templates WHERE id = ${id}::uuid RETURNING id`
      return rows.length > 0
    },
  }
}
