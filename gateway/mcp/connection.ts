// One JSON-RPC peer upstream (a stdio child, a remote SSE or Streamable HTTP session): mcpo's handshake, forwarding
// with fresh ids, and routing of what the upstream sends back. The id table, the list cache, subscriptions and
// server→client requests each live in their own module; this one ties them to the transport.
import type { Logger } from '../../plugins/contract.ts'
import type { SendOptions, UpstreamTransport } from '../upstream/transport.ts'
import { InputAsk, MAX_INPUT_ROUNDS, readInputRequired, STATE_ONLY_PACING_MS } from './input-bridge.ts'
import { classify, errorMessage, idKey, RpcCodes, type RpcId, type RpcMessage, replaceTopLevelId } from './json-rpc.ts'
import { ListCache } from './list-cache.ts'
import { type HeaderParam, headerParams, META, MODERN_VERSION } from './modern-wire.ts'
import { type Pending, RequestTable } from './request-table.ts'
import { ServerRequests } from './server-requests.ts'
import type { ClientSink, InflightRequest, Session } from './session.ts'
import { Subscriptions } from './subscriptions.ts'
import {
  type ConnectProtocol,
  forwardableCapabilities,
  identityFromDiscovery,
  modernDiscovery,
  type UpstreamEnvelope,
  type UpstreamEra,
  withEnvelope,
} from './upstream-era.ts'
import { LATEST_VERSION } from './versions.ts'

export type Isolation = 'shared' | 'per-session'

export interface ConnectionOptions {
  serverName: string
  isolation: Isolation
  timeoutMs: number
  handshakeTimeoutMs: number
  transport: UpstreamTransport
  logger: Logger
  /** Per-session upstreams hand the client's own capabilities upstream; shared ones declare none (protocol.md §4.5). */
  clientCapabilities?: Record<string, unknown>
  clientInfo?: { name: string; version: string }
  protocolVersion?: string
  /** Which era to speak upstream: probe with `server/discover` (auto), always 2025 (legacy), always 2026-07-28. */
  protocol?: ConnectProtocol
}

/** An `auto` probe gives up this soon: a legacy server that ignores unknown requests must not hold up every start. */
const PROBE_TIMEOUT_MS = 5000
/** On stdio, how long the probe has alone before `initialize` is offered beside it (startOverlapping). */
const PROBE_PATIENCE_MS = 1000

/** A DiscoverResult that offers a revision mcpo speaks, and the envelope the connection then sends. */
interface Discovered {
  identity: InitializeResult
  envelope: UpstreamEnvelope
}

const delay = (ms: number): Promise<undefined> => new Promise((resolve) => setTimeout(resolve, ms, undefined).unref())

interface InitializeResult {
  protocolVersion: string
  capabilities: Record<string, unknown>
  serverInfo: { name: string; version: string; [k: string]: unknown }
  instructions?: string
  [k: string]: unknown
}

/** What a lost listen stream may have missed: every list. */
const LIST_CHANGES = [
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
]

const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']

export class UpstreamError extends Error {
  constructor(
    readonly rpcCode: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message)
  }
}

export class UpstreamConnection {
  readonly serverName: string
  readonly isolation: Isolation
  readonly transport: UpstreamTransport
  initializeResult: InitializeResult | null = null
  state: 'starting' | 'ready' | 'closed' = 'starting'
  /** The era this connection speaks, once started: the probe's verdict or the setting's. */
  era: UpstreamEra = 'legacy'
  readonly sessions = new Set<Session>()
  /** Called once when the connection ends for any reason other than `close()`. */
  onclose: ((reason: Error) => void) | null = null
  /** Called once when the connection is closed by any path (crash or `close()`), e.g. to release a process slot. */
  ondisposed: (() => void) | null = null
  /** list_changed arrived: the supervisor tells every attached session. */
  onlistchanged: ((method: string) => void) | null = null
  lastActivity = Date.now()
  /** The remote upstream forgot its session (HTTP 404): idempotent requests may be retried on a new connection (protocol.md §4.8). */
  sessionExpired = false
  /** Settles once this connection is closed, so a retry acquires a new one rather than this one. */
  readonly whenClosed: Promise<void>
  private markClosed!: () => void
  private readonly pending = new RequestTable()
  private readonly lists: ListCache
  private readonly subscriptions = new Subscriptions()
  private readonly serverRequests: ServerRequests
  private readonly opts: ConnectionOptions
  private readonly log: Logger
  /** Set while the connection speaks (or probes) 2026-07-28: every request upstream carries it in `_meta`. */
  private envelope: UpstreamEnvelope | null = null
  /** Tools' `x-mcp-header` arguments, from the last tools list of a modern upstream. */
  private readonly toolHeaders = new Map<string, HeaderParam[]>()
  /** U3: the one `subscriptions/listen` a modern upstream connection holds open, by its upstream id. */
  private listenId: number | null = null
  private listenRetry: NodeJS.Timeout | null = null
  private listenFailures = 0

