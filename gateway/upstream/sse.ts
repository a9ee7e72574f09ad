// Remote legacy HTTP+SSE upstream (2024-11-05 transport): one GET event stream in, one POST per message out.
// A dropped stream ends the transport: a new SSE connection is a new server session, so the caller must re-initialize.
import type { Agent, Dispatcher } from 'undici'
import { request } from 'undici'
import { GatewayError } from '../errors.ts'
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

export interface SseTransportOptions {
  /** The upstream's SSE URL, e.g. `http://127.0.0.1:9000/sse`. */
  url: string
  /** Sent on the GET and on every POST (upstream credentials; never the client's). */
  headers?: Readonly<Record<string, string>>
  /** An OAuth-protected server: the Authorization of each request, and who to tell when the server refuses it. */
  bearer?: UpstreamBearerSource
  /** Bounds TCP connect, the GET's response headers and the wait for the `endpoint` event. Default 10000. */
  connectTimeoutMs?: number
  /** Networks this upstream may not connect into (`upstreams.blockedNetworks`); checked on the connected address. */
  blockedNetworks?: readonly string[]
  /** Bounds a POST until its (202) answer; the reply itself travels on the stream. Default 30000. */
  postTimeoutMs?: number
  /** An SSE event larger than this ends the connection (`upstreams.maxMessageBytes`). Default 16 MiB. */
  maxMessageBytes?: number
  /** Retries of the initial connect inside `start()` only. Defaults 500 ms, ×2, max 30 s, 5 attempts in all. */
  reconnect?: BackoffOptions & { maxAttempts?: number }
  logger?: TransportLogger
}

// A start() failure that another attempt cannot fix (a 4xx, a foreign endpoint origin).
class FinalStartError extends Error {
  readonly error: GatewayError
  constructor(error: GatewayError) {
    super(error.message)
    this.error = error
  }
}

export class SseTransport implements UpstreamTransport {
  readonly kind = 'sse' as const
  onmessage?: (message: string, parsed?: unknown, origin?: string) => void
  onerror?: (err: Error) => void
  onsendfailure?: (message: string, err: Error) => void
  onclose?: (reason?: Error) => void

  private readonly url: string
  private readonly headers: Record<string, string>
  private readonly bearer: UpstreamBearerSource | undefined
  private readonly connectTimeoutMs: number
  private readonly blockedNetworks: readonly string[]
  private readonly postTimeoutMs: number
  private readonly maxMessageBytes: number
  private readonly backoff: Required<BackoffOptions>
  private readonly maxAttempts: number
  private readonly log: TransportLogger
  private readonly closer = new AbortController()
  private agent: Agent | undefined
  private state: 'new' | 'connecting' | 'open' | 'closed' = 'new'
  private endpointUrl: URL | undefined
  private protocolVersion: string | undefined
  private closeReported = false
  // Why an unexpected close happened; later sends fail with it so callers see the real cause.
  private closeReason: GatewayError | undefined
  private closePromise: Promise<void> | undefined

  constructor(options: SseTransportOptions) {
    this.url = options.url
    this.headers = configuredHeaders(options.headers, options.url)
    this.bearer = options.bearer
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000
    this.blockedNetworks = options.blockedNetworks ?? []
    this.postTimeoutMs = options.postTimeoutMs ?? 30_000
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    const r = options.reconnect ?? {}
    this.backoff = { initialMs: r.initialMs ?? 500, maxMs: r.maxMs ?? 30_000, factor: r.factor ?? 2 }
    this.maxAttempts = Math.max(1, r.maxAttempts ?? 5)
    this.log = options.logger ?? silentLogger
  }

  /** Where POSTs go, once the `endpoint` event arrived. */
  get endpoint(): string | undefined {
    return this.endpointUrl?.href
  }

