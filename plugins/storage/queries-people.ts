// SQL for people: users, teams, team members and favorites.

import { partialUpdate } from './partial-update.ts'
import type { FavoritesRepo, TeamMembersRepo, TeamsRepo, UsersRepo } from './port.ts'
import type {
  EmailVerification,
  Favorite,
  Team,
  TeamMember,
  TeamMembership,
  TeamMemberWithUser,
  TeamPatch,
  User,
  UserPatch,
} from './rows.ts'
import { isUuid, limitOf, type Sql } from './sql.ts'

const updateUser = partialUpdate<UserPatch, 'id'>(
  'users',
  {
    email: 'text',
    name: 'text',
    passwordHash: 'text',
    isAdmin: 'boolean',
    disabled: 'boolean',
    oidcIssuer: 'text',
    oidcSubject: 'text',
    emailVerifiedAt: 'timestamptz',
    lastLoginAt: 'timestamptz',
  },
  { id: 'uuid' },
)
const updateTeam = partialUpdate<TeamPatch, 'id'>(
  'teams',
  { slug: 'text', name: 'text', description: 'text' },
  { id: 'uuid' },
)

export function usersRepo(sql: Sql): UsersRepo {
  return {
    async create(u) {
      const [row] = await sql<User>`
        INSERT INTO users (id, email, name, password_hash, is_admin, disabled, oidc_issuer, oidc_subject,
                           email_verified_at)
        VALUES (coalesce(${u.id}::uuid, gen_random_uuid()), ${u.email}, ${u.name ?? ''}, ${u.passwordHash},
                ${u.isAdmin ?? false}, ${u.disabled ?? false}, ${u.oidcIssuer}, ${u.oidcSubject},
                ${u.emailVerifiedAt}::timestamptz)
        RETURNING *`
      return row
    },
    async get(id) {
      if (!isUuid(id)) return null
      const [row] = await sql<User>`SELECT * FROM users WHERE id = ${id}::uuid`
      return row ?? null
    },
    async getByEmail(email) {
      const [row] = await sql<User>`SELECT * FROM users WHERE lower(email) = lower(${email}::text)`
      return row ?? null
    },
    async getByOidc(issuer, subject) {
      const [row] = await sql<User>`
        SELECT * FROM users WHERE oidc_issuer = ${issuer}::text AND oidc_subject = ${subject}::text`
      return row ?? null
    },
    async list(filter = {}) {
      const search = filter.search ? filter.search.toLowerCase() : null
      return sql<User>`
        SELECT * FROM users
        WHERE ${search}::text IS NULL
           OR strpos(lower(email), ${search}::text) > 0 OR strpos(lower(name), ${search}::text) > 0
        ORDER BY lower(email)
        LIMIT ${limitOf(filter.limit)}::int OFFSET ${Math.max(filter.offset ?? 0, 0)}::int`
    },
    async count(filter = {}) {
      const [row] = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM users
        WHERE ${filter.isAdmin}::boolean IS NULL OR is_admin = ${filter.isAdmin}::boolean`
      return row.n
    },
    async update(id, patch) {
      if (!isUuid(id)) return null
      return updateUser.run<User>(sql, { id }, patch)
    },
    async delete(id) {
      if (!isUuid(id)) return false
      // Upstream tokens name users by text, with no foreign key: they go here, so none outlives its user.
      const rows = await sql`
        WITH tokens AS (DELETE FROM upstream_credentials WHERE user_id = ${id}::text),
             pending AS (DELETE FROM upstream_oauth_pending WHERE user_id = ${id}::text)
        DELETE FROM users WHERE id = ${id}::uuid RETURNING id`
      return rows.length > 0
    },
    async saveEmailVerification(v) {
      const [row] = await sql<EmailVerification>`
        INSERT INTO email_verifications (user_id, email, token_hash, expires_at)
        VALUES (${v.userId}::uuid, ${v.email}, ${v.tokenHash}, ${v.expiresAt}::timestamptz)
        ON CONFLICT (user_id) DO UPDATE SET
          email = excluded.email, token_hash = excluded.token_hash, expires_at = excluded.expires_at, created_at = now()
        RETURNING *`
      return row
    },
    async getEmailVerification(userId) {
      if (!isUuid(userId)) return null
      const [row] = await sql<EmailVerification>`SELECT * FROM email_verifications WHERE user_id = ${userId}::uuid`
      return row ?? null
    },
    async consumeEmailVerification(tokenHash, now) {
      // The link dies on first use, whatever the outcome: a stale or mismatched link is not retried.
      const [row] = await sql<User>`
        WITH v AS (DELETE FROM email_verifications WHERE token_hash = ${tokenHash}::text RETURNING *)
        UPDATE users u SET email_verified_at = coalesce(u.email_verified_at, now()), updated_at = now()
        FROM v
        WHERE u.id = v.user_id AND lower(u.email) = lower(v.email)
          AND v.expires_at > coalesce(${now}::timestamptz, now())
        RETURNING u.*`
      return row ?? null
    },
  }
}

export function teamsRepo(sql: Sql): TeamsRepo {
  return {
    async create(t) {
      const [row] = await sql<Team>`
        INSERT INTO teams (id, slug, name, description)
        VALUES (coalesce(${t.id}::uuid, gen_random_uuid()), ${t.slug}, ${t.name}, ${t.description ?? ''})
        RETURNING *`
      return row
    },
    async get(id) {
      if (!isUuid(id)) return null
      const [row] = await sql<Team>`SELECT * FROM teams WHERE id = ${id}::uuid`
      return row ?? null
    },
    async getBySlug(slug) {
      const [row] = await sql<Team>`SELECT * FROM teams WHERE slug = ${slug}::text`
      return row ?? null
    },
    list() {
      return sql<Team>`SELECT * FROM teams ORDER BY lower(name), slug`
    },
    async update(id, patch) {
      if (!isUuid(id)) return null
      return updateTeam.run<Team>(sql, { id }, patch)
    },
    async delete(id) {
      if (!isUuid(id)) return false
      const rows = await sql`DELETE FROM teams WHERE id = ${id}::uuid RETURNING id`
      return rows.length > 0
    },
    async upsertBySlug(t) {
      const [row] = await sql<Team>`
        INSERT INTO teams (slug, name, description, source)
        VALUES (${t.slug}, ${t.name}, coalesce(${t.description}::text, ''), 'config')
        ON CONFLICT ON CONSTRAINT teams_slug_key DO UPDATE SET
          name = excluded.name,
          source = 'config',
          description = coalesce(${t.description}::text, teams.description),
          updated_at = now()
        RETURNING *`
      return row
    },
    async lock(id) {
      if (!isUuid(id)) return false
      const rows = await sql`SELECT id FROM teams WHERE id = ${id}::uuid FOR UPDATE`
      return rows.length > 0
    },
  }
}

export function teamMembersRepo(sql: Sql): TeamMembersRepo {
  return {
    async add(m) {
      const [row] = await sql<TeamMember>`
        INSERT INTO team_members (team_id, user_id, role) VALUES (${m.teamId}::uuid, ${m.userId}::uuid, ${m.role})
        RETURNING *`
      return row
    },
    async get(teamId, userId) {
      if (!isUuid(teamId) || !isUuid(userId)) return null
      const [row] = await sql.cached('team_members')<TeamMember>`
        SELECT * FROM team_members WHERE team_id = ${teamId}::uuid AND user_id = ${userId}::uuid`
      return row ?? null
    },
    async list(teamId) {
      if (!isUuid(teamId)) return []
      return sql<TeamMemberWithUser>`
        SELECT m.*, u.email, u.name FROM team_members m JOIN users u ON u.id = m.user_id
        WHERE m.team_id = ${teamId}::uuid
        ORDER BY lower(u.email)`
    },
    async listForUser(userId) {
      if (!isUuid(userId)) return []
      return sql<TeamMembership>`
        SELECT m.*, t.slug AS team_slug, t.name AS team_name FROM team_members m JOIN teams t ON t.id = m.team_id
        WHERE m.user_id = ${userId}::uuid
        ORDER BY lower(t.name), t.slug`
    },
    async setRole(teamId, userId, role) {
      if (!isUuid(teamId) || !isUuid(userId)) return null
      const [row] = await sql<TeamMember>`
        UPDATE team_members SET role = ${role}, updated_at = now()
        WHERE team_id = ${teamId}::uuid AND user_id = ${userId}::uuid
        RETURNING *`
      return row ?? null
    },
    async remove(teamId, userId) {
      if (!isUuid(teamId) || !isUuid(userId)) return false
      const rows = await sql`
        DELETE FROM team_members WHERE team_id = ${teamId}::uuid AND user_id = ${userId}::uuid RETURNING user_id`
      return rows.length > 0
    },
    async countOwners(teamId) {
      if (!isUuid(teamId)) return 0
      const [row] = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM team_members WHERE team_id = ${teamId}::uuid AND role = 'owner'`
      return row.n
    },
  }
}

export function favoritesRepo(sql: Sql): FavoritesRepo {
  return {
    async add(userId, projectId) {
      await sql`
        INSERT INTO favorites (user_id, project_id) VALUES (${userId}::uuid, ${projectId})
        ON CONFLICT ON CONSTRAINT favorites_pkey DO NOTHING`
    },
    async list(userId) {
      if (!isUuid(userId)) return []
      return sql<Favorite>`
        SELECT * FROM favorites WHERE user_id = ${userId}::uuid ORDER BY created_at DESC, project_id`
    },
    async remove(userId, projectId) {
      if (!isUuid(userId)) return false
      const rows = await sql`
        DELETE FROM favorites WHERE user_id = ${userId}::uuid AND project_id = ${projectId}::text RETURNING user_id`
      return rows.length > 0
    },
  }
}
