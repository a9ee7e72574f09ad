// mcpo as the OAuth 2.1 authorization server of its MCP endpoints, built on oidc-provider (OpenID-certified, and the
// one library that implements the whole of what MCP clients need: authorization code with PKCE, resource indicators
// bound into JWT access tokens, RFC 9207 `iss`, Dynamic Client Registration, Client ID Metadata Documents with SSRF
// protection, refresh-token rotation with reuse detection, revocation). It is a Koa application that wants Node's
// http objects, so it runs on an http server listening on a private unix socket, and the uWS edge relays /oauth/* and
// the discovery documents to it (design.md §12). Those routes are not on the hot path: a relayed MCP request only
// verifies a JWT locally (resource-server.ts).
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Provider, { errors as oauthErrors } from 'oidc-provider'
import { Agent, Client as UndiciClient, fetch as undiciFetch } from 'undici'
import type { Logger } from '../../plugins/contract.ts'
import type { Keyring } from '../../plugins/secrets/keyring.ts'
import type { Store } from '../../plugins/storage/port.ts'
import type { HeaderMap, IncomingRequest, Responder } from '../http.ts'
import { sendJson } from '../http.ts'
import { adapterFor } from './adapter.ts'
import { type SigningKeySet, SigningKeys } from './keys.ts'
import { MCP_SCOPE, parseResource, resourceUrl } from './resources.ts'

export interface OAuthClientConfig {
  clientId: string
  clientName?: string
  clientSecret?: string
  redirectUris: string[]
}

export interface OAuthSettings {
  accessTokenTtlS: number
  refreshTokenTtlS: number
  rotateKeysAfterS: number
  dynamicRegistration: boolean
  clientMetadataDocuments: boolean
  clientMetadataPrivateHosts: string[]
  clientMetadataCa?: string
  clients: OAuthClientConfig[]
}

/** What the authorization server asks of the rest of the gateway. */
export interface OAuthServerDeps {
  store: Store
  keyring: Keyring
  logger: Logger
  settings: OAuthSettings
  /** Signs the provider's cookies; the same on every node, so a browser's flow may cross nodes. */
  cookieKey: string
  /** The issuer: the public base URL, or the loopback URL the gateway listens on. Read once the server listens. */
  issuer(): string
  /** The project's auth mode allows OAuth and the endpoint exists; else the resource is refused (invalid_target). */
  resourceAvailable(projectId: string, serverName: string | null): Promise<boolean>
  /** The user's role in the project, or null when not a member. */
  roleOf(userId: string, projectId: string): Promise<string | null>
  /** Shown on the consent page. */
  describeUser(userId: string): Promise<{ email: string; name: string | null } | null>
  projectName(projectId: string): Promise<string | null>
  /** An audit record for grants, refusals and token events. */
  audit(action: string, detail: Record<string, unknown>, actorUserId: string | null): void
}

/** Set by the edge on relayed requests after it authenticated the admin-UI session; never taken from a client. */
export const USER_HEADER = 'x-mcpo-user'

// The edge writes its own framing headers.
/** Scopes a consent grants when asked: mcpo's own and the OpenID ones the provider knows. */
const GRANTABLE: ReadonlySet<string> = new Set([MCP_SCOPE, 'openid', 'offline_access'])
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date'])

const INTERACTION_PATH = /^\/oauth\/interaction\/([A-Za-z0-9_-]{1,64})\/(details|decision)$/

export class AuthorizationServer {
  private started: Promise<Started> | null = null
  private stopped = false

  constructor(private readonly deps: OAuthServerDeps) {}

  /** The signing keys (public) for token verification; loads them on first use. */
  async keys(): Promise<SigningKeySet> {
    return (await this.start()).keys
  }

  /** Reloads keys from the database (a token names a key this node has not seen: another node rotated). */
  async reloadKeys(): Promise<SigningKeySet> {
    const s = await this.start()
    s.keys = await s.signingKeys.load()
    return s.keys
  }

