// PostgreSQL for tests: the machine's server (postgres://127.0.0.1:5432/test; MCPO_TEST_DATABASE_URL overrides), a
// schema per use, and one rule when it does not answer: the file's PostgreSQL tests are skipped, except under CI=true,
// where that is a failure (CI must start it).
import { randomBytes } from 'node:crypto'
import { after, it } from 'node:test'
import postgres from 'postgres'

export const TEST_DATABASE_URL = process.env.MCPO_TEST_DATABASE_URL || 'postgres://127.0.0.1:5432/test'

/** The server, without credentials, for messages. */
const WHERE = TEST_DATABASE_URL.replace(/\/\/[^@/]*@/, '//')

export interface TestPostgres {
  readonly url: string
  /** The test's own connection (setting up, inspecting, breaking things), never the code under test's. */
  readonly sql: postgres.Sql
  /** A new schema name, `<prefix>_<random>`, dropped with everything in it when the file's tests end. */
  schema(prefix?: string): string
}

/** Why PostgreSQL cannot be used, or null when it answers. */
export async function postgresDown(): Promise<string | null> {
  const probe = postgres(TEST_DATABASE_URL, { max: 1, connect_timeout: 3, onnotice: () => {} })
  try {
    await probe`SELECT 1`
    return null
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  } finally {
    await probe.end({ timeout: 1 })
  }
}

/**
 * Call at the top of a test file, then register the PostgreSQL tests only when it returns a handle. When the server
 * does not answer it returns null after registering one test named `what`: skipped, or failing under CI=true.
 * The schemas are dropped by an `after` hook this call registers; hooks run in the order they were registered, so
 * register the file's own cleanup (stopping what still uses a schema) before calling it.
 * @example
 * const pg = await requirePostgres('the storage contract on PostgreSQL')
 * if (pg) storeTests('postgres', async () => openPostgresStore({ url: pg.url, schema: pg.schema() }))
 */
export async function requirePostgres(what: string): Promise<TestPostgres | null> {
  const down = await postgresDown()
  if (down) {
    const reason = `PostgreSQL at ${WHERE} is unreachable (${down})`
    if (process.env.CI === 'true') {
      it(what, () => {
        throw new Error(`${reason}; CI must start it (or set MCPO_TEST_DATABASE_URL)`)
      })
    } else {
      it(what, { skip: reason }, () => {})
    }
    return null
  }
  const sql = postgres(TEST_DATABASE_URL, { max: 2, connect_timeout: 3, onnotice: () => {} })
  const schemas: string[] = []
  after(async () => {
    try {
      for (const schema of schemas) await sql`DROP SCHEMA IF EXISTS ${sql(schema)} CASCADE`
    } finally {
      await sql.end({ timeout: 5 })
    }
  })
  return {
    url: TEST_DATABASE_URL,
    sql,
    schema(prefix = 'mcpo_test') {
      const schema = `${prefix}_${randomBytes(6).toString('hex')}`
      schemas.push(schema)
      return schema
    },
  }
}