  constructor(opts: ConnectionOptions) {
    this.opts = opts
    this.serverName = opts.serverName
    this.isolation = opts.isolation
    this.transport = opts.transport
    this.log = opts.logger
    this.lists = new ListCache(
      async (method, cursor) => {
        const page = await this.call(method, cursor === undefined ? undefined : { cursor })
        return this.envelope && method === 'tools/list' ? this.admitTools(page) : page
      },
      (method, items) => this.log.warn({ method, items }, 'list capped: upstream has more items than mcpo relays'),
    )
    this.serverRequests = new ServerRequests(
      (text) => {
        if (this.state !== 'closed') this.transport.send(text)
      },
      () => (this.isolation === 'per-session' ? this.sessions.values().next().value : undefined),
      (method, why) => this.log.info({ method, reason: why }, 'refused a request of the upstream to its client'),
    )
    this.whenClosed = new Promise((resolve) => {
      this.markClosed = resolve
    })
    opts.transport.onmessage = (text, parsed, origin) => this.onMessage(text, parsed, origin)
    opts.transport.onsendfailure = (text, err) => this.onSendFailure(text, err)
    opts.transport.onerror = (err) => this.log.warn({ err: err.message }, 'upstream transport error')
    opts.transport.onclose = (reason) =>
      this.closed(reason ?? new UpstreamError(RpcCodes.UPSTREAM_CLOSED, 'upstream closed'))
  }

  get inFlight(): number {
    return this.pending.size
  }

  /** Starts the transport and performs mcpo's own handshake; the InitializeResult is kept for every client. */
  async start(): Promise<InitializeResult> {
    await this.transport.start()
    const setting = this.opts.protocol ?? 'legacy'
    if (setting === 'legacy-first') {
      try {
        return await this.initialize()
      } catch (err) {
        // A server that is gone decides nothing; one that refused the 2025 handshake may be 2026-07-28 only.
        if (this.state === 'closed' || (err as UpstreamError).rpcCode === RpcCodes.UPSTREAM_TIMEOUT) throw err
        this.initializeFailed = true
        const identity = await this.probe(false)
        if (identity) return this.ready(identity)
        throw err
      }
    }
    if (setting === 'auto' && !this.transport.setModern) return this.startOverlapping()
    if (setting !== 'legacy') {
      const identity = await this.probe(setting === 'modern')
      if (identity) return this.ready(identity)
    }
    return this.initialize()
  }

  /** Set when `legacy-first` found the server refusing the 2025 handshake. */
  initializeFailed = false
  /** Set when the 2026-07-28 probe got no modern answer. */
  probedLegacy = false

  private async ready(identity: InitializeResult): Promise<InitializeResult> {
    this.initializeResult = identity
    this.state = 'ready'
    this.listen()
    // The tools' x-mcp-header arguments must be known before the first call, which needs its Mcp-Param-* headers.
    if (identity.capabilities.tools) await this.lists.get('tools/list').catch(() => {})
    return identity
  }

