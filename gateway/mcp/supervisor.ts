// Runs the upstreams of one configured server: lazy start, idle stop, restart with backoff, a circuit breaker,
// process caps, and the status the API shows. Shared servers have one connection; per-session servers one per session.
import type { Logger } from '../../plugins/contract.ts'
import { SseTransport } from '../upstream/sse.ts'
import { StdioTransport } from '../upstream/stdio.ts'
import { StreamableHttpTransport } from '../upstream/streamable-http.ts'
import type { UpstreamTransport } from '../upstream/transport.ts'
import { type Isolation, UpstreamConnection, UpstreamError } from './connection.ts'
import { RpcCodes } from './json-rpc.ts'
import { MODERN_VERSION } from './modern-wire.ts'
import type { Session } from './session.ts'
import {
  type ConnectProtocol,
  forwardableCapabilities,
  type ProtocolSetting,
  type UpstreamEra,
} from './upstream-era.ts'

/** A server as the relay runs it: secrets already decrypted, defaults applied. */
export interface ServerSpec {
  projectId: string
  name: string
  transport: 'stdio' | 'sse' | 'streamable-http'
  command?: string | null
  args?: readonly string[]
  env?: Readonly<Record<string, string>>
  cwd?: string | null
  url?: string | null
  headers?: Readonly<Record<string, string>>
  timeoutMs: number
  isolation?: Isolation | null
  enabled: boolean
  autoStart: boolean
  /** Health probe interval (health-probe.ts); 0 off; null or absent: `SupervisorLimits.healthCheckIntervalMs`. */
  healthCheckIntervalMs?: number | null
  protocol?: 'auto' | 'legacy' | 'modern' | null
  /** OAuth to the server (remote servers only): the client secret decrypted; null or absent: none. */
  auth?: {
    type: 'oauth'
    credentials: 'project' | 'user'
    clientId: string | null
    clientSecret: string | null
    scopes: string[]
  } | null
}

/** An OAuth-protected server's Authorization while a connection to it lives (gateway/upstream-oauth). */
export interface UpstreamBearer {
  header(): string
  /** The server refused the token: its owner must connect again. */
  rejected(): void
  /** The server wants more scopes (`403 insufficient_scope`): its owner must consent to them. */
  insufficientScope?(scope: string | null): void
  /** The connection closed: stop keeping the token fresh. */
  stop(): void
}

/** Where connections to OAuth-protected servers get their tokens. */
export interface UpstreamCredentials {
  /** The session's (or the project's) token for the server; throws an UpstreamError naming where to connect. */
  bearer(spec: ServerSpec, session: Session | null): Promise<UpstreamBearer>
}

export interface SupervisorLimits {
  handshakeTimeoutMs: number
  idleStopMs: number
  restartInitialMs: number
  restartMaxMs: number
  maxConsecutiveFailures: number
  maxProcessesPerProject: number
  maxProcessesTotal: number
  /** Remote servers may not connect into these networks (`upstreams.blockedNetworks`). */
  blockedNetworks?: readonly string[]
  /** The largest upstream message read (`upstreams.maxMessageBytes`); default 16 MiB. */
  maxMessageBytes?: number
  /** The era servers that set none are spoken to in (`upstreams.protocol`); absent: auto. */
  protocol?: ProtocolSetting
  /** Health probe interval of servers that set none (`upstreams.healthCheckIntervalMs`); 0 or absent: off. */
  healthCheckIntervalMs?: number
}

export type ServerState = 'stopped' | 'starting' | 'running' | 'backoff' | 'failed'
/** What the newest evidence says: backoff and an open circuit are down whatever came before. */
export type ServerHealth = 'up' | 'down' | 'unknown'

export interface ServerStatus {
  state: ServerState
  isolation: Isolation
  pid: number | null
  pids: number[]
  connections: number
  sessions: number
  restarts: number
  consecutiveFailures: number
  health: ServerHealth
  /** The last failure (a start, an exit, a probe, a test at save), kept after recovery: `health` says which is newer. */
  lastError: string | null
  lastErrorAt: number | null
  /** The last proof the server works: a connection made, a probe answered, a test passed at save. */
  lastOkAt: number | null
  retryAt: number | null
  stderr: string[]
  /** The era the live connection speaks (U1: the probe's verdict); null while none is up. */
  era: 'legacy' | 'modern' | null
}

