// One sign-in in flight: state, nonce, PKCE verifier and where to go afterwards, kept in a short-lived encrypted cookie
// (JWE dir + A256GCM under a key derived for this purpose) so the gateway keeps no per-login state and any node can
// finish it.
import { EncryptJWT, jwtDecrypt } from 'jose'
import { generateRandomCodeVerifier, generateRandomNonce, generateRandomState } from 'oauth4webapi'

export const FLOW_COOKIE = 'mcpo_oidc'
/** A sign-in must come back from the provider within this long. */
export const FLOW_TTL_S = 600

export interface Flow {
  state: string
  nonce: string
  /** PKCE code_verifier (RFC 7636 §4.1): 43 characters. */
  verifier: string
  /** Sent again, byte for byte, with the token request. */
  redirectUri: string
  /**
   * The page that sent the user to sign in (a consent page, say), checked by the caller. It lives here rather than
   * in the provider's state parameter so nobody but this browser's cookie can choose where the sign-in ends.
   */
  next: string | null
}

export function newFlow(redirectUri: string, next: string | null = null): Flow {
  return {
    state: generateRandomState(),
    nonce: generateRandomNonce(),
    verifier: generateRandomCodeVerifier(),
    redirectUri,
    next,
  }
}

export async function sealFlow(key: Uint8Array, flow: Flow, nowMs: number): Promise<string> {
  const now = Math.floor(nowMs / 1000)
  const claims = { st: flow.state, nn: flow.nonce, cv: flow.verifier, ru: flow.redirectUri }
  return new EncryptJWT(flow.next === null ? claims : { ...claims, nx: flow.next })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .setIssuedAt(now)
    .setExpirationTime(now + FLOW_TTL_S)
    .encrypt(key)
}

/** The flow a cookie holds, or null when it was altered, is expired or was made with another key. */
export async function openFlow(key: Uint8Array, value: string, nowMs: number): Promise<Flow | null> {
  try {
    const { payload: p } = await jwtDecrypt(value, key, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
      currentDate: new Date(nowMs),
      requiredClaims: ['exp'],
    })
    if (typeof p.st !== 'string' || typeof p.nn !== 'string' || typeof p.cv !== 'string' || typeof p.ru !== 'string') {
      return null
    }
    if (p.nx !== undefined && typeof p.nx !== 'string') return null
    return { state: p.st, nonce: p.nn, verifier: p.cv, redirectUri: p.ru, next: p.nx ?? null }
  } catch {
    // Any decryption or claim failure means the same thing to the caller: start the sign-in again.
    return null
  }
}

/**
 * Set-Cookie for the flow. SameSite=Lax, not Strict: the provider sends the browser back with a cross-site
 * top-level GET, which must carry this cookie.
 */
export function flowCookie(value: string, secure: boolean): string {
  return `${FLOW_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${FLOW_TTL_S}${secure ? '; Secure' : ''}`
}

export function clearFlowCookie(secure: boolean): string {
  return `${FLOW_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? '; Secure' : ''}`
}
