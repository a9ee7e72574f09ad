// MCP 2026-07-28 toward clients (protocol.md §11): one POST is one request, with no session on the wire. Each request
// runs as a short-lived Session owned by a `StatelessClient` (one per endpoint, principal and declared capabilities),
// which holds what outlives a request: per-session upstream connections, the client-session row, list-change
// listeners. Authentication, policies, rate limits, tool-call records and audit run per request through the same
// relay and pipeline as 2025-era calls.
import type { Exchange, Logger } from '../../plugins/contract.ts'
import type { IncomingRequest, Responder } from '../http.ts'
import { JSON_HEADERS } from '../http.ts'
import { GATEWAY_VERSION } from '../version.ts'
import { UpstreamError } from './connection.ts'
import type { Guarded } from './guard.ts'
import { classify, errorMessage, RpcCodes, type RpcId, type RpcMessage } from './json-rpc.ts'
import type { LegacyDeps } from './legacy-sse.ts'
import {
  checkParamHeaders,
  checkStandardHeaders,
  type Envelope,
  headerParams,
  isRefusal,
  META,
  MODERN_METHODS,
  MODERN_VERSIONS,
  metaOf,
  modernResult,
  type Refusal,
  readEnvelope,
  type ServerIdentity,
  withoutEnvelope,
} from './modern-wire.ts'
import { type ClientSink, Session, type SessionInit } from './session.ts'
import { SSE_HEADERS, SseChannel } from './sse.ts'
import { LATEST_VERSION } from './versions.ts'

const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']

/** Extensions mcpo relays, with the methods each adds; every other `extensions` entry is left out of discovery. */
const RELAYED_EXTENSIONS: Readonly<Record<string, readonly string[]>> = {
  'io.modelcontextprotocol/skills': ['skills/list', 'skills/get', 'resources/directory/read'],
}

/** Which listen filter flag lets each notification through. */
const LIST_FLAGS: Readonly<Record<string, string>> = {
  'notifications/tools/list_changed': 'toolsListChanged',
  'notifications/prompts/list_changed': 'promptsListChanged',
  'notifications/resources/list_changed': 'resourcesListChanged',
}

/** How long a modern client may keep a list or a read: mcpo promises nothing beyond the answer itself. */
const CACHE = { ttlMs: 0 }

/**
 * A 2026-07-28 client as mcpo knows it: no session on the wire, but one endpoint, principal and capability set. Its
 * requests and `subscriptions/listen` streams are its children; messages an upstream sends to "the session" reach
 * them here: log messages go to the requests that asked for that level, list changes and resource updates to the
 * listeners that opted in.
 */
export class StatelessClient extends Session {
  readonly requests = new Set<Session>()
  readonly listeners = new Set<ListenSession>()
  /** Resource URIs subscribed upstream on per-session connections, with how many listeners want each. */
  readonly subscribed = new Map<string, number>()
  private seq = 0

  constructor(init: SessionInit) {
    super(init)
    // There is no handshake: list changes may flow from the first request on.
    this.initialized = true
  }

  /** A request of this client, as its own short-lived session. */
  child(init: Pick<SessionInit, 'protocolVersion'>, make = (i: SessionInit) => new Session(i)): Session {
    const s = make({
      id: `${this.id}#${++this.seq}`,
      projectId: this.projectId,
      serverName: this.serverName,
      principalId: this.principalId,
      principalKind: this.principalKind,
      transport: 'stateless',
      protocolVersion: init.protocolVersion,
      now: Date.now(),
      owner: this,
    })
    this.lastActivity = Date.now()
    return s
  }

  override notify(json: string): boolean {
    if (this.closed) return false
    let msg: RpcMessage
    try {
      msg = JSON.parse(json) as RpcMessage
    } catch {
      return false
    }
    const method = msg.method
    if (method === undefined || msg.id !== undefined) return false
    let delivered = false
    if (method === 'notifications/message') {
      const level = LOG_LEVELS.indexOf(String((msg.params as { level?: unknown } | undefined)?.level ?? ''))
      for (const r of this.requests) {
        const wanted = r.logLevel === null ? -1 : LOG_LEVELS.indexOf(r.logLevel)
        if (wanted !== -1 && level >= wanted && r.notify(json)) delivered = true
      }
      return delivered
    }
    for (const l of this.listeners) if (l.deliver(method, msg)) delivered = true
    return delivered
  }