/**
 * Where a shared stdio upstream runs when several nodes share the work (gateway/cluster): here, or on the node that
 * holds its lease, reached through the returned transport. Absent (one node): always here.
 */
export interface SharedPlacement {
  /** null: run it here; else a transport to the owner node. Throws when the owner is unknown for now. */
  place(spec: ServerSpec): Promise<UpstreamTransport | null>
  /** A local shared upstream is up: keep its lease for as long as it lives. */
  adopt(spec: ServerSpec, conn: UpstreamConnection): void
}

/** Counts stdio children per project and in total, so one project cannot exhaust the host. */
export class ProcessCaps {
  total = 0
  private readonly perProject = new Map<string, number>()
  constructor(private readonly limits: SupervisorLimits) {}

  reserve(projectId: string): void {
    const n = this.perProject.get(projectId) ?? 0
    if (n >= this.limits.maxProcessesPerProject) {
      throw new UpstreamError(
        RpcCodes.LIMIT_REACHED,
        `project has reached its limit of ${this.limits.maxProcessesPerProject} server processes`,
      )
    }
    if (this.total >= this.limits.maxProcessesTotal) {
      throw new UpstreamError(
        RpcCodes.LIMIT_REACHED,
        `the gateway has reached its limit of ${this.limits.maxProcessesTotal} server processes`,
      )
    }
    this.perProject.set(projectId, n + 1)
    this.total++
  }

  release(projectId: string): void {
    const n = this.perProject.get(projectId) ?? 0
    if (n <= 1) this.perProject.delete(projectId)
    else this.perProject.set(projectId, n - 1)
    this.total = Math.max(0, this.total - 1)
  }
}

/** A connection that died sooner than this after starting counts as a failed start for the circuit breaker. */
const HEALTHY_AFTER_MS = 30_000

export class ServerRuntime {
  spec: ServerSpec
  readonly isolation: Isolation
  state: ServerState = 'stopped'
  restarts = 0
  consecutiveFailures = 0
  lastErrorAt: number | null = null
  lastOkAt: number | null = null
  retryAt: number | null = null
  /** Called with a list_changed method to tell every session using this server. */
  onlistchanged: ((method: string, sessions: Iterable<Session>) => void) | null = null
  private shared: UpstreamConnection | null = null
  private starting: Promise<UpstreamConnection> | null = null
  private readonly perSession = new Map<Session, UpstreamConnection>()
  private restartTimer: NodeJS.Timeout | null = null
  private lastStderr: string[] = []
  /** The era the last connection that started spoke: what `auto` uses for the next ones. */
  private verdict: UpstreamEra | null = null
  /** The server refused a 2025 handshake and answered the 2026-07-28 probe: 2025-era clients are bridged. */
  private refusesLegacy = false
  /** Connections to this server's process on the node holding its lease. */
  private readonly placedElsewhere = new WeakSet<UpstreamConnection>()
  private stopped = false
  private errorText: string | null = null

  constructor(
    spec: ServerSpec,
    private readonly limits: SupervisorLimits,
    private readonly caps: ProcessCaps,
    private readonly log: Logger,
    private readonly placement: SharedPlacement | null = null,
    private readonly credentials: UpstreamCredentials | null = null,
  ) {
    this.spec = spec
    // Stdio children are shared (a process per client does not scale); remote servers keep their own sessions. A
    // server that acts as each member with their own token is never shared between them.
    this.isolation =
      spec.auth?.credentials === 'user'
        ? 'per-session'
        : (spec.isolation ?? (spec.transport === 'stdio' ? 'shared' : 'per-session'))
  }

  /** Every failure goes through here, so its time is always known. */
  get lastError(): string | null {
    return this.errorText
  }
  set lastError(message: string | null) {
    this.errorText = message === null ? null : message.slice(0, 2000)
    this.lastErrorAt = message === null ? null : Date.now()
  }

