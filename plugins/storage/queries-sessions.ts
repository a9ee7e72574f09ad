// SQL for sign-in sessions: created at sign-in, read (by id) while their tokens are used, ended one by one or all at
// once for a user, and pruned after their absolute end.
import type { UserSessionsRepo } from './port.ts'
import type { UserSession } from './rows.ts'
import { isUuid, type Sql } from './sql.ts'

export function userSessionsRepo(sql: Sql): UserSessionsRepo {
  return {
    async create(s) {
      const [row] = await sql<UserSession>`
        INSERT INTO user_sessions (id, user_id, created_at, expires_at)
        VALUES (coalesce(${s.id}::uuid, gen_random_uuid()), ${s.userId}::uuid,
                coalesce(${s.createdAt}::timestamptz, now()), ${s.expiresAt}::timestamptz)
        RETURNING *`
      return row
    },
    async get(id) {
      if (!isUuid(id)) return null
      const [row] = await sql<UserSession>`SELECT * FROM user_sessions WHERE id = ${id}::uuid`
      return row ?? null
    },
    async revoke(id, at) {
      if (!isUuid(id)) return null
      const [row] = await sql<UserSession>`
        UPDATE user_sessions SET revoked_at = coalesce(revoked_at, ${at}::timestamptz, now())
        WHERE id = ${id}::uuid
        RETURNING *`
      return row ?? null
    },
    async revokeAll(userId, options = {}) {
      if (!isUuid(userId)) return 0
      const except = options.exceptId !== undefined && isUuid(options.exceptId) ? options.exceptId : null
      const rows = await sql`
        UPDATE user_sessions SET revoked_at = coalesce(${options.at}::timestamptz, now())
        WHERE user_id = ${userId}::uuid AND revoked_at IS NULL
          AND expires_at > coalesce(${options.at}::timestamptz, now())
          AND (${except}::uuid IS NULL OR id <> ${except}::uuid)
        RETURNING id`
      return rows.length
    },
    async prune(before) {
      const rows = await sql`DELETE FROM user_sessions WHERE expires_at < ${before}::timestamptz RETURNING id`
      return rows.length
    },
  }
}
