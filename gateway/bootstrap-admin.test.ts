// The first admin when nodes start together (issue 17 point 2): three bootstraps at once, each with its own
// connections to one PostgreSQL schema as three nodes have, make one admin from MCPO_ADMIN_EMAIL and fail none;
// without it, each offers its own set-up token, all stored hashed, and using any one voids them all.
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { resolveConfig } from '../config/resolve.ts'
import type { Logger } from '../plugins/contract.ts'
import type { Store } from '../plugins/storage/port.ts'
import { openPostgresStore } from '../plugins/storage/postgres.ts'
import { requirePostgres } from '../test/kit/postgres.ts'
import { bootstrapAdmin, hashSetupToken } from './bootstrap-admin.ts'

const pg = await requirePostgres('bootstrapAdmin on nodes starting together')
const stores: Store[] = []

after(async () => {
  await Promise.all(stores.map((s) => s.close()))
})

/** Three stores on one fresh schema, migrated: what three nodes have once they are up. */
async function threeNodes(): Promise<Store[]> {
  if (!pg) throw new Error('PostgreSQL is unreachable')
  const { url } = pg
  const schema = pg.schema('mcpo_bootstrap')
  const opened = await Promise.all([0, 1, 2].map(() => openPostgresStore({ url, schema, max: 2 })))
  stores.push(...opened)
  await Promise.all(opened.map((s) => s.migrate()))
  return opened
}

function recording(): { logger: Logger; lines: string[] } {
  const lines: string[] = []
  const note = (level: string) => (_: unknown, msg?: string) => void lines.push(`${level}: ${msg}`)
  const logger: Logger = {
    trace: () => {},
    debug: () => {},
    info: note('info'),
    warn: note('warn'),
    error: note('error'),
    fatal: note('fatal'),
    child: () => logger,
  }
  return { logger, lines }
}

const env = (admin: boolean) =>
  resolveConfig(
    {},
    {
      env: {
        MCPO_SECRET_KEY: 'b'.repeat(64),
        ...(admin ? { MCPO_ADMIN_EMAIL: 'Root@Bootstrap.test', MCPO_ADMIN_PASSWORD: 'bootstrap-password' } : {}),
      },
    },
  )

if (pg)
  describe('bootstrapAdmin on nodes starting together', () => {
    it('with MCPO_ADMIN_EMAIL: one admin, created once, no set-up token, no failure; a restart changes nothing', async () => {
      const nodes = await threeNodes()
      const log = recording()
      const tokens = await Promise.all(nodes.map((s) => bootstrapAdmin(env(true), s, log.logger)))
      assert.deepEqual(tokens, [null, null, null])
      assert.deepEqual(log.lines, ['info: created the admin account from MCPO_ADMIN_EMAIL'])
      const users = await nodes[0].users.list()
      assert.deepEqual(
        users.map((u) => [u.email.toLowerCase(), u.isAdmin, u.emailVerifiedAt !== null]),
        [['root@bootstrap.test', true, true]],
      )
      assert.equal(await nodes[0].setup.hasToken(), false)
      assert.equal(await bootstrapAdmin(env(true), nodes[1], log.logger), null)
      assert.equal(log.lines.length, 1)
    })

    it('without it: each node offers its own token, stored hashed; an admin made later voids them and stops new ones', async () => {
      const nodes = await threeNodes()
      const log = recording()
      const tokens = await Promise.all(nodes.map((s) => bootstrapAdmin(env(false), s, log.logger)))
      assert.equal(new Set(tokens).size, 3)
      for (const t of tokens) assert.match(String(t), /^[A-Za-z0-9_-]{32}$/)
      // Each is in the database as its hash only; any node's store can use any of them.
      assert.equal(await nodes[2].setup.consumeToken(hashSetupToken('not-a-token')), false)
      assert.equal(await nodes[2].setup.consumeToken(hashSetupToken(tokens[0]!)), true)
      assert.equal(await nodes[1].setup.consumeToken(hashSetupToken(tokens[1]!)), false, 'voided')

      // A node restarted with the variables makes the admin; the others, restarted without, offer no link any more.
      const again = await Promise.all([
        bootstrapAdmin(env(false), nodes[0], log.logger),
        bootstrapAdmin(env(true), nodes[1], log.logger),
      ])
      const after = await Promise.all(nodes.map((s) => bootstrapAdmin(env(false), s, log.logger)))
      assert.deepEqual(after, [null, null, null])
      assert.equal(await nodes[0].setup.hasToken(), false, `tokens offered meanwhile (${again}) are gone`)
      assert.equal(await nodes[0].users.count({ isAdmin: true }), 1)
    })
  })