  health(): ServerHealth {
    if (this.state === 'failed' || this.state === 'backoff') return 'down'
    if (this.lastErrorAt === null && this.lastOkAt === null) return this.state === 'running' ? 'up' : 'unknown'
    return (this.lastErrorAt ?? 0) > (this.lastOkAt ?? 0) ? 'down' : 'up'
  }

  /**
   * The outcome of a check made outside any client request: a connection test at save, a health probe. A failure
   * that `backsOff` (a probe that could not connect) counts like a failed start: backoff, then the circuit opens.
   * A success ends the backoff of a per-session server, whose connections no restart timer retries.
   */
  noteCheck(ok: boolean, error = 'check failed', backsOff = false): void {
    if (!ok) {
      if (backsOff) this.recordFailure(new Error(error))
      else this.lastError = error
      return
    }
    this.lastOkAt = Date.now()
    if (this.isolation === 'per-session' && (this.state === 'backoff' || this.state === 'failed')) {
      this.consecutiveFailures = 0
      this.retryAt = null
      this.state = this.perSession.size > 0 ? 'running' : 'stopped'
    }
  }

  /** A ready connection of this server, if one is up: the shared one, else any per-session one. */
  liveConnection(): UpstreamConnection | null {
    if (this.shared?.state === 'ready') return this.shared
    for (const c of this.perSession.values()) if (c.state === 'ready') return c
    return null
  }

  /** A connection to a remote server that no session or status counts (a probe's); the caller starts and closes it. */
  detachedConnection(timeoutMs: number): UpstreamConnection {
    if (this.spec.transport === 'stdio') throw new Error('a stdio server is probed only through its running process')
    return new UpstreamConnection({
      serverName: this.spec.name,
      isolation: 'per-session',
      timeoutMs,
      handshakeTimeoutMs: timeoutMs,
      transport: this.makeTransport(),
      logger: this.log,
      protocol: this.protocol(),
    })
  }

  /**
   * Legacy SSE exists only in the 2025 era; every other transport takes the server's setting or the gateway's. Under
   * auto the first verdict is kept for the connections that follow (one probe per server, not per session), until a
   * start fails.
   */
  private protocol(session: Session | null = null): ConnectProtocol {
    if (this.spec.transport === 'sse') return 'legacy'
    const setting = this.spec.protocol ?? this.limits.protocol ?? 'auto'
    if (setting !== 'auto') return setting
    // A 2025-era client's own connection keeps its era while the server speaks it, so the relay stays exact.
    if (session !== null && session.transport !== 'stateless' && !this.refusesLegacy) return 'legacy-first'
    return this.verdict ?? 'auto'
  }

  /** The connection that serves `session`, started or restarted as needed. */
  acquire(session: Session): Promise<UpstreamConnection> {
    if (this.stopped) return Promise.reject(new UpstreamError(RpcCodes.SHUTTING_DOWN, 'the gateway is shutting down'))
    if (!this.spec.enabled) {
      return Promise.reject(new UpstreamError(RpcCodes.UPSTREAM_UNAVAILABLE, `server "${this.spec.name}" is disabled`))
    }
    if (this.isolation === 'per-session') return this.acquirePerSession(session)
    if (this.shared?.state === 'ready') {
      this.attach(this.shared, session)
      return Promise.resolve(this.shared)
    }
    return this.startShared().then((conn) => {
      this.attach(conn, session)
      return conn
    })
  }

  /** Starts a shared upstream without a session (auto-start, health checks). */
  ensureStarted(): Promise<UpstreamConnection> {
    if (this.isolation !== 'shared') return Promise.reject(new Error('per-session servers start with their sessions'))
    return this.shared?.state === 'ready' ? Promise.resolve(this.shared) : this.startShared()
  }

  private attach(conn: UpstreamConnection, session: Session): void {
    if (conn.sessions.has(session)) return
    conn.sessions.add(session)
    session.onClose(() => {
      conn.sessions.delete(session)
      if (session.logLevel) conn.syncLogLevel().catch(() => {})
    })
  }

