// The `apiKeys()` plugin: authenticates `Authorization: Bearer mcp_proj_…` from an in-memory cache of key hashes,
// so the data plane never waits on the database; last use is written in batches.
import {
  API_KEYS_SERVICE,
  type ApiKey,
  type ApiKeysService,
  type AuditEvent,
  type Logger,
  type McpoPlugin,
  offer,
  type Principal,
  type Store,
} from '../contract.ts'
import { bearerKey, hashApiKey } from './keys.ts'

export interface ApiKeysOptions {
  /** How often the cache is reloaded from storage. */
  refreshMs?: number
  /** How often last-use times are written. */
  touchFlushMs?: number
}

export interface ApiKeysPlugin extends McpoPlugin, ApiKeysService {}

export const API_KEYS_PLUGIN = 'mcpo:api-keys'

export function apiKeys(options: ApiKeysOptions = {}): ApiKeysPlugin {
  // Revocation must reach open sessions within a second (protocol.md §9 item 6); the query is one indexed scan.
  const refreshMs = options.refreshMs ?? 500
  const touchFlushMs = options.touchFlushMs ?? 10_000
  let byHash = new Map<string, ApiKey>()
  const touched = new Map<string, Date>()
  /** Keys never used before whose first use this process already audited. */
  const announced = new Set<string>()
  let audit: ((event: AuditEvent) => void) | undefined
  let storage: Store
  let log: Logger
  let timers: NodeJS.Timeout[] = []
  const listeners: ((activeIds: ReadonlySet<string>) => void)[] = []

  // Reloads run one after another, so the last one to start is the last one applied: an explicit reload after a
  // change (a revoked key, a restored project) is never overwritten by an older periodic one finishing late.
  let chain: Promise<void> = Promise.resolve()
  let periodicInFlight = false
  function refresh(): Promise<void> {
    const next = chain.then(load)
    chain = next.catch(() => undefined)
    return next
  }

  async function load(): Promise<void> {
    const keys = await storage.apiKeys.listActive()
    byHash = new Map(keys.map((k) => [k.keyHash, k]))
    if (listeners.length) {
      const now = Date.now()
      const active = new Set(keys.filter((k) => k.expiresAt === null || k.expiresAt.getTime() > now).map((k) => k.id))
      for (const l of listeners) l(active)
    }
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

  const service: ApiKeysService = {
    refresh,
    onRefresh(listener) {
      listeners.push(listener)
    },
  }
  return {
    name: API_KEYS_PLUGIN,
    provides: [offer(API_KEYS_SERVICE, service)],
    async setup(ctx) {
      storage = ctx.storage
      log = ctx.logger
      audit = ctx.audit
      await refresh()
      const reload = setInterval(() => {
        // A slow database must not pile up reloads.
        if (periodicInFlight) return
        periodicInFlight = true
        refresh()
          .catch((err) =>
            log.warn({ err: (err as Error).message }, 'key cache refresh failed; serving the cached keys'),
          )
          .finally(() => {
            periodicInFlight = false
          })
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
      if (row.lastUsedAt === null && audit && !announced.has(row.id)) {
        // A key's first use is a security event: a leaked key shows up here before anything else.
        announced.add(row.id)
        audit({
          action: 'key.first_used',
          at: now,
          projectId: row.projectId,
          actor: { type: 'api-key', id: row.id },
          target: { type: 'api-key', id: row.id },
          after: { name: row.name, prefix: row.prefix },
          ip: ex.ip,
          userAgent: ex.headers['user-agent'] ?? null,
          requestId: ex.requestId,
        })
      }
      return {
        kind: 'api-key',
        id: row.id,
        projectId: row.projectId,
        userId: row.createdBy ?? undefined,
        label: row.name,
      }
    },
    ...service,
    async close() {
      for (const t of timers) clearInterval(t)
      await flushTouches()
    },
  }
}
