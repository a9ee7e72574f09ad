// Every open downstream session, with caps per key, per project and in total, and reaping of abandoned ones.
import { randomUUID } from 'node:crypto'
import { UpstreamError } from './connection.ts'
import { RpcCodes } from './json-rpc.ts'
import { Session, type SessionInit } from './session.ts'

export interface SessionLimits {
  sessionsPerKey: number
  sessionsPerProject: number
  sessionsTotal: number
  sessionIdleTtlMs: number
  inFlightPerSession?: number
}

export interface SessionRegistryOptions {
  /** Cluster mode names the owning node in each id; default a bare random UUID. */
  newId?: () => string
  /** Live nodes: per-key and per-project caps are split between them (README "Scale-out"); default 1. */
  nodes?: () => number
}

export class SessionRegistry {
  private readonly byId = new Map<string, Session>()
  private readonly perKey = new Map<string, number>()
  private readonly perProject = new Map<string, number>()
  private reaper: NodeJS.Timeout | null = null

  constructor(
    private readonly limits: SessionLimits,
    private readonly options: SessionRegistryOptions = {},
  ) {}

  get size(): number {
    return this.byId.size
  }

  /** Opens a session, or throws a limit error naming which cap was hit. Ids are random UUIDs (122 random bits). */
  open(init: Omit<SessionInit, 'id' | 'now'>, make: (init: SessionInit) => Session = (i) => new Session(i)): Session {
    const keyCount = this.perKey.get(init.principalId) ?? 0
    const projectCount = this.perProject.get(init.projectId) ?? 0
    const nodes = this.options.nodes?.() ?? 1
    // Round-robin balancing spreads a key's sessions evenly, so each node's share adds up to the configured cap.
    if (keyCount >= Math.ceil(this.limits.sessionsPerKey / nodes))
      throw limit(`this key already has ${keyCount * nodes} open sessions`)
    if (projectCount >= Math.ceil(this.limits.sessionsPerProject / nodes))
      throw limit(`this project already has ${projectCount * nodes} open sessions`)
    // The total protects this node's memory, so it is not split.
    if (this.byId.size >= this.limits.sessionsTotal) throw limit('the gateway has reached its session limit')
    const session = make({
      ...init,
      id: this.options.newId ? this.options.newId() : randomUUID(),
      now: Date.now(),
      maxInflight: this.limits.inFlightPerSession,
    })
    this.byId.set(session.id, session)
    this.perKey.set(init.principalId, keyCount + 1)
    this.perProject.set(init.projectId, projectCount + 1)
    session.onClose(() => this.forget(session))
    this.startReaper()
    return session
  }

  get(id: string): Session | undefined {
    return this.byId.get(id)
  }

  /**
   * The session `id` if it is live and belongs to this endpoint, transport and principal. A session id is a routing
   * key, not a credential: it only works with the key that opened it (protocol.md §2.2), elsewhere it does not exist.
   */
  owned(
    id: string,
    expected: { projectId: string; serverName: string | null; principalId: string; transport: Session['transport'] },
  ): Session | undefined {
    const s = this.byId.get(id)
    if (
      !s ||
      s.closed ||
      s.transport !== expected.transport ||
      s.projectId !== expected.projectId ||
      s.serverName !== expected.serverName ||
      s.principalId !== expected.principalId
    ) {
      return undefined
    }
    return s
  }

  all(): IterableIterator<Session> {
    return this.byId.values()
  }

  countByTransport(): Record<string, number> {
    const out: Record<string, number> = { legacy: 0, streamable: 0, stateless: 0 }
    for (const s of this.byId.values()) out[s.transport]++
    return out
  }

  private forget(session: Session): void {
    if (this.byId.get(session.id) !== session) return
    this.byId.delete(session.id)
    decrement(this.perKey, session.principalId)
    decrement(this.perProject, session.projectId)
  }

  /**
   * Streamable sessions have no connection to watch (clients often never DELETE), and stateless clients never say they
   * are done: idle ones expire.
   */
  private startReaper(): void {
    if (this.reaper) return
    const every = Math.max(1000, Math.min(60_000, Math.floor(this.limits.sessionIdleTtlMs / 4)))
    this.reaper = setInterval(() => this.reap(Date.now()), every)
    this.reaper.unref()
  }

  reap(now: number): number {
    let n = 0
    for (const s of this.byId.values()) {
      if (s.transport === 'legacy' || s.busy()) continue
      if (now - s.lastActivity > this.limits.sessionIdleTtlMs) {
        s.close('session expired')
        n++
      }
    }
    return n
  }

  /** Answers every request in flight with `code` and `message`, then closes every session. */
  drainAll(code: number, message: string): void {
    for (const s of [...this.byId.values()]) s.drain(code, message)
  }
}

function limit(message: string): UpstreamError {
  return new UpstreamError(RpcCodes.LIMIT_REACHED, message)
}

function decrement(map: Map<string, number>, key: string): void {
  const n = map.get(key) ?? 0
  if (n <= 1) map.delete(key)
  else map.set(key, n - 1)
}