  private startShared(): Promise<UpstreamConnection> {
    if (this.starting) return this.starting
    const now = Date.now()
    if (this.retryAt !== null && now < this.retryAt) {
      return Promise.reject(this.unavailable(this.retryAt - now))
    }
    this.starting = this.connect(null).then(
      (conn) => {
        this.starting = null
        this.shared = conn
        return conn
      },
      (err) => {
        this.starting = null
        throw err
      },
    )
    return this.starting
  }

  private async acquirePerSession(session: Session): Promise<UpstreamConnection> {
    const existing = this.perSession.get(session)
    if (existing && existing.state !== 'closed') return existing
    const conn = await this.connect(session)
    if (session.closed) {
      await conn.close()
      throw new UpstreamError(RpcCodes.UPSTREAM_CLOSED, 'session closed')
    }
    this.perSession.set(session, conn)
    this.attach(conn, session)
    session.onClose(() => {
      this.perSession.delete(session)
      conn.close().catch(() => {})
      this.updateState()
    })
    return conn
  }

  private async connect(session: Session | null): Promise<UpstreamConnection> {
    const spec = this.spec
    let remote: UpstreamTransport | null = null
    if (spec.transport === 'stdio' && session === null && this.placement) {
      try {
        remote = await this.placement.place(spec)
      } catch (err) {
        this.recordFailure(err)
        throw this.unavailable(null, err)
      }
    }
    // A shared stdio upstream owned by another node runs no process here, so it takes no process slot.
    const isStdio = spec.transport === 'stdio' && remote === null
    if (isStdio) this.caps.reserve(spec.projectId)
    // Missing authorization is the caller's to fix (connect the server), not a failure of the server.
    const bearer = spec.auth?.type === 'oauth' && spec.transport !== 'stdio' ? await this.bearer(session) : null
    if (!(this.state === 'running' && session)) this.state = 'starting'
    const transport = remote ?? this.makeTransport(bearer)
    // A shared upstream placed on another node is reached through that node's own connection.
    const protocol = remote ? 'legacy' : this.protocol(session)
    const conn = new UpstreamConnection({
      serverName: spec.name,
      isolation: this.isolation,
      timeoutMs: spec.timeoutMs,
      handshakeTimeoutMs: this.limits.handshakeTimeoutMs,
      transport,
      logger: this.log,
      clientCapabilities: session ? forwardableCapabilities(session.clientCapabilities) : {},
      clientInfo: session?.clientInfo?.name
        ? { name: session.clientInfo.name, version: session.clientInfo.version ?? '0' }
        : undefined,
      protocol,
    })
    const startedAt = Date.now()
    if (bearer) void conn.whenClosed.then(() => bearer.stop())
    if (remote) this.placedElsewhere.add(conn)
    if (isStdio) conn.ondisposed = () => this.caps.release(spec.projectId)
    try {
      await conn.start()
    } catch (err) {
      // A probe that got no 2026-07-28 answer before the start failed (a server that exits on an unknown request)
      // is not sent again: the next start goes straight to initialize.
      this.verdict = conn.probedLegacy ? 'legacy' : null
      this.refusesLegacy = false
      this.captureStderr(transport)
      await conn.close().catch(() => {})
      this.recordFailure(err)
      throw err instanceof UpstreamError ? err : this.unavailable(null, err)
    }
    this.state = 'running'
    this.lastOkAt = Date.now()
    // A 2025-era client's initialize that worked says nothing of the 2026-07-28 probe other clients need.
    if (!remote && (protocol !== 'legacy-first' || conn.era === 'modern')) this.verdict = conn.era
    if (conn.initializeFailed) this.refusesLegacy = true
    // A per-session connection proves the server answers; a shared one counts crash loops in onclose instead.
    if (session) this.consecutiveFailures = 0
    this.retryAt = null
    if (isStdio && session === null) this.placement?.adopt(spec, conn)
    conn.onlistchanged = (method) => this.onlistchanged?.(method, conn.sessions)
    conn.onclose = (reason) => {
      this.captureStderr(transport)
      this.lastError = reason.message
      const lived = Date.now() - startedAt
      if (session) {
        this.log.warn({ reason: reason.message }, 'per-session upstream closed')
        this.perSession.delete(session)
        this.updateState()
        return
      }
      this.shared = null
      if (lived < HEALTHY_AFTER_MS) this.consecutiveFailures++
      else this.consecutiveFailures = 0
      this.log.warn({ reason: reason.message, restarts: this.restarts }, 'upstream exited')
      this.scheduleRestart(conn.sessions)
    }
    return conn
  }

