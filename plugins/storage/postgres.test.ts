// The storage contract on PostgreSQL, each run in its own fresh schema (dropped afterwards), plus
// what needs a real server: several nodes migrating together, and failing fast when it is down.
// MCPO_TEST_DATABASE_URL overrides the default postgres://127.0.0.1:5432/test. Unreachable: skipped,
// except with CI=true, where that is a failure.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, it } from 'node:test'
import postgres from 'postgres'
import { isGatewayError } from '../../gateway/errors.ts'
import { postgresStorage } from './index.ts'
import type { StorageLogger, Store } from './port.ts'
import { openPostgresStore } from './postgres.ts'
import { storeTests } from './store-tests.ts'

const url = process.env.MCPO_TEST_DATABASE_URL || 'postgres://127.0.0.1:5432/test'
const silent: StorageLogger = { debug() {}, info() {}, warn() {}, error() {} }

// The test's own connection, for creating and dropping schemas (never used by the code under test).
const admin = postgres(url, { max: 2, connect_timeout: 3, onnotice: () => {} })
const schemas: string[] = []
after(async () => {
  try {
    for (const schema of schemas) await admin`DROP SCHEMA IF EXISTS ${admin(schema)} CASCADE`
  } finally {
    await admin.end({ timeout: 5 })
  }
})

function freshSchema(): string {
  const schema = `mcpo_test_${randomBytes(6).toString('hex')}`
  schemas.push(schema)
  return schema
}

async function unreachableReason(): Promise<string | null> {
  try {
    await admin`SELECT 1`
    return null
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  }
}

const down = await unreachableReason()
const where = url.replace(/\/\/[^@/]*@/, '//')

if (down && process.env.CI === 'true') {
  it('PostgreSQL is reachable for the storage tests', () => {
    assert.fail(
      `PostgreSQL at ${where} is unreachable (${down}); CI must start it (or set MCPO_TEST_DATABASE_URL) before the tests`,
    )
  })
} else if (down) {
  it('storage contract: postgres', { skip: `PostgreSQL at ${where} is unreachable (${down})` }, () => {})
} else {
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
