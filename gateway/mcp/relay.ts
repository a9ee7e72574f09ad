// The relay: owns every project's server runtimes, answers what mcpo answers itself (initialize, ping,
// logging/setLevel) and hands the rest to the pipeline, directly or through the unified router. Transports hand it
// parsed messages and a sink; it never touches HTTP.
import type { Exchange, Logger } from '../../plugins/contract.ts'
import type { PluginHost } from '../../plugins/host.ts'
import { type UpstreamConnection, UpstreamError } from './connection.ts'
import { HealthProber } from './health-probe.ts'
import { errorMessage, idKey, RpcCodes, type RpcId, type RpcMessage, resultMessage } from './json-rpc.ts'
import { Pipeline, type Request, type ServerDirectory } from './pipeline.ts'
import { Reply, type ReplyDeps } from './reply.ts'
import { ServerLog } from './server-log.ts'
import type { ClientSink, Session } from './session.ts'
import type { SessionTracker } from './session-tracker.ts'
import {
  ProcessCaps,
  ServerRuntime,
  type ServerSpec,
  type SharedPlacement,
  type SupervisorLimits,
  type UpstreamCredentials,
} from './supervisor.ts'
import { type UnifiedOptions, UnifiedRouter } from './unified.ts'
import { negotiateVersion } from './versions.ts'

export interface RelayOptions {
  logger: Logger
  plugins: PluginHost
  limits: SupervisorLimits
  unified: UnifiedOptions
  version: string
  /** Cluster mode: shared stdio upstreams run on the node holding their lease. */
  placement?: SharedPlacement | null
  /** Counts requests and failures per client session (GET /api/projects/:id/sessions). */
  tracker?: SessionTracker
  /** Tokens for OAuth-protected servers. */
  credentials?: UpstreamCredentials | null
}

export class Relay implements ServerDirectory {
  private readonly projects = new Map<string, Map<string, ServerRuntime>>()
  /** Per `project\0server`: log ring and last outcomes, kept when a changed server's runtime is replaced. */
  private readonly logs = new Map<string, ServerLog>()
  readonly caps: ProcessCaps
  private readonly unified: UnifiedRouter
  private readonly pipeline: Pipeline
  private readonly replies: ReplyDeps
  private sweeper: NodeJS.Timeout | null = null
  private readonly prober: HealthProber

  constructor(private readonly opts: RelayOptions) {
    this.caps = new ProcessCaps(opts.limits)
    this.pipeline = new Pipeline({ plugins: opts.plugins, logger: opts.logger, servers: this })
    this.unified = new UnifiedRouter(this.pipeline, this, opts.unified, opts.logger)
    this.replies = { plugins: opts.plugins, logger: opts.logger, tracker: opts.tracker ?? null }
    this.prober = new HealthProber({
      runtimes: () => this.allRuntimes(),
      defaultIntervalMs: opts.limits.healthCheckIntervalMs ?? 0,
      handshakeTimeoutMs: opts.limits.handshakeTimeoutMs,
      logger: opts.logger,
    })
  }

  /** Replaces the servers of a project: new ones are added, removed ones stopped, changed ones restarted. */
  async setServers(projectId: string, specs: ServerSpec[]): Promise<void> {
    let runtimes = this.projects.get(projectId)
    if (!runtimes) {
      runtimes = new Map()
      this.projects.set(projectId, runtimes)
    }
    const wanted = new Map(specs.map((s) => [s.name, s]))
    const stops: Promise<void>[] = []
    for (const [name, rt] of runtimes) {
      const next = wanted.get(name)
      // A new probe interval is not a new server: the running upstream stays.
      if (next && sameSpec(next, rt.spec)) rt.spec = next
      else {
        runtimes.delete(name)
        stops.push(rt.stop())
      }
    }
    for (const spec of specs) {
      if (runtimes.has(spec.name)) continue
      const rt = new ServerRuntime(
        spec,
        this.opts.limits,
        this.caps,
        this.serverLog(projectId, spec.name).logger(this.opts.logger.child({ project: projectId, server: spec.name })),
        this.opts.placement ?? null,
        this.opts.credentials ?? null,
      )
      rt.onlistchanged = (method, sessions) => {
        for (const s of sessions) s.noticeListChanged(method)
      }
      runtimes.set(spec.name, rt)
      if (spec.enabled && spec.autoStart && rt.isolation === 'shared') {
        rt.ensureStarted().catch((err) =>
          this.opts.logger.warn({ server: spec.name, err: err.message }, 'auto-start failed'),
        )
      }
    }
    for (const key of this.logs.keys()) {
      const [p, name] = key.split('\0')
      if (p === projectId && !wanted.has(name)) this.logs.delete(key)
    }
    await Promise.all(stops)
    this.unified.projectChanged(projectId)
    this.startSweeper()
  }

