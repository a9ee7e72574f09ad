// The relay: answers what mcpo answers itself (initialize, ping, lists from cache) and forwards the rest to the
// right upstream connection. Transports hand it parsed messages and a sink; it never touches HTTP.
import type { Exchange, Logger, ToolCallRecord } from '../../plugins/contract.ts'
import type { PluginHost } from '../../plugins/host.ts'
import type { SendOptions } from '../upstream/transport.ts'
import { type UpstreamConnection, UpstreamError } from './connection.ts'
import { HealthProber } from './health-probe.ts'
import { errorMessage, idKey, RpcCodes, type RpcId, type RpcMessage, resultMessage } from './json-rpc.ts'
import { ServerLog } from './server-log.ts'
import type { ClientSink, Session } from './session.ts'
import type { SessionTracker } from './session-tracker.ts'
import {
  ProcessCaps,
  ServerRuntime,
  type ServerSpec,
  type SharedPlacement,
  type SupervisorLimits,
} from './supervisor.ts'
import { traceContext, traceHeaders, withTraceMeta } from './trace.ts'
import { type UnifiedOptions, UnifiedRouter } from './unified.ts'
import { negotiateVersion } from './versions.ts'

export const LIST_METHODS: Record<string, string> = {
  'tools/list': 'tools',
  'prompts/list': 'prompts',
  'resources/list': 'resources',
  'resources/templates/list': 'resourceTemplates',
}

/** Which call each list guards, and the field of a list item that call names. */
const LIST_GUARDS: Record<string, { method: string; field: string }> = {
  'tools/list': { method: 'tools/call', field: 'name' },
  'prompts/list': { method: 'prompts/get', field: 'name' },
  'resources/list': { method: 'resources/read', field: 'uri' },
}
const CALL_TARGETS: Record<string, { param: string; what: string }> = {
  'tools/call': { param: 'name', what: 'Tool' },
  'prompts/get': { param: 'name', what: 'Prompt' },
  'resources/read': { param: 'uri', what: 'Resource' },
}

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
}

type Request = RpcMessage & { id: RpcId; method: string }

export class Relay {
  private readonly projects = new Map<string, Map<string, ServerRuntime>>()
  /** Per `project\0server`: log ring and last outcomes, kept when a changed server's runtime is replaced. */
  private readonly logs = new Map<string, ServerLog>()
  readonly caps: ProcessCaps
  private readonly unified: UnifiedRouter
  private sweeper: NodeJS.Timeout | null = null
  private readonly prober: HealthProber

  constructor(private readonly opts: RelayOptions) {
    this.caps = new ProcessCaps(opts.limits)
    this.unified = new UnifiedRouter(this, opts.unified, opts.logger)
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
    if (this.opts.tracker) sink = this.opts.tracker.request(session, ex, sink)
    try {
      await this.dispatch(session, msg, raw, sink, ex)
    } catch (err) {
      if (err instanceof UpstreamError) sink.respond(errorMessage(msg.id, err.rpcCode, err.message, err.data))
      else {
        this.opts.logger.error({ err, method: msg.method, requestId: ex.requestId }, 'relay failed')
        sink.respond(errorMessage(msg.id, RpcCodes.INTERNAL_ERROR, 'internal error'))
      }
    }
  }

  private async dispatch(session: Session, msg: Request, raw: string, sink: ClientSink, ex: Exchange): Promise<void> {
    const params = msg.params ?? {}
    // A reconnected legacy client never re-sends initialize: any other request shows it is past the handshake.
    if (!session.initialized && msg.method !== 'initialize') session.initialized = true
    switch (msg.method) {
      case 'initialize':
        return this.initialize(session, msg, sink)
      case 'ping':
        return sink.respond(resultMessage(msg.id, {}))
      case 'logging/setLevel': {
        session.logLevel = typeof params.level === 'string' ? params.level : null
        sink.respond(resultMessage(msg.id, {}))
        for (const conn of await this.connectionsOf(session)) conn.syncLogLevel().catch(() => {})
        return
      }
    }
    if (session.serverName === null) return this.unified.request(session, msg, raw, sink, ex)
    const rt = this.runtime(session.projectId, session.serverName)
    if (!rt) throw new UpstreamError(RpcCodes.UPSTREAM_UNAVAILABLE, `server "${session.serverName}" no longer exists`)
    return this.toServer(rt, session, msg, raw, sink, ex)
  }

