// Liveness and readiness for load balancers and orchestrators.
import type { McpoPlugin } from '../plugins/contract.ts'
import type { Store } from '../plugins/storage/port.ts'
import { withTimeout } from './deadline.ts'
import { sendJson } from './http.ts'
import type { Router } from './router.ts'

export interface OpsDeps {
  store: Store
  state: { readonly closing: boolean }
  /** Plugins whose `health()` readiness also depends on. */
  plugins?: readonly McpoPlugin[]
  /** How long one readiness answer is reused, so probes do not hammer the database. */
  readyCacheMs?: number
}

export function addOpsRoutes(router: Router, deps: OpsDeps): void {
  const cacheMs = deps.readyCacheMs ?? 1000
  let last: { at: number; ok: boolean; reason?: string } | null = null
  let pending: Promise<{ ok: boolean; reason?: string }> | null = null

  const checkStorage = async (): Promise<{ ok: boolean; reason?: string }> => {
    try {
      await withTimeout(deps.store.ping(), 2000, probeTimeout)
      if (!(await withTimeout(deps.store.isMigrated(), 2000, probeTimeout)))
        return { ok: false, reason: 'migrations pending' }
      return { ok: true }
    } catch {
      return { ok: false, reason: 'storage unreachable' }
    }
  }
  const withHealth = (deps.plugins ?? []).filter((p) => p.health)
  const check = async (): Promise<{ ok: boolean; reason?: string }> => {
    const results = await Promise.all([
      checkStorage(),
      ...withHealth.map(async (p) => {
        try {
          const h = await withTimeout(Promise.resolve(p.health?.()), 2000, probeTimeout)
          return h?.ok === false ? { ok: false, reason: `plugin ${p.name}: ${h.reason ?? 'unhealthy'}` } : { ok: true }
        } catch (err) {
          return { ok: false, reason: `plugin ${p.name}: health check failed (${(err as Error).message})` }
        }
      }),
    ])
    const bad = results.filter((r) => !r.ok)
    return bad.length ? { ok: false, reason: bad.map((r) => r.reason).join('; ') } : { ok: true }
  }

  router.add('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }))
  router.add('GET', '/readyz', async (_req, res) => {
    if (deps.state.closing) return sendJson(res, 503, { status: 'unavailable', reason: 'shutting down' })
    if (!last || Date.now() - last.at > cacheMs) {
      pending ??= check().finally(() => {
        pending = null
      })
      const result = await pending
      last = { at: Date.now(), ...result }
    }
    if (last.ok) sendJson(res, 200, { status: 'ready' })
    else sendJson(res, 503, { status: 'unavailable', reason: last.reason })
  })
}

const probeTimeout = () => new Error('readiness probe timed out')
