// The storage contract on PostgreSQL, each run in its own fresh schema (dropped afterwards), plus
// what needs a real server: several nodes migrating together, notifications surviving a lost connection, and
// failing fast when it is down.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { requirePostgres } from '../../test/kit/postgres.ts'
import { isGatewayError } from '../contract.ts'
import { postgresStorage } from './index.ts'
import type { StorageLogger, Store } from './port.ts'
import { openPostgresStore } from './postgres.ts'
import { storeTests } from './store-tests.ts'

const silent: StorageLogger = { debug() {}, info() {}, warn() {}, error() {} }

const pg = await requirePostgres('storage contract: postgres')
if (pg) {
  const { url, sql: admin } = pg
  const freshSchema = () => pg.schema()
  storeTests('postgres', async () => {
    const store = await openPostgresStore({ url, schema: freshSchema(), max: 5, logger: silent })
    return { store, cleanup: () => store.close() }
  })

  describe('postgres adapter', () => {
    it('several nodes migrating one fresh schema together apply each migration once', async () => {
      const schema = freshSchema()
      const stores: Store[] = []
      try {
        for (let i = 0; i < 3; i++) stores.push(await openPostgresStore({ url, schema, max: 2, logger: silent }))
        const results = await Promise.all(stores.map((s) => s.migrate()))
        const applied = results.flatMap((r) => r.applied)
        assert.equal(new Set(applied).size, applied.length, `applied twice: ${applied.join(', ')}`)
        assert.ok(applied.includes('001_init'))
        const rows =
          await admin`SELECT version, count(*)::int AS n FROM ${admin(schema)}.schema_migrations GROUP BY version`
        assert.ok(rows.length >= 1 && rows.every((r) => r.n === 1))
        for (const s of stores) assert.equal(await s.isMigrated(), true)
      } finally {
        await Promise.all(stores.map((s) => s.close()))
      }
    })

    it('keeps each schema separate', async () => {
      const [a, b] = [
        await openPostgresStore({ url, schema: freshSchema(), max: 1, logger: silent }),
        await openPostgresStore({ url, schema: freshSchema(), max: 1, logger: silent }),
      ]
      try {
        await Promise.all([a.migrate(), b.migrate()])
        await a.projects.create({ id: 'only-in-a', name: 'A' })
        assert.equal(await b.projects.get('only-in-a'), null)
      } finally {
        await Promise.all([a.close(), b.close()])
      }
    })

    it('fails a statement that does not answer within queryTimeoutMs with STORAGE_TIMEOUT, then works on', async () => {
      const schema = freshSchema()
      const store = await openPostgresStore({ url, schema, max: 2, queryTimeoutMs: 500, logger: silent })
      try {
        await store.migrate()
        await store.projects.create({ id: 'locked', name: 'Locked' })
        let release: () => void = () => {}
        const held = new Promise<void>((r) => {
          release = r
        })
        // Another session holds the table: the store's read waits on the lock, as it would on a dead connection.
        const locker = admin.begin(async (tx) => {
          await tx`LOCK TABLE ${tx(schema)}.projects IN ACCESS EXCLUSIVE MODE`
          await held
        })
        await new Promise((r) => setTimeout(r, 200))
        const started = Date.now()
        await assert.rejects(store.projects.list(), (err: unknown) => isGatewayError(err, 'MCPO_ERR_STORAGE_TIMEOUT'))
        const waited = Date.now() - started
        assert.ok(waited >= 450 && waited < 3000, `gave up after ${waited} ms`)
        release()
        await locker
        assert.equal((await store.projects.get('locked'))?.name, 'Locked')
      } finally {
        await store.close()
      }
    })

    it('listens again after losing its connection, says so, and delivers what comes after', async () => {
      const name = `mcpo-listen-${Date.now()}`
      const store = await openPostgresStore({ url, schema: freshSchema(), max: 1, applicationName: name })
      try {
        const got: string[] = []
        let reconnects = 0
        const stop = await store.listen(
          'mcpo_reconnect',
          (p) => got.push(p),
          () => reconnects++,
        )
        await store.notify('mcpo_reconnect', 'before')
        await waitFor(() => got.length === 1)
        const killed = await admin`
          SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
          WHERE application_name = ${name} AND query ILIKE 'listen%'`
        assert.equal(killed.length, 1, 'the listening connection is its own')
        await waitFor(() => reconnects === 1)
        await store.notify('mcpo_reconnect', 'after')
        await waitFor(() => got.length === 2)
        assert.deepEqual(got, ['before', 'after'])
        await stop()
      } finally {
        await store.close()
      }
    })

    it('rejects a schema name that is not a plain identifier', async () => {
      await assert.rejects(openPostgresStore({ url, schema: 'x; DROP TABLE users' }), (err: unknown) =>
        isGatewayError(err, 'MCPO_ERR_CONFIG'),
      )
    })
  })
}

describe('postgres adapter, server down', () => {
  it('an unreachable server gives MCPO_ERR_STORAGE_UNAVAILABLE quickly, without credentials', async () => {
    const started = Date.now()
    const factory = postgresStorage({ url: 'postgres://mcpo:s3cret@127.0.0.1:1/nowhere', connectTimeoutS: 2 })
    assert.equal(factory.kind, 'postgres')
    await assert.rejects(factory.open({ logger: silent, dataDir: '/nonexistent' }), (err: unknown) => {
      assert.ok(isGatewayError(err, 'MCPO_ERR_STORAGE_UNAVAILABLE'), String(err))
      assert.match(err.message, /127\.0\.0\.1:1\/nowhere/)
      assert.ok(!err.message.includes('s3cret'), 'the password stays out of the message')
      return true
    })
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started}ms`)
  })
})

async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    assert.ok(Date.now() < end, 'timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}