  /** Sends one request to one server: lists from cache, subscriptions ref-counted, tool calls authorized first. */
  async toServer(
    rt: ServerRuntime,
    session: Session,
    msg: Request,
    raw: string,
    sink: ClientSink,
    ex: Exchange,
  ): Promise<void> {
    // Only requests that wait on an upstream count; what mcpo answers itself (ping, initialize) never does.
    if (session.inflight.size >= session.maxInflight) {
      return sink.respond(
        errorMessage(
          msg.id,
          RpcCodes.LIMIT_REACHED,
          `Too many requests in flight: this session already waits on ${session.inflight.size}`,
          { retryAfterMs: 1000 },
        ),
      )
    }
    const params = msg.params ?? {}
    const method = msg.method
    const guarded = CALL_TARGETS[method]
    if (guarded) {
      const toolName = typeof params[guarded.param] === 'string' ? (params[guarded.param] as string) : ''
      // Only wrap when someone listens: the outcome hook costs nothing otherwise.
      if (method === 'tools/call' && this.opts.plugins.hooks.onToolResult !== null) {
        sink = this.observeToolCall(rt, session, msg, sink, ex, toolName)
      }
      const decision = await this.opts.plugins.authorize(ex, {
        projectId: session.projectId,
        serverName: rt.spec.name,
        method,
        toolName,
      })
      if (!decision.allow) {
        if ('settled' in sink) (sink as ObservedSink).denied = true
        if (decision.status === 429) {
          return sink.respond(
            errorMessage(msg.id, RpcCodes.LIMIT_REACHED, `Rate limited: ${decision.reason}`, {
              retryAfterMs: decision.retryAfterMs ?? 1000,
            }),
          )
        }
        return sink.respond(
          errorMessage(
            msg.id,
            RpcCodes.INVALID_PARAMS,
            `${guarded.what} ${toolName} is not available: ${decision.reason}`,
          ),
        )
      }
    }
    let conn: UpstreamConnection
    try {
      conn = await rt.acquire(session)
    } catch (err) {
      this.serverLog(session.projectId, rt.spec.name).failed((err as Error).message)
      // request() would answer on the caller's sink; an observed tool call answers on its own so the outcome is seen.
      if (!(err instanceof UpstreamError) || !('settled' in sink)) throw err
      return sink.respond(errorMessage(msg.id, err.rpcCode, err.message, err.data))
    }
    const listKey = LIST_METHODS[method]
    if (listKey) {
      if (params.cursor !== undefined)
        return sink.respond(errorMessage(msg.id, RpcCodes.INVALID_PARAMS, 'Invalid cursor'))
      const items = await this.listFor(conn, method, session, ex, rt.spec.name).catch(async (err: unknown) => {
        // A remote session that expired (404) is re-initialized once and idempotent requests retried (protocol.md §4.8).
        if (!conn.sessionExpired) throw err
        await conn.whenClosed
        return this.listFor(await rt.acquire(session), method, session, ex, rt.spec.name)
      })
      return sink.respond(resultMessage(msg.id, { [listKey]: items }))
    }
    if (conn.isolation === 'shared' && (method === 'resources/subscribe' || method === 'resources/unsubscribe')) {
      const uri = typeof params.uri === 'string' ? params.uri : ''
      if (method === 'resources/subscribe') await conn.subscribe(session, uri)
      else await conn.unsubscribe(session, uri)
      return sink.respond(resultMessage(msg.id, {}))
    }
    const watched = this.serverLog(session.projectId, rt.spec.name).watch(sink)
    let sendOptions: SendOptions | undefined
    const trace = traceContext(ex, params)
    if (trace && rt.spec.transport !== 'stdio') sendOptions = traceHeaders(trace)
    else if (trace) {
      const traced = withTraceMeta(msg, trace)
      if (traced) {
        msg = traced
        raw = JSON.stringify(traced)
      }
    }
    conn.forward(
      session,
      method === 'resources/read' ? this.retryOnExpiry(rt, session, msg, raw, watched, conn) : watched,
      msg,
      raw,
      sendOptions,
    )
  }

  /**
   * Wraps the sink of an idempotent request: if it fails because the remote upstream session expired (404), it is
   * sent once more on a new connection (protocol.md §4.8). tools/call is never wrapped, so it is never replayed.
   */
  private retryOnExpiry(
    rt: ServerRuntime,
    session: Session,
    msg: Request,
    raw: string,
    sink: ClientSink,
    conn: UpstreamConnection,
  ): ClientSink {
    let retried = false
    return {
      send: (json) => sink.send(json),
      respond: (json) => {
        if (retried || !conn.sessionExpired || (JSON.parse(json) as { error?: unknown }).error === undefined) {
          return sink.respond(json)
        }
        retried = true
        conn.whenClosed
          .then(() => rt.acquire(session))
          .then(
            (fresh) => fresh.forward(session, sink, msg, raw),
            () => sink.respond(json),
          )
      },
      get closed() {
        return sink.closed
      },
    }
  }

  /**
   * Wraps a tools/call sink so its outcome reaches `onToolResult` hooks once: status from the response (a JSON-RPC
   * error, -32011 a timeout, `result.isError`), or `denied` when authorize refused it. Arguments: size only.
   */
  private observeToolCall(
    rt: ServerRuntime,
    session: Session,
    msg: Request,
    sink: ClientSink,
    ex: Exchange,
    toolName: string,
  ): ObservedSink {
    return new ObservedCall(this.opts, rt.spec.name, session, msg, sink, ex, toolName)
  }

