// The PostgreSQL adapter, through postgres.js: a pool of connections, one per running transaction.
import postgres from 'postgres'
import { GatewayError, isGatewayError } from '../contract.ts'
import type { StorageLogger, Store } from './port.ts'
import { type Driver, type Row, toStorageError } from './sql.ts'
import { createStore } from './store.ts'

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/db; never logged. */
  url: string
  /** Use this schema (created if missing) instead of the search_path default; tests use one per run. */
  schema?: string
  /** Pool size (default 10). */
  max?: number
  /** Seconds to wait for a connection (default 5). */
  connectTimeoutS?: number
  /**
   * A statement that has not answered after this long is cancelled and fails with MCPO_ERR_STORAGE_TIMEOUT (503),
   * so a request caught on a connection that died with the network never hangs (default 15000).
   */
  queryTimeoutMs?: number
  /** The name the server shows for these connections (pg_stat_activity); default "mcpo". */
  applicationName?: string
  logger?: StorageLogger
}

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/

/** Connects (failing fast with MCPO_ERR_STORAGE_UNAVAILABLE) and returns the store. Call `migrate()` next. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const { schema, logger } = options
  if (schema !== undefined && !SCHEMA.test(schema)) {
    throw new GatewayError('MCPO_ERR_CONFIG', 'storage schema must be a lower-case SQL identifier', {
      details: { field: 'schema' },
    })
  }
  const where = describe(options.url)
  let sql: postgres.Sql
  try {
    sql = postgres(options.url, {
      max: options.max ?? 10,
      connect_timeout: options.connectTimeoutS ?? 5,
      onnotice: (notice) => logger?.debug({ notice: notice.message }, 'storage: postgres notice'),
      connection: { application_name: options.applicationName ?? 'mcpo', ...(schema ? { search_path: schema } : {}) },
      // Same types as PGlite: int8 (count(*), bigserial ids) as a number, not a string.
      types: { int8: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
    })
  } catch (err) {
    throw new GatewayError('MCPO_ERR_CONFIG', 'the PostgreSQL URL is malformed', { cause: err })
  }
  try {
    if (schema) await createSchema(sql, schema)
    await sql`SELECT 1`
  } catch (err) {
    await sql.end({ timeout: 0 })
    const mapped = toStorageError(err)
    throw isGatewayError(mapped) && mapped.code !== 'MCPO_ERR_STORAGE_UNAVAILABLE'
      ? mapped
      : new GatewayError('MCPO_ERR_STORAGE_UNAVAILABLE', `cannot reach PostgreSQL at ${where}: ${reason(err)}`, {
          cause: err,
        })
  }
  logger?.debug({ where, schema }, 'storage: postgres connected')
  return createStore({
    kind: 'postgres',
    driver: postgresDriver(sql, false, options.queryTimeoutMs ?? 15_000),
    where,
    logger,
    async listen(channel, onMessage, onReconnect) {
      let first = true
      let meta: postgres.ListenMeta
      try {
        // postgres.js listens on a connection of its own and listens again after losing it, calling this each time.
        meta = await sql.listen(channel, onMessage, () => {
          if (!first) onReconnect?.()
          first = false
        })
      } catch (err) {
        throw toStorageError(err)
      }
      let stopped = false
      return async () => {
        if (stopped) return
        stopped = true
        await meta.unlisten().catch(() => {
          // The connection is gone, and with it the LISTEN.
        })
      }
    },
    async release() {
      await sql.end({ timeout: 5 })
    },
  })
}

async function createSchema(sql: postgres.Sql, schema: string): Promise<void> {
  try {
    // An identifier cannot be a bind parameter; sql(name) quotes it (and the name was validated).
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql(schema)}`
  } catch (err) {
    // Two nodes creating it at once: one wins, the other sees a unique violation on pg_namespace.
    if ((err as { code?: string }).code !== '23505') throw err
  }
}

function postgresDriver(
  sql: postgres.Sql | postgres.TransactionSql,
  inTransaction: boolean,
  timeoutMs: number,
): Driver {
  return {
    inTransaction,
    query(strings, values) {
      const pending = sql(strings, ...(values as postgres.ParameterOrFragment<never>[]))
      let timer: NodeJS.Timeout | undefined
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // Ask the server to stop too; if the connection is dead the cancel fails, and that is fine.
          pending.cancel()
          reject(
            new GatewayError('MCPO_ERR_STORAGE_TIMEOUT', `the database did not answer within ${timeoutMs} ms`, {
              details: { retryAfterS: 5 },
            }),
          )
        }, timeoutMs)
      })
      return Promise.race([pending as unknown as Promise<Row[]>, deadline]).finally(() => clearTimeout(timer))
    },
    async unsafe(text) {
      await sql.unsafe(text)
    },
    begin<T>(fn: (tx: Driver) => Promise<T>): Promise<T> {
      return (sql as postgres.Sql).begin((tx) => fn(postgresDriver(tx, true, timeoutMs))) as Promise<T>
    },
  }
}

function describe(url: string): string {
  try {
    const u = new URL(url)
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`
  } catch {
    return 'the configured URL'
  }
}

// A short, credential-free reason: the driver or server error code and message.
function reason(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown }
  const code = typeof e.code === 'string' ? e.code : ''
  const message = typeof e.message === 'string' ? e.message.replace(/postgres(ql)?:\/\/\S+/gi, '<url>') : ''
  return [code, message].filter(Boolean).join(' ') || 'unknown error'
}
