// The `apiKeys()` plugin: authenticates `Authorization: Bearer mcp_proj_…` from an in-memory cache of key hashes,
// so the data plane never waits on the database; last use is written in batches.
import type { Logger, McpoPlugin, Principal } from '../contract.ts'
import type { ApiKey, Store } from '../storage/port.ts'
import { bearerKey, hashApiKey } from './keys.ts'

export interface ApiKeysOptions {
  /** How often the cache is reloaded from storage. */
  refreshMs?: number
  /** How often last-use times are written. */
  touchFlushMs?: number
}

export interface ApiKeysPlugin extends McpoPlugin {
  /** Reloads the cache now (after a key is created or revoked). */
  refresh(): Promise<void>
}

export function apiKeys(options: ApiKeysOptions = {}): ApiKeysPlugin {
  const refreshMs = options.refreshMs ?? 5000
  const touchFlushMs = options.touchFlushMs ?? 10_000
  let byHash = new Map<string, ApiKey>()
  const touched = new Map<string, Date>()
  let storage: Store
  let log: Logger
  let timers: NodeJS.Timeout[] = []

  async function refresh(): Promise<void> {
    const keys = await storage.apiKeys.listActive()
    byHash = new Map(keys.map((k) => [k.keyHash, k]))
  }

  async function flushTouches(): Promise<void> {
    if (touched.size === 0) return
    const entries = [...touched].map(([id, at]) => ({ id, at }))
    touched.clear()
    try {
      await storage.apiKeys.touchLastUsed(entries)
    } catch (err) {
      log.warn({ err: (err as Error).message, keys: entries.length }, 'could not record key use; will retry')
      for (const e of entries) if (!touched.has(e.id)) touched.set(e.id, e.at)
    }
  }

  return {
    name: 'mcpo:api-keys',
    options,
    async setup(ctx) {
      storage = ctx.storage
      log = ctx.logger
      await refresh()
      const reload = setInterval(() => {
        refresh().catch((err) =>
          log.warn({ err: (err as Error).message }, 'key cache refresh failed; serving the cached keys'),
        )
      }, refreshMs)
      const flush = setInterval(() => void flushTouches(), touchFlushMs)
      reload.unref()
      flush.unref()
      timers = [reload, flush]
    },
    authenticate(ex): Principal | null {
      const key = bearerKey(ex.headers.authorization)
      if (key === null) return null
      const row = byHash.get(hashApiKey(key))
      if (!row || row.revokedAt !== null) return null
      const now = Date.now()
      if (row.expiresAt !== null && row.expiresAt.getTime() <= now) return null
      touched.set(row.id, new Date(now))
      return {
        kind: 'api-key',
        id: row.id,
        projectId: row.projectId,
        userId: row.createdBy ?? undefined,
        label: row.name,
      }
    },
    refresh,
    async close() {
      for (const t of timers) clearInterval(t)
      await flushTouches()
    },
  }
}
