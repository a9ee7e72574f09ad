// SQL for project templates: blueprints whose parts (servers, policies, roles) are jsonb arrays validated by the API.
import type { ProjectTemplatesRepo } from './port.ts'
import type { ProjectTemplate } from './rows.ts'
import { isUuid, json, type Sql } from './sql.ts'

export function projectTemplatesRepo(sql: Sql): ProjectTemplatesRepo {
  return {
    async create(t) {
      const [row] = await sql<ProjectTemplate>`
        INSERT INTO project_templates (name, description, servers, policies, roles, settings, created_by)
        VALUES (${t.name}, ${t.description ?? ''}, coalesce(${json(t.servers)}::text::jsonb, '[]'),
                coalesce(${json(t.policies)}::text::jsonb, '[]'), coalesce(${json(t.roles)}::text::jsonb, '[]'),
                coalesce(${json(t.settings)}::text::jsonb, '{}'), ${t.createdBy}::uuid)
        RETURNING *`
      return row
    },
    async get(id) {
      if (!isUuid(id)) return null
      const [row] = await sql<ProjectTemplate>`SELECT * FROM project_templates WHERE id = ${id}::uuid`
      return row ?? null
    },
    async getByName(name) {
      const [row] = await sql<ProjectTemplate>`SELECT * FROM project_templates WHERE name = ${name}::text`
      return row ?? null
    },
    list() {
      return sql<ProjectTemplate>`SELECT * FROM project_templates ORDER BY lower(name), name`
    },
    async update(id, patch) {
      if (!isUuid(id)) return null
      const [row] = await sql<ProjectTemplate>`
        WITH p AS (SELECT ${json(patch)}::text::jsonb AS v)
        UPDATE project_templates t SET
          name = CASE WHEN p.v ? 'name' THEN p.v->>'name' ELSE t.name END,
          description = CASE WHEN p.v ? 'description' THEN p.v->>'description' ELSE t.description END,
          servers = CASE WHEN p.v ? 'servers' THEN p.v->'servers' ELSE t.servers END,
          policies = CASE WHEN p.v ? 'policies' THEN p.v->'policies' ELSE t.policies END,
          roles = CASE WHEN p.v ? 'roles' THEN p.v->'roles' ELSE t.roles END,
          settings = CASE WHEN p.v ? 'settings' THEN p.v->'settings' ELSE t.settings END,
          updated_at = now()
        FROM p WHERE t.id = ${id}::uuid
        RETURNING t.*`
      return row ?? null
    },
    async delete(id) {
      if (!isUuid(id)) return false
      const rows = await sql`DELETE FROM project_templates WHERE id = ${id}::uuid RETURNING id`
      return rows.length > 0
    },
  }
}
