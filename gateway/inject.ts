// Calls a handler with an in-memory request and response, so tests exercise routing without sockets.
import type { HeaderMap, HttpHandler, IncomingRequest, Responder, ResponseStream } from './http.ts'
import { type SecurityHeaders, withSecurityHeaders } from './web-security.ts'

export interface InjectRequest {
  method?: string
  /** Path with an optional query string. */
  url: string
  headers?: Record<string, string>
  body?: string | Buffer | object
  ip?: string
}

export interface InjectedResponse {
  status: number
  headers: Record<string, string | readonly string[]>
  body: string
  json<T = unknown>(): T
}

/** A streamed response seen by a test: chunks arrive as they are written. */
export interface InjectedStream {
  status: number
  headers: Record<string, string | readonly string[]>
  chunks: string[]
  /** Resolves with all text once the stream has produced text matching `until`. */
  waitFor(until: RegExp, timeoutMs?: number): Promise<string>
  /** The client goes away. */
  close(): void
  readonly closed: boolean
}

export function toIncoming(r: InjectRequest): IncomingRequest {
  const method = (r.method ?? 'GET').toUpperCase()
  const q = r.url.indexOf('?')
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v
  let body: Buffer | null = null
  if (r.body !== undefined) {
    if (Buffer.isBuffer(r.body)) body = r.body
    else if (typeof r.body === 'string') body = Buffer.from(r.body)
    else {
      body = Buffer.from(JSON.stringify(r.body))
      headers['content-type'] ??= 'application/json'
    }
  } else if (method !== 'GET' && method !== 'HEAD') body = Buffer.alloc(0)
  return {
    method,
    path: q === -1 ? r.url : r.url.slice(0, q),
    query: q === -1 ? '' : r.url.slice(q + 1),
    headers,
    ip: r.ip ?? '127.0.0.1',
    body,
  }
}

/**
 * Runs one request. Resolves with the full response, or with an `InjectedStream` when the handler streams.
 * @example const res = await inject(gateway.handler, { url: '/healthz' })
 */
export function inject(
  handler: HttpHandler,
  request: InjectRequest,
  security?: SecurityHeaders,
): Promise<InjectedResponse | InjectedStream> {
  // The same headers the uWS edge adds, so tests see what a client sees.
  const finalHeaders = (h: HeaderMap | null) => (security ? withSecurityHeaders(h, security) : (h ?? {}))
  return new Promise((resolve, reject) => {
    let aborted = false
    const abortHandlers: (() => void)[] = []
    const responder: Responder = {
      get aborted() {
        return aborted
      },
      onAbort(cb) {
        if (aborted) cb()
        else abortHandlers.push(cb)
      },
      send(status, headers, body) {
        if (aborted) return
        const text = body === undefined ? '' : typeof body === 'string' ? body : Buffer.from(body).toString()
        resolve({ status, headers: { ...finalHeaders(headers) }, body: text, json: () => JSON.parse(text) })
      },
      stream(status, headers) {
        const s = memoryStream(status, finalHeaders(headers), () => {
          aborted = true
          for (const h of abortHandlers.splice(0)) h()
        })
        resolve(s.view)
        return s.stream
      },
    }
    Promise.resolve()
      .then(() => handler(toIncoming(request), responder))
      .catch(reject)
  })
}

function memoryStream(status: number, headers: HeaderMap, onClientClose: () => void) {
  const chunks: string[] = []
  let closed = false
  const closeHandlers: (() => void)[] = []
  let waiter: (() => void) | null = null
  const closeAll = () => {
    if (closed) return
    closed = true
    for (const h of closeHandlers.splice(0)) h()
    waiter?.()
  }
  const stream: ResponseStream = {
    get closed() {
      return closed
    },
    write(chunk) {
      if (closed) return false
      chunks.push(chunk)
      waiter?.()
      return true
    },
    end(chunk) {
      if (chunk) stream.write(chunk)
      closeAll()
    },
    destroy: closeAll,
    onClose(cb) {
      if (closed) cb()
      else closeHandlers.push(cb)
    },
  }
  const view: InjectedStream = {
    status,
    headers: { ...headers },
    chunks,
    get closed() {
      return closed
    },
    close() {
      onClientClose()
      closeAll()
    },
    waitFor(until, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const text = chunks.join('')
          if (until.test(text)) {
            clearTimeout(timer)
            waiter = null
            resolve(text)
          } else if (closed) {
            clearTimeout(timer)
            reject(new Error(`stream closed before ${until}: ${text.slice(0, 500)}`))
          }
        }
        const timer = setTimeout(() => {
          waiter = null
          reject(new Error(`timed out waiting for ${until}: ${chunks.join('').slice(0, 500)}`))
        }, timeoutMs)
        waiter = check
        check()
      })
    },
  }
  return { stream, view }
}

export function isStream(r: InjectedResponse | InjectedStream): r is InjectedStream {
  return 'chunks' in r
}
