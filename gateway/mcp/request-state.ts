// The `requestState` mcpo hands a 2026-07-28 client with an `input_required` result (protocol.md §11.1, M11). It
// travels through the client, so it is signed: HMAC-SHA256 over who may use it, until when, for which request, and
// which node holds the upstream call it resumes. Every node derives the same key from the shared secret, so any node
// can check a state and send the retry to its holder.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

export interface StateClaims {
  /** The parked call this state resumes; absent when the state carries an upstream's own (`up`). */
  id?: string
  /** The node holding it. */
  node?: string
  /**
   * A 2026-07-28 upstream's `requestState`, byte for byte: the call is not parked anywhere, and any node may send the
   * retry upstream once the seal shows this principal got the state for this request.
   */
  up?: string
  /** The principal (`kind:id`) that may resume it. */
  sub: string
  /** Expiry, epoch ms. */
  exp: number
  /** Digest of the method and the request's own params (see requestDigest). */
  req: string
}

/** What a retry must repeat: the method, and params without `_meta`, `inputResponses` and `requestState`. */
export function requestDigest(method: string, params: Record<string, unknown> | undefined): string {
  const { _meta, inputResponses, requestState, ...own } = params ?? {}
  return createHash('sha256').update(method).update('\0').update(JSON.stringify(own)).digest('base64url')
}

/** Upstream states are the upstream's business and may be long; the request body limit bounds them further. */
const MAX_STATE_CHARS = 256 * 1024

export class RequestStates {
  constructor(private readonly key: Uint8Array) {}

  mint(claims: StateClaims): string {
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url')
    return `${payload}.${this.sign(payload)}`
  }

  /** The claims of an untampered, unexpired state, or why it is refused. */
  open(token: unknown, now = Date.now()): StateClaims | string {
    if (typeof token !== 'string' || token.length > MAX_STATE_CHARS) return 'requestState is not a state mcpo issued'
    const dot = token.indexOf('.')
    if (dot <= 0) return 'requestState is not a state mcpo issued'
    const payload = token.slice(0, dot)
    const given = Buffer.from(token.slice(dot + 1), 'base64url')
    const expected = Buffer.from(this.sign(payload), 'base64url')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return 'requestState failed its integrity check'
    }
    let claims: StateClaims
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as StateClaims
    } catch {
      return 'requestState is not a state mcpo issued'
    }
    if (typeof claims.exp !== 'number' || claims.exp < now) return 'requestState has expired'
    return claims
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update('mcpo.requestState.v1\0').update(payload).digest('base64url')
  }
}

/**
 * The parked-call id a state names, read without checking it: enough to send a retry to the node holding the call,
 * which checks it. Null when the text is not shaped like a state.
 */
export function peekStateId(token: unknown): string | null {
  if (typeof token !== 'string' || token.length > MAX_STATE_CHARS) return null
  const dot = token.indexOf('.')
  if (dot <= 0) return null
  try {
    const id = (JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8')) as { id?: unknown }).id
    return typeof id === 'string' && id !== '' ? id : null
  } catch {
    return null
  }
}