  /** Sent as `MCP-Protocol-Version` on every later POST (the SDK client does the same on legacy SSE). */
  setProtocolVersion(version: string): void {
    this.protocolVersion = version
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new GatewayError('MCPO_ERR_INTERNAL', 'SSE transport can only be started once')
    const base = parseHttpUrl(this.url)
    if (!base) {
      this.state = 'closed'
      throw new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', 'invalid SSE upstream URL', {
        details: { url: 'invalid' },
      })
    }
    this.state = 'connecting'
    this.agent = createAgent(this.connectTimeoutMs, this.blockedNetworks)
    let lastError: unknown
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      try {
        await this.connect(base)
        return
      } catch (err) {
        if (this.closer.signal.aborted) {
          throw new GatewayError('MCPO_ERR_UPSTREAM_CLOSED', 'transport closed while starting')
        }
        if (err instanceof FinalStartError) {
          this.state = 'closed'
          await this.abandon()
          throw err.error
        }
        lastError = err
        if (attempt === this.maxAttempts) break
        const delay = backoffDelay(attempt, this.backoff)
        this.log.info(
          { url: safeUrl(base), attempt, delay, err: describeError(err) },
          'SSE upstream connect failed; retrying',
        )
        if (!(await sleep(delay, this.closer.signal))) {
          throw new GatewayError('MCPO_ERR_UPSTREAM_CLOSED', 'transport closed while starting')
        }
      }
    }
    this.state = 'closed'
    await this.abandon()
    throw new GatewayError(
      'MCPO_ERR_UPSTREAM_UNAVAILABLE',
      `cannot connect to SSE upstream ${safeUrl(base)} after ${this.maxAttempts} attempts: ${describeError(lastError)}`,
      { cause: lastError, details: lastError instanceof GatewayError ? lastError.details : undefined },
    )
  }

  send(message: string, options?: SendOptions): void {
    const endpoint = this.endpointUrl
    if (this.state !== 'open' || !endpoint) {
      queueMicrotask(() =>
        this.onsendfailure?.(
          message,
          this.closeReason ?? new GatewayError('MCPO_ERR_UPSTREAM_CLOSED', 'SSE upstream is not connected'),
        ),
      )
      return
    }
    void this.post(endpoint, message, options?.headers)
  }

  /** The configured headers, with the current OAuth token when the server takes one. */
  private authorized(): Record<string, string> {
    return this.bearer ? { ...this.headers, authorization: this.bearer.header() } : this.headers
  }

  close(): Promise<void> {
    this.closePromise ??= this.shutdown(undefined)
    return this.closePromise
  }

  // One GET: resolves once the endpoint event arrived; the body keeps being read in the background.
  private async connect(base: URL): Promise<void> {
    const attempt = new AbortController()
    const timer = setTimeout(
      () =>
        attempt.abort(
          new GatewayError('MCPO_ERR_UPSTREAM_TIMEOUT', `no endpoint event within ${this.connectTimeoutMs} ms`),
        ),
      this.connectTimeoutMs,
    )
    const signal = AbortSignal.any([this.closer.signal, attempt.signal])
    try {
      const res = await request(base, {
        method: 'GET',
        headers: { ...this.authorized(), accept: 'text/event-stream', 'cache-control': 'no-cache' },
        signal,
        dispatcher: this.agent,
      })
      if (res.statusCode === 401) this.bearer?.rejected()
      else if (res.statusCode === 403 && this.bearer) stepUp(this.bearer, headerValue(res.headers, 'www-authenticate'))
      if (res.statusCode !== 200) {
        const snippet = await bodySnippet(res.body)
        this.log.warn({ url: safeUrl(base), status: res.statusCode, body: snippet }, 'SSE upstream refused the stream')
        const error = new GatewayError(
          'MCPO_ERR_UPSTREAM_UNAVAILABLE',
          `SSE upstream answered HTTP ${res.statusCode}`,
          {
            details: { status: res.statusCode },
          },
        )
        const transient = res.statusCode >= 500 || res.statusCode === 408 || res.statusCode === 429
        throw transient ? error : new FinalStartError(error)
      }
      if (!contentTypeIs(res.headers, 'text/event-stream')) {
        await res.body.dump()
        throw new FinalStartError(
          new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', 'SSE upstream did not answer with text/event-stream'),
        )
      }
      await this.readUntilEndpoint(base, res.body)
    } catch (err) {
      attempt.abort()
      if (signal.aborted && signal.reason instanceof GatewayError) throw signal.reason
      throw err
    } finally {
      clearTimeout(timer)
    }
  }

  private readUntilEndpoint(base: URL, body: Dispatcher.ResponseData['body']): Promise<void> {
    // Only the stream that opened the transport may end it; a failed earlier attempt's body must not.
    let established = false
    let cut = false
    return new Promise<void>((resolve, reject) => {
      const ended = (reason: GatewayError): void => {
        if (cut) reason = tooLarge(this.maxMessageBytes)
        if (established) this.drop(reason)
        else reject(cut ? new FinalStartError(reason) : reason)
      }
      pumpSse(body, {
        maxEventChars: this.maxMessageBytes,
        onevent: (event) => {
          if (event.event === 'endpoint') {
            const resolved = this.resolveEndpoint(base, event.data)
            if (resolved instanceof GatewayError) {
              if (established) this.drop(resolved)
              else reject(new FinalStartError(resolved))
              return
            }
            if (this.endpointUrl && this.endpointUrl.href !== resolved.href) {
              this.log.info({ endpoint: safeUrl(resolved) }, 'SSE upstream moved its endpoint')
            }
            this.endpointUrl = resolved
            if (!established && this.state === 'connecting') {
              established = true
              this.state = 'open'
              resolve()
            }
          } else if (event.event === 'message') {
            deliverJson(event.data, this.onmessage, this.log, { url: safeUrl(base) })
          }
        },
        // Every answer travels on this one stream, so which request an event past the cap answers cannot be told
        // without reading it: end the connection, which fails what is in flight now rather than at its timeout.
        onoversize: (chars) => {
          this.log.warn({ url: safeUrl(base), chars }, 'SSE upstream event too large; connection dropped')
          cut = true
          body.destroy()
        },
      }).then(
        () => ended(new GatewayError('MCPO_ERR_UPSTREAM_CLOSED', 'SSE upstream ended the stream')),
        (err: unknown) =>
          ended(new GatewayError('MCPO_ERR_UPSTREAM_CLOSED', 'SSE upstream stream failed', { cause: err })),
      )
    })
  }

  // SSRF guard (protocol.md §4.8): POSTs may only go to the origin the operator configured.
  private resolveEndpoint(base: URL, data: string): URL | GatewayError {
    let resolved: URL
    try {
      resolved = new URL(data.trim(), base)
    } catch {
      return new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', 'SSE upstream sent an invalid endpoint URL')
    }
    if (resolved.origin !== base.origin) {
      this.log.warn({ url: safeUrl(base), endpointOrigin: resolved.origin }, 'SSE upstream endpoint has another origin')
      return new GatewayError(
        'MCPO_ERR_UPSTREAM_UNAVAILABLE',
        'endpoint origin does not match the SSE upstream origin',
        {
          details: { origin: base.origin, endpointOrigin: resolved.origin },
        },
      )
    }
    return resolved
  }

  private async post(endpoint: URL, message: string, extra?: Readonly<Record<string, string>>): Promise<void> {
    const headers: Record<string, string> = { ...extra, ...this.authorized(), 'content-type': 'application/json' }
    if (this.protocolVersion) headers['mcp-protocol-version'] = this.protocolVersion
    try {
      const res = await request(endpoint, {
        method: 'POST',
        headers,
        body: message,
        signal: this.closer.signal,
        dispatcher: this.agent,
        headersTimeout: this.postTimeoutMs,
        bodyTimeout: this.postTimeoutMs,
      })
      if (res.statusCode === 401) this.bearer?.rejected()
      else if (res.statusCode === 403 && this.bearer) stepUp(this.bearer, headerValue(res.headers, 'www-authenticate'))
      if (res.statusCode >= 200 && res.statusCode < 300) {
        await res.body.dump()
        return
      }
      const snippet = await bodySnippet(res.body)
      if (this.state === 'closed') return
      this.log.warn(
        { endpoint: safeUrl(endpoint), status: res.statusCode, body: snippet },
        'SSE upstream refused a POST',
      )
      if (res.statusCode === 404) {
        // The upstream forgot this session; the stream is useless too, so report both.
        const gone = new GatewayError('MCPO_ERR_UPSTREAM_CLOSED', 'upstream session expired', {
          details: { status: 404 },
        })
        this.onsendfailure?.(message, gone)
        this.drop(gone)
        return
      }
      this.onsendfailure?.(
        message,
        new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', `SSE upstream answered HTTP ${res.statusCode} to a POST`, {
          details: { status: res.statusCode },
        }),
      )
    } catch (err) {
      if (this.state === 'closed') return
      this.onsendfailure?.(
        message,
        new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', `POST to SSE upstream failed: ${describeError(err)}`, {
          cause: err,
        }),
      )
    }
  }

  // The established connection is gone for good; the caller builds a new transport (and a new server session).
  private drop(reason: GatewayError): void {
    if (this.state === 'closed') return
    this.log.warn({ reason: reason.message }, 'SSE upstream connection lost')
    this.closePromise ??= this.shutdown(reason)
  }

  private async shutdown(reason: GatewayError | undefined): Promise<void> {
    this.closeReason = reason
    this.state = 'closed'
    this.closer.abort()
    await this.abandon()
    if (this.closeReported) return
    this.closeReported = true
    this.onclose?.(reason)
  }

  private async abandon(): Promise<void> {
    const agent = this.agent
    this.agent = undefined
    if (agent) await agent.destroy().catch((err: unknown) => this.log.debug({ err }, 'agent destroy failed'))
  }
}
