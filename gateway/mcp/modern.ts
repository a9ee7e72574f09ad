// MCP 2026-07-28 toward clients (protocol.md §11): one POST is one request, with no session on the wire. Each request
// runs as a short-lived Session owned by a `StatelessClient` (one per endpoint, principal and declared capabilities),
// which holds what outlives a request: per-session upstream connections, the client-session row, list-change
// listeners. Authentication, policies, rate limits, tool-call records and audit run per request through the same
// relay and pipeline as 2025-era calls.
import { createHash } from 'node:crypto'
import type { Exchange, Logger } from '../../plugins/contract.ts'
import type { IncomingRequest, Responder } from '../http.ts'
import { JSON_HEADERS } from '../http.ts'
import { GATEWAY_VERSION } from '../version.ts'
import { UpstreamError } from './connection.ts'
import type { Guarded } from './guard.ts'
import { classify, errorMessage, RpcCodes, type RpcId, type RpcMessage, replaceTopLevelId } from './json-rpc.ts'
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
  ModernCodes,
  metaOf,
  modernResult,
  type Refusal,
  readEnvelope,
  type ServerIdentity,
  withoutEnvelope,
} from './modern-wire.ts'
import { RequestStates, requestDigest } from './request-state.ts'
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

/**
 * Listen streams one stateless client may hold, and resource URIs one stream may watch: each URI costs an authorization
 * check and possibly an upstream subscription, so a client cannot make mcpo flood its upstreams.
 */
const MAX_LISTENERS = 16
const MAX_LISTEN_URIS = 100

/** How long a modern client may keep a list or a read: mcpo promises nothing beyond the answer itself. */
const CACHE = { ttlMs: 0 }

/**
 * A 2026-07-28 client as mcpo knows it: no session on the wire, but one endpoint, principal and capability set. Its
 * requests and `subscriptions/listen` streams are its children; messages an upstream sends to "the session" reach
 * them here: log messages go to the requests that asked for that level, list changes and resource updates to the
 * listeners that opted in.
 */
