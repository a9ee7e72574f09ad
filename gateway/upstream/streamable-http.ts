// Remote Streamable HTTP upstream (2025-03-26+): one POST per message, answered by JSON or an SSE stream, plus the
// optional GET stream for server-initiated messages and a DELETE on close. Session and version headers live here.
import { EventEmitter, setMaxListeners } from 'node:events'
import type { Agent, Dispatcher } from 'undici'
import { request } from 'undici'
import { GatewayError, isGatewayError } from '../errors.ts'
import type { HeaderParam } from '../mcp/modern-wire.ts'
import { modernRequestHeaders } from '../mcp/upstream-era.ts'
import {
  bodySnippet,
  configuredHeaders,
  contentTypeIs,
  createAgent,
  DEFAULT_MAX_MESSAGE_BYTES,
  deliverJson,
  describeError,
  headerValue,
  parseHttpUrl,
  pumpSse,
  readCapped,
  safeUrl,
  sleep,
  stepUp,
  tooLarge,
} from './http-common.ts'
import {
  type BackoffOptions,
  backoffDelay,
  type SendOptions,
  silentLogger,
  type TransportLogger,
  type UpstreamBearerSource,
  type UpstreamTransport,
} from './transport.ts'

export interface StreamableHttpTransportOptions {
  /** The upstream's MCP endpoint, e.g. `http://127.0.0.1:9000/mcp`. */
  url: string
  /** Sent on every request (upstream credentials; never the client's). */
  headers?: Readonly<Record<string, string>>
  /** An OAuth-protected server: the Authorization of each request, and who to tell when the server refuses it. */
  bearer?: UpstreamBearerSource
  /** Bounds TCP connect and the GET stream's response headers. POSTs have no timeout here: the caller's table owns it. */
  connectTimeoutMs?: number
  /** Networks this upstream may not connect into (`upstreams.blockedNetworks`); checked on the connected address. */
  blockedNetworks?: readonly string[]
  /** A JSON reply body or SSE event larger than this is not read (`upstreams.maxMessageBytes`). Default 16 MiB. */
  maxMessageBytes?: number
  /** GET stream reconnects. Defaults 1000 ms, ×1.5, max 30 s (the SDK client's schedule), for as long as we are open. */
  reconnect?: BackoffOptions
  /** The DELETE sent by `close()` gives up after this long. Default 2000. */
  deleteTimeoutMs?: number
  logger?: TransportLogger
  /** Wraps every request (the cluster signs node-to-node requests with it). */
  interceptor?: Dispatcher.DispatcherComposeInterceptor
}

/** Times a POST's response stream is resumed (GET with Last-Event-ID) before its request is failed. */
const MAX_RESUMES = 5
/** The longest `retry:` delay honoured while a request waits for its response. */
const MAX_RESUME_DELAY_MS = 30_000

export class StreamableHttpTransport implements UpstreamTransport {
  readonly kind = 'streamable-http' as const
  onmessage?: (message: string, parsed?: unknown, origin?: string) => void
  onerror?: (err: Error) => void
  onsendfailure?: (message: string, err: Error) => void
  onclose?: (reason?: Error) => void

  private readonly url: string
  private readonly headers: Record<string, string>
  private readonly bearer: UpstreamBearerSource | undefined
  private readonly connectTimeoutMs: number
  private readonly blockedNetworks: readonly string[]
  private readonly maxMessageBytes: number
  private readonly deleteTimeoutMs: number
  private readonly backoff: Required<BackoffOptions>
  private readonly log: TransportLogger
  private readonly closer = new AbortController()
  private base: URL | undefined
  private agent: Agent | undefined
  private dispatcher: Dispatcher | undefined
  private readonly interceptor: Dispatcher.DispatcherComposeInterceptor | undefined
  private state: 'new' | 'open' | 'closed' = 'new'
  private session: string | undefined
  private protocolVersion: string | undefined
  /** Set while this upstream is spoken to in the 2026-07-28 revision: no session, no GET, per-request headers. */
  private modern: { version: string; paramHeaders?: (tool: string) => readonly HeaderParam[] } | null = null
  /** A modern request's POST by JSON-RPC id: its cancel closes the POST (the revision's cancellation). */
  private readonly requestAborts = new Map<number, RequestCancel>()
  private eventStream: Promise<void> | undefined
  private sessionExpired = false
  private closeReported = false
  // Why an unexpected close happened; later sends fail with it so callers see the real cause.
  private closeReason: GatewayError | undefined
  private closePromise: Promise<void> | undefined

