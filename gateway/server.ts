// The uWebSockets.js edge: the only module that imports uWS. It copies each request into plain objects and
// hands back a Responder; body limits, backpressure and draining on shutdown are enforced here.
import uWS from 'uWebSockets.js'
import type { Logger } from '../plugins/contract.ts'
import {
  type HeaderMap,
  type HttpHandler,
  type IncomingRequest,
  type Responder,
  type ResponseStream,
  statusLine,
} from './http.ts'
import { clientIp, missingSecurityHeaders, type SecurityHeaders } from './web-security.ts'

export interface ServerOptions {
  host: string
  port: number
  handler: HttpHandler
  maxBodyBytes: number
  /** Request line plus headers; past it the answer is 431. */
  maxHeaderBytes?: number
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy?: boolean
  /** Written on every response that does not set them itself. */
  securityHeaders?: SecurityHeaders
  /** Bytes a streamed response may hold for a slow client before it is closed. */
  outboundBufferBytes: number
  logger: Logger
  /** Close each connection after its response (the booting listener must not keep clients on sockets it abandons). */
  closeConnections?: boolean
}

export interface RunningServer {
  readonly port: number
  /** Stops accepting connections; open requests continue. */
  stopListening(): void
  /** Requests still being answered (streams excluded). */
  inFlight(): number
  /** Ends every open stream cleanly and closes what is left. */
  closeAll(): void
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

class UwsResponder implements Responder {
  aborted = false
  done = false
  private abortHandlers: (() => void)[] | null = null
  stream_: UwsStream | null = null

  constructor(
    readonly res: uWS.HttpResponse,
    readonly server: Edge,
  ) {}

  onAbort(cb: () => void): void {
    if (this.aborted) {
      cb()
      return
    }
    ;(this.abortHandlers ??= []).push(cb)
  }

  abort(): void {
    if (this.aborted) return
    this.aborted = true
    this.finish()
    const handlers = this.abortHandlers
    this.abortHandlers = null
    if (handlers) for (const h of handlers) h()
    this.stream_?.closedByPeer()
  }

  finish(): void {
    if (this.done) return
    this.done = true
    this.server.open.delete(this)
  }

  send(status: number, headers: HeaderMap | null, body?: string | Uint8Array): void {
    if (this.aborted || this.done) return
    const res = this.res
    res.cork(() => {
      res.writeStatus(statusLine(status))
      writeHeaders(res, headers, this.server.securityHeaders)
      if (body === undefined) res.end(undefined, this.server.closeConnections)
      else res.end(body, this.server.closeConnections)
    })
    this.finish()
  }

  stream(status: number, headers: HeaderMap): ResponseStream {
    const res = this.res
    const s = new UwsStream(this, this.server.outboundBufferBytes)
    this.stream_ = s
    this.server.open.delete(this)
    this.server.streams.add(s)
    if (!this.aborted) {
      res.cork(() => {
        res.writeStatus(statusLine(status))
        writeHeaders(res, headers, this.server.securityHeaders)
      })
    } else s.closedByPeer()
    return s
  }
}

class UwsStream implements ResponseStream {
  closed = false
  private pendingBytes = 0
  private waiting = false
  private closeHandlers: (() => void)[] | null = null
  private drainWaiters: (() => void)[] | null = null

  constructor(
    private readonly owner: UwsResponder,
    private readonly limit: number,
  ) {}

  write(chunk: string): boolean {
    if (this.closed) return false
    const res = this.owner.res
    let ok = true
    res.cork(() => {
      ok = res.write(chunk)
    })
    if (ok) return true
    // uWS keeps what the socket did not take; count it so a stalled client cannot grow memory without bound.
    this.pendingBytes += Buffer.byteLength(chunk)
    if (this.pendingBytes > this.limit) {
      this.owner.server.logger.warn(
        { bufferedBytes: this.pendingBytes },
        'closing a stream whose client stopped reading',
      )
      this.destroy()
      return false
    }
    if (!this.waiting) {
      this.waiting = true
      res.onWritable(() => {
        this.waiting = false
        this.pendingBytes = 0
        this.wake()
        return true
      })
    }
    return false
  }

  end(chunk?: string): void {
    if (this.closed) return
    const res = this.owner.res
    this.owner.done = true
    res.cork(() => {
      if (chunk) res.end(chunk)
      else res.end()
    })
    this.closedByPeer()
  }

  destroy(): void {
    if (this.closed) return
    this.owner.done = true
    this.owner.res.close()
    this.closedByPeer()
  }

  onClose(cb: () => void): void {
    if (this.closed) cb()
    else (this.closeHandlers ??= []).push(cb)
  }

  drained(): Promise<void> {
    if (this.closed || !this.waiting) return Promise.resolve()
    return new Promise((resolve) => (this.drainWaiters ??= []).push(resolve))
  }

  private wake(): void {
    const waiters = this.drainWaiters
    this.drainWaiters = null
    if (waiters) for (const w of waiters) w()
  }