  private async bearer(session: Session | null): Promise<UpstreamBearer> {
    if (!this.credentials) {
      throw new UpstreamError(
        RpcCodes.UPSTREAM_UNAVAILABLE,
        `server "${this.spec.name}" uses OAuth, which needs the gateway's publicBaseUrl (its callback address)`,
      )
    }
    return this.credentials.bearer(this.spec, session)
  }

  private makeTransport(bearer: UpstreamBearer | null = null): UpstreamTransport {
    const spec = this.spec
    const logger = this.log
    if (spec.transport === 'stdio') {
      return new StdioTransport({
        command: spec.command ?? '',
        args: spec.args ?? [],
        env: spec.env ?? {},
        cwd: spec.cwd ?? undefined,
        logger,
        maxLineBytes: this.limits.maxMessageBytes,
      })
    }
    const remote = {
      url: spec.url ?? '',
      headers: spec.headers ?? {},
      logger,
      blockedNetworks: this.limits.blockedNetworks,
      maxMessageBytes: this.limits.maxMessageBytes,
      bearer: bearer ?? undefined,
    }
    return spec.transport === 'sse' ? new SseTransport(remote) : new StreamableHttpTransport(remote)
  }

  private captureStderr(transport: UpstreamTransport): void {
    const tail = (transport as { stderrTail?: () => string[] }).stderrTail
    if (tail) this.lastStderr = tail.call(transport)
  }

  private recordFailure(err: unknown): void {
    this.consecutiveFailures++
    this.lastError = err instanceof Error ? err.message : String(err)
    const delay = this.backoffMs()
    this.retryAt = Date.now() + delay
    this.state = this.consecutiveFailures >= this.limits.maxConsecutiveFailures ? 'failed' : 'backoff'
    this.log.warn(
      { failures: this.consecutiveFailures, retryInMs: delay, reason: this.lastError },
      this.state === 'failed' ? 'upstream keeps failing: circuit open' : 'upstream failed to start',
    )
  }

  private backoffMs(): number {
    const n = Math.max(0, this.consecutiveFailures - 1)
    const base = Math.min(this.limits.restartMaxMs, this.limits.restartInitialMs * 2 ** n)
    // An open circuit waits the longest delay before it lets one attempt through.
    return this.consecutiveFailures >= this.limits.maxConsecutiveFailures ? this.limits.restartMaxMs : base
  }

