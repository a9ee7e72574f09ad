// Migration 030 on a database that already has accounts: those made by accepting an external invitation link (the
// link may have been the inviter's) start unverified; every other account keeps working as verified.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import type postgres from 'postgres'
import { requirePostgres } from '../../test/kit/postgres.ts'
import { loadMigrations } from './migrate.ts'

const pg = await requirePostgres('migration 030 marks accounts made through an external invitation link unverified')

if (pg)
  it('marks only accounts made through an external invitation link unverified', async () => {
    const { sql } = pg
    const schema = pg.schema('mcpo_backfill')
    const migrations = await loadMigrations()
    const before = migrations.filter((m) => m.version < 30)
    const backfill = migrations.find((m) => m.version === 30)
    assert.ok(backfill, 'migration 030 exists')
    await sql`CREATE SCHEMA ${sql(schema)}`
    const inSchema = <T>(fn: (tx: postgres.TransactionSql) => Promise<T>) =>
      sql.begin(async (tx) => {
        await tx`SELECT set_config('search_path', ${schema}, true)`
        return fn(tx)
      }) as Promise<T>
    for (const m of before) await inSchema((tx) => tx.unsafe(m.text))

    const ids = await inSchema(async (tx) => {
      const [p] = await tx`INSERT INTO projects (id, name) VALUES ('p1', 'P1') RETURNING id`
      const [admin] = await tx`INSERT INTO users (email) VALUES ('admin@x.test') RETURNING id`
      const [linked] = await tx`INSERT INTO users (email) VALUES ('old-member@x.test') RETURNING id`
      const later = new Date(Date.now() + 86_400_000)
      await tx`
      INSERT INTO invitations (kind, project_id, email, role, token_hash, expires_at)
      VALUES ('external', ${p.id}, 'taken@x.test', 'owner', 'h1', ${later}),
             ('external', ${p.id}, ${'old-member@x.test'}, 'reporter', 'h2', ${later})`
      return { admin: admin.id as string, linked: linked.id as string }
    })
    // What accept-link did before 030: create the account and accept in one transaction (one now()).
    const made = await inSchema(async (tx) => {
      const [u] = await tx`INSERT INTO users (email, password_hash) VALUES ('taken@x.test', 'x') RETURNING id`
      await tx`
      UPDATE invitations SET status = 'accepted', accepted_by = ${u.id}, accepted_at = now(), updated_at = now()
      WHERE token_hash = 'h1'`
      return u.id as string
    })
    // An existing account that later signed in and accepted a link: its account predates the invitation.
    await inSchema(
      (tx) => tx`
      UPDATE invitations SET status = 'accepted', accepted_by = ${ids.linked}, accepted_at = now(), updated_at = now()
      WHERE token_hash = 'h2'`,
    )

    await inSchema((tx) => tx.unsafe(backfill.text))
    const rows = await inSchema(
      (tx) => tx`SELECT id, email_verified_at IS NOT NULL AS verified FROM users ORDER BY email`,
    )
    const verified = Object.fromEntries(rows.map((r) => [r.id as string, r.verified as boolean]))
    assert.deepEqual(verified, { [ids.admin]: true, [ids.linked]: true, [made]: false })
  })
