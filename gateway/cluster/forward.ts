// Forwards a client request for a session owned by another node to that node, with undici, streaming the answer
// back: an SSE answer is relayed chunk by chunk and reading pauses while the client is slow (backpressure).
import { Agent, request } from 'undici'
import type { Logger } from '../../plugins/contract.ts'
import type { HeaderMap, IncomingRequest, Responder, ResponseStream } from '../http.ts'
import { sseEvent } from '../mcp/sse.ts'
import type { NodeAuth } from './hmac.ts'
import type { ClusterStats } from './metrics.ts'

// Hop-by-hop headers (RFC 9110 §7.6.1) and what undici sets itself; the signature headers are added per request.
const DROP_REQUEST = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'upgrade',
  'expect',
  'content-length',
  'x-mcpo-node',
  'x-mcpo-ts',
  'x-mcpo-sig',
  'x-mcpo-client-ip',
])
// uWS writes its own Date, Content-Length and framing.
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date'])

export interface ForwarderOptions {
  auth: NodeAuth
  connectTimeoutMs: number
  logger: Logger
  stats: ClusterStats
}

/** What to answer when the owner cannot be reached: the transport's own "session not found". */
export type Unreachable = (res: Responder) => void

/** A forwarded answer being streamed back, with the ids of the requests it still owes the client. */
interface Relayed {
  stream: ResponseStream
  ids: (string | number)[]
  /** The last chunk ended an event, so one can be written in between without splitting the owner's. */
  atBoundary: boolean
}

/** The ids of the JSON-RPC requests a forwarded POST carries (one message or a batch). */
function requestIds(req: IncomingRequest): (string | number)[] {
  if (req.method !== 'POST' || !req.body?.length) return []
  try {
    const parsed: unknown = JSON.parse(req.body.toString('utf8'))
    const ids: (string | number)[] = []
    for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
      if (!m || typeof m !== 'object' || typeof (m as { method?: unknown }).method !== 'string') continue
      const id = (m as { id?: unknown }).id
      if (typeof id === 'string' || typeof id === 'number') ids.push(id)
    }
    return ids
  } catch {
    return []
  }
}

export class Forwarder {
  // No body or headers timeout: SSE streams are long-lived and kept alive by the owner's keepalive comments.
  private readonly agent: Agent
  private readonly relayed = new Set<Relayed>()

  constructor(private readonly opts: ForwarderOptions) {
    this.agent = new Agent({ connect: { timeout: opts.connectTimeoutMs }, bodyTimeout: 0, headersTimeout: 0 })
  }

  async forward(req: IncomingRequest, res: Responder, address: string, unreachable: Unreachable): Promise<void> {
    const path = req.query ? `${req.path}?${req.query}` : req.path
    const body = req.body && req.body.length > 0 ? req.body : null
    const headers: Record<string, string> = {}
    for (const k in req.headers) if (!DROP_REQUEST.has(k)) headers[k] = req.headers[k]
    Object.assign(headers, this.opts.auth.sign(req.method, path, body, req.ip))
    // The client leaving cancels the forwarded request, so the owner sees the disconnect too (legacy cancel rules).
    const abort = new AbortController()
    res.onAbort(() => abort.abort())
    let answer: Awaited<ReturnType<typeof request>>
    try {
      answer = await request(new URL(path, address), {
        method: req.method as 'GET',
        headers,
        body: body ?? undefined,
        signal: abort.signal,
        dispatcher: this.agent,
      })
    } catch (err) {
      if (res.aborted) return
      // Refused or timed out before any answer: the owner is gone, and with it the session (protocol.md §3: 404).
      this.opts.stats.ownerUnreachable++
      this.opts.logger.warn({ err: (err as Error).message, owner: address }, 'session owner unreachable')
      return unreachable(res)
    }
    this.opts.stats.forwarded++
    const out: Record<string, string | string[]> = {}
    for (const [k, v] of Object.entries(answer.headers)) {
      if (v === undefined || DROP_RESPONSE.has(k)) continue
      out[k] = v
    }
    const type = String(answer.headers['content-type'] ?? '')
    if (!type.startsWith('text/event-stream')) {
      const bytes = Buffer.from(await answer.body.arrayBuffer().catch(() => new ArrayBuffer(0)))
      return res.send(answer.statusCode, out as HeaderMap, bytes.length ? bytes : undefined)
    }
    const stream = res.stream(answer.statusCode, out as HeaderMap)
    const relayed: Relayed = { stream, ids: requestIds(req), atBoundary: true }
    this.relayed.add(relayed)
    // Split UTF-8 sequences at chunk boundaries are held back until their last byte arrives.
    const decoder = new TextDecoder()
    try {
      for await (const chunk of answer.body) {
        if (stream.closed) break
        const text = decoder.decode(chunk as Buffer, { stream: true })
        const ok = stream.write(text)
        if (text) relayed.atBoundary = text.endsWith('\n\n') || text.endsWith('\r\n\r\n')
        if (!ok && !stream.closed && stream.drained) await stream.drained()
      }
      if (stream.closed) abort.abort()
      else stream.end()
    } catch (err) {
      if (stream.closed) return
      // The owner died mid-stream: end abruptly, so the client notices now and starts over elsewhere.
      this.opts.logger.warn({ err: (err as Error).message, owner: address }, 'forwarded stream broke')
      stream.destroy()
    } finally {
      this.relayed.delete(relayed)
    }
  }

  /**
   * This node is stopping: answers still being relayed from other nodes cannot reach their clients once its
   * connections close, so each request still owed an answer gets the error now and its stream ends cleanly (a
   * client whose POST stream just stopped would wait for that answer forever). The call itself goes on at its owner.
   */
  drain(code: number, message: string): void {
    for (const r of this.relayed) {
      if (r.stream.closed) continue
      if (r.atBoundary) {
        for (const id of r.ids)
          r.stream.write(sseEvent(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } })))
      }
      r.stream.end()
    }
  }

  async close(): Promise<void> {
    await this.agent.destroy().catch(() => {})
  }
}
