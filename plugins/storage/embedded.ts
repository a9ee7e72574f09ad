// The embedded adapter: PGlite (Postgres in WebAssembly) with its data in a directory, run in its own thread
// (pglite-thread.ts). One connection, so transactions and queries are serialised by PGlite's own mutex.
import { AsyncLocalStorage } from 'node:async_hooks'
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { chmod, mkdir, readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { GatewayError, isGatewayError } from '../contract.ts'
import { PgliteThread, threadDriver } from './pglite-thread.ts'
import type { StorageLogger, Store } from './port.ts'
import { ReadCache } from './read-cache.ts'
import { type Driver, toStorageError } from './sql.ts'
import { createStore } from './store.ts'

export interface EmbeddedStoreOptions {
  /** Data directory; created if missing. */
  dir: string
  /**
   * Give up opening after this long. Default 30000, or 60000 when the directory holds no database
   * yet: initdb in WebAssembly takes 5-15 s on a small, busy machine.
   */
  openTimeoutMs?: number
  /**
   * Development check: a query on the store made inside one of its transactions fails with MCPO_ERR_INTERNAL instead
   * of waiting forever for the one connection the transaction holds. It needs AsyncLocalStorage, which turns on
   * promise hooks for the whole process and cost the relay ~20 % of its calls/s (benchmarks/README.md), so it is off
   * unless asked for (`npm test` asks, through MCPO_DEBUG_STORE=1).
   */
  checkTransactions?: boolean
  logger?: StorageLogger
}

/**
 * Opens (and on first use initialises) the embedded database. Call `migrate()` next.
 * Committed writes are on disk when the transaction returns: PGlite writes through to the
 * directory, so a kill -9 after a commit loses nothing; `close()` shuts Postgres down cleanly.
 */
export async function openEmbeddedStore(options: EmbeddedStoreOptions): Promise<Store> {
  const dir = resolve(options.dir)
  const logger = options.logger
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    // The directory's own mode is what keeps other local users out of files PGlite creates later (with the umask's
    // mode, often 0644): without search permission on it they cannot open anything inside.
    await chmod(dir, 0o700)
  } catch (err) {
    throw new GatewayError('MCPO_ERR_STORAGE_UNAVAILABLE', `cannot create the data directory ${dir}`, { cause: err })
  }
  const lock = acquireDirLock(dir)
  const fresh = !existsSync(join(dir, 'PG_VERSION'))
  if (fresh) logger?.info({ dir }, 'storage: creating the embedded database (first start takes a few seconds)')
  const timeoutMs = options.openTimeoutMs ?? (fresh ? 60_000 : 30_000)
  let pg: PgliteThread
  try {
    pg = await PgliteThread.start(dir)
  } catch (err) {
    lock.release()
    throw new GatewayError('MCPO_ERR_STORAGE_UNAVAILABLE', 'cannot load the embedded database engine', { cause: err })
  }
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new GatewayError(
          'MCPO_ERR_STORAGE_TIMEOUT',
          `opening the embedded database in ${dir} took longer than ${timeoutMs}ms; ` +
            'check that no other mcpo process uses this directory and that the disk responds',
        ),
      )
    }, timeoutMs)
  })
  try {
    await Promise.race([pg.ready, timeout])
  } catch (err) {
    // PGlite cannot be cancelled mid-start: let it finish, then shut it down so it releases the directory.
    pg.ready
      .then(() => pg.close())
      .catch((lateErr: unknown) => logger?.warn({ err: lateErr, dir }, 'storage: abandoned embedded start failed'))
    lock.release()
    if (isGatewayError(err)) throw err
    throw new GatewayError('MCPO_ERR_STORAGE_UNAVAILABLE', `cannot open the embedded database in ${dir}`, {
      cause: err,
    })
  } finally {
    clearTimeout(timer)
  }
  // Files made before (an older mcpo, a copy, a restore) or just now by initdb lose their group and other bits too.
  const tightened = await restrictToOwner(dir)
  if (tightened > 0) logger?.info({ dir, files: tightened }, 'storage: made data files readable by their owner only')
  logger?.debug({ dir }, 'storage: embedded database open')
  return createStore({
    kind: 'embedded',
    driver: pgliteDriver(pg, options.checkTransactions ?? false),
    where: dir,
    cache: new ReadCache(),
    logger,
    // One process owns the database, so a notification comes from this process and none is lost: no reconnects.
    async listen(channel, onMessage) {
      try {
        return await pg.listen(channel, onMessage)
      } catch (err) {
        throw toStorageError(err)
      }
    },
    async release() {
      await pg.close()
      lock.release()
      logger?.debug({ dir }, 'storage: embedded database closed')
    },
  })
}

