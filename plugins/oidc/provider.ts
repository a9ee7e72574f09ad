// Talking to the OpenID provider: discovery (OIDC Discovery 1.0 §4), the token request (RFC 6749 §4.1.3 with
// PKCE, RFC 7636) and ID token validation (OIDC Core §3.1.3.7) against the provider's JWKS.
import { createRemoteJWKSet, customFetch, errors, type JWTPayload, jwtVerify } from 'jose'
import { GatewayError, type Logger } from '../contract.ts'

const TIMEOUT_MS = 10_000
// Asymmetric only: the ID token must verify against the JWKS, never against the client secret or `alg: none`.
export const ID_TOKEN_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const
const CLOCK_TOLERANCE_S = 30
/** Discovery documents, key sets and token answers are a few KB; whatever answers at a URL cannot make mcpo hold more. */
const MAX_ANSWER_BYTES = 1024 * 1024

export type TokenEndpointAuth = 'client_secret_basic' | 'client_secret_post'

/** What mcpo uses of the provider's discovery document. */
export interface ProviderMetadata {
  issuer: string
  authorizationEndpoint: string
  tokenEndpoint: string
  jwksUri: string
  tokenEndpointAuth: TokenEndpointAuth
}

/**
 * Parses a provider URL: https, or http on a loopback host only (a local test provider).
 * Throws an `Error` naming `field`, for option and discovery checks alike.
 */
export function providerUrl(value: unknown, field: string): URL {
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    throw new Error(`${field}: must be an absolute URL`)
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]'
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error(`${field}: must be an https URL (http only on localhost)`)
  }
  if (url.username || url.password || url.hash) throw new Error(`${field}: must not carry credentials or a fragment`)
  return url
}

const stripSlash = (s: string) => s.replace(/\/+$/, '')

/** Fetches and checks `${issuer}/.well-known/openid-configuration`. */
export async function discover(issuer: string): Promise<ProviderMetadata> {
  const url = `${stripSlash(issuer)}/.well-known/openid-configuration`
  const doc = await getJson(url, 'discovery')
  const problem = (what: string) =>
    new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', `the OpenID provider's discovery document ${what}`)
  // OIDC Discovery §4.3: the document's issuer must be the one configured (a trailing slash aside).
  if (typeof doc.issuer !== 'string' || stripSlash(doc.issuer) !== stripSlash(issuer)) {
    throw problem(`names issuer ${JSON.stringify(doc.issuer)}, not ${JSON.stringify(issuer)}`)
  }
  const endpoint = (name: string): string => {
    try {
      return providerUrl(doc[name], name).href
    } catch (err) {
      throw problem(`has a bad ${(err as Error).message}`)
    }
  }
  const challenges = doc.code_challenge_methods_supported
  if (Array.isArray(challenges) && !challenges.includes('S256')) throw problem('does not offer PKCE with S256')
  const responseTypes = doc.response_types_supported
  if (Array.isArray(responseTypes) && !responseTypes.includes('code')) throw problem('does not offer the code flow')
  // RFC 8414 §2: client_secret_basic when the provider lists nothing.
  const auths = Array.isArray(doc.token_endpoint_auth_methods_supported)
    ? doc.token_endpoint_auth_methods_supported
    : ['client_secret_basic']
  const tokenEndpointAuth: TokenEndpointAuth | null = auths.includes('client_secret_basic')
    ? 'client_secret_basic'
    : auths.includes('client_secret_post')
      ? 'client_secret_post'
      : null
  if (!tokenEndpointAuth) throw problem('offers neither client_secret_basic nor client_secret_post')
  return {
    issuer: doc.issuer,
    authorizationEndpoint: endpoint('authorization_endpoint'),
    tokenEndpoint: endpoint('token_endpoint'),
    jwksUri: endpoint('jwks_uri'),
    tokenEndpointAuth,
  }
}

export type RemoteKeys = ReturnType<typeof createRemoteJWKSet>

export function remoteKeys(jwksUri: string): RemoteKeys {
  // jose refetches on an unknown `kid` (key rotation), at most every cooldown.
  return createRemoteJWKSet(new URL(jwksUri), {
    timeoutDuration: 5000,
    cooldownDuration: 30_000,
    cacheMaxAge: 10 * 60_000,
    [customFetch]: boundedFetch,
  })
}

/** The body of `res` up to MAX_ANSWER_BYTES, or null past it (the rest is never read). */
async function boundedBody(res: Response): Promise<Buffer | null> {
  if (Number(res.headers.get('content-length')) > MAX_ANSWER_BYTES) {
    await res.body?.cancel()
    return null
  }
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = res.body?.getReader()
  for (;;) {
    const next = await reader?.read()
    if (!next || next.done) break
    size += next.value.byteLength
    if (size > MAX_ANSWER_BYTES) {
      await reader?.cancel()
      return null
    }
    chunks.push(next.value)
  }
  return Buffer.concat(chunks, size)
}

/** A JSON answer read with the bound; null when it is not JSON. */
async function boundedJson(res: Response, what: string): Promise<Record<string, unknown> | null> {
  let body: Buffer | null
  try {
    body = await boundedBody(res)
  } catch {
    return null // a body that breaks off reads as no JSON, as a failed res.json() did
  }
  if (body === null) {
    throw new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', `the OpenID provider's ${what} is larger than 1 MiB`)
  }
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return null
  }
}

