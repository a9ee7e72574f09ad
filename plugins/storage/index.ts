// Storage factories for mcpo.config.ts, and the public surface of plugins/storage.
import { openEmbeddedStore } from './embedded.ts'
import type { StorageLogger, Store } from './port.ts'
import { openPostgresStore } from './postgres.ts'

export { openEmbeddedStore } from './embedded.ts'
export type * from './port.ts'
export { openPostgresStore } from './postgres.ts'

/** What the host gives a storage factory when it opens the store at boot. */
export interface StorageContext {
  logger: StorageLogger
  /** The gateway's data directory (resolved from the config). */
  dataDir: string
  /**
   * A pool of its own for work that must not queue behind API queries (cluster heartbeats): its size, the name the
   * database shows for its connections, and how long to wait for one. The embedded store has one connection and
   * ignores it.
   */
  pool?: { max: number; name: string; connectTimeoutS?: number }
  /** Development checks (EmbeddedStoreOptions.checkTransactions); the config turns them on with MCPO_DEBUG_STORE=1. */
  checkTransactions?: boolean
}

export interface EmbeddedStorageOptions {
  /** Defaults to the gateway's data directory. */
  dir?: string
  /** Give up opening after this long (default 15000; 60000 for the first start, which runs initdb). */
  openTimeoutMs?: number
}

export interface PostgresStorageOptions {
  url: string
  /** Pool size (default 10). */
  max?: number
  /** Seconds to wait for a connection (default 5). */
  connectTimeoutS?: number
  /** A schema of its own (created if missing) instead of the search_path default; tests isolate runs with it. */
  schema?: string
}

/**
 * A storage choice in the config. `open` connects; the host then runs `store.migrate()`.
 * @example storage: postgresStorage({ url: 'postgres://mcpo@db:5432/mcpo' })
 */
export type StorageFactory =
  | { readonly kind: 'embedded'; readonly options: EmbeddedStorageOptions; open(ctx: StorageContext): Promise<Store> }
  | { readonly kind: 'postgres'; readonly options: PostgresStorageOptions; open(ctx: StorageContext): Promise<Store> }

/** PGlite in a directory: the zero-setup default. */
export function embeddedStorage(options: EmbeddedStorageOptions = {}): StorageFactory {
  return {
    kind: 'embedded',
    options,
    open: (ctx) =>
      openEmbeddedStore({
        dir: options.dir ?? ctx.dataDir,
        openTimeoutMs: options.openTimeoutMs,
        checkTransactions: ctx.checkTransactions,
        logger: ctx.logger,
      }),
  }
}

/** A shared PostgreSQL: required for more than one node. */
export function postgresStorage(options: PostgresStorageOptions): StorageFactory {
  return {
    kind: 'postgres',
    options,
    open: (ctx) =>
      openPostgresStore({
        url: options.url,
        max: ctx.pool?.max ?? options.max,
        connectTimeoutS: ctx.pool?.connectTimeoutS ?? options.connectTimeoutS,
        schema: options.schema,
        applicationName: ctx.pool?.name,
        logger: ctx.logger,
      }),
  }
}