  closedByPeer(): void {
    if (this.closed) return
    this.closed = true
    this.wake()
    this.owner.aborted = true
    this.owner.server.streams.delete(this)
    const handlers = this.closeHandlers
    this.closeHandlers = null
    if (handlers) for (const h of handlers) h()
  }
}

interface Edge {
  closeConnections: boolean
  open: Set<UwsResponder>
  streams: Set<UwsStream>
  outboundBufferBytes: number
  logger: Logger
  securityHeaders: SecurityHeaders
}

export function startServer(options: ServerOptions): Promise<RunningServer> {
  const app = uWS.App()
  const edge: Edge = {
    closeConnections: options.closeConnections ?? false,
    open: new Set(),
    streams: new Set(),
    outboundBufferBytes: options.outboundBufferBytes,
    logger: options.logger,
    securityHeaders: options.securityHeaders ?? { common: [], html: [] },
  }
  const { handler, maxBodyBytes, logger } = options
  const maxHeaderBytes = options.maxHeaderBytes ?? Number.POSITIVE_INFINITY
  const trustProxy = options.trustProxy ?? false

  const dispatch = (request: IncomingRequest, r: UwsResponder) => {
    try {
      const p = handler(request, r)
      if (p) p.catch((err) => internalError(err, r))
    } catch (err) {
      internalError(err, r)
    }
  }
  const internalError = (err: unknown, r: UwsResponder) => {
    logger.error({ err }, 'request handler failed')
    if (!r.done && !r.stream_) {
      r.send(
        500,
        { 'content-type': 'application/json' },
        '{"error":{"code":"MCPO_ERR_INTERNAL","message":"internal error"}}',
      )
    }
  }

  app.any('/*', (res, req) => {
    // Copy everything now: uWS frees `req` when this callback returns.
    const method = req.getMethod().toUpperCase()
    const path = req.getUrl()
    const query = req.getQuery() ?? ''
    const headers: Record<string, string> = {}
    // Counted so that oversized headers get a clear 431 instead of costing memory in every later copy.
    let headerBytes = method.length + path.length + query.length
    req.forEach((k, v) => {
      headerBytes += k.length + v.length + 4
      headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`
    })
    const ip = clientIp(Buffer.from(res.getRemoteAddressAsText()).toString(), headers['x-forwarded-for'], trustProxy)
    const r = new UwsResponder(res, edge)
    edge.open.add(r)
    res.onAborted(() => r.abort())
    if (headerBytes > maxHeaderBytes) {
      reject(r, 431, 'MCPO_ERR_HEADERS_TOO_LARGE', `request headers are larger than ${maxHeaderBytes} bytes`)
      return
    }

    const hasBody =
      BODY_METHODS.has(method) &&
      (headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0)
    if (!hasBody) {
      dispatch({ method, path, query, headers, ip, body: BODY_METHODS.has(method) ? Buffer.alloc(0) : null }, r)
      return
    }
    if (Number(headers['content-length'] ?? 0) > maxBodyBytes) {
      tooLarge(r, maxBodyBytes)
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    let rejected = false
    res.onData((ab, isLast) => {
      if (rejected) return
      size += ab.byteLength
      if (size > maxBodyBytes) {
        rejected = true
        tooLarge(r, maxBodyBytes)
        return
      }
      // uWS reuses the chunk's memory after this callback: copy it.
      const chunk = Buffer.from(ab.slice(0))
      if (!isLast) chunks.push(chunk)
      else {
        const body = chunks.length === 0 ? chunk : Buffer.concat([...chunks, chunk], size)
        dispatch({ method, path, query, headers, ip, body }, r)
      }
    })
  })

  return new Promise((resolve, reject) => {
    app.listen(options.host, options.port, (socket) => {
      if (!socket) {
        reject(new Error(`could not listen on ${options.host}:${options.port} (is the port in use?)`))
        return
      }
      const port = uWS.us_socket_local_port(socket)
      let listening = true
      resolve({
        port,
        stopListening() {
          if (!listening) return
          listening = false
          uWS.us_listen_socket_close(socket)
        },
        inFlight: () => edge.open.size,
        closeAll() {
          for (const s of [...edge.streams]) s.end()
          for (const r of [...edge.open]) {
            r.finish()
            r.res.close()
          }
        },
      })
    })
  })
}

function tooLarge(r: UwsResponder, limit: number): void {
  reject(r, 413, 'MCPO_ERR_PAYLOAD_TOO_LARGE', `request body is larger than ${limit} bytes`)
}

/** Answers before the handler runs and closes the connection: the rest of what the client sends is not read. */
function reject(r: UwsResponder, status: number, code: string, message: string): void {
  if (r.done) return
  const res = r.res
  res.cork(() => {
    res.writeStatus(statusLine(status))
    writeHeaders(res, JSON_ONLY, r.server.securityHeaders)
    res.end(JSON.stringify({ error: { code, message } }), true)
  })
  r.finish()
}

const JSON_ONLY: HeaderMap = { 'content-type': 'application/json' }

function writeHeaders(res: uWS.HttpResponse, headers: HeaderMap | null, sec: SecurityHeaders): void {
  for (const k in headers) {
    const v = headers[k]
    if (typeof v === 'string') res.writeHeader(k, v)
    else for (const one of v) res.writeHeader(k, one)
  }
  for (const [k, v] of missingSecurityHeaders(headers, sec)) res.writeHeader(k, v)
}