/** jose's fetch for the key set, with the same bound; a TypeError is what jose and verifyIdToken expect of fetch. */
async function boundedFetch(url: string, init: RequestInit): Promise<Response> {
  const res = await fetch(url, init)
  const body = await boundedBody(res)
  if (body === null) throw new TypeError('the OpenID provider’s key set is larger than 1 MiB')
  // The body is decoded already: the provider's content-encoding and content-length no longer describe it.
  const headers = { 'content-type': res.headers.get('content-type') ?? 'application/json' }
  return new Response(body.toString('utf8'), { status: res.status, statusText: res.statusText, headers })
}

export interface Client {
  id: string
  secret: string
}

/** Redeems an authorization code; answers the ID token. The client secret goes only to the token endpoint. */
export async function redeemCode(
  meta: ProviderMetadata,
  client: Client,
  grant: { code: string; redirectUri: string; verifier: string },
  logger: Logger,
): Promise<string> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code: grant.code,
    redirect_uri: grant.redirectUri,
    code_verifier: grant.verifier,
    client_id: client.id,
  })
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  }
  if (meta.tokenEndpointAuth === 'client_secret_basic') {
    // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded.
    const pair = `${formEncode(client.id)}:${formEncode(client.secret)}`
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`
  } else form.set('client_secret', client.secret)

  let res: Response
  try {
    res = await fetch(meta.tokenEndpoint, {
      method: 'POST',
      headers,
      body: form,
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
  } catch (cause) {
    throw new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', 'the OpenID provider’s token endpoint did not answer', {
      cause: describeFetchError(cause),
    })
  }
  const body = await boundedJson(res, 'token answer')
  if (!res.ok) {
    // Log the OAuth error code only (RFC 6749 §5.2): never the request, which carries the secret.
    const error = typeof body?.error === 'string' ? body.error.slice(0, 64) : null
    logger.warn({ status: res.status, error }, 'the OpenID provider refused the authorization code')
    if (res.status >= 500) {
      throw new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', `the OpenID provider failed (${res.status})`)
    }
    throw new GatewayError(
      'MCPO_ERR_UNAUTHENTICATED',
      `the OpenID provider refused the sign-in (${error ?? res.status})`,
    )
  }
  if (typeof body?.id_token !== 'string') {
    throw new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', 'the OpenID provider answered without an ID token')
  }
  return body.id_token
}

/** Checks an ID token: signature against the JWKS, iss, aud, azp, exp, iat and the nonce of this sign-in. */
export async function verifyIdToken(
  idToken: string,
  keys: RemoteKeys,
  expected: { issuer: string; clientId: string; nonce: string; now: number },
): Promise<JWTPayload> {
  let payload: JWTPayload
  try {
    ;({ payload } = await jwtVerify(idToken, keys, {
      issuer: expected.issuer,
      audience: expected.clientId,
      algorithms: [...ID_TOKEN_ALGORITHMS],
      requiredClaims: ['sub', 'iat', 'exp'],
      clockTolerance: CLOCK_TOLERANCE_S,
      currentDate: new Date(expected.now),
    }))
  } catch (err) {
    if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || err instanceof TypeError) {
      throw new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', 'could not load the OpenID provider’s signing keys', {
        cause: err,
      })
    }
    const why = err instanceof errors.JOSEError ? err.code : 'invalid'
    throw new GatewayError('MCPO_ERR_UNAUTHENTICATED', `the ID token was refused (${why})`, { cause: err })
  }
  // OIDC Core §3.1.3.7 items 4–5: with several audiences, azp must name this client.
  if (payload.azp !== undefined && payload.azp !== expected.clientId) {
    throw new GatewayError('MCPO_ERR_UNAUTHENTICATED', 'the ID token was issued to another client (azp)')
  }
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp === undefined) {
    throw new GatewayError('MCPO_ERR_UNAUTHENTICATED', 'the ID token has several audiences and no azp')
  }
  if (typeof payload.nonce !== 'string' || !sameString(payload.nonce, expected.nonce)) {
    throw new GatewayError('MCPO_ERR_UNAUTHENTICATED', 'the ID token does not belong to this sign-in (nonce)')
  }
  if (typeof payload.sub !== 'string' || payload.sub === '' || payload.sub.length > 255) {
    throw new GatewayError('MCPO_ERR_UNAUTHENTICATED', 'the ID token has no usable subject')
  }
  return payload
}

async function getJson(url: string, what: string): Promise<Record<string, unknown>> {
  let res: Response
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
  } catch (cause) {
    throw new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', `the OpenID provider's ${what} did not answer (${url})`, {
      cause: describeFetchError(cause),
    })
  }
  const body = await boundedJson(res, what)
  if (!res.ok || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new GatewayError(
      'MCPO_ERR_UPSTREAM_UNAVAILABLE',
      `the OpenID provider's ${what} failed (${res.status}, ${url})`,
    )
  }
  return body as Record<string, unknown>
}

function formEncode(s: string): string {
  return new URLSearchParams({ s }).toString().slice(2)
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string } })?.cause?.code
  return cause ?? (err instanceof Error ? err.name : 'error')
}

/** Constant-time for equal lengths; lengths are not secret here. */
export function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}