  /** After a crash: restart if someone is using the server, then tell them the lists may have changed. */
  private scheduleRestart(sessions: Set<Session>): void {
    const live = [...sessions].filter((s) => !s.closed)
    if (this.stopped || (live.length === 0 && !this.spec.autoStart)) {
      this.state = 'stopped'
      return
    }
    const delay = this.consecutiveFailures === 0 ? 0 : this.backoffMs()
    this.state = this.consecutiveFailures >= this.limits.maxConsecutiveFailures ? 'failed' : 'backoff'
    this.retryAt = Date.now() + delay
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null
      this.retryAt = null
      this.restarts++
      this.startShared().then(
        (conn) => {
          for (const s of live) if (!s.closed) this.attach(conn, s)
          for (const m of [
            'notifications/tools/list_changed',
            'notifications/prompts/list_changed',
            'notifications/resources/list_changed',
          ])
            this.onlistchanged?.(m, conn.sessions)
        },
        () => this.scheduleRestart(new Set(live)),
      )
    }, delay)
    this.restartTimer.unref()
  }

  private unavailable(retryAfterMs: number | null, cause?: unknown): UpstreamError {
    const reason = cause instanceof Error ? `: ${cause.message}` : this.lastError ? `: ${this.lastError}` : ''
    return new UpstreamError(RpcCodes.UPSTREAM_UNAVAILABLE, `upstream "${this.spec.name}" is unavailable${reason}`, {
      server: this.spec.name,
      ...(retryAfterMs !== null ? { retryAfterMs } : {}),
    })
  }

  private updateState(): void {
    if (this.isolation === 'per-session' && this.state !== 'failed' && this.state !== 'backoff') {
      this.state = this.perSession.size > 0 ? 'running' : 'stopped'
    }
  }

  /** Stops a shared upstream nobody has used for `idleStopMs` (auto-start servers stay up). */
  sweepIdle(now: number): void {
    const conn = this.shared
    if (!conn || this.spec.autoStart || this.limits.idleStopMs === 0) return
    if (conn.sessions.size === 0 && conn.inFlight === 0 && now - conn.lastActivity > this.limits.idleStopMs) {
      this.log.info({}, 'stopping idle upstream')
      this.shared = null
      this.state = 'stopped'
      conn.close().catch(() => {})
    }
  }

  /** Stops every upstream of this server and fails what is in flight. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.restartTimer) clearTimeout(this.restartTimer)
    const conns = [...this.perSession.values()]
    if (this.shared) conns.push(this.shared)
    if (this.starting) conns.push(await this.starting.catch(() => null as unknown as UpstreamConnection))
    this.shared = null
    this.perSession.clear()
    await Promise.all(conns.filter(Boolean).map((c) => c.close().catch(() => {})))
    this.state = 'stopped'
  }

  /** Restarts now (the API's restart button): sessions stay, the upstream is started fresh. */
  async restart(): Promise<void> {
    const conn = this.shared
    this.shared = null
    this.retryAt = null
    this.consecutiveFailures = 0
    if (conn) {
      const sessions = new Set(conn.sessions)
      await conn.close()
      if (this.isolation === 'shared') {
        this.restarts++
        const fresh = await this.startShared()
        for (const s of sessions) if (!s.closed) this.attach(fresh, s)
        this.onlistchanged?.('notifications/tools/list_changed', fresh.sessions)
      }
    }
    for (const c of this.perSession.values()) await c.close()
    this.perSession.clear()
    this.updateState()
  }

  /**
   * A shared stdio upstream placed on another node is reached through that node in the 2025 era; what the server
   * speaks is what the owner's connection told in its handshake.
   */
  private eraOf(conn: UpstreamConnection): UpstreamEra {
    if (!this.placedElsewhere.has(conn)) return conn.era
    return conn.initializeResult?.protocolVersion === MODERN_VERSION ? 'modern' : 'legacy'
  }

  inFlight(): number {
    let n = this.shared?.inFlight ?? 0
    for (const c of this.perSession.values()) n += c.inFlight
    return n
  }

  status(): ServerStatus {
    const conns = [...this.perSession.values()]
    if (this.shared) conns.push(this.shared)
    const pids = conns
      .map((c) => (c.transport as { pid?: number }).pid)
      .filter((p): p is number => typeof p === 'number')
    let stderr = this.lastStderr
    const live = conns[0]?.transport as { stderrTail?: () => string[] } | undefined
    if (live?.stderrTail) stderr = live.stderrTail()
    return {
      state: this.state,
      isolation: this.isolation,
      pid: pids[0] ?? null,
      pids,
      connections: conns.length,
      sessions: conns.reduce((n, c) => n + c.sessions.size, 0),
      restarts: this.restarts,
      consecutiveFailures: this.consecutiveFailures,
      health: this.health(),
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      lastOkAt: this.lastOkAt,
      retryAt: this.retryAt,
      stderr: stderr.slice(-50),
      era: conns[0]?.state === 'ready' ? this.eraOf(conns[0]) : null,
    }
  }
}
