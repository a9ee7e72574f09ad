// SQL for projects, their members and invitations.

import { partialUpdate } from './partial-update.ts'
import type { InvitationsRepo, ProjectMembersRepo, ProjectsRepo } from './port.ts'
import type {
  Invitation,
  InvitationPatch,
  Project,
  ProjectForUser,
  ProjectMember,
  ProjectMemberWithUser,
  ProjectPatch,
} from './rows.ts'
import { isUuid, json, type Sql } from './sql.ts'

const updateProject = partialUpdate<ProjectPatch, 'id'>(
  'projects',
  { name: 'text', description: 'text', teamId: 'uuid', settings: { json: '{}' }, archivedAt: 'timestamptz' },
  { id: 'text' },
)
const updateInvitation = partialUpdate<InvitationPatch, 'id'>(
  'invitations',
  {
    status: 'text',
    role: 'text',
    tokenHash: 'text',
    expiresAt: 'timestamptz',
    acceptedAt: 'timestamptz',
    acceptedBy: 'uuid',
    deliveredAt: 'timestamptz',
  },
  { id: 'uuid' },
)

export function projectsRepo(sql: Sql): ProjectsRepo {
  return {
    async create(p) {
      const [row] = await sql<Project>`
        INSERT INTO projects (id, name, description, team_id, settings, source, created_by)
        VALUES (${p.id}, ${p.name}, ${p.description ?? ''}, ${p.teamId}::uuid,
                coalesce(${json(p.settings)}::text::jsonb, '{}'), ${p.source ?? 'ui'}, ${p.createdBy}::uuid)
        RETURNING *`
      return row
    },
    async get(id) {
      const [row] = await sql.cached('projects')<Project>`SELECT * FROM projects WHERE id = ${id}::text`
      return row ?? null
    },
    async list(filter = {}) {
      if (filter.teamId !== undefined && !isUuid(filter.teamId)) return []
      return sql<Project>`
        SELECT * FROM projects
        WHERE (${filter.teamId}::uuid IS NULL OR team_id = ${filter.teamId}::uuid)
          AND (${filter.includeArchived ?? false}::boolean OR archived_at IS NULL)
        ORDER BY lower(name), id`
    },
    async listForUser(userId, filter = {}) {
      if (!isUuid(userId)) return []
      return sql<ProjectForUser>`
        SELECT p.*, pm.role AS role, tm.role AS team_role
        FROM projects p
        LEFT JOIN project_members pm ON pm.project_id = p.id AND pm.user_id = ${userId}::uuid
        LEFT JOIN team_members tm ON tm.team_id = p.team_id AND tm.user_id = ${userId}::uuid
        WHERE (pm.user_id IS NOT NULL OR tm.user_id IS NOT NULL)
          AND (${filter.includeArchived ?? false}::boolean OR p.archived_at IS NULL)
        ORDER BY lower(p.name), p.id`
    },
    async update(id, patch) {
      return updateProject.run<Project>(sql, { id }, patch)
    },
    async archive(id, at) {
      const [row] = await sql<Project>`
        UPDATE projects SET archived_at = coalesce(archived_at, ${at}::timestamptz, now()), updated_at = now()
        WHERE id = ${id}::text
        RETURNING *`
      return row ?? null
    },
    async restore(id) {
      const [row] = await sql<Project>`
        UPDATE projects SET archived_at = NULL, updated_at = now() WHERE id = ${id}::text RETURNING *`
      return row ?? null
    },
    async delete(id) {
      const rows = await sql`DELETE FROM projects WHERE id = ${id}::text RETURNING id`
      return rows.length > 0
    },
    async upsert(p) {
      // The team is only changed when the config names one: the UI may have moved the project.
      const [row] = await sql<Project>`
        INSERT INTO projects (id, name, description, team_id, settings, source, created_by)
        VALUES (${p.id}, ${p.name}, coalesce(${p.description}::text, ''), ${p.teamId}::uuid,
                coalesce(${json(p.settings)}::text::jsonb, '{}'), ${p.source ?? 'config'}, ${p.createdBy}::uuid)
        ON CONFLICT (id) DO UPDATE SET
          name = excluded.name,
          description = coalesce(${p.description}::text, projects.description),
          team_id = coalesce(excluded.team_id, projects.team_id),
          source = excluded.source,
          updated_at = now()
        RETURNING *`
      return row
    },
    async lock(id) {
      const rows = await sql`SELECT id FROM projects WHERE id = ${id}::text FOR UPDATE`
      return rows.length > 0
    },
  }
}