  /** The log ring and last outcomes of a server (made on first use). */
  serverLog(projectId: string, serverName: string): ServerLog {
    const key = `${projectId}\0${serverName}`
    let log = this.logs.get(key)
    if (!log) {
      log = new ServerLog()
      this.logs.set(key, log)
    }
    return log
  }

  runtime(projectId: string, serverName: string): ServerRuntime | undefined {
    return this.projects.get(projectId)?.get(serverName)
  }

  /** Every server of every project, enabled or not. */
  *allRuntimes(): Generator<ServerRuntime> {
    for (const runtimes of this.projects.values()) yield* runtimes.values()
  }

  /** Enabled servers of a project, in name order (the unified endpoint lists them in this stable order). */
  runtimes(projectId: string): ServerRuntime[] {
    const m = this.projects.get(projectId)
    if (!m) return []
    return [...m.values()].filter((r) => r.spec.enabled).sort((a, b) => (a.spec.name < b.spec.name ? -1 : 1))
  }

  /** A deleted or archived project: its upstreams stop and its endpoints answer 404. */
  async removeProject(projectId: string): Promise<void> {
    const runtimes = this.projects.get(projectId)
    this.projects.delete(projectId)
    for (const key of this.logs.keys()) if (key.startsWith(`${projectId}\0`)) this.logs.delete(key)
    this.unified.projectChanged(projectId)
    if (runtimes) await Promise.all([...runtimes.values()].map((rt) => rt.stop()))
  }

  /** Ids of the projects with loaded servers. */
  projectIds(): IterableIterator<string> {
    return this.projects.keys()
  }

  hasProject(projectId: string): boolean {
    return this.projects.has(projectId)
  }

  /** A client request. Errors always come back as a JSON-RPC error on the sink, never as silence. */
  async request(session: Session, msg: Request, raw: string, sink: ClientSink, ex: Exchange): Promise<void> {
    const reply = new Reply(this.replies, sink, session, ex)
    try {
      await this.dispatch(session, msg, raw, reply, ex)
    } catch (err) {
      if (err instanceof UpstreamError) {
        const e = urlElicitation(err, session) ?? err
        reply.respond(errorMessage(msg.id, e.rpcCode, e.message, e.data))
      } else {
        this.opts.logger.error({ err, method: msg.method, requestId: ex.requestId }, 'relay failed')
        reply.respond(errorMessage(msg.id, RpcCodes.INTERNAL_ERROR, 'internal error'))
      }
    }
  }

  private async dispatch(session: Session, msg: Request, raw: string, reply: Reply, ex: Exchange): Promise<void> {
    const params = msg.params ?? {}
    // A reconnected legacy client never re-sends initialize: any other request shows it is past the handshake.
    if (!session.initialized && msg.method !== 'initialize') session.initialized = true
    switch (msg.method) {
      case 'initialize':
        return this.initialize(session, msg, reply)
      case 'ping':
        return reply.respond(resultMessage(msg.id, {}))
      case 'logging/setLevel': {
        session.logLevel = typeof params.level === 'string' ? params.level : null
        reply.respond(resultMessage(msg.id, {}))
        for (const conn of await this.connectionsOf(session)) conn.syncLogLevel().catch(() => {})
        return
      }
    }
    if (session.serverName === null) return this.unified.request(session, msg, raw, reply, ex)
    const rt = this.runtime(session.projectId, session.serverName)
    if (!rt) throw new UpstreamError(RpcCodes.UPSTREAM_UNAVAILABLE, `server "${session.serverName}" no longer exists`)
    return this.pipeline.toServer(rt, session, msg, raw, reply, ex)
  }