  /**
   * U3: a modern upstream has no session to push changes on, so the connection holds one `subscriptions/listen` for
   * what it needs now: the list changes the server announces and every subscribed URI. A new set opens a new stream
   * before the old one is closed, so nothing falls between them.
   */
  private listen(): void {
    if (!this.envelope || this.state !== 'ready') return
    const caps = (this.initializeResult?.capabilities ?? {}) as Record<
      string,
      { listChanged?: boolean; subscribe?: boolean } | undefined
    >
    const notifications: Record<string, unknown> = {}
    if (caps.tools?.listChanged) notifications.toolsListChanged = true
    if (caps.prompts?.listChanged) notifications.promptsListChanged = true
    if (caps.resources?.listChanged) notifications.resourcesListChanged = true
    const uris = this.subscriptions.uris()
    if (caps.resources?.subscribe && uris.length > 0) notifications.resourceSubscriptions = uris
    const previous = this.listenId
    this.listenId = null
    if (Object.keys(notifications).length > 0) {
      const id = this.pending.nextId()
      this.listenId = id
      const params = withEnvelope({ notifications }, this.envelope)
      this.transport.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'subscriptions/listen', params }))
    }
    if (previous !== null) this.endListen(previous)
  }

  private endListen(id: number): void {
    if (this.state === 'closed') return
    this.transport.send(
      JSON.stringify({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: id, reason: 'replaced' },
      }),
    )
  }

  /**
   * The listen stream ended without mcpo closing it: whatever changed meanwhile was missed, so every list is dropped
   * and its sessions told, and the stream is opened again after a backoff.
   */
  private listenLost(reason: string): void {
    this.listenId = null
    if (this.state !== 'ready') return
    this.listenFailures++
    this.log.warn({ reason, failures: this.listenFailures }, 'upstream subscriptions/listen stream ended; reopening')
    for (const m of LIST_CHANGES) if (this.lists.invalidate(m)) this.onlistchanged?.(m)
    const delay = Math.min(30_000, 500 * 2 ** Math.min(this.listenFailures - 1, 6))
    this.listenRetry = setTimeout(() => {
      this.listenRetry = null
      this.listen()
    }, delay)
    this.listenRetry.unref()
  }

  private async initialize(): Promise<InitializeResult> {
    return this.initialized(await this.handshake())
  }

  private async handshake(): Promise<InitializeResult> {
    return (await this.call(
      'initialize',
      {
        protocolVersion: this.opts.protocolVersion ?? LATEST_VERSION,
        capabilities: this.opts.clientCapabilities ?? {},
        clientInfo: this.opts.clientInfo ?? { name: 'mcpo', version: '0.1.0' },
      },
      this.opts.handshakeTimeoutMs,
      null,
    )) as InitializeResult
  }

  private initialized(result: InitializeResult): InitializeResult {
    this.initializeResult = result
    this.transport.setProtocolVersion?.(result.protocolVersion)
    this.transport.send('{"jsonrpc":"2.0","method":"notifications/initialized"}')
    this.transport.openEventStream?.()
    this.state = 'ready'
    return result
  }

  /**
   * U1: `server/discover` in the 2026-07-28 wire. A DiscoverResult offering a revision mcpo speaks makes this a modern
   * connection (no initialize, no session, no GET stream); anything else leaves it to the 2025 handshake, unless the
   * setting requires modern, which then fails the start with the reason.
   */
  private async probe(required: boolean): Promise<InitializeResult | null> {
    const timeoutMs = required ? this.opts.handshakeTimeoutMs : Math.min(PROBE_TIMEOUT_MS, this.opts.handshakeTimeoutMs)
    const answer = await this.discover(timeoutMs)
    if ('identity' in answer) return this.adopt(answer)
    this.probedLegacy = true
    if (required) {
      throw new UpstreamError(
        RpcCodes.UPSTREAM_UNAVAILABLE,
        `upstream "${this.serverName}" is set to 2026-07-28 but server/discover failed: ${answer.why}`,
      )
    }
    this.log.debug({ reason: answer.why }, 'upstream speaks the 2025 era')
    return null
  }

  /** `server/discover` with the envelope it needs; the connection speaks 2026-07-28 only once `adopt` says so. */
  private async discover(timeoutMs: number): Promise<Discovered | { why: string }> {
    const envelope: UpstreamEnvelope = {
      version: MODERN_VERSION,
      capabilities: this.opts.clientCapabilities ?? {},
      clientInfo: this.opts.clientInfo ?? { name: 'mcpo', version: '0.1.0' },
    }
    this.transport.setModern?.(MODERN_VERSION, (tool) => this.toolHeaders.get(tool) ?? [])
    try {
      const found = modernDiscovery(await this.call('server/discover', {}, timeoutMs, envelope))
      if (found) return { identity: identityFromDiscovery(found.result), envelope }
      this.transport.setModern?.(null)
      return { why: `it does not offer ${MODERN_VERSION}` }
    } catch (err) {
      this.transport.setModern?.(null)
      return { why: err instanceof Error ? err.message : String(err) }
    }
  }

  private adopt(found: Discovered): InitializeResult {
    this.envelope = found.envelope
    this.era = 'modern'
    return found.identity
  }

  /**
   * `auto` on a stream with one wire for both eras (stdio): a server that has not answered `server/discover` within a
   * second (one that ignores unknown requests, or one still booting) is offered `initialize` as well, and the first
   * era to answer wins: a DiscoverResult, or a handshake that worked. A 2026-only server still booting is then not
   * taken for a 2025 one, and a 2025 server that ignores the probe costs a second, not the probe's whole timeout.
   */
  private async startOverlapping(): Promise<InitializeResult> {
    const probe = this.discover(this.opts.handshakeTimeoutMs)
    const early = await Promise.race([probe, delay(PROBE_PATIENCE_MS)])
    if (early !== undefined) {
      if ('identity' in early) return this.ready(this.adopt(early))
      this.probedLegacy = true
      return this.initialize()
    }
    const handshake = this.handshake()
    const modern = probe.then((p) => ('identity' in p ? p : Promise.reject(new Error(p.why))))
    let won: Discovered | { result: InitializeResult }
    try {
      won = await Promise.any([modern, handshake.then((result) => ({ result }))])
    } catch {
      // Neither era answered: the handshake's failure says why.
      return this.initialized(await handshake)
    }
    if ('result' in won) {
      this.probedLegacy = true
      return this.initialized(won.result)
    }
    // A handshake still on its way after a DiscoverResult is left unanswered: mcpo speaks 2026-07-28 from here on.
    return this.ready(this.adopt(won))
  }

  /** A modern upstream's tools list without tools whose `x-mcp-header` declarations are invalid (U2), noting the rest. */
  private admitTools(page: unknown): unknown {
    const tools = (page as { tools?: unknown } | null)?.tools
    if (!Array.isArray(tools)) return page
    const kept: unknown[] = []
    for (const tool of tools as { name?: unknown; inputSchema?: unknown }[]) {
      const name = typeof tool?.name === 'string' ? tool.name : null
      if (name === null) continue
      const declared = headerParams(tool.inputSchema)
      if (!declared.ok) {
        this.log.warn({ tool: name, reason: declared.reason }, 'upstream tool left out: invalid x-mcp-header')
        continue
      }
      this.toolHeaders.set(name, declared.params)
      kept.push(tool)
    }
    return { ...(page as object), tools: kept }
  }

  /** A request from mcpo itself (handshake, list pages); resolves with the result or rejects with the upstream's error. */
  call(
    method: string,
    params: Record<string, unknown> | undefined,
    timeoutMs = this.opts.timeoutMs,
    envelope: UpstreamEnvelope | null = this.envelope,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.pending.nextId()
      const entry: Pending = {
        originalId: id,
        method,
        sink: null,
        session: null,
        timer: setTimeout(() => this.expire(id), timeoutMs),
        resolve: (msg) => {
          if (msg.error) reject(new UpstreamError(msg.error.code, msg.error.message, msg.error.data))
          else resolve(msg.result)
        },
        reject,
      }
      this.pending.add(id, entry)
      const sent = envelope ? withEnvelope(params, envelope) : params
      this.transport.send(
        JSON.stringify(
          sent === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params: sent },
        ),
      )
    })
  }

  /**
   * Forwards a client request. The upstream sees a fresh id; the response goes to `sink` with the client's id and type.
   * Returns a cancel function the session keeps for `notifications/cancelled` and disconnects.
   */
  forward(
    session: Session,
    sink: ClientSink,
    msg: RpcMessage & { id: RpcId; method: string },
    raw: string,
    options?: SendOptions,
  ): void {
    const id = this.pending.nextId()
    this.lastActivity = Date.now()
    const entry: Pending = {
      originalId: msg.id,
      method: msg.method,
      sink,
      session,
      timer: setTimeout(expireCall, this.opts.timeoutMs, this, id),
    }
    // Params are rewritten only when the upstream must see something else than the client sent; otherwise the raw
    // text goes on with its id swapped, without a parse-and-stringify.
    let params = msg.params as Record<string, unknown> | undefined
    let rewritten = false
    const meta = (params as { _meta?: { progressToken?: string | number } } | undefined)?._meta
    if (meta?.progressToken !== undefined) {
      // Clients number their tokens like their ids, so a shared upstream would see collisions: use the upstream id.
      const upstreamToken = this.isolation === 'shared' ? `p${id}` : meta.progressToken
      entry.progressToken = { upstream: upstreamToken, original: meta.progressToken }
      if (upstreamToken !== meta.progressToken) {
        params = { ...params, _meta: { ...meta, progressToken: upstreamToken } }
        rewritten = true
      }
    }
    if (this.envelope) {
      // Every modern request states its own era and client: the capabilities are this request's client's, so even a
      // shared upstream may ask it for input (U4, M7).
      entry.params = params ?? {}
      params = this.enveloped(params, session)
      rewritten = true
    }
    let text = rewritten ? JSON.stringify({ jsonrpc: '2.0', id, method: msg.method, params }) : null
    text ??= replaceTopLevelId(raw, String(id)) ?? JSON.stringify({ ...msg, id })
    this.pending.add(id, entry)
    session.inflight.set(idKey(msg.id), new ForwardedCall(this, id))
    this.transport.send(text, options)
  }

  private enveloped(params: Record<string, unknown> | undefined, session: Session): Record<string, unknown> {
    const env = this.envelope as UpstreamEnvelope
    const own = { ...env, capabilities: forwardableCapabilities(session.clientCapabilities) }
    return withEnvelope(params, own, session.logLevel ?? undefined)
  }

  /**
   * U4: a 2025-era client's call got `input_required`. Its client is asked each question as an ordinary request;
   * with every answer in, the call goes upstream again under a new id, with the answers and the upstream's state.
   */
  private bridge(entry: Pending, result: unknown): void {
    const { session, sink } = entry
    if (!session || !sink) return
    const fail = (code: number, message: string) => sink.respond(errorMessage(entry.originalId, code, message))
    const rounds = (entry.rounds ?? 0) + 1
    if (rounds > MAX_INPUT_ROUNDS) {
      fail(
        RpcCodes.UPSTREAM_UNAVAILABLE,
        `upstream "${this.serverName}" asked for input ${MAX_INPUT_ROUNDS} times during one ${entry.method}; mcpo gave up on it`,
      )
      return
    }
    const round = readInputRequired(result)
    if (typeof round === 'string') {
      fail(
        RpcCodes.UPSTREAM_UNAVAILABLE,
        `upstream "${this.serverName}" sent an unreadable input_required result: ${round}`,
      )
      return
    }
    if (round.requests.length === 0) {
      const later = setTimeout(() => this.retry(entry, rounds, {}, round.requestState), STATE_ONLY_PACING_MS)
      session.inflight.set(idKey(entry.originalId), {
        cancel: (reason) => {
          clearTimeout(later)
          sink.cancelled?.(reason)
        },
        abort: (code, message) => {
          clearTimeout(later)
          fail(code, message)
        },
      })
      return
    }
    const ask = new InputAsk({
      serverName: this.serverName,
      session,
      sink,
      callId: entry.originalId,
      round,
      timeoutMs: this.opts.timeoutMs,
      answered: (responses) => this.retry(entry, rounds, responses, round.requestState),
      failed: fail,
    })
    const why = ask.start()
    if (why !== null) fail(RpcCodes.UPSTREAM_UNAVAILABLE, why)
  }

  /** The same call again, with the client's answers and the upstream's state exactly as it gave them. */
  private retry(prior: Pending, rounds: number, responses: Record<string, unknown>, state: string | undefined): void {
    const session = prior.session as Session
    const sink = prior.sink as ClientSink
    if (this.state === 'closed') {
      sink.respond(
        errorMessage(
          prior.originalId,
          RpcCodes.UPSTREAM_CLOSED,
          `upstream "${this.serverName}" went away while the client answered`,
        ),
      )
      return
    }
    const { requestState: _old, inputResponses: _given, ...own } = prior.params ?? {}
    const params: Record<string, unknown> = { ...own }
    if (Object.keys(responses).length > 0) params.inputResponses = responses
    if (state !== undefined) params.requestState = state
    const id = this.pending.nextId()
    this.lastActivity = Date.now()
    const entry: Pending = {
      originalId: prior.originalId,
      method: prior.method,
      sink,
      session,
      timer: setTimeout(expireCall, this.opts.timeoutMs, this, id),
      progressToken: prior.progressToken,
      params,
      rounds,
    }
    this.pending.add(id, entry)
    session.inflight.set(idKey(prior.originalId), new ForwardedCall(this, id))
    this.transport.send(
      JSON.stringify({ jsonrpc: '2.0', id, method: prior.method, params: this.enveloped(params, session) }),
    )
  }

  /**
   * Client `notifications/cancelled` (or the client went away, `byClient`), or a timeout: tell upstream with its own
   * id and drop whatever answer comes later.
   */
  cancel(upstreamId: number, reason: string, byClient = false): void {
    const entry = this.pending.get(upstreamId)
    if (!entry) return
    this.settle(upstreamId, entry)
    if (byClient) entry.sink?.cancelled?.(reason)
    if (this.state !== 'closed') {
      this.transport.send(
        JSON.stringify({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: upstreamId, reason },
        }),
      )
    }
  }

  /**
   * A notification from a client (per-session upstreams only; shared ones never see client notifications). The
   * 2026-07-28 revision has no client notifications upstream but the cancel, which `cancel()` sends (on HTTP the
   * transport closes the request's stream instead).
   */
  notify(raw: string): void {
    if (this.state !== 'closed' && !this.envelope) this.transport.send(raw)
  }

  /** A complete list: every upstream page fetched and merged, cached until the upstream says it changed or its ttlMs ends. */
  list(method: string, stale = false): Promise<unknown[]> {
    return this.lists.get(method, stale)
  }

  /**
   * Whether resource subscriptions go through `subscribe()` (the connection keeps them: a shared upstream counts its
   * subscribers, a 2026-07-28 one names the URIs in its listen stream) rather than to the upstream as they come.
   */
  get holdsSubscriptions(): boolean {
    return this.isolation === 'shared' || this.envelope !== null
  }

  /** Shared upstreams: one upstream subscription per URI, however many sessions asked (protocol.md §4.6). */
  async subscribe(session: Session, uri: string): Promise<void> {
    if (this.envelope) {
      // A 2026-07-28 server has no resources/subscribe: its URIs are named in the connection's listen stream.
      const caps = this.initializeResult?.capabilities.resources as { subscribe?: boolean } | undefined
      if (!caps?.subscribe) {
        throw new UpstreamError(RpcCodes.METHOD_NOT_FOUND, `"${this.serverName}" does not offer resource subscriptions`)
      }
    }
    const first = this.subscriptions.add(session, uri)
    session.onClose(() => this.unsubscribe(session, uri).catch(() => {}))
    if (!first) return
    if (this.envelope) this.listen()
    else await this.call('resources/subscribe', { uri })
  }

  async unsubscribe(session: Session, uri: string): Promise<void> {
    if (this.subscriptions.remove(session, uri) && this.state === 'ready') {
      if (this.envelope) this.listen()
      else await this.call('resources/unsubscribe', { uri })
    }
  }

  /** The most verbose level any attached session asked for is what the upstream sends. */
  async syncLogLevel(): Promise<void> {
    // A modern upstream takes the level with each request (withEnvelope).
    if (this.envelope) return
    let min = -1
    for (const s of this.sessions) {
      const i = s.logLevel ? LOG_LEVELS.indexOf(s.logLevel) : -1
      if (i !== -1 && (min === -1 || i < min)) min = i
    }
    if (min !== -1) await this.call('logging/setLevel', { level: LOG_LEVELS[min] })
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return
    if (this.listenRetry) clearTimeout(this.listenRetry)
    this.onclose = null
    this.failAll(new UpstreamError(RpcCodes.SHUTTING_DOWN, 'upstream connection closed'))
    this.state = 'closed'
    this.dispose()
    await this.transport.close()
    this.markClosed()
  }

  private closed(reason: Error): void {
    if (this.state === 'closed') return
    if (this.listenRetry) clearTimeout(this.listenRetry)
    this.state = 'closed'
    if (isSessionExpiry(reason)) this.sessionExpired = true
    this.failAll(
      new UpstreamError(RpcCodes.UPSTREAM_CLOSED, `upstream "${this.serverName}" went away: ${reason.message}`),
    )
    const cb = this.onclose
    this.onclose = null
    cb?.(reason)
    this.markClosed()
  }

  private dispose(): void {
    const cb = this.ondisposed
    this.ondisposed = null
    cb?.()
  }

  private failAll(err: UpstreamError): void {
    for (const [id, entry] of this.pending.entries()) this.fail(id, entry, err)
  }

  private fail(id: number, entry: Pending, err: UpstreamError): void {
    this.settle(id, entry)
    if (entry.reject) entry.reject(err)
    else entry.sink?.respond(errorMessage(entry.originalId, err.rpcCode, err.message, err.data))
  }

  private settle(id: number, entry: Pending): void {
    this.pending.settle(id, entry)
  }

  /** The request `id` got no answer in time: cancel it upstream and fail it. */
  expire(id: number): void {
    const entry = this.pending.get(id)
    if (!entry) return
    const ms = entry.resolve ? this.opts.handshakeTimeoutMs : this.opts.timeoutMs
    this.abort(
      id,
      RpcCodes.UPSTREAM_TIMEOUT,
      `upstream "${this.serverName}" did not answer ${entry.method} within ${ms} ms`,
      'timeout',
    )
  }

  /** Gives up on request `id`: cancels it upstream and answers its waiter with this error. */
  abort(id: number, code: number, message: string, reason = message): void {
    const entry = this.pending.get(id)
    if (!entry) return
    this.cancel(id, reason)
    if (entry.reject) entry.reject(new UpstreamError(code, message))
    else entry.sink?.respond(errorMessage(entry.originalId, code, message))
  }

  private onSendFailure(text: string, err: Error): void {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return
    }
    const id = (parsed as { id?: unknown }).id
    if (typeof id !== 'number') return
    if (id === this.listenId) {
      this.listenLost(err.message)
      return
    }
    const entry = this.pending.get(id)
    // Set before the failure reaches the relay, which retries idempotent requests of an expired session.
    if (isSessionExpiry(err)) this.sessionExpired = true
    if (entry)
      this.fail(
        id,
        entry,
        new UpstreamError(
          RpcCodes.UPSTREAM_UNAVAILABLE,
          `upstream "${this.serverName}" refused the request: ${err.message}`,
        ),
      )
  }

  private onMessage(text: string, parsed?: unknown, origin?: string): void {
    let value = parsed
    if (value === undefined) {
      try {
        value = JSON.parse(text)
      } catch {
        this.log.warn({}, 'dropped a malformed message from upstream')
        return
      }
    }
    this.lastActivity = Date.now()
    const c = classify(value)
    switch (c.kind) {
      case 'response':
        this.onResponse(c.msg, text)
        break
      case 'notification':
        this.onNotification(c.msg, text)
        break
      case 'request':
        this.serverRequests.handle(c.msg, text, this.causedBy(origin))
        break
      default:
        this.log.warn({ reason: c.reason }, 'dropped an invalid message from upstream')
    }
  }

  private onResponse(msg: RpcMessage & { id: RpcId }, text: string): void {
    if (msg.id === this.listenId && this.listenId !== null) {
      // The server ended the subscription (a graceful end is an empty result; a refusal an error).
      if (msg.error?.code === RpcCodes.METHOD_NOT_FOUND) {
        this.listenId = null
        this.log.warn(
          {},
          'upstream does not offer subscriptions/listen: its changes reach clients only as lists expire',
        )
      } else this.listenLost(msg.error ? msg.error.message : 'the server ended it')
      return
    }
    const entry = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined
    if (!entry) {
      this.log.debug({ id: msg.id }, 'dropped a response nobody waits for (cancelled or timed out)')
      return
    }
    this.settle(msg.id as number, entry)
    if (entry.resolve) {
      entry.resolve(msg)
      return
    }
    // A 2026-07-28 client reads `input_required` itself (its answer seals the upstream's state); a 2025-era one is
    // asked the questions instead.
    if (
      this.envelope &&
      entry.session?.transport !== 'stateless' &&
      (msg.result as { resultType?: unknown } | undefined)?.resultType === 'input_required'
    ) {
      this.bridge(entry, msg.result)
      return
    }
    const out =
      replaceTopLevelId(text, JSON.stringify(entry.originalId)) ?? JSON.stringify({ ...msg, id: entry.originalId })
    entry.sink?.respond(out, msg)
  }

  /**
   * The client request a server→client request belongs to: the one whose upstream POST stream carried it (on a shared
   * upstream too: the stream names its request), else, on a per-session upstream only, the one client request it is
   * serving (one stream, as on stdio). A shared upstream's request on a stream of its own belongs to nobody.
   */
  private causedBy(origin: string | undefined): Pending | null {
    if (origin !== undefined) {
      try {
        const id = (JSON.parse(origin) as { id?: unknown }).id
        const entry = typeof id === 'number' ? this.pending.get(id) : undefined
        if (entry?.sink) return entry
      } catch {
        // Not a request of ours; fall back to the only one in flight.
      }
    }
    return this.isolation === 'per-session' ? (this.pending.only() ?? null) : null
  }

  private onNotification(msg: RpcMessage & { method: string }, text: string): void {
    const method = msg.method
    if (method === 'notifications/subscriptions/acknowledged') {
      this.listenFailures = 0
      return
    }
    const meta = (msg.params as { _meta?: Record<string, unknown> } | undefined)?._meta
    if (meta !== undefined && META.subscriptionId in meta) {
      // The tag names mcpo's own listen stream upstream, which means nothing to mcpo's clients.
      const { [META.subscriptionId]: _tag, ...rest } = meta
      const params = { ...msg.params, _meta: rest }
      if (Object.keys(rest).length === 0) delete (params as { _meta?: unknown })._meta
      msg = { ...msg, params }
      text = JSON.stringify(msg)
    }
    if (method === 'notifications/cancelled' && this.serverRequests.cancelled(msg)) return
    if (method === 'notifications/progress') {
      const token = (msg.params as { progressToken?: string | number } | undefined)?.progressToken
      const entry = token === undefined ? undefined : this.pending.progressOf(token)
      if (!entry?.sink || !entry.progressToken) return
      const out =
        entry.progressToken.upstream === entry.progressToken.original
          ? text
          : JSON.stringify({ ...msg, params: { ...msg.params, progressToken: entry.progressToken.original } })
      entry.sink.send(out)
      return
    }
    if (this.lists.invalidate(method)) {
      this.onlistchanged?.(method)
      return
    }
    if (method === 'notifications/resources/updated') {
      const uri = (msg.params as { uri?: string } | undefined)?.uri
      if (this.isolation === 'per-session') for (const s of this.sessions) s.notify(text)
      else if (uri) for (const s of this.subscriptions.subscribers(uri)) s.notify(text)
      return
    }
    if (method === 'notifications/message') {
      const level = LOG_LEVELS.indexOf((msg.params as { level?: string } | undefined)?.level ?? '')
      for (const s of this.sessions) {
        const wanted = s.logLevel ? LOG_LEVELS.indexOf(s.logLevel) : -1
        if (wanted !== -1 && level >= wanted) s.notify(text)
      }
      return
    }
    // Anything else belongs to the one client of a per-session upstream; a shared upstream has no owner for it.
    if (this.isolation === 'per-session') for (const s of this.sessions) s.notify(text)
  }
}

/** How the upstream transports report a remote session the server forgot: MCPO_ERR_UPSTREAM_CLOSED with HTTP 404. */
function isSessionExpiry(err: Error): boolean {
  const e = err as { code?: unknown; details?: { status?: unknown } }
  return e.code === 'MCPO_ERR_UPSTREAM_CLOSED' && e.details?.status === 404
}

// Module-level rather than closures made per call: every forwarded request creates one of each.
function expireCall(conn: UpstreamConnection, id: number): void {
  conn.expire(id)
}

/** What the client's session holds for one forwarded request: a cancel or a disconnect reaches upstream by its id. */
class ForwardedCall implements InflightRequest {
  constructor(
    private readonly conn: UpstreamConnection,
    private readonly id: number,
  ) {}

  cancel(reason: string): void {
    this.conn.cancel(this.id, reason, true)
  }

  abort(code: number, message: string): void {
    this.conn.abort(this.id, code, message)
  }
}
