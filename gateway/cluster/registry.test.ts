// NodeRegistry.find against the machine's PostgreSQL: a node that joined after the last heartbeat is found (its
// sessions used to answer 404 elsewhere until the next one), and made-up ids cost shared lookups, not one each.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, it } from 'node:test'
import postgres from 'postgres'
import { NodeRegistry } from './registry.ts'

const url = process.env.MCPO_TEST_DATABASE_URL || 'postgres://127.0.0.1:5432/test'
const schema = `mcpo_registry_${randomBytes(5).toString('hex')}`
const admin = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} })
const down = await admin`SELECT 1`.then(
  () => null,
  (err: Error) => err.message,
)
let queries = 0
const sql = postgres(url, {
  max: 2,
  connect_timeout: 3,
  onnotice: () => {},
  connection: { search_path: schema },
  debug: (_conn, query) => {
    if (/FROM nodes/.test(query)) queries++
  },
})
after(async () => {
  await admin`DROP SCHEMA IF EXISTS ${admin(schema)} CASCADE`.catch(() => {})
  await sql.end({ timeout: 5 })
  await admin.end({ timeout: 5 })
})

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child: () => silent }

if (down && process.env.CI === 'true') {
  it('PostgreSQL is reachable for the registry test', () => assert.fail(`PostgreSQL at ${url} is unreachable: ${down}`))
} else {
  describe('cluster node registry: find', { skip: down ? `PostgreSQL is unreachable (${down})` : false }, () => {
    it('finds a node that joined since the last heartbeat, and shares one lookup among made-up ids', async () => {
      await admin`CREATE SCHEMA ${admin(schema)}`
      await sql`CREATE TABLE nodes (id text PRIMARY KEY, address text NOT NULL)`
      const registry = new NodeRegistry(sql, {
        nodeId: 'n1',
        address: 'http://127.0.0.1:1',
        heartbeatMs: 60_000,
        deadAfterMs: 120_000,
        logger: silent as never,
      })
      assert.equal((await registry.find('n1'))?.address, 'http://127.0.0.1:1', 'itself, without a query')
      assert.equal(queries, 0)
      await sql`INSERT INTO nodes (id, address) VALUES ('n2', 'http://127.0.0.1:2')`
      assert.equal((await registry.find('n2'))?.address, 'http://127.0.0.1:2')
      assert.equal(queries, 1)
      assert.equal((await registry.find('n2'))?.address, 'http://127.0.0.1:2', 'then known')
      const t0 = Date.now()
      const made = await Promise.all(Array.from({ length: 50 }, (_, i) => registry.find(`x${i}`)))
      assert.ok(
        made.every((n) => n === undefined),
        'unknown ids stay unknown',
      )
      assert.equal(queries, 2, '50 made-up ids: one shared lookup')
      assert.ok(Date.now() - t0 < 1500, 'within the once-a-second pace')
    })
  })
}