  private async initialize(session: Session, msg: Request, sink: ClientSink): Promise<void> {
    const params = msg.params ?? {}
    session.protocolVersion = negotiateVersion(params.protocolVersion)
    session.clientCapabilities = (params.capabilities as Record<string, unknown>) ?? {}
    session.clientInfo = (params.clientInfo as Session['clientInfo']) ?? null
    if (session.serverName === null) {
      session.initialized = true
      return sink.respond(resultMessage(msg.id, this.unified.initializeResult(session, this.opts.version)))
    }
    const rt = this.runtime(session.projectId, session.serverName)
    if (!rt) throw new UpstreamError(RpcCodes.UPSTREAM_UNAVAILABLE, `server "${session.serverName}" no longer exists`)
    let conn: UpstreamConnection
    try {
      conn = await rt.acquire(session.upstream)
    } catch (err) {
      const connectUrl =
        err instanceof UpstreamError ? (err.data as { connectUrl?: unknown } | undefined)?.connectUrl : null
      if (typeof connectUrl !== 'string') throw err
      // An OAuth server nobody connected yet for this caller: the session starts anyway, every request answers where
      // to connect, and once the caller has connected the same session works (no reconnect).
      session.initialized = true
      return sink.respond(
        resultMessage(msg.id, {
          protocolVersion: session.protocolVersion,
          capabilities: { tools: { listChanged: true } },
          serverInfo: { name: rt.spec.name, version: '0' },
          instructions: (err as Error).message,
        }),
      )
    }
    const init = conn.initializeResult
    if (!init) throw new UpstreamError(RpcCodes.UPSTREAM_UNAVAILABLE, 'upstream is not initialized')
    const result: Record<string, unknown> = {
      protocolVersion: session.protocolVersion,
      capabilities: relayedCapabilities(init.capabilities),
      serverInfo: init.serverInfo,
    }
    if (init.instructions !== undefined) result.instructions = init.instructions
    session.initialized = true
    sink.respond(resultMessage(msg.id, result))
  }

  /**
   * What an endpoint is, for a 2026-07-28 client's `server/discover` and result `_meta`: the upstream's capabilities
   * (as relayed), identity and instructions; the unified endpoint's own.
   */
  async describe(session: Session): Promise<{
    capabilities: Record<string, unknown>
    serverInfo: { name: string; version: string; [k: string]: unknown }
    instructions?: string
  }> {
    if (session.serverName === null) {
      const r = this.unified.initializeResult(session, this.opts.version)
      return {
        capabilities: r.capabilities as Record<string, unknown>,
        serverInfo: r.serverInfo as { name: string; version: string },
        instructions: r.instructions as string,
      }
    }
    const rt = this.runtime(session.projectId, session.serverName)
    if (!rt) throw new UpstreamError(RpcCodes.UPSTREAM_UNAVAILABLE, `server "${session.serverName}" no longer exists`)
    const init = (await rt.acquire(session.upstream)).initializeResult
    if (!init) throw new UpstreamError(RpcCodes.UPSTREAM_UNAVAILABLE, 'upstream is not initialized')
    const out: Awaited<ReturnType<Relay['describe']>> = {
      capabilities: relayedCapabilities(init.capabilities),
      serverInfo: init.serverInfo,
    }
    if (init.instructions !== undefined) out.instructions = init.instructions
    return out
  }

  /** The upstream definition of a tool as the endpoint names it (unified names resolved), or null. */
  async toolDefinition(session: Session, name: string, ex: Exchange): Promise<Record<string, unknown> | null> {
    let rt: ServerRuntime | undefined
    let upstreamName = name
    if (session.serverName === null) {
      const target = await this.unified.target(session, 'tools', name, ex)
      if (!target) return null
      rt = target.rt
      upstreamName = target.name
    } else rt = this.runtime(session.projectId, session.serverName)
    if (!rt) return null
    const tools = (await (await rt.acquire(session.upstream)).list('tools/list', true)) as Record<string, unknown>[]
    return tools.find((t) => t?.name === upstreamName) ?? null
  }

  /**
   * A 2026-07-28 `subscriptions/listen` stream: the client's upstream connections are started (their list changes reach
   * it), and each resource it may read is subscribed upstream once however many listeners want it.
   */
  async listenUpstream(listener: Session, uris: readonly string[], ex: Exchange): Promise<void> {
    const client = listener.upstream as Session & { subscribed?: Map<string, number> }
    const rts =
      client.serverName === null
        ? this.runtimes(client.projectId)
        : [this.runtime(client.projectId, client.serverName)].filter((r) => r !== undefined)
    await Promise.all(rts.map((rt) => rt.acquire(client).catch(() => null)))
    for (const uri of uris) {
      const rt =
        client.serverName === null
          ? await this.unified.serverOf(client, uri, ex)
          : (rts[0] as ServerRuntime | undefined)
      if (!rt || listener.closed) continue
      const d = await this.opts.plugins.authorize(ex, {
        projectId: client.projectId,
        serverName: rt.spec.name,
        method: 'resources/read',
        toolName: uri,
      })
      if (!d.allow) continue
      const conn = await rt.acquire(client)
      if (conn.holdsSubscriptions) {
        await conn.subscribe(listener, uri)
        continue
      }
      const counts = client.subscribed
      if (!counts) continue
      const key = `${rt.spec.name}\0${uri}`
      const n = counts.get(key) ?? 0
      counts.set(key, n + 1)
      if (n === 0) await conn.call('resources/subscribe', { uri })
      listener.onClose(() => {
        const left = (counts.get(key) ?? 1) - 1
        if (left > 0) return void counts.set(key, left)
        counts.delete(key)
        if (conn.state === 'ready') conn.call('resources/unsubscribe', { uri }).catch(() => {})
      })
    }
  }