  override busy(): boolean {
    return this.requests.size > 0 || this.listeners.size > 0
  }

  override drain(code: number, message: string): void {
    for (const r of [...this.requests]) r.drain(code, message)
    super.drain(code, message)
  }

  override close(reason: string): void {
    if (this.closed) return
    for (const r of [...this.requests]) r.close(reason)
    for (const l of [...this.listeners]) l.close(reason)
    super.close(reason)
  }
}

/** Opted-in notification types of one `subscriptions/listen` stream. */
interface ListenFilter {
  toolsListChanged?: boolean
  promptsListChanged?: boolean
  resourcesListChanged?: boolean
  resourceSubscriptions?: string[]
}

/** One `subscriptions/listen` stream: only what it opted into, each message tagged with its subscription id. */
export class ListenSession extends Session {
  private readonly uris: Set<string>

  constructor(
    init: SessionInit,
    readonly subscriptionId: RpcId,
    readonly filter: ListenFilter,
  ) {
    super(init)
    this.uris = new Set(filter.resourceSubscriptions ?? [])
  }

  /** A notification for this client's listeners; false when this stream did not opt into it. */
  deliver(method: string, msg: RpcMessage): boolean {
    const flag = LIST_FLAGS[method]
    if (flag !== undefined) {
      if (this.filter[flag as keyof ListenFilter] !== true) return false
    } else if (method === 'notifications/resources/updated') {
      const uri = (msg.params as { uri?: unknown } | undefined)?.uri
      if (typeof uri !== 'string' || !this.uris.has(uri)) return false
    } else return false
    const params = { ...(msg.params ?? {}) }
    params._meta = { ...(metaOf(params) ?? {}), [META.subscriptionId]: this.subscriptionId }
    return super.notify(JSON.stringify({ jsonrpc: '2.0', method, params }))
  }

  /** A shared upstream delivers resource updates to the subscribed session itself. */
  override notify(json: string): boolean {
    try {
      const msg = JSON.parse(json) as RpcMessage
      return typeof msg.method === 'string' && this.deliver(msg.method, msg)
    } catch {
      return false
    }
  }
}

/** The stateless clients of this node, found by endpoint, principal and capabilities. */
export class StatelessClients {
  private readonly byKey = new Map<string, StatelessClient>()

  constructor(
    private readonly deps: Pick<LegacyDeps, 'sessions'>,
    private readonly log: Logger,
  ) {}

  /** Throws a limit error (-32015) when the key, the project or the node has no session left. */
  of(params: Record<string, string>, g: Guarded, env: Envelope): StatelessClient {
    const serverName = params.serverName ?? null
    const key = `${params.projectId}\0${serverName ?? ''}\0${g.principal.kind}\0${g.principal.id}\0${JSON.stringify(env.clientCapabilities)}`
    const found = this.byKey.get(key)
    if (found && !found.closed) {
      if (found.clientInfo === null && env.clientInfo !== null) found.clientInfo = env.clientInfo
      return found
    }
    const init = {
      projectId: params.projectId,
      serverName,
      principalId: g.principal.id,
      principalKind: g.principal.kind,
      transport: 'stateless' as const,
      protocolVersion: LATEST_VERSION,
    }
    const make = (i: SessionInit) => new StatelessClient(i)
    let client: StatelessClient
    try {
      client = this.deps.sessions.open(init, make) as StatelessClient
    } catch (err) {
      // A client that varies its capabilities must not lock its key out: its idle variants make room first.
      if (!(err instanceof UpstreamError) || !this.evictIdle(g.principal.id)) throw err
      client = this.deps.sessions.open(init, make) as StatelessClient
    }
    client.clientCapabilities = env.clientCapabilities
    client.clientInfo = env.clientInfo
    this.byKey.set(key, client)
    client.onClose(() => {
      if (this.byKey.get(key) === client) this.byKey.delete(key)
    })
    return client
  }

  private evictIdle(principalId: string): boolean {
    let oldest: StatelessClient | null = null
    for (const c of this.byKey.values()) {
      if (c.principalId !== principalId || c.busy()) continue
      if (oldest === null || c.lastActivity < oldest.lastActivity) oldest = c
    }
    if (oldest === null) return false
    this.log.debug({ session: oldest.id }, 'closed an idle stateless client to make room')
    oldest.close('replaced by a newer capability set of the same key')
    return true
  }
}

