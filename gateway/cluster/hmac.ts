// Node-to-node authentication: every request between nodes carries an HMAC-SHA256 over its method, path, time,
// body digest, sender and original client address, under a key derived from the shared secret key (HKDF).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { Dispatcher } from 'undici'

export const NODE_HEADER = 'x-mcpo-node'
export const TS_HEADER = 'x-mcpo-ts'
export const SIG_HEADER = 'x-mcpo-sig'
export const CLIENT_IP_HEADER = 'x-mcpo-client-ip'

/** What is signed; the client address is signed too, so a forwarded request keeps it for rate limits and logs. */
export interface Signed {
  method: string
  /** Path with its query string, as sent. */
  path: string
  body: string | Uint8Array | null
  node: string
  clientIp: string
}

function digest(body: string | Uint8Array | null): string {
  return createHash('sha256')
    .update(body ?? '')
    .digest('hex')
}

function mac(key: Uint8Array, s: Signed, ts: string): Buffer {
  return createHmac('sha256', key)
    .update([s.method.toUpperCase(), s.path, ts, digest(s.body), s.node, s.clientIp].join('\n'))
    .digest()
}

export class NodeAuth {
  /** Signatures seen inside the window: an exact replay is refused even while its timestamp is fresh. */
  private readonly seen = new Map<string, number>()
  private sweepAt = 0

  constructor(
    private readonly key: Uint8Array,
    readonly nodeId: string,
    /** How far a timestamp may be from this node's clock, either way. */
    private readonly windowMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Headers for one request from this node. */
  sign(method: string, path: string, body: string | Uint8Array | null, clientIp = ''): Record<string, string> {
    const ts = String(this.now())
    const sig = mac(this.key, { method, path, body, node: this.nodeId, clientIp }, ts).toString('base64url')
    const headers: Record<string, string> = { [NODE_HEADER]: this.nodeId, [TS_HEADER]: ts, [SIG_HEADER]: sig }
    if (clientIp) headers[CLIENT_IP_HEADER] = clientIp
    return headers
  }

  /** The sending node's id when the request is genuine, fresh and not a replay; otherwise a reason. */
  verify(
    method: string,
    path: string,
    headers: Readonly<Record<string, string>>,
    body: Uint8Array | null,
  ): { ok: true; node: string; clientIp: string } | { ok: false; reason: string } {
    const node = headers[NODE_HEADER]
    const ts = headers[TS_HEADER]
    const sig = headers[SIG_HEADER]
    if (!node || !ts || !sig) return { ok: false, reason: 'missing node signature' }
    const at = Number(ts)
    const now = this.now()
    if (!Number.isFinite(at) || Math.abs(now - at) > this.windowMs) return { ok: false, reason: 'stale timestamp' }
    const clientIp = headers[CLIENT_IP_HEADER] ?? ''
    const expected = mac(this.key, { method, path, body, node, clientIp }, ts)
    const given = Buffer.from(sig, 'base64url')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'bad signature' }
    }
    if (now > this.sweepAt) {
      for (const [k, until] of this.seen) if (until < now) this.seen.delete(k)
      this.sweepAt = now + this.windowMs
    }
    if (this.seen.has(sig)) return { ok: false, reason: 'replayed request' }
    this.seen.set(sig, at + this.windowMs)
    return { ok: true, node, clientIp }
  }

  /**
   * An undici interceptor that signs each request as it is dispatched, for clients built elsewhere (the Streamable
   * HTTP upstream transport that reaches a lease owner). Bodies there are strings, so the digest sees exact bytes.
   */
  interceptor(): Dispatcher.DispatcherComposeInterceptor {
    return (dispatch) => (opts, handler) => {
      const body = typeof opts.body === 'string' || opts.body instanceof Uint8Array ? opts.body : null
      const signed = this.sign(opts.method, opts.path, body)
      const headers = { ...(opts.headers as Record<string, string> | undefined), ...signed }
      return dispatch({ ...opts, headers }, handler)
    }
  }
}