  /**
   * A server's list; tools, prompts and resources nobody may use are left out, by the same decision that guards
   * `tools/call`, `prompts/get` and `resources/read`.
   */
  async listFor(
    conn: UpstreamConnection,
    method: string,
    session: Session,
    ex: Exchange,
    serverName: string,
  ): Promise<unknown[]> {
    const items = await conn.list(method)
    const guarded = LIST_GUARDS[method]
    if (!guarded || this.opts.plugins.hooks.authorize === null) return items
    const allowed: unknown[] = []
    for (const item of items) {
      const name = (item as Record<string, unknown>)[guarded.field]
      const d = await this.opts.plugins.authorize(ex, {
        projectId: session.projectId,
        serverName,
        method: guarded.method,
        toolName: typeof name === 'string' ? name : '',
        listing: true,
      })
      if (d.allow) allowed.push(item)
    }
    return allowed
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
    const conn = await rt.acquire(session)
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
        out.push(await rt.acquire(session))
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

function sameSpec(a: ServerSpec, b: ServerSpec): boolean {
  const strip = (s: ServerSpec) => JSON.stringify({ ...s, healthCheckIntervalMs: null })
  return strip(a) === strip(b)
}

interface ObservedSink extends ClientSink {
  denied: boolean
  settled: boolean
}

/** One observed tools/call: a class, not closures, because every call with an `onToolResult` hook makes one. */
class ObservedCall implements ObservedSink {
  denied = false
  settled = false
  private readonly started = performance.now()

  constructor(
    private readonly opts: Pick<RelayOptions, 'plugins' | 'logger'>,
    private readonly serverName: string,
    private readonly session: Session,
    private readonly msg: Request,
    private readonly sink: ClientSink,
    private readonly ex: Exchange,
    private readonly toolName: string,
  ) {}

  send(json: string): void {
    this.sink.send(json)
  }

  respond(json: string): void {
    if (this.settled) return
    this.settled = true
    this.sink.respond(json)
    this.finish(json)
  }

  cancelled(reason: string): void {
    if (this.settled) return
    this.settled = true
    this.sink.cancelled?.(reason)
    this.finish(null, reason)
  }

  get closed(): boolean {
    return this.sink.closed
  }

  private finish(json: string | null, reason?: string): void {
    const { ex, session, toolName } = this
    const p = ex.principal
    const args = (this.msg.params as { arguments?: unknown } | undefined)?.arguments
    const record: ToolCallRecord = {
      projectId: session.projectId,
      serverName: this.serverName,
      toolName,
      principalKind: p?.kind ?? null,
      principalId: p?.id ?? session.principalId,
      keyId: p?.kind === 'api-key' ? p.id : null,
      sessionId: session.id,
      clientName: session.clientInfo?.name ?? null,
      status: 'ok',
      errorCode: null,
      errorMessage: null,
      durationMs: Math.round(performance.now() - this.started),
      argsSize: jsonBytes(args),
      at: Date.now(),
      requestId: ex.requestId,
      arguments: args,
    }
    if (json === null) {
      record.status = 'cancelled'
      record.errorMessage = reason?.slice(0, 500) ?? null
    } else classifyToolResponse(json, record, this.denied)
    this.opts.logger.debug(
      {
        requestId: ex.requestId,
        project: record.projectId,
        server: record.serverName,
        tool: toolName,
        status: record.status,
        ms: record.durationMs,
      },
      'tool call',
    )
    this.opts.plugins.toolResult(record)
  }
}

/** Bytes of a value as JSON; 0 when it has none or cannot be serialised, so the record is written regardless. */
function jsonBytes(value: unknown): number {
  if (value === undefined) return 0
  try {
    return Buffer.byteLength(JSON.stringify(value))
  } catch {
    // Only a value the edge should have refused (nesting past MAX_JSON_DEPTH) gets here: a record without its size
    // is better than none.
    return 0
  }
}

/** Sets status and error fields of a tool-call record from the JSON-RPC response text. */
export function classifyToolResponse(json: string, record: ToolCallRecord, denied: boolean): void {
  let msg: { error?: { code?: unknown; message?: unknown }; result?: { isError?: unknown } }
  try {
    msg = JSON.parse(json)
  } catch {
    record.status = 'error'
    return
  }
  if (msg.error) {
    const code = typeof msg.error.code === 'number' ? msg.error.code : null
    record.status = denied ? 'denied' : code === RpcCodes.UPSTREAM_TIMEOUT ? 'timeout' : 'error'
    record.errorCode = code === null ? null : String(code)
    record.errorMessage = typeof msg.error.message === 'string' ? msg.error.message.slice(0, 500) : null
  } else if (msg.result?.isError === true) {
    record.status = 'error'
  }
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