function refuse(res: Responder, r: Refusal, id: RpcId | null): void {
  res.send(r.status, JSON_HEADERS, errorMessage(id, r.code, r.message, r.data))
}

/** Serves one modern POST (already authenticated; the body parsed). */
export async function serveModern(
  deps: LegacyDeps,
  req: IncomingRequest,
  res: Responder,
  params: Record<string, string>,
  g: Guarded,
  value: unknown,
): Promise<void> {
  const c = classify(value)
  if (c.kind === 'invalid') {
    return refuse(res, { status: 400, code: RpcCodes.INVALID_REQUEST, message: `Invalid Request: ${c.reason}` }, c.id)
  }
  // Cancellation is the client closing its stream; a modern client has nothing else to notify.
  if (c.kind !== 'request') return res.send(202, null)
  const msg = c.msg
  const env = readEnvelopeOf(req, msg)
  if (isRefusal(env)) return refuse(res, env, msg.id)
  const headerRefusal = checkStandardHeaders(msg.method, msg.params, req.headers)
  if (headerRefusal) return refuse(res, headerRefusal, msg.id)

  let client: StatelessClient
  try {
    client = deps.stateless.of(params, g, env)
  } catch (err) {
    if (err instanceof UpstreamError) {
      return refuse(res, { status: 429, code: err.rpcCode, message: err.message, data: err.data }, msg.id)
    }
    throw err
  }
  if (!MODERN_METHODS.has(msg.method) && !(await extensionMethod(deps, client, msg.method))) {
    return refuse(
      res,
      { status: 404, code: RpcCodes.METHOD_NOT_FOUND, message: `Method not found: ${msg.method}` },
      msg.id,
    )
  }
  if (msg.method === 'server/discover') return discover(deps, res, client, msg.id)
  if (msg.method === 'subscriptions/listen') return listen(deps, res, client, msg, env, g.ex)
  if (client.requests.size >= client.maxInflight) {
    return refuse(
      res,
      {
        status: 429,
        code: RpcCodes.LIMIT_REACHED,
        message: `Too many requests in flight: this client already waits on ${client.requests.size}`,
        data: { retryAfterMs: 1000 },
      },
      msg.id,
    )
  }
  if (msg.method === 'tools/call') {
    const refusal = await paramHeaderRefusal(deps, req, client, msg, g)
    if (refusal) return refuse(res, refusal, msg.id)
  }
  return call(deps, res, client, msg, env, g)
}

function readEnvelopeOf(req: IncomingRequest, msg: RpcMessage & { method: string }) {
  return readEnvelope(msg.params, req.headers['mcp-protocol-version'], req.headers['mcp-method'], msg.method)
}

/** An extension method is served when the per-server upstream offers the extension and mcpo relays it. */
async function extensionMethod(deps: LegacyDeps, client: StatelessClient, method: string): Promise<boolean> {
  if (client.serverName === null) return false
  const ext = Object.keys(RELAYED_EXTENSIONS).find((k) => RELAYED_EXTENSIONS[k].includes(method))
  if (ext === undefined) return false
  try {
    const d = await deps.relay.describe(client)
    return (d.capabilities.extensions as Record<string, unknown> | undefined)?.[ext] !== undefined
  } catch {
    return false
  }
}

/** M4: the arguments a tool marks `x-mcp-header` must arrive, equal, in their `Mcp-Param-*` headers. */
async function paramHeaderRefusal(
  deps: LegacyDeps,
  req: IncomingRequest,
  client: StatelessClient,
  msg: RpcMessage & { method: string },
  g: Guarded,
): Promise<Refusal | null> {
  const name = (msg.params as { name?: unknown } | undefined)?.name
  if (typeof name !== 'string') return null
  const tool = await deps.relay.toolDefinition(client, name, g.ex).catch(() => null)
  if (!tool) return null
  const declared = headerParams(tool.inputSchema)
  if (!declared.ok || declared.params.length === 0) return null
  return checkParamHeaders(declared.params, (msg.params as { arguments?: unknown }).arguments, req.headers)
}

function identity(d: { serverInfo: ServerIdentity }): ServerIdentity {
  return d.serverInfo
}

