// Talking to the OpenID provider through oauth4webapi (OpenID-certified): discovery, the authorization response, the
// code grant with PKCE and the ID token checks. This module adds mcpo's limits and maps failures to GatewayErrors.
import * as oauth from 'oauth4webapi'
import { GatewayError, type Logger } from '../contract.ts'

const TIMEOUT_MS = 10_000
const KEYS_TIMEOUT_MS = 5000
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
/** Discovery documents, key sets and token answers are a few KB; whatever answers at a URL cannot make mcpo hold more. */
const MAX_ANSWER_BYTES = 1024 * 1024

export type TokenEndpointAuth = 'client_secret_basic' | 'client_secret_post'

/** A discovered provider: its metadata as oauth4webapi takes it, and what mcpo chose from it. */
export interface Provider {
  readonly as: oauth.AuthorizationServer
  readonly tokenEndpointAuth: TokenEndpointAuth
  /** http is allowed only for a loopback issuer (a local test provider); every endpoint was checked the same way. */
  readonly insecure: boolean
  /** The key set oauth4webapi last fetched; kept across re-discovery while jwks_uri stays the same. */
  readonly keys: oauth.JWKSCacheInput
}

export interface Client {
  id: string
  secret: string
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
const unavailable = (message: string, cause?: unknown) =>
  new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', message, cause === undefined ? undefined : { cause })
const refused = (message: string, cause?: unknown) =>
  new GatewayError('MCPO_ERR_UNAUTHENTICATED', message, cause === undefined ? undefined : { cause })

/** Fetches and checks `${issuer}/.well-known/openid-configuration`; `previous` lends its key set when jwks_uri stays. */
export async function discover(issuer: string, previous?: Provider): Promise<Provider> {
  const url = `${stripSlash(issuer)}/.well-known/openid-configuration`
  const expected = new URL(issuer)
  const insecure = expected.protocol === 'http:'
  const problem = (what: string) => unavailable(`the OpenID provider's discovery document ${what}`)
  // Failures of the request itself (timeout, size, refused connection) are GatewayErrors from boundedFetch.
  const res = await oauth.discoveryRequest(expected, {
    [oauth.customFetch]: boundedFetch('discovery', TIMEOUT_MS),
    [oauth.allowInsecureRequests]: insecure,
  })
  let as: oauth.AuthorizationServer
  try {
    as = await oauth.processDiscoveryResponse(expected, res)
  } catch (err) {
    const cause = causeOf(err)
    const named = cause.body?.issuer
    // OIDC Discovery §4.3 wants the issuer as configured; mcpo has always let a trailing slash differ.
    if (typeof named === 'string' && stripSlash(named) === stripSlash(issuer)) {
      as = cause.body as unknown as oauth.AuthorizationServer
    } else if (cause.attribute === 'issuer' || /"issuer"/.test((err as Error).message)) {
      throw problem(`names issuer ${JSON.stringify(named)}, not ${JSON.stringify(issuer)}`)
    } else {
      throw unavailable(`the OpenID provider's discovery failed (${res.status}, ${url})`, err)
    }
  }

  const endpoint = (name: 'authorization_endpoint' | 'token_endpoint' | 'jwks_uri'): string => {
    try {
      return providerUrl(as[name], name).href
    } catch (err) {
      throw problem(`has a bad ${(err as Error).message}`)
    }
  }
  const endpoints = {
    authorization_endpoint: endpoint('authorization_endpoint'),
    token_endpoint: endpoint('token_endpoint'),
    jwks_uri: endpoint('jwks_uri'),
  }
  const challenges = as.code_challenge_methods_supported
  if (Array.isArray(challenges) && !challenges.includes('S256')) throw problem('does not offer PKCE with S256')
  const responseTypes = as.response_types_supported
  if (Array.isArray(responseTypes) && !responseTypes.includes('code')) throw problem('does not offer the code flow')
  // RFC 8414 §2: client_secret_basic when the provider lists nothing.
  const auths = Array.isArray(as.token_endpoint_auth_methods_supported)
    ? as.token_endpoint_auth_methods_supported
    : ['client_secret_basic']
  const tokenEndpointAuth: TokenEndpointAuth | null = auths.includes('client_secret_basic')
    ? 'client_secret_basic'
    : auths.includes('client_secret_post')
      ? 'client_secret_post'
      : null
  if (!tokenEndpointAuth) throw problem('offers neither client_secret_basic nor client_secret_post')
  // oauth4webapi checks the ID token's `alg` against this list (there is no client setting that takes several), so
  // the list it sees holds only asymmetric algorithms: those the provider names, else all of them (as before).
  const listed = as.id_token_signing_alg_values_supported
  const usable = ID_TOKEN_ALGORITHMS.filter((a) => !Array.isArray(listed) || listed.includes(a))
  const algorithms: string[] = usable.length ? usable : [...ID_TOKEN_ALGORITHMS]
  const keys = previous?.as.jwks_uri === endpoints.jwks_uri ? previous.keys : {}
  return {
    as: { ...as, ...endpoints, id_token_signing_alg_values_supported: algorithms },
    tokenEndpointAuth,
    insecure,
    keys,
  }
}

/** Checks the callback's parameters (RFC 9207 `iss` when sent, `state`, `error`); answers them for the code grant. */
export function validateCallback(provider: Provider, clientId: string, params: URLSearchParams, state: string) {
  let checked: URLSearchParams
  try {
    checked = oauth.validateAuthResponse(provider.as, { client_id: clientId }, params, state)
  } catch (err) {
    if (err instanceof oauth.AuthorizationResponseError) {
      const code = /^[\w.-]{1,64}$/.test(err.error) ? err.error : 'error'
      throw refused(`the OpenID provider refused the sign-in (${code})`)
    }
    const message = (err as Error).message
    // Mix-up defence (RFC 9207): a provider that names itself must be ours, and one that says it always does must.
    if (/"iss".*missing/.test(message)) throw refused('the answer does not name its provider (iss)')
    if (/"iss"/.test(message)) throw refused('the answer comes from another provider (iss)')
    // The state ties this callback to the browser that started the sign-in (CSRF on the redirect URI).
    if (/"state"/.test(message)) throw refused('the sign-in does not match this browser (state)')
    throw new GatewayError('MCPO_ERR_BAD_REQUEST', 'the provider’s answer is not a usable authorization response', {
      cause: err,
    })
  }
  if (!checked.get('code')) throw new GatewayError('MCPO_ERR_BAD_REQUEST', 'the provider sent no authorization code')
  return checked
}

/**
 * Redeems an authorization code and checks the ID token: alg, iss, aud, azp, exp, iat and nonce (oauth4webapi), then
 * its signature against the provider's JWKS. The client secret goes only to the token endpoint.
 */
export async function redeemCode(
  provider: Provider,
  client: Client,
  callback: URLSearchParams,
  grant: { redirectUri: string; verifier: string; nonce: string; now: number },
  logger: Logger,
): Promise<oauth.IDToken> {
  const { as } = provider
  // The injected clock, as oauth4webapi takes it: seconds to add to Date.now().
  const oauthClient: oauth.Client = {
    client_id: client.id,
    [oauth.clockSkew]: Math.round((grant.now - Date.now()) / 1000),
    [oauth.clockTolerance]: 30,
  }
  const auth =
    provider.tokenEndpointAuth === 'client_secret_basic'
      ? clientSecretBasic(client.secret)
      : oauth.ClientSecretPost(client.secret)
  let res: Response
  try {
    res = await oauth.authorizationCodeGrantRequest(
      as,
      oauthClient,
      auth,
      callback,
      grant.redirectUri,
      grant.verifier,
      {
        [oauth.customFetch]: boundedFetch('token answer', TIMEOUT_MS),
        [oauth.allowInsecureRequests]: provider.insecure,
      },
    )
  } catch (err) {
    if (err instanceof GatewayError) throw err
    throw unavailable('the OpenID provider’s token endpoint did not answer', describeFetchError(err))
  }

  let answer: oauth.TokenEndpointResponse
  try {
    answer = await oauth.processAuthorizationCodeResponse(as, oauthClient, res, {
      expectedNonce: grant.nonce,
      requireIdToken: true,
    })
  } catch (err) {
    throw tokenAnswerError(err, res, logger)
  }
  try {
    await oauth.validateApplicationLevelSignature(as, res, {
      [oauth.customFetch]: boundedFetch('key set', KEYS_TIMEOUT_MS),
      [oauth.allowInsecureRequests]: provider.insecure,
      [oauth.jwksCache]: provider.keys,
    })
  } catch (err) {
    throw signatureError(err)
  }

  const claims = oauth.getValidatedIdTokenClaims(answer)!
  // OIDC Core §3.1.3.7 item 5: oauth4webapi looks at azp only with several audiences; a present azp must name us.
  if (claims.azp !== undefined && claims.azp !== client.id) {
    throw refused('the ID token was issued to another client (azp)')
  }
  if (claims.sub === '' || claims.sub.length > 255) throw refused('the ID token has no usable subject')
  return claims
}

/**
 * client_secret_basic as mcpo has always sent it: RFC 6749 §2.3.1 form-encodes id and secret before joining them,
 * and the WHATWG form encoding keeps `-._*` as they are. oauth4webapi's own ClientSecretBasic escapes those too
 * (%2D, %5F), which providers that do not decode the pair refuse (panva/oauth4webapi#148, #199); client ids with a
 * dash are common. Plugged in through the library's ClientAuth hook, so the request itself stays the library's.
 */
function clientSecretBasic(secret: string): oauth.ClientAuth {
  const encode = (s: string) => new URLSearchParams({ s }).toString().slice(2)
  return (_as, client, _body, headers) => {
    const pair = `${encode(client.client_id)}:${encode(secret)}`
    headers.set('authorization', `Basic ${Buffer.from(pair).toString('base64')}`)
  }
}

/**
 * Why an ID token was refused, in the words mcpo's messages have always used (jose's error codes), so logs, alerts and
 * audit reasons read the same whichever library checked the token.
 */
const REASON = {
  alg: 'ERR_JOSE_ALG_NOT_ALLOWED',
  claim: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
  expired: 'ERR_JWT_EXPIRED',
  invalid: 'ERR_JWT_INVALID',
  signature: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  noKey: 'ERR_JWKS_NO_MATCHING_KEY',
  unsupported: 'ERR_JOSE_NOT_SUPPORTED',
} as const

interface ErrorCause {
  attribute?: string
  claim?: string
  claims?: Record<string, unknown>
  header?: unknown
  body?: Record<string, unknown>
  signature?: unknown
}

/** The details oauth4webapi attaches to its errors (`cause`), or none. */
function causeOf(err: unknown): ErrorCause {
  const cause = (err as { cause?: unknown })?.cause
  return cause !== null && typeof cause === 'object' ? (cause as ErrorCause) : {}
}

/** The claims oauth4webapi requires of an ID token with a nonce, in the order it checks them. */
const REQUIRED_CLAIMS = ['aud', 'exp', 'iat', 'iss', 'sub', 'nonce'] as const

function tokenAnswerError(err: unknown, res: Response, logger: Logger): GatewayError {
  if (err instanceof oauth.ResponseBodyError || err instanceof oauth.WWWAuthenticateChallengeError || !res.ok) {
    // Log the OAuth error code only (RFC 6749 §5.2): never the request, which carries the secret.
    const error = err instanceof oauth.ResponseBodyError ? err.error.slice(0, 64) : null
    logger.warn({ status: res.status, error }, 'the OpenID provider refused the authorization code')
    if (res.status >= 500 || res.status < 400) return unavailable(`the OpenID provider failed (${res.status})`)
    return refused(`the OpenID provider refused the sign-in (${error ?? res.status})`)
  }
  const cause = causeOf(err)
  const claims = cause.claims
  if (err instanceof oauth.UnsupportedOperationError) return refused(`the ID token was refused (${REASON.unsupported})`)
  if (cause.header !== undefined) return refused(`the ID token was refused (${REASON.alg})`, err)
  if (claims) {
    const claim = cause.claim ?? REQUIRED_CLAIMS.find((c) => claims[c] === undefined)
    if (claim === 'nonce') return refused('the ID token does not belong to this sign-in (nonce)', err)
    if (claim === 'aud' && Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp === undefined) {
      return refused('the ID token has several audiences and no azp', err)
    }
    if (claim === 'azp') return refused('the ID token was issued to another client (azp)', err)
    const expired = (err as { code?: string }).code === oauth.JWT_TIMESTAMP_CHECK && claim === 'exp'
    return refused(`the ID token was refused (${expired ? REASON.expired : REASON.claim})`, err)
  }
  if (cause.body && typeof cause.body.id_token !== 'string') {
    return unavailable('the OpenID provider answered without an ID token', err)
  }
  if (/JWT/.test((err as Error)?.message ?? '')) return refused(`the ID token was refused (${REASON.invalid})`, err)
  return unavailable('the OpenID provider’s token answer is not usable', err)
}

function signatureError(err: unknown): GatewayError {
  const code = (err as { code?: string })?.code
  if (code === oauth.KEY_SELECTION) return refused(`the ID token was refused (${REASON.noKey})`, err)
  if (err instanceof oauth.UnsupportedOperationError) return refused(`the ID token was refused (${REASON.unsupported})`)
  if (code === oauth.INVALID_RESPONSE && causeOf(err).signature !== undefined) {
    return refused(`the ID token was refused (${REASON.signature})`, err)
  }
  // Everything else is the key set itself: unreachable, too large, not a JWKS or holding a key that does not import.
  return unavailable('could not load the OpenID provider’s signing keys', err)
}

/**
 * oauth4webapi's fetch for one kind of answer: a timeout, no redirects followed, and the body read up to
 * MAX_ANSWER_BYTES (the rest is never read). Failures are GatewayErrors naming `what`.
 */
function boundedFetch(what: string, timeoutMs: number) {
  return async (url: string, init: RequestInit): Promise<Response> => {
    let res: Response
    try {
      res = await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(timeoutMs) })
    } catch (err) {
      throw unavailable(`the OpenID provider's ${what} did not answer (${url})`, describeFetchError(err))
    }
    let body: Buffer | null
    try {
      body = await boundedBody(res)
    } catch (err) {
      throw unavailable(`the OpenID provider's ${what} broke off`, describeFetchError(err))
    }
    if (body === null) throw unavailable(`the OpenID provider's ${what} is larger than 1 MiB`)
    // The body is decoded already: the provider's content-encoding and content-length no longer describe it.
    const headers = new Headers(res.headers)
    for (const h of ['content-encoding', 'content-length', 'transfer-encoding']) headers.delete(h)
    const empty = res.status === 204 || res.status === 205 || res.status === 304
    return new Response(empty ? null : new Uint8Array(body), {
      status: res.status,
      statusText: res.statusText,
      headers,
    })
  }
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

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string } })?.cause?.code
  return cause ?? (err instanceof Error ? err.name : 'error')
}