/** Clears group and other permission bits below `dir`; returns how many entries changed. */
async function restrictToOwner(dir: string): Promise<number> {
  // POSIX modes mean nothing on Windows, where every file reports 0o666.
  if (process.platform === 'win32') return 0
  let changed = 0
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue
    const path = join(entry.parentPath, entry.name)
    const { mode } = await stat(path)
    if ((mode & 0o077) === 0) continue
    await chmod(path, mode & 0o700)
    changed++
  }
  return changed
}

/**
 * One process per data directory: PGlite lets two processes open the same files and corrupt them (two `npm start`s).
 * The lock file holds the owner's pid; a lock left by a process that died (kill -9) is taken over.
 */
function acquireDirLock(dir: string): { release(): void } {
  const path = join(dir, 'mcpo.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 })
      return {
        release: () => {
          try {
            if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path)
          } catch {
            // Already gone: nothing to release.
          }
        },
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new GatewayError('MCPO_ERR_STORAGE_UNAVAILABLE', `cannot lock the data directory ${dir}`, { cause: err })
      }
    }
    const owner = Number.parseInt(readFileSync(path, 'utf8'), 10)
    if (Number.isInteger(owner) && owner !== process.pid && processAlive(owner)) {
      throw new GatewayError(
        'MCPO_ERR_STORAGE_UNAVAILABLE',
        `the embedded database in ${dir} is in use by another mcpo process (pid ${owner}); stop it or set another MCPO_DATA_DIR`,
      )
    }
    unlinkSync(path)
  }
  throw new GatewayError('MCPO_ERR_STORAGE_UNAVAILABLE', `cannot lock the data directory ${dir}`)
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

interface TxState {
  active: boolean
}

function pgliteDriver(pg: PgliteThread, checkTransactions: boolean): Driver {
  // PGlite wants $1..$n text; a template's strings array is the same object on every call from
  // one call site, so the text is built once per statement.
  const texts = new WeakMap<TemplateStringsArray, string>()
  const textOf = (strings: TemplateStringsArray): string => {
    let text = texts.get(strings)
    if (text === undefined) {
      text = strings.reduce((acc, part, i) => `${acc}$${i}${part}`)
      texts.set(strings, text)
    }
    return text
  }

  // A query on the root store from inside a transaction callback would wait for the one connection that the
  // transaction holds, forever; the check fails it loudly (EmbeddedStoreOptions.checkTransactions says what it costs).
  const scope = checkTransactions ? new AsyncLocalStorage<TxState>() : null
  const guard = () => {
    if (scope?.getStore()?.active) {
      throw new GatewayError(
        'MCPO_ERR_INTERNAL',
        'a query used the store inside store.transaction(); use the tx passed to the callback',
      )
    }
  }

  const root = threadDriver(pg, textOf)
  return {
    inTransaction: false,
    async query(strings, values) {
      guard()
      return root.query(strings, values)
    },
    async unsafe(text) {
      guard()
      await root.unsafe(text)
    },
    async copyIn(table, columns, data) {
      guard()
      await root.copyIn(table, columns, data)
    },
    async begin(fn) {
      guard()
      return root.begin((tx) => {
        if (!scope) return fn(tx)
        const state: TxState = { active: true }
        return scope
          .run(state, () => fn(tx))
          .finally(() => {
            state.active = false
          })
      })
    },
  }
}