async function discover(deps: LegacyDeps, res: Responder, client: StatelessClient, id: RpcId): Promise<void> {
  client.lastActivity = Date.now()
  try {
    const d = await deps.relay.describe(client)
    const result: Record<string, unknown> = {
      supportedVersions: [...MODERN_VERSIONS],
      capabilities: modernCapabilities(d.capabilities),
    }
    if (d.instructions !== undefined) result.instructions = d.instructions
    if (res.aborted) return
    res.send(
      200,
      JSON_HEADERS,
      JSON.stringify({ jsonrpc: '2.0', id, result: modernResult('server/discover', result, identity(d), CACHE) }),
    )
  } catch (err) {
    if (res.aborted) return
    const e = err instanceof UpstreamError ? err : new UpstreamError(RpcCodes.INTERNAL_ERROR, 'internal error')
    if (!(err instanceof UpstreamError)) deps.logger.error({ err }, 'server/discover failed')
    res.send(200, JSON_HEADERS, errorMessage(id, e.rpcCode, e.message, e.data))
  }
}

/** What a modern client is told the endpoint can do: only what mcpo relays, extensions included. */
export function modernCapabilities(caps: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...caps }
  const ext = caps.extensions
  if (ext !== null && typeof ext === 'object') {
    const kept: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(ext)) if (RELAYED_EXTENSIONS[k] !== undefined) kept[k] = v
    if (Object.keys(kept).length > 0) out.extensions = kept
    else delete out.extensions
  }
  return out
}

/** One request relayed upstream; its answer dressed for a modern client, as JSON or, when it may stream, as SSE. */
async function call(
  deps: LegacyDeps,
  res: Responder,
  client: StatelessClient,
  msg: RpcMessage & { id: RpcId; method: string },
  env: Envelope,
  g: Guarded,
): Promise<void> {
  const session = client.child({ protocolVersion: env.version })
  session.clientCapabilities = env.clientCapabilities
  session.clientInfo = env.clientInfo ?? client.clientInfo
  session.logLevel = env.logLevel
  session.initialized = true
  if (env.logLevel !== null) {
    const wanted = LOG_LEVELS.indexOf(env.logLevel)
    const current = client.logLevel === null ? LOG_LEVELS.length : LOG_LEVELS.indexOf(client.logLevel)
    if (wanted < current) client.logLevel = env.logLevel
  }
  client.requests.add(session)
  const described = await deps.relay.describe(client).catch(() => null)
  const serverInfo = described?.serverInfo ?? { name: 'mcpo', version: GATEWAY_VERSION }
  const streams = env.logLevel !== null || metaOf(msg.params)?.progressToken !== undefined
  const channel = streams && !res.aborted ? new SseChannel(res.stream(200, SSE_HEADERS), deps.ticker) : null
  session.channel = channel
  const sink = new ModernAnswer(res, channel, session, client, msg.method, msg.id, serverInfo, deps.logger)
  // M8: the client closing its stream is the cancel; the session's close cancels upstream and records it.
  if (channel) channel.stream.onClose(() => sink.clientLeft())
  else res.onAbort(() => sink.clientLeft())
  const upstreamParams = withoutEnvelope(msg.params)
  const forwarded = { ...msg, params: upstreamParams }
  if (upstreamParams === undefined) delete forwarded.params
  await deps.relay.request(session, forwarded, JSON.stringify(forwarded), sink, g.ex)
}

/** The answer to one modern request. */
class ModernAnswer implements ClientSink {
  private done = false

  constructor(
    private readonly res: Responder,
    private readonly channel: SseChannel | null,
    private readonly session: Session,
    private readonly client: StatelessClient,
    private readonly method: string,
    private readonly id: RpcId,
    private readonly serverInfo: ServerIdentity,
    private readonly log: Logger,
  ) {}

  send(json: string): void {
    if (this.channel && !this.channel.closed) this.channel.send(json)
  }

  respond(json: string, parsed?: Pick<RpcMessage, 'error' | 'result'>): void {
    if (this.done) return
    const text = this.encode(json, parsed)
    if (this.channel) {
      if (!this.channel.closed) {
        this.channel.send(text)
        this.channel.end()
      }
    } else if (!this.res.aborted) this.res.send(200, JSON_HEADERS, text)
    this.finish('answered')
  }

  cancelled(): void {
    this.finish('cancelled')
  }

  /** The response stream closed before the answer: stop the work upstream, write nothing more. */
  clientLeft(): void {
    if (this.done) return
    this.session.close('the client closed the response stream')
    this.finish('cancelled')
  }

  get closed(): boolean {
    return this.channel ? this.channel.closed : this.res.aborted
  }

