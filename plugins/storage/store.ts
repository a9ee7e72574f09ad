// Builds a Store from an adapter's Driver: repositories, migrations, transactions and savepoints
// are the same for both adapters; only connecting and closing differ.
import { GatewayError, isGatewayError } from '../contract.ts'
import { loadMigrations, type Migration, pendingMigrations, runMigrations } from './migrate.ts'
import type { StorageLogger, Store, Unlisten } from './port.ts'
import { createRepositories, selectOne } from './queries.ts'
import type { ReadCache } from './read-cache.ts'
import { createSql, type Driver, type Sql, toStorageError } from './sql.ts'

export interface Backend {
  readonly kind: Store['kind']
  /** The root (non-transaction) driver. */
  readonly driver: Driver
  /** Names where the database is, for messages: a directory or host:port/db, never credentials. */
  readonly where: string
  readonly logger?: StorageLogger
  /** Releases the database; called once. */
  release(): Promise<void>
  /** Only for a database this process alone writes to (read-cache.ts says why). */
  readonly cache?: ReadCache
  /** Store.listen, with the channel name checked. */
  listen(channel: string, onMessage: (payload: string) => void, onReconnect?: () => void): Promise<Unlisten>
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/

function checkChannel(channel: string): void {
  if (!CHANNEL.test(channel)) {
    throw new GatewayError('MCPO_ERR_VALIDATION', 'a notification channel must be a lower-case SQL identifier', {
      details: { field: 'channel' },
    })
  }
}

export function createStore(backend: Backend): Store {
  let migrations: Promise<Migration[]> | undefined
  const loaded = () => {
    migrations ??= loadMigrations()
    return migrations
  }
  let closing: Promise<void> | undefined
  return build(backend.driver)

  function build(driver: Driver): Store {
    const sql = createSql(driver, backend.cache)
    const root = driver === backend.driver
    const store: Store = {
      kind: backend.kind,
      ...createRepositories(sql),
      async ping() {
        try {
          await selectOne(sql)
        } catch (err) {
          if (isGatewayError(err, 'MCPO_ERR_STORAGE_UNAVAILABLE') || isGatewayError(err, 'MCPO_ERR_INTERNAL')) throw err
          throw new GatewayError('MCPO_ERR_STORAGE_UNAVAILABLE', `the database at ${backend.where} does not answer`, {
            cause: err,
          })
        }
      },
      async migrate() {
        if (!root) throw new GatewayError('MCPO_ERR_INTERNAL', 'migrate() runs on the store, not inside a transaction')
        try {
          return await runMigrations(driver, await loaded(), backend.logger)
        } finally {
          backend.cache?.clear()
        }
      },
      async isMigrated() {
        return (await pendingMigrations(driver, await loaded())).length === 0
      },
      async close() {
        if (!root) throw new GatewayError('MCPO_ERR_INTERNAL', 'close() the store, not a transaction')
        closing ??= backend.release()
        return closing
      },
      async listen(channel, onMessage, onReconnect) {
        if (!root) throw new GatewayError('MCPO_ERR_INTERNAL', 'listen() on the store, not inside a transaction')
        checkChannel(channel)
        return backend.listen(channel, onMessage, onReconnect)
      },
      async notify(channel, payload) {
        checkChannel(channel)
        await sql`SELECT pg_notify(${channel}::text, ${payload}::text)`
      },
      async transaction(fn) {
        if (driver.inTransaction) return savepoint(sql, () => fn(store))
        try {
          return await driver.begin((tx) => fn(build(tx)))
        } catch (err) {
          throw toStorageError(err)
        } finally {
          backend.cache?.clear()
        }
      },
    }
    return store
  }
}

// Savepoints share one name: nested calls release or roll back the most recent one first.
async function savepoint<T>(sql: Sql, run: () => Promise<T>): Promise<T> {
  await sql`SAVEPOINT mcpo_nested`
  let result: T
  try {
    result = await run()
  } catch (err) {
    await sql`ROLLBACK TO SAVEPOINT mcpo_nested`
    await sql`RELEASE SAVEPOINT mcpo_nested`
    throw err
  }
  await sql`RELEASE SAVEPOINT mcpo_nested`
  return result
}
