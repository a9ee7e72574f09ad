// SQL for what a project runs: MCP server definitions, tool policies and the template catalog.
import type { ServersRepo, TemplatesRepo, ToolPoliciesRepo } from './port.ts'
import type { Server, Template, ToolPolicy } from './rows.ts'
import { isUuid, json, type Sql } from './sql.ts'

export function serversRepo(sql: Sql): ServersRepo {
  return {
    async create(s) {
      const [row] = await sql<Server>`
        INSERT INTO servers (project_id, name, description, transport, command, args, env, cwd, url, headers,
                             timeout_ms, isolation, enabled, auto_start, tool_toggles, source,
                             health_check_interval_ms)
        VALUES (${s.projectId}, ${s.name}, ${s.description ?? ''}, ${s.transport}, ${s.command}::text,
                coalesce(${json(s.args)}::text::jsonb, '[]'), coalesce(${json(s.env)}::text::jsonb, '{}'), ${s.cwd}::text,
                ${s.url}::text, coalesce(${json(s.headers)}::text::jsonb, '{}'), ${s.timeoutMs ?? 60000}::int,
                ${s.isolation}::text, ${s.enabled ?? true}, ${s.autoStart ?? false},
                coalesce(${json(s.toolToggles)}::text::jsonb, '{}'), ${s.source ?? 'ui'},
                ${s.healthCheckIntervalMs ?? null}::int)
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
      const [row] = await sql<Server>`
        WITH p AS (SELECT ${json(patch)}::text::jsonb AS v)
        UPDATE servers s SET
          name = CASE WHEN p.v ? 'name' THEN p.v->>'name' ELSE s.name END,
          description = CASE WHEN p.v ? 'description' THEN p.v->>'description' ELSE s.description END,
          transport = CASE WHEN p.v ? 'transport' THEN p.v->>'transport' ELSE s.transport END,
          command = CASE WHEN p.v ? 'command' THEN p.v->>'command' ELSE s.command END,
          args = CASE WHEN p.v ? 'args' THEN coalesce(nullif(p.v->'args', 'null'), '[]') ELSE s.args END,
          env = CASE WHEN p.v ? 'env' THEN coalesce(nullif(p.v->'env', 'null'), '{}') ELSE s.env END,
          cwd = CASE WHEN p.v ? 'cwd' THEN p.v->>'cwd' ELSE s.cwd END,
          url = CASE WHEN p.v ? 'url' THEN p.v->>'url' ELSE s.url END,
          headers = CASE WHEN p.v ? 'headers' THEN coalesce(nullif(p.v->'headers', 'null'), '{}') ELSE s.headers END,
          timeout_ms = CASE WHEN p.v ? 'timeoutMs' THEN (p.v->>'timeoutMs')::int ELSE s.timeout_ms END,
          isolation = CASE WHEN p.v ? 'isolation' THEN p.v->>'isolation' ELSE s.isolation END,
          enabled = CASE WHEN p.v ? 'enabled' THEN (p.v->>'enabled')::boolean ELSE s.enabled END,
          auto_start = CASE WHEN p.v ? 'autoStart' THEN (p.v->>'autoStart')::boolean ELSE s.auto_start END,
          health_check_interval_ms = CASE WHEN p.v ? 'healthCheckIntervalMs'
                                     THEN (p.v->>'healthCheckIntervalMs')::int ELSE s.health_check_interval_ms END,
          tool_toggles = CASE WHEN p.v ? 'toolToggles' THEN coalesce(nullif(p.v->'toolToggles', 'null'), '{}')
                         ELSE s.tool_toggles END,
          source = CASE WHEN p.v ? 'source' THEN p.v->>'source' ELSE s.source END,
          updated_at = now()
        FROM p WHERE s.project_id = ${projectId}::text AND s.name = ${name}::text
        RETURNING s.*`
      return row ?? null
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
                             health_check_interval_ms)
        VALUES (${s.projectId}, ${s.name}, ${s.description ?? ''}, ${s.transport}, ${s.command}::text,
                coalesce(${json(s.args)}::text::jsonb, '[]'), coalesce(${json(s.env)}::text::jsonb, '{}'), ${s.cwd}::text,
                ${s.url}::text, coalesce(${json(s.headers)}::text::jsonb, '{}'), ${s.timeoutMs ?? 60000}::int,
                ${s.isolation}::text, ${s.enabled ?? true}, ${s.autoStart ?? false},
                coalesce(${json(s.toolToggles)}::text::jsonb, '{}'), ${s.source ?? 'config'},
                ${s.healthCheckIntervalMs ?? null}::int)
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
      const [row] = await sql<ToolPolicy>`
        WITH p AS (SELECT ${json(patch)}::text::jsonb AS v)
        UPDATE tool_policies t SET
          priority = CASE WHEN p.v ? 'priority' THEN (p.v->>'priority')::int ELSE t.priority END,
          effect = CASE WHEN p.v ? 'effect' THEN p.v->>'effect' ELSE t.effect END,
          server_pattern = CASE WHEN p.v ? 'serverPattern' THEN p.v->>'serverPattern' ELSE t.server_pattern END,
          tool_pattern = CASE WHEN p.v ? 'toolPattern' THEN p.v->>'toolPattern' ELSE t.tool_pattern END,
          roles = CASE WHEN p.v ? 'roles' THEN coalesce(nullif(p.v->'roles', 'null'), '[]') ELSE t.roles END,
          description = CASE WHEN p.v ? 'description' THEN p.v->>'description' ELSE t.description END,
          updated_at = now()
        FROM p WHERE t.id = ${id}::uuid
        RETURNING t.*`
      return row ?? null
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
      const [row] = await sql<Template>`
        WITH p AS (SELECT ${json(patch)}::text::jsonb AS v)
        UPDATE templates t SET
          name = CASE WHEN p.v ? 'name' THEN p.v->>'name' ELSE t.name END,
          description = CASE WHEN p.v ? 'description' THEN p.v->>'description' ELSE t.description END,
          transport = CASE WHEN p.v ? 'transport' THEN p.v->>'transport' ELSE t.transport END,
          command = CASE WHEN p.v ? 'command' THEN p.v->>'command' ELSE t.command END,
          args = CASE WHEN p.v ? 'args' THEN coalesce(nullif(p.v->'args', 'null'), '[]') ELSE t.args END,
          env_template = CASE WHEN p.v ? 'envTemplate' THEN coalesce(nullif(p.v->'envTemplate', 'null'), '{}')
                         ELSE t.env_template END,
          url = CASE WHEN p.v ? 'url' THEN p.v->>'url' ELSE t.url END,
          headers_template = CASE WHEN p.v ? 'headersTemplate'
                             THEN coalesce(nullif(p.v->'headersTemplate', 'null'), '{}') ELSE t.headers_template END,
          approved = CASE WHEN p.v ? 'approved' THEN (p.v->>'approved')::boolean ELSE t.approved END,
          updated_at = now()
        FROM p WHERE t.id = ${id}::uuid
        RETURNING t.*`
      return row ?? null
    },
    async delete(id) {
      if (!isUuid(id)) return false
      const rows = await sql`DELETE FROM templates WHERE id = ${id}::uuid RETURNING id`
      return rows.length > 0
    },
  }
}
