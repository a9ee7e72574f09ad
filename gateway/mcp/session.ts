// A downstream session: one MCP client connection (a legacy SSE stream and its POSTs, or a Streamable HTTP session).
import type { RpcId, RpcMessage } from './json-rpc.ts'
import type { SseChannel } from './sse.ts'

/** Where the messages that belong to one client request go: progress, server→client requests, the response. */
export interface ClientSink {
  /** A message related to the request, sent before its response. */
  send(json: string): void
  /**
   * The response; a Streamable POST stream ends after it. `parsed` is the message when whoever built the text already
   * had it parsed (the upstream connection does), so observers need not parse it again.
   */
  respond(json: string, parsed?: Pick<RpcMessage, 'error' | 'result'>): void
  readonly closed: boolean
  /**
   * A server→client request (sampling, elicitation, roots) the upstream sent while serving this request: sent on this
   * request's own stream. False when this answer cannot carry one (a JSON answer, a closed stream).
   */
  request?(json: string): boolean
  /** The client cancelled the request (or went away): no response will come. Observers record the outcome. */
  cancelled?(reason: string): void
}

/** What a session remembers about one request it forwarded, so a cancel or a disconnect can reach upstream. */
export interface InflightRequest {
  cancel(reason: string): void
  /** Answers the client with this JSON-RPC error and cancels the request upstream (the gateway gives up on it). */
  abort(code: number, message: string): void
}

/** `stateless`: the requests of one 2026-07-28 client (no session on the wire; see modern.ts). */
export type Transport = 'legacy' | 'streamable' | 'stateless'

export interface SessionInit {
  id: string
  projectId: string
  /** null for the unified project endpoint. */
  serverName: string | null
  /** The key (or user) that opened the session; every later request must come from the same one. */
  principalId: string
  /** `api-key` or `user`: with the id, what a revocation is matched against. */
  principalKind?: string
  transport: Transport
  protocolVersion: string
  now: number
  /** Requests this session may have waiting on upstreams at once; more get -32015 (one client cannot hog a server). */
  maxInflight?: number
  /**
   * The session whose upstream connections, subscriptions and client-session row this one uses. A 2026-07-28 request
   * lives for one exchange; what outlives it (a per-session upstream, the activity row) belongs to its owner.
   */
  owner?: Session | null
}

export class Session {
  readonly id: string
  readonly projectId: string
  readonly serverName: string | null
  readonly principalId: string
  readonly principalKind: string
  readonly transport: Transport
  /** Where upstream connections are acquired and client activity counted: the owner, or this session itself. */
  readonly upstream: Session
  protocolVersion: string
  initialized = false
  clientCapabilities: Record<string, unknown> = {}
  clientInfo: { name?: string; version?: string } | null = null
  lastActivity: number
  /** The legacy stream, or the Streamable GET stream: where messages unrelated to a request go. */
  channel: SseChannel | null = null
  readonly inflight = new Map<string, InflightRequest>()
  readonly maxInflight: number
  /** Server→client requests waiting for this client's answer, by the id the client saw. */
  readonly serverRequests = new Map<string, (response: { id: RpcId; raw: string; msg: unknown }) => void>()
  logLevel: string | null = null
  closed = false
  private closeHandlers: (() => void)[] = []
  /** Coalesces list_changed bursts into one notification per method. */
  private pendingNotices: Set<string> | null = null

  constructor(init: SessionInit) {
    this.id = init.id
    this.projectId = init.projectId
    this.serverName = init.serverName
    this.principalId = init.principalId
    this.principalKind = init.principalKind ?? 'api-key'
    this.transport = init.transport
    this.protocolVersion = init.protocolVersion
    this.lastActivity = init.now
    this.maxInflight = init.maxInflight ?? Number.POSITIVE_INFINITY
    this.upstream = init.owner ?? this
  }

  /**
   * Sends a message that belongs to no request; false when there is no open stream to put it on (it is dropped). A
   * slow client's stream buffers what it cannot take yet: that counts as sent.
   */
  notify(json: string): boolean {
    if (this.closed || this.channel === null || this.channel.closed) return false
    this.channel.send(json)
    return !this.channel.closed
  }

  /** Queues a `list_changed` notice; bursts within one tick become one message. */
  noticeListChanged(method: string): void {
    // Before `initialize` the server may send only pings and logs (protocol.md §1); the client lists afterwards anyway.
    if (this.closed || !this.initialized) return
    if (this.pendingNotices === null) {
      this.pendingNotices = new Set()
      setTimeout(() => {
        const methods = this.pendingNotices
        this.pendingNotices = null
        if (methods) for (const m of methods) this.notify(`{"jsonrpc":"2.0","method":"${m}"}`)
      }, 20).unref()
    }
    this.pendingNotices.add(method)
  }

  /** Requests in flight or a stream open: an idle reaper must leave the session alone. */
  busy(): boolean {
    return this.inflight.size > 0 || (this.channel !== null && !this.channel.closed)
  }

  onClose(cb: () => void): void {
    if (this.closed) cb()
    else this.closeHandlers.push(cb)
  }

  /**
   * Ends the session after answering each request still in flight with a JSON-RPC error, so that no client waits for
   * an answer that cannot come (a draining gateway); then like `close`.
   */
  drain(code: number, message: string): void {
    if (this.closed) return
    for (const req of [...this.inflight.values()]) req.abort(code, message)
    this.inflight.clear()
    this.close(message)
  }

  /** Ends the session: in-flight requests are cancelled upstream and late answers dropped. */
  close(reason: string): void {
    if (this.closed) return
    this.closed = true
    for (const req of this.inflight.values()) req.cancel(reason)
    this.inflight.clear()
    this.serverRequests.clear()
    if (this.channel && !this.channel.closed) this.channel.end()
    const handlers = this.closeHandlers
    this.closeHandlers = []
    for (const h of handlers) h()
  }
}