export function projectMembersRepo(sql: Sql): ProjectMembersRepo {
  return {
    async add(m) {
      const [row] = await sql<ProjectMember>`
        INSERT INTO project_members (project_id, user_id, role, invite_source, source_team_id, added_by)
        VALUES (${m.projectId}, ${m.userId}::uuid, ${m.role}, ${m.inviteSource ?? 'direct'},
                ${m.sourceTeamId}::uuid, ${m.addedBy}::uuid)
        RETURNING *`
      return row
    },
    async addTeam(input) {
      const rows = await sql`
        INSERT INTO project_members (project_id, user_id, role, invite_source, source_team_id, added_by)
        SELECT ${input.projectId}::text, tm.user_id, ${input.role}::text, 'team', tm.team_id, ${input.addedBy}::uuid
        FROM team_members tm WHERE tm.team_id = ${input.teamId}::uuid
        ON CONFLICT ON CONSTRAINT project_members_pkey DO NOTHING
        RETURNING user_id`
      return rows.length
    },
    async get(projectId, userId) {
      if (!isUuid(userId)) return null
      const [row] = await sql.cached('project_members')<ProjectMember>`
        SELECT * FROM project_members WHERE project_id = ${projectId}::text AND user_id = ${userId}::uuid`
      return row ?? null
    },
    list(projectId) {
      return sql<ProjectMemberWithUser>`
        SELECT m.*, u.email, u.name FROM project_members m JOIN users u ON u.id = m.user_id
        WHERE m.project_id = ${projectId}::text
        ORDER BY lower(u.email)`
    },
    async setRole(projectId, userId, role) {
      if (!isUuid(userId)) return null
      const [row] = await sql<ProjectMember>`
        UPDATE project_members SET role = ${role}, updated_at = now()
        WHERE project_id = ${projectId}::text AND user_id = ${userId}::uuid
        RETURNING *`
      return row ?? null
    },
    async remove(projectId, userId) {
      if (!isUuid(userId)) return false
      const rows = await sql`
        DELETE FROM project_members WHERE project_id = ${projectId}::text AND user_id = ${userId}::uuid
        RETURNING user_id`
      return rows.length > 0
    },
    async countOwners(projectId) {
      const [row] = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM project_members WHERE project_id = ${projectId}::text AND role = 'owner'`
      return row.n
    },
  }
}

export function invitationsRepo(sql: Sql): InvitationsRepo {
  return {
    async create(i) {
      const [row] = await sql<Invitation>`
        INSERT INTO invitations (id, kind, project_id, team_id, source_team_id, email, role, token_hash, invited_by,
                                 expires_at)
        VALUES (coalesce(${i.id}::uuid, gen_random_uuid()), ${i.kind}, ${i.projectId}::text, ${i.teamId}::uuid,
                ${i.sourceTeamId}::uuid, ${i.email}::text, ${i.role}, ${i.tokenHash}::text, ${i.invitedBy}::uuid,
                ${i.expiresAt}::timestamptz)
        RETURNING *`
      return row
    },
    async get(id) {
      if (!isUuid(id)) return null
      const [row] = await sql<Invitation>`SELECT * FROM invitations WHERE id = ${id}::uuid`
      return row ?? null
    },
    async getByTokenHash(tokenHash) {
      const [row] = await sql<Invitation>`SELECT * FROM invitations WHERE token_hash = ${tokenHash}::text`
      return row ?? null
    },
    async listPending(filter = {}) {
      if (filter.teamId !== undefined && !isUuid(filter.teamId)) return []
      return sql<Invitation>`
        SELECT * FROM invitations
        WHERE status = 'pending' AND expires_at > coalesce(${filter.now}::timestamptz, now())
          AND (${filter.projectId}::text IS NULL OR project_id = ${filter.projectId}::text)
          AND (${filter.teamId}::uuid IS NULL OR team_id = ${filter.teamId}::uuid)
          AND (${filter.email}::text IS NULL OR lower(email) = lower(${filter.email}::text))
        ORDER BY created_at DESC, id`
    },
    async update(id, patch) {
      if (!isUuid(id)) return null
      return updateInvitation.run<Invitation>(sql, { id }, patch)
    },
    async expireDue(now) {
      const rows = await sql`
        UPDATE invitations SET status = 'expired', updated_at = now()
        WHERE status = 'pending' AND expires_at <= ${now}::timestamptz
        RETURNING id`
      return rows.length
    },
    async delete(id) {
      if (!isUuid(id)) return false
      const rows = await sql`DELETE FROM invitations WHERE id = ${id}::uuid RETURNING id`
      return rows.length > 0
    },
  }
}