  /** Client notifications: cancels are translated, the rest reach per-session upstreams only. */
  async notification(session: Session, msg: RpcMessage & { method: string }, raw: string): Promise<void> {
    if (msg.method === 'notifications/initialized') {
      session.initialized = true
      return
    }
    if (msg.method === 'notifications/cancelled') {
      const requestId = (msg.params as { requestId?: RpcId } | undefined)?.requestId
      if (requestId === undefined) return
      const key = idKey(requestId)
      const inflight = session.inflight.get(key)
      if (inflight) {
        session.inflight.delete(key)
        inflight.cancel(String((msg.params as { reason?: unknown }).reason ?? 'cancelled by client'))
      }
      return
    }
    for (const conn of await this.connectionsOf(session, false)) if (conn.isolation === 'per-session') conn.notify(raw)
  }

  /** A client's answer to a server→client request. */
  response(session: Session, msg: RpcMessage & { id: RpcId }, raw: string): void {
    const key = String(msg.id)
    const handler = session.serverRequests.get(key)
    if (!handler) return
    session.serverRequests.delete(key)
    handler({ id: msg.id, raw, msg })
  }

  /** The upstream connections a session uses now (optionally without starting any). */
  private async connectionsOf(session: Session, start = true): Promise<UpstreamConnection[]> {
    const rts =
      session.serverName === null
        ? this.runtimes(session.projectId)
        : [this.runtime(session.projectId, session.serverName)]
    const out: UpstreamConnection[] = []
    for (const rt of rts) {
      if (!rt) continue
      if (!start && rt.state !== 'running') continue
      try {
        out.push(await rt.acquire(session.upstream))
      } catch {
        // A server that is down has nothing to tell; the others still get the message.
      }
    }
    return out
  }

  /** Requests waiting for an upstream answer, across every server. */
  inFlight(): number {
    let n = 0
    for (const runtimes of this.projects.values()) for (const rt of runtimes.values()) n += rt.inFlight()
    return n
  }

  status(projectId: string): Record<string, ReturnType<ServerRuntime['status']>> {
    const out: Record<string, ReturnType<ServerRuntime['status']>> = {}
    for (const [name, rt] of this.projects.get(projectId) ?? []) out[name] = rt.status()
    return out
  }

  private startSweeper(): void {
    if (this.sweeper) return
    this.sweeper = setInterval(() => {
      const now = Date.now()
      for (const runtimes of this.projects.values()) for (const rt of runtimes.values()) rt.sweepIdle(now)
    }, 5000)
    this.sweeper.unref()
    this.prober.start()
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper)
    await this.prober.close()
    const stops: Promise<void>[] = []
    for (const runtimes of this.projects.values()) for (const rt of runtimes.values()) stops.push(rt.stop())
    await Promise.all(stops)
  }
}

/** The error code (2025-11-25) that asks the client to send its user to a URL before the request can succeed. */
const URL_ELICITATION_REQUIRED = -32042

/**
 * A server that needs its caller to connect an account: a client that declared URL-mode elicitation gets the connect
 * link as a URL elicitation it can open for its user; others get the plain error naming the link.
 */
function urlElicitation(err: UpstreamError, session: Session): UpstreamError | null {
  const data = err.data as { connectUrl?: unknown; server?: unknown } | undefined
  if (typeof data?.connectUrl !== 'string') return null
  const elicitation = session.clientCapabilities.elicitation as { url?: unknown } | undefined
  if (elicitation?.url === undefined) return null
  return new UpstreamError(URL_ELICITATION_REQUIRED, err.message, {
    elicitations: [
      {
        mode: 'url',
        message: err.message,
        url: data.connectUrl,
        elicitationId: `connect:${session.projectId}:${String(data.server ?? session.serverName ?? '')}`,
      },
    ],
  })
}

function sameSpec(a: ServerSpec, b: ServerSpec): boolean {
  const strip = (s: ServerSpec) => JSON.stringify({ ...s, healthCheckIntervalMs: null })
  return strip(a) === strip(b)
}

/**
 * What a client is told the server can do: only what mcpo relays (protocol.md §4.1). Tasks are dropped (`tasks/list`
 * would show other sessions' tasks); list_changed and subscriptions are relayed, so they stay.
 */
export function relayedCapabilities(caps: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(caps ?? {})) if (k !== 'tasks') out[k] = v
  return out
}
