// Plain request and response objects between the uWS edge and everything else, so handlers run without sockets.

/** A request copied out of uWS before any await: uWS frees its request object when the callback returns. */
export interface IncomingRequest {
  /** Upper-case. */
  readonly method: string
  readonly path: string
  /** Without the leading `?`. */
  readonly query: string
  /** Lower-case names. Repeated headers are joined with `, `. */
  readonly headers: Readonly<Record<string, string>>
  readonly ip: string
  /** The whole body for methods that carry one, else null. Over the size limit the edge answers 413 itself. */
  readonly body: Buffer | null
}

/** Response headers; an array sends the header once per value (Set-Cookie). */
export type HeaderMap = Readonly<Record<string, string | readonly string[]>>

/** A server-sent events (or any long-lived) response. */
export interface ResponseStream {
  /** Writes at once; returns false when the client is slow and the chunk was buffered. */
  write(chunk: string): boolean
  /** Ends the response cleanly. */
  end(chunk?: string): void
  /** Drops the connection abruptly. */
  destroy(): void
  /** Called once, when the stream ends for any reason (client gone, end(), destroy(), buffer overflow). */
  onClose(cb: () => void): void
  readonly closed: boolean
  /**
   * Resolves once the client has taken what `write` buffered (or the stream closed); a relay awaits it after a false
   * `write` so that a slow client slows its source instead of filling memory. Absent: writes never wait.
   */
  drained?(): Promise<void>
}

export interface Responder {
  /** True once the client went away; nothing may be written after that. */
  readonly aborted: boolean
  onAbort(cb: () => void): void
  send(status: number, headers: HeaderMap | null, body?: string | Uint8Array): void
  /** Starts a streamed response; headers are written at once. */
  stream(status: number, headers: HeaderMap): ResponseStream
}

export type HttpHandler = (req: IncomingRequest, res: Responder) => void | Promise<void>

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? 'Status'}`
}

export const JSON_HEADERS: HeaderMap = Object.freeze({ 'content-type': 'application/json' })

export function sendJson(res: Responder, status: number, value: unknown, headers?: HeaderMap): void {
  res.send(status, headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS, JSON.stringify(value))
}

export function sendError(res: Responder, status: number, code: string, message: string, headers?: HeaderMap): void {
  sendJson(res, status, { error: { code, message } }, headers)
}

/** Query parameter lookup without allocating a URLSearchParams on the hot path. */
export function queryParam(query: string, name: string): string | null {
  if (!query) return null
  for (const part of query.split('&')) {
    const eq = part.indexOf('=')
    const key = eq === -1 ? part : part.slice(0, eq)
    if (safeDecode(key) === name) return eq === -1 ? '' : safeDecode(part.slice(eq + 1))
  }
  return null
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return s
  }
}
