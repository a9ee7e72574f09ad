// SQL for making the first admin: the set-up tokens nodes print while no admin exists, and the lock that lets one
// node at a time (at boot, or answering the set-up page) decide whether an admin exists and make one.
import type { SetupRepo } from './port.ts'
import type { Sql } from './sql.ts'

// Arbitrary but fixed, and other than the migration lock's: every mcpo node must use the same key.
const FIRST_ADMIN_LOCK_KEY = 0x6d63706f01 // 'mcpo' 1

export function setupRepo(sql: Sql): SetupRepo {
  return {
    async lock() {
      await sql`SELECT pg_advisory_xact_lock(${FIRST_ADMIN_LOCK_KEY}::bigint)`
    },
    async addToken(tokenHash) {
      await sql`INSERT INTO setup_tokens (token_hash) VALUES (${tokenHash}) ON CONFLICT (token_hash) DO NOTHING`
    },
    async hasToken() {
      const [row] = await sql<{ pending: boolean }>`SELECT EXISTS (SELECT 1 FROM setup_tokens) AS pending`
      return row.pending
    },
    async consumeToken(tokenHash) {
      // One statement: the token is used and every other one voided together. A concurrent use of the same token
      // waits on its row and then finds it gone; the route holds lock() as well, so different tokens queue too.
      const [row] = await sql<{ used: number }>`
        WITH used AS (DELETE FROM setup_tokens WHERE token_hash = ${tokenHash} RETURNING token_hash),
        rest AS (
          DELETE FROM setup_tokens WHERE token_hash <> ${tokenHash} AND EXISTS (SELECT 1 FROM used)
          RETURNING token_hash
        )
        SELECT (SELECT count(*) FROM used)::int AS used, (SELECT count(*) FROM rest)::int AS rest`
      return row.used > 0
    },
    async clearTokens() {
      const rows = await sql`DELETE FROM setup_tokens RETURNING token_hash`
      return rows.length
    },
  }
}
