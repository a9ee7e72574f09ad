// mcpo as the OAuth client of a remote MCP server (issue 22): where the server's authorization server is, found the way
// the MCP authorization spec's client does it. The server's 401 names its Protected Resource Metadata
// (`resource_metadata`); without it the well-known PRM paths are tried (the endpoint's path, then the root); the PRM
// names the authorization server, whose RFC 8414 metadata (else OpenID configuration) is fetched and its issuer
// checked. A server without PRM is the 2025-03-26 case: the authorization server is the server's own origin, with
// default endpoints when it publishes no metadata. Every request goes through the gateway's network guard.
import * as oauth from 'oauth4webapi'
import { Agent, fetch as undiciFetch } from 'undici'
import { GatewayError } from '../errors.ts'
import { guardedConnector } from '../upstream/network-guard.ts'
import { bearerParams } from '../upstream/www-authenticate.ts'

export { bearerParams }

/** Discovery, registration and token requests each get this long. */
const TIMEOUT_MS = 10_000
/** Metadata documents are small; a server answering megabytes is refused. */
const MAX_BODY_BYTES = 256 * 1024

export interface Discovered {
  /** The resource indicator (RFC 8707) tokens are asked for: the PRM's `resource`, else the server's URL. */
  resource: string
  as: oauth.AuthorizationServer
  /** Scopes the server says it uses, when its PRM or challenge names them. */
  scopes: string[]
}

export interface OAuthHttp {
  /** For oauth4webapi's `customFetch`: bounded in time and size, refused inside the blocked networks. */
  fetch: (url: string, init: RequestInit) => Promise<Response>
  close(): Promise<void>
}

/** The fetch mcpo's upstream OAuth requests go through. */
export function oauthHttp(blockedNetworks: readonly string[]): OAuthHttp {
  const agent = new Agent({
    connect: blockedNetworks.length > 0 ? guardedConnector(TIMEOUT_MS, blockedNetworks) : { timeout: TIMEOUT_MS },
  })
  return {
    async fetch(url, init) {
      const res = await undiciFetch(url, {
        ...(init as Record<string, unknown>),
        dispatcher: agent,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
      const length = Number(res.headers.get('content-length') ?? 0)
      if (length > MAX_BODY_BYTES) {
        await res.body?.cancel()
        throw new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', `${new URL(url).origin} answered ${length} bytes`)
      }
      return res as unknown as Response
    },
    close: () => agent.close(),
  }
}

/** oauth4webapi's options for one request: our fetch, and plain http only to loopback (tests, local servers). */
export function requestOptions(http: OAuthHttp, url: URL | string) {
  const u = typeof url === 'string' ? new URL(url) : url
  return {
    [oauth.customFetch]: http.fetch as typeof fetch,
    [oauth.allowInsecureRequests]: u.protocol === 'http:' && isLoopback(u.hostname),
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

const unavailable = (message: string, cause?: unknown) =>
  new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', message, cause === undefined ? undefined : { cause })

/**
 * What the server's own 401 says: the PRM URL and scopes of its Bearer challenge. The request is the one a client would
 * send first (an initialize), without credentials.
 */
export async function challengeOf(http: OAuthHttp, serverUrl: string): Promise<{ metadata?: string; scope?: string }> {
  const res = await http
    .fetch(serverUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'mcpo', version: '0' } },
      }),
    })
    .catch((err: unknown) => {
      throw unavailable(`the server could not be reached: ${(err as Error).message}`, err)
    })
  await res.body?.cancel().catch(() => {})
  if (res.status !== 401) return {}
  const params = bearerParams(res.headers.get('www-authenticate') ?? '')
  return { metadata: params.resource_metadata, scope: params.scope }
}

/** The PRM documents to try, in the spec's order: the one the 401 named, the endpoint's path, the root. */
function metadataCandidates(serverUrl: URL, named: string | undefined): URL[] {
  const out: URL[] = []
  if (named) {
    try {
      out.push(new URL(named))
    } catch {
      // An unparsable URL in the challenge is skipped like a missing one.
    }
  }
  const path = serverUrl.pathname.replace(/\/+$/, '')
  if (path !== '') out.push(new URL(`/.well-known/oauth-protected-resource${path}`, serverUrl))
  out.push(new URL('/.well-known/oauth-protected-resource', serverUrl))
  return out
}