  /** Relays one request to the provider. `userId` is the signed-in admin-UI user, for the consent routes. */
  async handle(req: IncomingRequest, res: Responder, userId: string | null): Promise<void> {
    let s: Started
    try {
      s = await this.start()
    } catch (err) {
      this.deps.logger.error({ err }, 'the OAuth authorization server could not start')
      if (!res.aborted) sendJson(res, 503, { error: 'temporarily_unavailable' })
      return
    }
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) {
      if (k !== USER_HEADER && k !== 'host' && k !== 'connection' && !k.startsWith('x-forwarded-')) headers[k] = v
    }
    const issuer = new URL(this.deps.issuer())
    headers.host = issuer.host
    headers['x-forwarded-proto'] = issuer.protocol.slice(0, -1)
    headers['x-forwarded-for'] = req.ip
    if (userId) headers[USER_HEADER] = userId
    const path = req.path === '/.well-known/oauth-authorization-server' ? '/.well-known/openid-configuration' : req.path
    try {
      const answer = await s.client.request({
        method: req.method as 'GET',
        path: req.query ? `${path}?${req.query}` : path,
        headers,
        body: req.body ?? undefined,
      })
      const body = Buffer.from(await answer.body.arrayBuffer())
      if (res.aborted) return
      const out: Record<string, string | string[]> = {}
      for (const [k, v] of Object.entries(answer.headers)) {
        if (v === undefined || HOP_BY_HOP.has(k)) continue
        out[k] = Array.isArray(v) ? v : String(v)
      }
      res.send(answer.statusCode, out as HeaderMap, body)
    } catch (err) {
      this.deps.logger.error({ err }, 'relaying to the OAuth authorization server failed')
      if (!res.aborted) sendJson(res, 502, { error: 'temporarily_unavailable' })
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    const s = await this.started?.catch(() => null)
    if (!s) return
    clearInterval(s.maintenance)
    await s.client.close().catch(() => {})
    await new Promise<void>((resolve) => s.server.close(() => resolve()))
    s.server.closeAllConnections()
    rmSync(s.socket, { force: true })
  }

  private start(): Promise<Started> {
    if (this.stopped) return Promise.reject(new Error('the authorization server is stopped'))
    this.started ??= this.boot().catch((err) => {
      this.started = null
      throw err
    })
    return this.started
  }