  constructor(options: StreamableHttpTransportOptions) {
    this.url = options.url
    this.headers = configuredHeaders(options.headers, options.url)
    this.bearer = options.bearer
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000
    this.blockedNetworks = options.blockedNetworks ?? []
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    this.deleteTimeoutMs = options.deleteTimeoutMs ?? 2000
    const r = options.reconnect ?? {}
    this.backoff = { initialMs: r.initialMs ?? 1000, maxMs: r.maxMs ?? 30_000, factor: r.factor ?? 1.5 }
    this.log = options.logger ?? silentLogger
    this.interceptor = options.interceptor
    // Every in-flight POST listens on the one close signal; a busy upstream (a cluster peer) has hundreds at once.
    setMaxListeners(0, this.closer.signal)
  }

  /** The `Mcp-Session-Id` the upstream assigned (on the initialize response), if any. */
  get sessionId(): string | undefined {
    return this.session
  }

  /** Sent as `MCP-Protocol-Version` on every later request; the caller sets it once initialize has answered. */
  setProtocolVersion(version: string): void {
    this.protocolVersion = version
  }

  setModern(version: string | null, paramHeaders?: (tool: string) => readonly HeaderParam[]): void {
    this.modern = version === null ? null : { version, paramHeaders }
    this.protocolVersion = version ?? undefined
  }

  /** Nothing to connect up front: each message is its own POST. Validates the URL and prepares the agent. */
  async start(): Promise<void> {
    if (this.state !== 'new')
      throw new GatewayError('MCPO_ERR_INTERNAL', 'Streamable HTTP transport can only be started once')
    const base = parseHttpUrl(this.url)
    if (!base) {
      this.state = 'closed'
      throw new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', 'invalid Streamable HTTP upstream URL')
    }
    this.base = base
    this.agent = createAgent(this.connectTimeoutMs, this.blockedNetworks)
    this.dispatcher = this.interceptor ? this.agent.compose(this.interceptor) : this.agent
    this.state = 'open'
  }

  send(message: string, options?: SendOptions): void {
    if (this.state !== 'open') {
      queueMicrotask(() =>
        this.onsendfailure?.(
          message,
          this.closeReason ?? new GatewayError('MCPO_ERR_UPSTREAM_CLOSED', 'Streamable HTTP upstream is closed'),
        ),
      )
      return
    }
    if (this.modern) this.sendModern(message, this.modern, options)
    else void this.post(message, options?.headers)
  }

  private sendModern(
    message: string,
    modern: NonNullable<StreamableHttpTransport['modern']>,
    options: SendOptions | undefined,
  ): void {
    let msg: { id?: unknown; method?: unknown; params?: unknown }
    try {
      msg = JSON.parse(message)
    } catch {
      return
    }
    if (typeof msg.method !== 'string') return
    if (msg.id === undefined) {
      // The revision has no client notifications; a cancel closes the request's response stream instead.
      if (msg.method === 'notifications/cancelled') {
        const requestId = (msg.params as { requestId?: unknown } | undefined)?.requestId
        if (typeof requestId === 'number') this.requestAborts.get(requestId)?.abort()
      }
      return
    }
    const tool = msg.method === 'tools/call' ? (msg.params as { name?: unknown } | undefined)?.name : undefined
    const declared = typeof tool === 'string' ? modern.paramHeaders?.(tool) : undefined
    const own = modernRequestHeaders(modern.version, msg.method, msg.params, declared)
    const headers = options?.headers ? { ...options.headers, ...own } : own
    void this.post(message, headers, typeof msg.id === 'number' ? msg.id : undefined)
  }

  /** Opens the GET stream for server-initiated messages; call once `notifications/initialized` was sent. Idempotent. */
  openEventStream(): void {
    if (this.state !== 'open' || this.eventStream) return
    this.eventStream = this.runEventStream()
  }

