// The `rateLimits()` plugin: token buckets per API key, per user and per project. A call over the limit is refused
// with 429 + Retry-After on the API and a JSON-RPC error on MCP. Buckets live in memory, so the data plane never
// waits on storage; in cluster mode each node enforces its share (rate and burst divided by the live node count),
// which a round-robin balancer turns into the configured budget for the whole cluster (README "Scale-out").
import type { Decision, Exchange, McpoPlugin, McpTarget } from '../contract.ts'

export interface Bucket {
  /** Tokens added per second. */
  rate: number
  /** Most tokens a bucket holds: the burst allowed after a quiet spell. */
  burst: number
}

/** What is counted: each `tools/call`, each management API request, and sign-in attempts. */
export type RouteClass = 'tools' | 'api' | 'auth'

export interface RateLimitOptions {
  perKey?: Partial<Record<RouteClass, Bucket>>
  perUser?: Partial<Record<RouteClass, Bucket>>
  perProject?: Partial<Record<RouteClass, Bucket>>
  clock?: () => number
}

export const DEFAULT_LIMITS: Required<Omit<RateLimitOptions, 'clock'>> = {
  perKey: { tools: { rate: 50, burst: 100 }, api: { rate: 20, burst: 40 } },
  perUser: { tools: { rate: 50, burst: 100 }, api: { rate: 20, burst: 60 }, auth: { rate: 1, burst: 10 } },
  perProject: { tools: { rate: 500, burst: 1000 }, api: { rate: 100, burst: 200 } },
}

interface State {
  tokens: number
  at: number
}

export class TokenBuckets {
  private readonly states = new Map<string, State>()
  constructor(private readonly now: () => number) {}

  /** Takes one token; returns 0 when allowed, else the milliseconds until a token is back. */
  take(key: string, b: Bucket): number {
    const now = this.now()
    let s = this.states.get(key)
    if (!s) {
      s = { tokens: b.burst, at: now }
      this.states.set(key, s)
    }
    s.tokens = Math.min(b.burst, s.tokens + ((now - s.at) / 1000) * b.rate)
    s.at = now
    if (s.tokens >= 1) {
      s.tokens -= 1
      return 0
    }
    return Math.ceil(((1 - s.tokens) / b.rate) * 1000)
  }

  /** Forgets buckets that have been full for a while, so idle keys cost no memory. */
  sweep(idleMs: number): void {
    const now = this.now()
    for (const [k, s] of this.states) if (now - s.at > idleMs) this.states.delete(k)
  }

  get size(): number {
    return this.states.size
  }
}

function routeClass(target: McpTarget): RouteClass | null {
  if (target.listing) return null
  if (target.method === 'tools/call') return 'tools'
  if (target.method === 'api:auth') return 'auth'
  if (target.method.startsWith('api:')) return 'api'
  return null
}

export function rateLimits(options: RateLimitOptions = {}): McpoPlugin {
  const limits = {
    perKey: { ...DEFAULT_LIMITS.perKey, ...options.perKey },
    perUser: { ...DEFAULT_LIMITS.perUser, ...options.perUser },
    perProject: { ...DEFAULT_LIMITS.perProject, ...options.perProject },
  }
  const buckets = new TokenBuckets(options.clock ?? Date.now)
  let sweeper: NodeJS.Timeout | null = null
  let liveNodes = () => 1
  // Scaled buckets are cached per node count: the hot path allocates nothing while membership is stable.
  let scaledFor = 1
  let scaled = new Map<Bucket, Bucket>()
  const share = (b: Bucket): Bucket => {
    const n = liveNodes()
    if (n <= 1) return b
    if (n !== scaledFor) {
      scaledFor = n
      scaled = new Map()
    }
    let s = scaled.get(b)
    if (!s) {
      s = { rate: b.rate / n, burst: Math.max(1, b.burst / n) }
      scaled.set(b, s)
    }
    return s
  }
  /** Milliseconds to wait for a token of `key`'s bucket; 0 when the class has no limit. */
  const take = (key: string, b: Bucket | undefined): number => (b === undefined ? 0 : buckets.take(key, share(b)))
  return {
    name: 'mcpo:rate-limits',
    enforce: 'pre',
    setup(ctx) {
      if (ctx?.liveNodes) liveNodes = ctx.liveNodes
      sweeper = setInterval(() => buckets.sweep(10 * 60_000), 60_000)
      sweeper.unref()
    },
    authorize(ex: Exchange, target: McpTarget): Decision {
      const cls = routeClass(target)
      if (cls === null) return ALLOW
      const p = ex.principal
      let wait = 0
      if (p?.kind === 'api-key') wait = take(`k:${p.id}:${cls}`, limits.perKey[cls])
      else if (p?.userId) wait = take(`u:${p.userId}:${cls}`, limits.perUser[cls])
      else if (cls === 'auth') wait = take(`ip:${ex.ip}:${cls}`, limits.perUser[cls])
      if (target.projectId) wait = Math.max(wait, take(`p:${target.projectId}:${cls}`, limits.perProject[cls]))
      if (wait === 0) return ALLOW
      return {
        allow: false,
        status: 429,
        retryAfterMs: wait,
        reason: `too many requests; retry in ${Math.ceil(wait / 1000)} s`,
      }
    },
    async close() {
      if (sweeper) clearInterval(sweeper)
    },
  }
}

const ALLOW: Decision = Object.freeze({ allow: true })