export class StatelessClient extends Session {
  readonly requests = new Map<Session, ModernAnswer>()
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
    if (method === undefined) return false
    if (msg.id !== undefined) return this.ask(String(msg.id), method, msg.params)
    let delivered = false
    if (method === 'notifications/message') {
      const level = LOG_LEVELS.indexOf(String((msg.params as { level?: unknown } | undefined)?.level ?? ''))
      for (const r of this.requests.keys()) {
        const wanted = r.logLevel === null ? -1 : LOG_LEVELS.indexOf(r.logLevel)
        if (wanted !== -1 && level >= wanted && r.notify(json)) delivered = true
      }
      return delivered
    }
    for (const l of this.listeners) if (l.deliver(method, msg)) delivered = true
    return delivered
  }

  /**
   * A server→client request that reached the client rather than the call that caused it (the upstream connection
   * could not tell which call that was): it belongs to this client's one call in flight. With several there is no
   * telling, so the upstream is refused (and told at once).
   */
  private ask(key: string, method: string, params: unknown): boolean {
    let only: ModernAnswer | null = null
    for (const answer of this.requests.values()) {
      if (answer.closed) continue
      if (only !== null) return false
      only = answer
    }
    return only?.ask(key, method, params) === true
  }

  override busy(): boolean {
    return this.requests.size > 0 || this.listeners.size > 0
  }

  override drain(code: number, message: string): void {
    for (const r of [...this.requests.keys()]) r.drain(code, message)
    super.drain(code, message)
  }

  override close(reason: string): void {
    if (this.closed) return
    for (const r of [...this.requests.keys()]) r.close(reason)
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
  /** Calls waiting for a client's retry after `input_required`, by the id in their `requestState`. */
  readonly parked = new Map<string, ModernAnswer>()
  readonly states: RequestStates

  constructor(
    private readonly deps: Pick<LegacyDeps, 'sessions'>,
    private readonly log: Logger,
    opts: { stateKey: Uint8Array; nodeId: string },
  ) {
    this.states = new RequestStates(opts.stateKey)
    this.nodeId = opts.nodeId
  }

  readonly nodeId: string

  /** Throws a limit error (-32015) when the key, the project or the node has no session left. */
  of(params: Record<string, string>, g: Guarded, env: Envelope): StatelessClient {
    const serverName = params.serverName ?? null
    // Capabilities can be large and are client-chosen: the key holds a digest of them, not the text.
    const caps = createHash('sha256').update(JSON.stringify(env.clientCapabilities)).digest('base64url')
    const key = `${params.projectId}\0${serverName ?? ''}\0${g.principal.kind}\0${g.principal.id}\0${caps}`
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

/** A response a modern answer is written to: the first request's, or a retry's after `input_required`. */
interface Attachment {
  res: Responder
  channel: SseChannel | null
  id: RpcId
}

/** Methods whose results may be `input_required` (multi round-trip requests). */
const MRTR_METHODS: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read'])
/** The client capability each server→client request needs. */
const NEEDS: Readonly<Record<string, string>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
}
/** Rounds of `input_required` one call may take before mcpo gives up on it. */
const MAX_ROUNDS = 10
/** How long a parked call waits for its retry (the upstream's own timeout may end it sooner). */
const PARK_MS = 10 * 60_000

function attach(deps: LegacyDeps, res: Responder, params: unknown, logLevel: string | null, id: RpcId): Attachment {
  const streams = logLevel !== null || metaOf(params)?.progressToken !== undefined
  const channel = streams && !res.aborted ? new SseChannel(res.stream(200, SSE_HEADERS), deps.ticker) : null
  // Headers go out with the first bytes: a comment now lets the client see the stream (and close it to cancel)
  // before the upstream says anything.
  channel?.raw(': stream open\n\n')
  return { res, channel, id }
}

/** One request relayed upstream; its answer dressed for a modern client, as JSON or, when it may stream, as SSE. */
async function call(
  deps: LegacyDeps,
  res: Responder,
  client: StatelessClient,
  msg: RpcMessage & { id: RpcId; method: string },
  env: Envelope,
  g: Guarded,
  /** Set when a sealed upstream state was just opened: the request carries the upstream's own, for the upstream. */
  unsealed = false,
): Promise<void> {
  const state = (msg.params as { requestState?: unknown } | undefined)?.requestState
  if (state !== undefined && MRTR_METHODS.has(msg.method) && !unsealed) {
    return resume(deps, res, client, msg, env, g, state)
  }
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
  const described = await deps.relay.describe(client).catch(() => null)
  const serverInfo = described?.serverInfo ?? { name: 'mcpo', version: GATEWAY_VERSION }
  const to = attach(deps, res, msg.params, env.logLevel, msg.id)
  const sink = new ModernAnswer(deps, session, client, msg.method, msg.params, serverInfo, g)
  client.requests.set(session, sink)
  sink.attach(to)
  const upstreamParams = withoutEnvelope(msg.params)
  const forwarded = { ...msg, params: upstreamParams }
  if (upstreamParams === undefined) delete forwarded.params
  await deps.relay.request(session, forwarded, JSON.stringify(forwarded), sink, g.ex)
}

/**
 * A retry carrying `requestState`: mcpo's own resumes the parked call it names, with the client's answers (M11); a
 * sealed upstream state goes on to the upstream as it gave it, from this node, with the client's answers as they are.
 */
async function resume(
  deps: LegacyDeps,
  res: Responder,
  client: StatelessClient,
  msg: RpcMessage & { id: RpcId; method: string },
  env: Envelope,
  g: Guarded,
  token: unknown,
): Promise<void> {
  const invalid = (why: string) =>
    res.send(200, JSON_HEADERS, errorMessage(msg.id, RpcCodes.INVALID_PARAMS, `Invalid params: ${why}`))
  const claims = deps.stateless.states.open(token)
  if (typeof claims === 'string') return invalid(claims)
  if (claims.sub !== `${g.principal.kind}:${g.principal.id}`) return invalid('requestState belongs to another client')
  if (claims.req !== requestDigest(msg.method, msg.params)) {
    return invalid('requestState was issued for a different request')
  }
  if (claims.up !== undefined) {
    const params = { ...(msg.params as Record<string, unknown>), requestState: claims.up }
    return call(deps, res, client, { ...msg, params }, env, g, true)
  }
  const parked = claims.id === undefined ? undefined : deps.stateless.parked.get(claims.id)
  if (!parked || parked.principal !== claims.sub) {
    return invalid('requestState names a call that is no longer waiting (answered, cancelled or timed out)')
  }
  const responses = (msg.params as { inputResponses?: unknown }).inputResponses
  parked.resumeWith(attach(deps, res, msg.params, env.logLevel, msg.id), responses)
}

/** The answer to one modern request, possibly over several responses when the upstream asks the client for input. */
export class ModernAnswer implements ClientSink {
  private done = false
  private to: Attachment | null = null
  private rounds = 0
  /** Server→client requests waiting for the client's retry, by the key the client answers them under. */
  private readonly asked = new Map<string, { method: string; params: unknown }>()
  private flushTimer: NodeJS.Timeout | null = null
  private parkTimer: NodeJS.Timeout | null = null
  private parkedAs: string | null = null
  readonly principal: string

  constructor(
    private readonly deps: LegacyDeps,
    private readonly session: Session,
    private readonly client: StatelessClient,
    private readonly method: string,
    private readonly params: Record<string, unknown> | undefined,
    private readonly serverInfo: ServerIdentity,
    g: Guarded,
  ) {
    this.principal = `${g.principal.kind}:${g.principal.id}`
  }

  /** Writes from now on go to this response; the client closing it before the answer is the cancel (M8). */
  attach(to: Attachment): void {
    this.to = to
    // Log messages for this request reach it through its session (StatelessClient.notify).
    this.session.channel = to.channel
    const left = () => {
      if (this.to === to) this.clientLeft()
    }
    if (to.channel) to.channel.stream.onClose(left)
    else to.res.onAbort(left)
  }

  send(json: string): void {
    const ch = this.to?.channel
    if (ch && !ch.closed) ch.send(json)
  }

  /** A modern client is never sent a request on its stream: it gets `input_required` instead (M11). */
  request(json: string): boolean {
    let msg: RpcMessage
    try {
      msg = JSON.parse(json) as RpcMessage
    } catch {
      return false
    }
    return msg.id !== undefined && typeof msg.method === 'string' && this.ask(String(msg.id), msg.method, msg.params)
  }

  respond(json: string, parsed?: Pick<RpcMessage, 'error' | 'result'>): void {
    if (this.done) return
    if (this.to !== null) this.write(this.encode(json, parsed), statusOf(json, parsed))
    this.finish('answered')
  }

  cancelled(): void {
    this.finish('cancelled')
  }

  /** The response stream closed before the answer: stop the work upstream, write nothing more. */
  clientLeft(): void {
    if (this.done || this.to === null) return
    this.to = null
    this.session.close('the client closed the response stream')
    this.finish('cancelled')
  }

  get closed(): boolean {
    const to = this.to
    if (to === null) return this.parkedAs === null
    return to.channel ? to.channel.closed : to.res.aborted
  }

  /**
   * An upstream asks this request's client for input (sampling, elicitation, roots). A modern client cannot be asked
   * mid-call: it gets `input_required` and retries with the answers. False when the client did not declare the
   * capability, or the call took too many rounds: the upstream is refused at once.
   */
  ask(key: string, method: string, params: unknown): boolean {
    const needs = NEEDS[method]
    if (this.done || this.to === null || needs === undefined) return false
    if (!MRTR_METHODS.has(this.method) || this.session.clientCapabilities[needs] === undefined) return false
    if (this.asked.size === 0 && this.rounds >= MAX_ROUNDS) return false
    this.asked.set(key, { method, params })
    // Requests an upstream sends together go to the client in one round.
    this.flushTimer ??= setTimeout(() => this.park(), 5)
    return true
  }

  private park(): void {
    this.flushTimer = null
    if (this.done || this.to === null) return
    this.rounds++
    const id = `${this.session.id}.${this.rounds}`
    const requestState = this.deps.stateless.states.mint({
      id,
      node: this.deps.stateless.nodeId,
      sub: this.principal,
      exp: Date.now() + PARK_MS,
      req: requestDigest(this.method, this.params),
    })
    const inputRequests: Record<string, unknown> = {}
    for (const [k, v] of this.asked) inputRequests[k] = v.params === undefined ? { method: v.method } : v
    const result = modernResult(
      this.method,
      { resultType: 'input_required', inputRequests, requestState },
      this.serverInfo,
      CACHE,
    )
    this.write(JSON.stringify({ jsonrpc: '2.0', id: this.to.id, result }))
    this.to = null
    this.parkedAs = id
    this.deps.stateless.parked.set(id, this)
    this.parkTimer = setTimeout(() => {
      this.session.close('the client did not retry with its input in time')
      this.finish('cancelled')
    }, PARK_MS)
    this.parkTimer.unref()
  }

  /** The retry: the client's answers go upstream, and the rest of the call is written to the retry's response. */
  resumeWith(to: Attachment, responses: unknown): void {
    if (this.parkedAs !== null) this.deps.stateless.parked.delete(this.parkedAs)
    this.parkedAs = null
    if (this.parkTimer) clearTimeout(this.parkTimer)
    this.parkTimer = null
    this.attach(to)
    const given = responses !== null && typeof responses === 'object' ? (responses as Record<string, unknown>) : {}
    const asked = [...this.asked.keys()]
    this.asked.clear()
    for (const key of asked) {
      const handler = this.client.serverRequests.get(key)
      if (!handler) continue
      this.client.serverRequests.delete(key)
      const answer = given[key]
      const raw =
        answer !== null && typeof answer === 'object'
          ? JSON.stringify({ jsonrpc: '2.0', id: key, result: answer })
          : errorMessage(key, RpcCodes.INVALID_PARAMS, 'the client sent no answer to this request')
      handler({ id: key, raw, msg: JSON.parse(raw) })
    }
  }

  private write(text: string, status = 200): void {
    const to = this.to
    if (to === null) return
    if (to.channel) {
      if (!to.channel.closed) {
        to.channel.send(text)
        to.channel.end()
      }
    } else if (!to.res.aborted) to.res.send(status, JSON_HEADERS, text)
  }

  private finish(reason: string): void {
    if (this.done) return
    this.done = true
    this.to = null
    if (this.flushTimer) clearTimeout(this.flushTimer)
    if (this.parkTimer) clearTimeout(this.parkTimer)
    if (this.parkedAs !== null) this.deps.stateless.parked.delete(this.parkedAs)
    this.parkedAs = null
    for (const key of this.asked.keys()) this.client.serverRequests.delete(key)
    this.client.requests.delete(this.session)
    this.client.lastActivity = Date.now()
    this.session.close(reason)
  }

  private encode(json: string, parsed: Pick<RpcMessage, 'error' | 'result'> | undefined): string {
    const id = this.to?.id ?? null
    let msg = parsed
    if (msg === undefined) {
      try {
        msg = JSON.parse(json) as Pick<RpcMessage, 'error' | 'result'>
      } catch {
        return json
      }
    }
    if (msg.error !== undefined || msg.result === null || typeof msg.result !== 'object') {
      return replaceTopLevelId(json, JSON.stringify(id)) ?? json
    }
    let result = msg.result as Record<string, unknown>
    if (this.method === 'tools/list' && Array.isArray(result.tools))
      result = { ...result, tools: this.callable(result.tools) }
    if (result.resultType === 'input_required' && typeof result.requestState === 'string') {
      result = { ...result, requestState: this.seal(result.requestState) }
    }
    const dressed = modernResult(this.method, result, this.serverInfo, CACHE)
    return JSON.stringify({ jsonrpc: '2.0', id, result: dressed })
  }

  /**
   * A 2026-07-28 upstream's `input_required` reaches this client as the upstream wrote it, but its state goes sealed:
   * the upstream sees one client (mcpo) however many principals call it, so only mcpo can hold a retry to the
   * principal and the request the state was given for.
   */
  private seal(upstreamState: string): string {
    return this.deps.stateless.states.mint({
      up: upstreamState,
      sub: this.principal,
      exp: Date.now() + PARK_MS,
      req: requestDigest(this.method, this.params),
    })
  }

  /** Tools whose `x-mcp-header` declarations are invalid cannot be called correctly by a modern client: left out. */
  private callable(tools: unknown[]): unknown[] {
    return tools.filter((t) => {
      const checked = headerParams((t as { inputSchema?: unknown })?.inputSchema)
      if (checked.ok) return true
      this.deps.logger.warn(
        { tool: (t as { name?: unknown }).name, reason: checked.reason },
        'left a tool with an invalid x-mcp-header out of a list',
      )
      return false
    })
  }
}

/** The revision's own refusals travel with HTTP 400, from the upstream through mcpo as from mcpo itself. */
const BAD_REQUEST_CODES: ReadonlySet<number> = new Set([
  ModernCodes.HEADER_MISMATCH,
  ModernCodes.MISSING_CLIENT_CAPABILITY,
  ModernCodes.UNSUPPORTED_VERSION,
])

function statusOf(json: string, parsed: Pick<RpcMessage, 'error'> | undefined): number {
  let code = parsed?.error?.code
  if (parsed === undefined && json.includes('"error"')) {
    try {
      code = (JSON.parse(json) as Pick<RpcMessage, 'error'>).error?.code
    } catch {
      return 200
    }
  }
  return code !== undefined && BAD_REQUEST_CODES.has(code) ? 400 : 200
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
  if (client.listeners.size >= MAX_LISTENERS) {
    return refuse(
      res,
      {
        status: 429,
        code: RpcCodes.LIMIT_REACHED,
        message: `Too many subscriptions/listen streams: this client already holds ${client.listeners.size}`,
        data: { retryAfterMs: 1000 },
      },
      msg.id,
    )
  }
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
      .slice(0, MAX_LISTEN_URIS)
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