  close(): Promise<void> {
    this.closePromise ??= this.shutdown(undefined)
    return this.closePromise
  }

  private requestHeaders(accept: string): Record<string, string> {
    const headers: Record<string, string> = { ...this.headers, accept }
    if (this.bearer) headers.authorization = this.bearer.header()
    if (this.session) headers['mcp-session-id'] = this.session
    if (this.protocolVersion) headers['mcp-protocol-version'] = this.protocolVersion
    return headers
  }

  private async post(message: string, extra?: Readonly<Record<string, string>>, modernId?: number): Promise<void> {
    const base = this.base!
    const headers = { ...extra, ...this.requestHeaders('application/json, text/event-stream') }
    headers['content-type'] = 'application/json'
    const sentSession = this.session
    let cancel: RequestCancel | undefined
    if (modernId !== undefined) {
      cancel = new RequestCancel()
      this.requestAborts.set(modernId, cancel)
    }
    try {
      const res = await request(base, {
        method: 'POST',
        headers,
        body: message,
        // A modern request listens on its own cancel only, which close() fires too (see shutdown).
        signal: cancel ?? this.closer.signal,
        dispatcher: this.dispatcher,
      })
      const assigned = headerValue(res.headers, 'mcp-session-id')
      if (assigned && !this.session) this.session = assigned
      else if (assigned && assigned !== this.session) {
        this.log.warn({ url: safeUrl(base) }, 'upstream sent a different Mcp-Session-Id mid-session; keeping the first')
      }
      const status = res.statusCode
      if (status === 401) this.bearer?.rejected()
      else if (status === 403 && this.bearer) stepUp(this.bearer, headerValue(res.headers, 'www-authenticate'))
      if (status === 404 && sentSession) {
        await res.body.dump()
        if (this.state === 'closed') return
        const gone = sessionExpired()
        this.onsendfailure?.(message, gone)
        this.expire(gone)
        return
      }
      // A modern server answers header, version and method refusals as JSON-RPC errors with a 4xx status.
      if (this.modern && status >= 400 && status < 500 && contentTypeIs(res.headers, 'application/json')) {
        const text = await readCapped(res, 64 * 1024).catch(() => '')
        if (this.state === 'closed') return
        // Only an answer to this very request counts; a 2025-era server's "no session" error names no id.
        if (modernId !== undefined && answersRequest(text, modernId)) {
          deliverJson(text, this.onmessage, this.log, { url: safeUrl(base), status })
          return
        }
        this.log.warn(
          { url: safeUrl(base), status, body: text.slice(0, 200) },
          'Streamable HTTP upstream refused a POST',
        )
        this.onsendfailure?.(
          message,
          new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', `upstream answered HTTP ${status}`, {
            details: { status },
          }),
        )
        return
      }
      if (status < 200 || status >= 300) {
        const snippet = await bodySnippet(res.body)
        if (this.state === 'closed') return
        this.log.warn({ url: safeUrl(base), status, body: snippet }, 'Streamable HTTP upstream refused a POST')
        this.onsendfailure?.(
          message,
          new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', `upstream answered HTTP ${status}`, {
            details: { status },
          }),
        )
        return
      }
      if (status === 202) {
        await res.body.dump()
        return
      }
      if (contentTypeIs(res.headers, 'text/event-stream')) {
        await this.readResponseStream(base, res.body, message)
        return
      }
      const isJson = contentTypeIs(res.headers, 'application/json')
      const text = await readCapped(res, this.maxMessageBytes)
      if (this.state === 'closed' || text.trim() === '') return
      if (!isJson) {
        this.onsendfailure?.(
          message,
          new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', 'upstream answered with an unexpected content type', {
            details: { status, contentType: headerValue(res.headers, 'content-type') },
          }),
        )
        return
      }
      if (deliverJson(text, this.onmessage, this.log, { url: safeUrl(base), status }) === null) {
        this.onsendfailure?.(message, new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', 'upstream sent invalid JSON'))
      }
    } catch (err) {
      if (this.state === 'closed' || cancel?.aborted) return
      if (isGatewayError(err)) {
        this.log.warn({ url: safeUrl(base), err: err.message }, 'Streamable HTTP upstream reply refused')
        this.onsendfailure?.(message, err)
        return
      }
      this.onsendfailure?.(
        message,
        new GatewayError(
          'MCPO_ERR_UPSTREAM_UNAVAILABLE',
          `POST to Streamable HTTP upstream failed: ${describeError(err)}`,
          {
            cause: err,
          },
        ),
      )
    } finally {
      if (modernId !== undefined) this.requestAborts.delete(modernId)
    }
  }

  // A POST's SSE answer: related requests and progress first, then the response, then (usually) the end of stream.
  // A server may close it before the response (SSE polling, 2025-11-25): with an event id to resume from, the rest
  // is fetched with GET and Last-Event-ID after the delay it asked for.
  private async readResponseStream(base: URL, body: Dispatcher.ResponseData['body'], message: string): Promise<void> {
    let responses = 0
    let failure: unknown
    let oversized = false
    let lastEventId: string | undefined
    let retryMs: number | undefined
    let stream = body
    const handlers = {
      maxEventChars: this.maxMessageBytes,
      onevent: (event: { event: string; data: string; id: string | undefined }) => {
        if (event.id !== undefined) lastEventId = event.id
        if (event.event === 'message') {
          responses += deliverJson(event.data, this.onmessage, this.log, { url: safeUrl(base) }, message) ?? 0
        }
      },
      onretry: (ms: number) => {
        retryMs = ms
      },
      // This stream exists for one request: an event past the cap is most likely its answer, so stop reading now
      // and fail it, instead of letting it wait for a timeout.
      onoversize: (chars: number) => {
        this.log.warn({ url: safeUrl(base), chars }, 'upstream SSE event too large; stream dropped')
        oversized = true
        stream.destroy()
      },
    }
    try {
      await pumpSse(stream, handlers)
    } catch (err) {
      failure = err
    }
    // A 2026-07-28 server has no GET to resume from: its stream ends with its request.
    for (let attempt = 1; responses === 0 && !oversized && lastEventId !== undefined && !this.modern; attempt++) {
      if (this.state !== 'open' || attempt > MAX_RESUMES) break
      const delay = Math.min(retryMs ?? backoffDelay(attempt, this.backoff), MAX_RESUME_DELAY_MS)
      retryMs = undefined
      if (!(await sleep(delay, this.closer.signal))) return
      try {
        const res = await this.openGet(base, lastEventId)
        if (res.statusCode !== 200 || !contentTypeIs(res.headers, 'text/event-stream')) {
          await res.body.dump()
          failure = new Error(`resuming the response stream answered HTTP ${res.statusCode}`)
          break
        }
        stream = res.body
        await pumpSse(stream, handlers)
      } catch (err) {
        failure = err
      }
    }
    if (this.state === 'closed' || responses > 0) return
    if (oversized) return this.onsendfailure?.(message, tooLarge(this.maxMessageBytes))
    this.onsendfailure?.(
      message,
      new GatewayError('MCPO_ERR_UPSTREAM_CLOSED', 'upstream response stream ended before the response', {
        cause: failure,
      }),
    )
  }

  /** A GET for an SSE stream: the session's own, or (with an event id) the rest of a stream the server broke off. */
  private openGet(base: URL, lastEventId: string | undefined): Promise<Dispatcher.ResponseData> {
    const headers = this.requestHeaders('text/event-stream')
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId
    return request(base, {
      method: 'GET',
      headers,
      signal: this.closer.signal,
      dispatcher: this.dispatcher,
      headersTimeout: this.connectTimeoutMs,
    })
  }

  private async runEventStream(): Promise<void> {
    const base = this.base!
    let attempt = 0
    let lastEventId: string | undefined
    let retryMs: number | undefined
    while (this.state === 'open') {
      try {
        const res = await this.openGet(base, lastEventId)
        if (res.statusCode === 405) {
          await res.body.dump()
          this.log.debug({ url: safeUrl(base) }, 'upstream offers no GET stream (405)')
          return
        }
        if (res.statusCode === 404 && this.session) {
          await res.body.dump()
          this.expire(sessionExpired())
          return
        }
        if (res.statusCode !== 200 || !contentTypeIs(res.headers, 'text/event-stream')) {
          const snippet = await bodySnippet(res.body)
          throw new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', `GET stream answered HTTP ${res.statusCode}`, {
            details: { status: res.statusCode, body: snippet },
          })
        }
        attempt = 0
        await pumpSse(res.body, {
          maxEventChars: this.maxMessageBytes,
          onevent: (event) => {
            lastEventId = event.id
            if (event.event === 'message') deliverJson(event.data, this.onmessage, this.log, { url: safeUrl(base) })
          },
          onretry: (ms) => {
            retryMs = ms
          },
          onoversize: (chars) => this.log.warn({ url: safeUrl(base), chars }, 'upstream SSE event too large; dropped'),
        })
        this.log.debug({ url: safeUrl(base) }, 'upstream ended the GET stream; reconnecting')
      } catch (err) {
        if (this.state !== 'open') return
        this.log.warn({ url: safeUrl(base), err: describeError(err) }, 'upstream GET stream failed; reconnecting')
      }
      attempt++
      const delay = retryMs ?? backoffDelay(attempt, this.backoff)
      retryMs = undefined
      if (!(await sleep(delay, this.closer.signal))) return
    }
  }

  // 404 on a session: the upstream forgot us; the caller re-initializes on a new transport (protocol.md §4.8).
  private expire(reason: GatewayError): void {
    if (this.state === 'closed') return
    this.sessionExpired = true
    this.log.warn({ url: this.base ? safeUrl(this.base) : undefined }, 'upstream session expired')
    this.closePromise ??= this.shutdown(reason)
  }

  private async shutdown(reason: GatewayError | undefined): Promise<void> {
    this.closeReason = reason
    const wasOpen = this.state === 'open'
    this.state = 'closed'
    this.closer.abort()
    for (const cancel of this.requestAborts.values()) cancel.abort()
    this.requestAborts.clear()
    if (wasOpen && this.session && !this.sessionExpired) await this.deleteSession(this.base!, this.session)
    const agent = this.agent
    this.agent = undefined
    this.dispatcher = undefined
    if (agent) await agent.destroy().catch((err: unknown) => this.log.debug({ err }, 'agent destroy failed'))
    if (this.closeReported) return
    this.closeReported = true
    this.onclose?.(reason)
  }

  private async deleteSession(base: URL, session: string): Promise<void> {
    const headers: Record<string, string> = { ...this.headers, 'mcp-session-id': session }
    if (this.protocolVersion) headers['mcp-protocol-version'] = this.protocolVersion
    try {
      const res = await request(base, {
        method: 'DELETE',
        headers,
        signal: AbortSignal.timeout(this.deleteTimeoutMs),
        dispatcher: this.dispatcher,
      })
      await res.body.dump()
      // 404 (already gone) and 405 (the server does not let clients end sessions) are both fine.
      if (res.statusCode >= 300 && res.statusCode !== 404 && res.statusCode !== 405) {
        this.log.debug({ url: safeUrl(base), status: res.statusCode }, 'upstream refused the session DELETE')
      }
    } catch (err) {
      this.log.debug({ url: safeUrl(base), err: describeError(err) }, 'session DELETE failed')
    }
  }
}

/**
 * The cancel of one modern POST, as the EventEmitter signal undici accepts. Node 20 spends about 11 µs on an
 * AbortController and its listener (and AbortSignal.any over close()'s signal twice that, plus the weak references it
 * leaves on that long-lived signal); this costs 0.2 µs, on every modern call.
 */
class RequestCancel extends EventEmitter {
  aborted = false

  abort(): void {
    if (this.aborted) return
    this.aborted = true
    this.emit('abort')
  }
}

function sessionExpired(): GatewayError {
  return new GatewayError('MCPO_ERR_UPSTREAM_CLOSED', 'upstream session expired', { details: { status: 404 } })
}

/** The body is a JSON-RPC response to request `id`. */
function answersRequest(text: string, id: number): boolean {
  try {
    const v = JSON.parse(text) as { id?: unknown; result?: unknown; error?: unknown }
    return v !== null && typeof v === 'object' && v.id === id && (v.error !== undefined || v.result !== undefined)
  } catch {
    return false
  }
}