async function protectedResource(
  http: OAuthHttp,
  serverUrl: URL,
  named: string | undefined,
): Promise<{ resource: string; authorizationServers: string[]; scopes: string[] } | null> {
  for (const url of metadataCandidates(serverUrl, named)) {
    let res: Response
    try {
      res = await http.fetch(url.href, { method: 'GET', headers: { accept: 'application/json' } })
    } catch {
      continue
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {})
      continue
    }
    const doc = (await res.json().catch(() => null)) as {
      resource?: unknown
      authorization_servers?: unknown
      scopes_supported?: unknown
    } | null
    const servers = Array.isArray(doc?.authorization_servers)
      ? doc.authorization_servers.filter((s): s is string => typeof s === 'string')
      : []
    if (servers.length === 0) continue
    // RFC 9728 §3.3: the document must be about this server, or a client could be sent to another's server.
    const resource = typeof doc?.resource === 'string' ? doc.resource : serverUrl.href
    if (!sameResource(resource, serverUrl)) {
      throw unavailable(`the protected resource metadata at ${url.href} is for ${resource}, not ${serverUrl.href}`)
    }
    const scopes = Array.isArray(doc?.scopes_supported)
      ? doc.scopes_supported.filter((s): s is string => typeof s === 'string')
      : []
    return { resource, authorizationServers: servers, scopes }
  }
  return null
}

/** The PRM's resource covers the server when it is the server's URL or a path prefix of it, on the same origin. */
function sameResource(resource: string, serverUrl: URL): boolean {
  let r: URL
  try {
    r = new URL(resource)
  } catch {
    return false
  }
  if (r.origin !== serverUrl.origin) return false
  const prefix = r.pathname.replace(/\/+$/, '')
  return serverUrl.pathname === prefix || serverUrl.pathname.startsWith(`${prefix}/`) || prefix === ''
}

async function authorizationServer(http: OAuthHttp, issuer: URL): Promise<oauth.AuthorizationServer | null> {
  for (const algorithm of ['oauth2', 'oidc'] as const) {
    let res: Response
    try {
      res = await oauth.discoveryRequest(issuer, { ...requestOptions(http, issuer), algorithm })
    } catch {
      continue
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {})
      continue
    }
    try {
      // Checks that the document names this very issuer (RFC 8414 §3.3).
      return await oauth.processDiscoveryResponse(issuer, res)
    } catch (err) {
      throw unavailable(
        `the authorization server metadata of ${issuer.href} is not valid: ${(err as Error).message}`,
        err,
      )
    }
  }
  return null
}

/** Finds the authorization server of the MCP server at `serverUrl`. */
export async function discover(http: OAuthHttp, serverUrl: string): Promise<Discovered> {
  const url = new URL(serverUrl)
  const challenge = await challengeOf(http, serverUrl)
  const fromChallenge = challenge.scope ? challenge.scope.split(' ').filter(Boolean) : []
  const prm = await protectedResource(http, url, challenge.metadata)
  if (prm) {
    const issuer = new URL(prm.authorizationServers[0])
    const as = await authorizationServer(http, issuer)
    if (!as) throw unavailable(`the authorization server ${issuer.href} publishes no metadata`)
    return { resource: prm.resource, as, scopes: fromChallenge.length > 0 ? fromChallenge : prm.scopes }
  }
  // 2025-03-26: no PRM; the server's origin is its authorization server.
  const origin = new URL(url.origin)
  const as = (await authorizationServer(http, origin)) ?? {
    issuer: url.origin,
    authorization_endpoint: `${url.origin}/authorize`,
    token_endpoint: `${url.origin}/token`,
    registration_endpoint: `${url.origin}/register`,
  }
  return { resource: url.href, as, scopes: fromChallenge }
}