  private async boot(): Promise<Started> {
    const { settings } = this.deps
    const signingKeys = new SigningKeys(this.deps.store, this.deps.keyring, {
      rotateAfterS: settings.rotateKeysAfterS,
      graceS: settings.accessTokenTtlS + 300,
    })
    const keys = await signingKeys.load()
    const provider = this.provider(keys)
    const server = createServer()
    const socket = join(tmpdir(), `mcpo-oauth-${process.pid}-${randomBytes(6).toString('hex')}.sock`)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(socket, () => resolve())
    })
    const started: Started = {
      provider,
      server,
      socket,
      keys,
      signingKeys,
      client: new UndiciClient('http://localhost', { socketPath: socket }),
      maintenance: setInterval(() => {
        this.deps.store.oauth.prune().catch(() => {})
        // A key past its signing time is rotated by whichever node looks first; the provider signs with the new one.
        if (Date.now() - started.keys.newestAt > settings.rotateKeysAfterS * 1000) {
          signingKeys
            .load()
            .then((k) => {
              started.keys = k
              started.provider = this.provider(k)
            })
            .catch((err) => this.deps.logger.error({ err }, 'rotating the OAuth signing key failed'))
        }
      }, 60_000),
    }
    started.maintenance.unref()
    // The handler reads the provider through `started`, so a rotation swaps it for the requests that follow.
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const m = INTERACTION_PATH.exec((req.url ?? '').split('?')[0])
      if (m) {
        this.interaction(started.provider, req, res, m[1], m[2] as 'details' | 'decision').catch((err) =>
          this.fail(res, err),
        )
        return
      }
      started.provider.callback()(req, res)
    })
    return started
  }

  private provider(keys: SigningKeySet): Provider {
    const { deps } = this
    const { settings } = deps
    const issuer = deps.issuer()
    const provider = new Provider(issuer, {
      adapter: adapterFor(deps.store),
      jwks: { keys: keys.privateKeys as never },
      clients: settings.clients.map((c) => ({
        client_id: c.clientId,
        client_name: c.clientName,
        redirect_uris: c.redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        id_token_signed_response_alg: 'ES256',
        ...(c.clientSecret
          ? { client_secret: c.clientSecret, token_endpoint_auth_method: 'client_secret_basic' }
          : { token_endpoint_auth_method: 'none' }),
      })),
      clientDefaults: {
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        // The only key type mcpo signs with; a client that does not ask gets this instead of RS256.
        id_token_signed_response_alg: 'ES256',
      },
      responseTypes: ['code'],
      // The one scope there is; never offline_access (protocol.md §7.2): refresh tokens come with every grant.
      scopes: [MCP_SCOPE],
      claims: { openid: ['sub'] },
      // The cookies tie an authorization to the browser that started it, whichever node each of its steps reaches.
      cookies: { keys: [deps.cookieKey] },
      pkce: { required: () => true },
      routes: {
        authorization: '/oauth/authorize',
        token: '/oauth/token',
        registration: '/oauth/register',
        revocation: '/oauth/revoke',
        jwks: '/oauth/jwks',
        end_session: '/oauth/session/end',
        userinfo: '/oauth/userinfo',
        introspection: '/oauth/introspect',
        pushed_authorization_request: '/oauth/par',
        backchannel_authentication: '/oauth/backchannel',
        code_verification: '/oauth/device',
        device_authorization: '/oauth/device/auth',
        challenge: '/oauth/challenge',
        credential: '/oauth/credential',
      },
      interactions: { url: (_ctx, interaction) => `/oauth/interaction/${interaction.uid}` },
      features: {
        devInteractions: { enabled: false },
        revocation: { enabled: true },
        registration: { enabled: settings.dynamicRegistration },
        clientIdMetadataDocument: { enabled: settings.clientMetadataDocuments, ack: 'draft-02' },
        resourceIndicators: {
          enabled: true,
          // No default: a client names the endpoint it wants a token for (RFC 8707), or gets none. Token requests
          // without one use the resource of the grant.
          defaultResource: (ctx) => {
            if (ctx.oidc.route === 'authorization') {
              throw new oauthErrors.InvalidTarget('the resource parameter (the MCP endpoint URL) is required')
            }
            return undefined as unknown as string
          },
          useGrantedResource: () => true,
          getResourceServerInfo: async (_ctx, resource) => {
            const target = parseResource(issuer, resource)
            if (!target || !(await deps.resourceAvailable(target.projectId, target.serverName))) {
              throw new oauthErrors.InvalidTarget(`${resource} is not an MCP endpoint of this gateway that uses OAuth`)
            }
            return {
              scope: MCP_SCOPE,
              audience: resourceUrl(issuer, target),
              accessTokenTTL: settings.accessTokenTtlS,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg: 'ES256' } },
            }
          },
        },
      },
      // Every authorization is consented to on its own page; an earlier grant in the same browser is not reused, so a
      // request for another project or endpoint can never ride on it.
      loadExistingGrant: async (ctx) => {
        const grantId = ctx.oidc.result?.consent?.grantId
        return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined
      },
      // A browser-based client (a web inspector) may call the token and revocation endpoints from the origin of one of
      // its redirect URIs, if it is a public client; a confidential one never runs in a browser.
      clientBasedCORS: (_ctx, origin, client) =>
        origin !== 'null' &&
        client.clientAuthMethod === 'none' &&
        (client.redirectUris ?? []).some((uri) => URL.canParse(uri) && new URL(uri).origin === origin),
      expiresWithSession: async () => false,
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      rotateRefreshToken: true,
      extraTokenClaims: async (_ctx, token) => ('grantId' in token ? { grant_id: token.grantId } : undefined),
      findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
      ttl: {
        AccessToken: settings.accessTokenTtlS,
        AuthorizationCode: 60,
        Grant: settings.refreshTokenTtlS,
        Interaction: 600,
        Session: 600,
        RefreshToken: settings.refreshTokenTtlS,
        ClientCredentials: 600,
        IdToken: 600,
      },
      renderError: async (ctx, out) => {
        ctx.type = 'json'
        ctx.body = out
      },
      // Outbound fetches (client metadata documents) go through the provider's SSRF-protected dispatcher, except to
      // the private hosts an operator listed.
      fetch: this.outboundFetch(),
      fetchResponseBodyLimits: {
        'client_id metadata document': 5 * 1024,
        jwks_uri: 64 * 1024,
        sector_identifier_uri: 16 * 1024,
      },
      enabledJWA: { authorizationSigningAlgValues: ['ES256'], idTokenSigningAlgValues: ['ES256'] },
    })
    provider.proxy = true
    allowLoopbackPorts(provider)
    provider.on('grant.success', (ctx) => {
      const c = ctx.oidc.client
      deps.audit('oauth.token.issued', { clientId: c?.clientId, grantId: ctx.oidc.entities.Grant?.jti }, null)
    })
    provider.on('grant.error', (ctx, err) => {
      deps.logger.info({ client: ctx.oidc.client?.clientId, err: err.message }, 'OAuth token request refused')
      deps.audit('oauth.token.refused', { clientId: ctx.oidc.client?.clientId ?? null, error: err.message }, null)
    })
    provider.on('grant.revoked', (_ctx, grantId) => deps.audit('oauth.grant.revoked', { grantId }, null))
    provider.on('authorization.error', (ctx, err) => {
      deps.logger.info({ client: ctx.oidc.client?.clientId, err: err.message }, 'OAuth authorization refused')
      deps.audit(
        'oauth.authorization.refused',
        { clientId: ctx.oidc.client?.clientId ?? null, error: err.message },
        null,
      )
    })
    provider.on('server_error', (_ctx, err) => deps.logger.error({ err }, 'OAuth authorization server error'))
    return provider
  }

  private outboundFetch(): typeof fetch {
    const { clientMetadataPrivateHosts: hosts, clientMetadataCa: ca } = this.deps.settings
    const trusted = hosts.length > 0 ? new Agent({ connect: ca ? { ca } : {} }) : null
    return (url, options) => {
      const target = url instanceof Request ? url.url : String(url)
      if (trusted && hosts.includes(new URL(target).host)) {
        const { dispatcher: _ssrf, ...rest } = options as RequestInit & { dispatcher?: unknown }
        return undiciFetch(target, { ...(rest as object), dispatcher: trusted }) as unknown as Promise<Response>
      }
      return fetch(url, options)
    }
  }

  /** The consent page's two calls, bound to the browser that started the authorization by the interaction cookie. */
  private async interaction(
    provider: Provider,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    action: 'details' | 'decision',
  ): Promise<void> {
    const userId = req.headers[USER_HEADER]
    if (typeof userId !== 'string' || userId === '') {
      return json(res, 401, { error: 'login_required', error_description: 'sign in to mcpo first' })
    }
    const details = await provider.interactionDetails(req, res)
    if (details.uid !== uid) return json(res, 404, { error: 'invalid_request', error_description: 'no such request' })
    const params = details.params as Record<string, string | undefined>
    const client = await provider.Client.find(params.client_id ?? '')
    if (!client) return json(res, 400, { error: 'invalid_client' })
    const resource = params.resource ?? ''
    const target = parseResource(this.deps.issuer(), resource)
    if (!target) return json(res, 400, { error: 'invalid_target' })
    const role = await this.deps.roleOf(userId, target.projectId)
    if (action === 'details') {
      const user = await this.deps.describeUser(userId)
      const redirect = params.redirect_uri ? new URL(params.redirect_uri) : null
      return json(res, 200, {
        uid,
        client: {
          id: client.clientId,
          name: client.clientName ?? null,
          uri: client.clientUri ?? null,
          redirectHost: redirect?.host ?? null,
          registration: clientKind(client.clientId, this.deps.settings.clients),
        },
        project: { id: target.projectId, name: await this.deps.projectName(target.projectId) },
        server: target.serverName,
        resource,
        scopes: (params.scope ?? MCP_SCOPE).split(' ').filter(Boolean),
        user: user ? { id: userId, ...user } : { id: userId },
        role,
        canGrant: role !== null,
        prompt: { name: details.prompt.name, reasons: details.prompt.reasons },
      })
    }
    const body = await readJson(req)
    if (body?.allow !== true) {
      const to = await provider.interactionResult(req, res, {
        error: 'access_denied',
        error_description: 'the user did not allow access',
      })
      this.deps.audit('oauth.consent.denied', { clientId: client.clientId, resource }, userId)
      return json(res, 200, { redirectTo: to })
    }
    if (role === null) {
      return json(res, 403, {
        error: 'access_denied',
        error_description: 'only members of the project can connect apps to it',
      })
    }
    const grant = new provider.Grant({ accountId: userId, clientId: client.clientId })
    // Clients register and ask for mcp:tools as a scope of their own (the provider's), bound to one resource. The
    // other scopes the provider knows that they asked for (openid, offline_access) are granted with it; left out, the
    // provider would ask for consent again, and again.
    const asked = (params.scope ?? '').split(' ').filter((s) => GRANTABLE.has(s))
    grant.addOIDCScope([...new Set([MCP_SCOPE, ...asked])].join(' '))
    grant.addResourceScope(resource, MCP_SCOPE)
    const grantId = await grant.save()
    const to = await provider.interactionResult(
      req,
      res,
      { login: { accountId: userId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    )
    this.deps.audit(
      'oauth.consent.granted',
      { clientId: client.clientId, clientName: client.clientName ?? null, resource, grantId },
      userId,
    )
    json(res, 200, { redirectTo: to })
  }

  private fail(res: ServerResponse, err: unknown): void {
    const e = err as { name?: string; status?: number; error?: string; error_description?: string }
    if (e.name === 'SessionNotFound') {
      json(res, 400, {
        error: 'invalid_request',
        error_description: 'this authorization request has expired or was started in another browser; start again',
      })
    } else if (typeof e.status === 'number' && e.error) {
      json(res, e.status, { error: e.error, error_description: e.error_description })
    } else {
      this.deps.logger.error({ err }, 'OAuth consent step failed')
      json(res, 500, { error: 'server_error' })
    }
  }
}

interface Started {
  provider: Provider
  server: Server
  socket: string
  keys: SigningKeySet
  signingKeys: SigningKeys
  client: UndiciClient
  maintenance: NodeJS.Timeout
}

// localhost too: RFC 8252 prefers the IP literals, but desktop MCP clients register http://localhost:<port>/callback.
const LOOPBACK_REDIRECT = /^http:\/\/(?:127\.0\.0\.1|\[::1\]|localhost)(?::\d{1,5})?(\/[^?#]*)?(\?[^#]*)?$/

/** A loopback redirect URI without its port, or null for any other URI. */
function withoutLoopbackPort(uri: string): string | null {
  const m = LOOPBACK_REDIRECT.exec(uri)
  if (!m) return null
  return uri.replace(/^(http:\/\/(?:127\.0\.0\.1|\[::1\]|localhost)):\d{1,5}/, '$1')
}

/**
 * A client that registered a loopback redirect URI is a native app whatever `application_type` it sent (MCP clients
 * rarely send one), and RFC 8252 §7.3 has the server accept any port there: the app listens on whichever is free.
 * Everything but the port must still match exactly.
 */
function allowLoopbackPorts(provider: Provider): void {
  const proto = provider.Client.prototype as {
    redirectUriAllowed(this: { redirectUris: string[] }, v: string): boolean
  }
  const exact = proto.redirectUriAllowed
  proto.redirectUriAllowed = function (value: string) {
    if (exact.call(this, value)) return true
    const stripped = withoutLoopbackPort(value)
    return stripped !== null && this.redirectUris.some((u) => withoutLoopbackPort(u) === stripped)
  }
}

function clientKind(
  clientId: string,
  preregistered: readonly OAuthClientConfig[],
): 'preregistered' | 'metadata-document' | 'dynamic' {
  if (preregistered.some((c) => c.clientId === clientId)) return 'preregistered'
  return clientId.startsWith('https://') ? 'metadata-document' : 'dynamic'
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > 16 * 1024) return null
    chunks.push(chunk as Buffer)
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    return typeof v === 'object' && v !== null ? v : null
  } catch {
    return null
  }
}