  private finish(reason: string): void {
    if (this.done) return
    this.done = true
    this.client.requests.delete(this.session)
    this.client.lastActivity = Date.now()
    this.session.close(reason)
  }

  private encode(json: string, parsed: Pick<RpcMessage, 'error' | 'result'> | undefined): string {
    let msg = parsed
    if (msg === undefined) {
      try {
        msg = JSON.parse(json) as Pick<RpcMessage, 'error' | 'result'>
      } catch {
        return json
      }
    }
    if (msg.error !== undefined || msg.result === null || typeof msg.result !== 'object') return json
    let result = msg.result as Record<string, unknown>
    if (this.method === 'tools/list' && Array.isArray(result.tools))
      result = { ...result, tools: this.callable(result.tools) }
    const dressed = modernResult(this.method, result, this.serverInfo, CACHE)
    return JSON.stringify({ jsonrpc: '2.0', id: this.id, result: dressed })
  }

  /** Tools whose `x-mcp-header` declarations are invalid cannot be called correctly by a modern client: left out. */
  private callable(tools: unknown[]): unknown[] {
    return tools.filter((t) => {
      const checked = headerParams((t as { inputSchema?: unknown })?.inputSchema)
      if (checked.ok) return true
      this.log.warn(
        { tool: (t as { name?: unknown }).name, reason: checked.reason },
        'left a tool with an invalid x-mcp-header out of a list',
      )
      return false
    })
  }
}

/** `subscriptions/listen` (M9): the acknowledgement first, then the opted-in notifications, keepalives between. */
async function listen(
  deps: LegacyDeps,
  res: Responder,
  client: StatelessClient,
  msg: RpcMessage & { id: RpcId; method: string },
  env: Envelope,
  ex: Exchange,
): Promise<void> {
  const requested = (msg.params as { notifications?: unknown } | undefined)?.notifications
  if (requested === null || typeof requested !== 'object' || Array.isArray(requested)) {
    return refuse(
      res,
      { status: 200, code: RpcCodes.INVALID_PARAMS, message: 'Invalid params: notifications must be an object' },
      msg.id,
    )
  }
  const want = requested as Record<string, unknown>
  let described: Awaited<ReturnType<LegacyDeps['relay']['describe']>>
  try {
    described = await deps.relay.describe(client)
  } catch (err) {
    const e = err instanceof UpstreamError ? err : new UpstreamError(RpcCodes.INTERNAL_ERROR, 'internal error')
    return refuse(res, { status: 200, code: e.rpcCode, message: e.message, data: e.data }, msg.id)
  }
  if (res.aborted) return
  const caps = described.capabilities as Record<string, { listChanged?: boolean; subscribe?: boolean } | undefined>
  const filter: ListenFilter = {}
  if (want.toolsListChanged === true && caps.tools?.listChanged) filter.toolsListChanged = true
  if (want.promptsListChanged === true && caps.prompts?.listChanged) filter.promptsListChanged = true
  if (want.resourcesListChanged === true && caps.resources?.listChanged) filter.resourcesListChanged = true
  if (Array.isArray(want.resourceSubscriptions) && caps.resources?.subscribe) {
    filter.resourceSubscriptions = want.resourceSubscriptions
      .filter((u): u is string => typeof u === 'string')
      .slice(0, 1000)
  }
  const listener = client.child(
    { protocolVersion: env.version },
    (i) => new ListenSession(i, msg.id, filter),
  ) as ListenSession
  const channel = new SseChannel(res.stream(200, SSE_HEADERS), deps.ticker)
  listener.channel = channel
  client.listeners.add(listener)
  channel.send(
    JSON.stringify({
      jsonrpc: '2.0',
      method: 'notifications/subscriptions/acknowledged',
      params: { notifications: filter, _meta: { [META.subscriptionId]: msg.id } },
    }),
  )
  channel.stream.onClose(() => listener.close('the client closed its subscription stream'))
  listener.onClose(() => {
    client.listeners.delete(listener)
    client.lastActivity = Date.now()
    if (!channel.closed) channel.end()
  })
  // Upstreams tell the sessions attached to them about changes: attach this client to every server it listens to.
  try {
    await deps.relay.listenUpstream(listener, filter.resourceSubscriptions ?? [], ex)
  } catch (err) {
    deps.logger.warn(
      { err: (err as Error).message, project: client.projectId },
      'a listen stream could not reach every upstream',
    )
  }
}
