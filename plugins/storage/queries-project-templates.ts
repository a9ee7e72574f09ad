// SQL for project templates: blueprints whose parts (servers, policies, roles) are jsonb arrays validated by the API.

import { partialUpdate } from './partial-update.ts'
import type { ProjectTemplatesRepo } from './port.ts'
import type { ProjectTemplate, ProjectTemplatePatch } from './rows.ts'
import { isUuid, json, type Sql } from './sql.ts'

const updateProjectTemplate = partialUpdate<ProjectTemplatePatch, 'id'>(
  'project_templates',
  { name: 'text', description: 'text', servers: 'json', policies: 'json', roles: 'json', settings: 'json' },
  { id: 'uuid' },
)

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
      return updateProjectTemplate.run<ProjectTemplate>(sql, { id }, patch)
    },
    async delete(id) {
      if (!isUuid(id)) return false
      const rows = await sql`DELETE FROM project_templates WHERE id = ${id}::uuid RETURNING id`
      return rows.length > 0
    },
  }
}
