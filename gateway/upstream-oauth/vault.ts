// The tokens mcpo holds for OAuth-protected remote servers (issue 22): per project (an Owner connects once) or per user
// (each member connects their own account), sealed with the keyring, refreshed before they expire (one node at a
// time, through a lock in the store, so a rotating refresh token is never spent twice), revoked at the provider on
// disconnect. The flows themselves are oauth4webapi's: PKCE, resource indicators, RFC 9207 `iss` checks.
import { randomUUID } from 'node:crypto'
import * as oauth from 'oauth4webapi'
import type { Logger } from '../../plugins/contract.ts'
import { decrypt, encrypt } from '../../plugins/secrets/cipher.ts'
import type { Keyring } from '../../plugins/secrets/keyring.ts'
import type {
  PendingAuthorization,
  UpstreamCredential,
  UpstreamOAuthClient,
  UpstreamOAuthRepo,
} from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import { type Discovered, discover, type OAuthHttp, oauthHttp, requestOptions } from './discovery.ts'

/** A server's OAuth settings as the relay's spec carries them (the client secret decrypted). */
export interface ServerOAuth {
  type: 'oauth'
  credentials: 'project' | 'user'
  clientId: string | null
  clientSecret: string | null
  scopes: string[]
}

export interface OAuthServer {
  projectId: string
  name: string
  url: string
  auth: ServerOAuth
}

export interface UpstreamOAuthOptions {
  repo: UpstreamOAuthRepo
  keyring: Keyring
  logger: Logger
  /** The gateway's public origin (read when needed: the listening port is known only once it listens). */
  publicBase: () => string
  blockedNetworks: readonly string[]
  nodeId: string
  /** The name providers show their users. */
  clientName?: string
}

/** Tokens are refreshed this long before they expire, so a request never goes out with one about to lapse. */
const REFRESH_AHEAD_MS = 60_000
/** A node refreshing holds the lock this long at most; another waits for it, then reads what it stored. */
const REFRESH_LOCK_S = 30
/** A token refused this soon after it was stored is not refreshed again: the grant itself is gone. */
const REFUSED_AGAIN_MS = 60_000
/** A started connection must come back within this. */
const PENDING_S = 15 * 60
/** Discovery results are kept this long per server. */
const DISCOVERY_TTL_MS = 10 * 60_000

export const CALLBACK_PATH = '/oauth/upstream/callback'
export const CLIENT_METADATA_PATH = '/oauth/upstream/client.json'

/** Who a credential belongs to: null for the project's own. */
export type CredentialOwner = string | null

export class UpstreamOAuth {
  private readonly http: OAuthHttp
  private readonly discovered = new Map<string, { at: number; value: Promise<Discovered> }>()
  private readonly refreshing = new Map<string, Promise<string | null>>()
  /** Scopes a server asked for with `403 insufficient_scope`, by credential, for the next consent. */
  private readonly stepUps = new Map<string, Set<string>>()

  constructor(private readonly o: UpstreamOAuthOptions) {
    this.http = oauthHttp(o.blockedNetworks)
  }

  private get base(): string {
    return this.o.publicBase().replace(/\/+$/, '')
  }

  get redirectUri(): string {
    return `${this.base}${CALLBACK_PATH}`
  }

  get clientMetadataUrl(): string {
    return `${this.base}${CLIENT_METADATA_PATH}`
  }

  /** Where a member connects a server: the link that starts the flow (it needs a signed-in browser). */
  connectUrl(server: { projectId: string; name: string }, owner: CredentialOwner): string {
    const path = `/api/projects/${encodeURIComponent(server.projectId)}/servers/${encodeURIComponent(server.name)}/oauth/connect`
    return `${this.base}${path}${owner === null ? '' : '?for=me'}`
  }

  /** mcpo's Client ID Metadata Document: what a provider that supports them reads instead of a registration. */
  clientMetadata(): Record<string, unknown> {
    return {
      client_id: this.clientMetadataUrl,
      client_name: this.o.clientName ?? 'mcpo',
      client_uri: new URL(this.base).origin,
      redirect_uris: [this.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }
  }

  /** Starts a connection: the provider's authorization URL, and the state the callback must come back with. */
  async start(
    server: OAuthServer,
    owner: CredentialOwner,
    returnTo: string | null,
  ): Promise<{ url: string; state: string }> {
    const d = await this.discovery(server)
    const { client } = await this.client(server, d)
    const verifier = oauth.generateRandomCodeVerifier()
    const state = oauth.generateRandomState()
    const scopes = await this.scopesFor(server, owner, d)
    await this.o.repo.savePending(
      {
        state,
        projectId: server.projectId,
        serverName: server.name,
        userId: owner,
        issuer: d.as.issuer,
        codeVerifier: this.seal(verifier, `pending:${state}`),
        redirectUri: this.redirectUri,
        returnTo,
        scopes: scopes.length > 0 ? scopes.join(' ') : null,
      },
      PENDING_S,
    )
    const endpoint = d.as.authorization_endpoint
    if (!endpoint) throw unavailable(`${d.as.issuer} names no authorization endpoint`)
    const url = new URL(endpoint)
    url.searchParams.set('response_type', 'code')
    url.searchParams.set('client_id', client.client_id)
    url.searchParams.set('redirect_uri', this.redirectUri)
    url.searchParams.set('state', state)
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier))
    url.searchParams.set('code_challenge_method', 'S256')
    url.searchParams.set('resource', d.resource)
    if (scopes.length > 0) url.searchParams.set('scope', scopes.join(' '))
    return { url: url.href, state }
  }

  /**
   * The provider sent the browser back. The state names the pending connection (one use); the answer is checked
   * (state, `iss`, error) and the code exchanged with the verifier; the tokens are sealed and stored.
   */
  async complete(
    callback: URL,
    server: (projectId: string, name: string) => OAuthServer | undefined,
    /** Throws when the caller may not complete this connection (it is spent either way). */
    allowed: (pending: PendingAuthorization) => void,
  ): Promise<{ projectId: string; serverName: string; userId: CredentialOwner; returnTo: string | null }> {
    const state = callback.searchParams.get('state') ?? ''
    const pending = await this.o.repo.takePending(state)
    if (!pending) throw refused('this connection was not started here, was already completed, or took too long')
    allowed(pending)
    const spec = server(pending.projectId, pending.serverName)
    if (spec?.auth.type !== 'oauth') throw refused('the server no longer uses OAuth')
    const d = await this.discovery(spec)
    if (d.as.issuer !== pending.issuer) throw refused('the server moved to another authorization server meanwhile')
    const { client, auth } = await this.client(spec, d)
    let params: URLSearchParams
    try {
      params = oauth.validateAuthResponse(d.as, client, callback, state)
    } catch (err) {
      throw refused(`the provider's answer was refused: ${describe(err)}`)
    }
    const verifier = this.open(pending.codeVerifier, `pending:${state}`)
    const res = await oauth.authorizationCodeGrantRequest(d.as, client, auth, params, pending.redirectUri, verifier, {
      ...requestOptions(this.http, d.as.token_endpoint ?? d.as.issuer),
      additionalParameters: { resource: d.resource },
    })
    let tokens: oauth.TokenEndpointResponse
    try {
      tokens = await oauth.processAuthorizationCodeResponse(d.as, client, res)
    } catch (err) {
      throw refused(`the provider refused the code: ${describe(err)}`)
    }
    // A connection made again replaces the old one: its tokens are revoked at the provider, not left to live on.
    const replaced = await this.o.repo.credential(spec.projectId, spec.name, pending.userId)
    await this.store(spec, pending.userId, d, tokens, null)
    this.stepUps.delete(credentialKey(spec, pending.userId))
    if (replaced) {
      this.revoke(spec, pending.userId, replaced).catch((err: unknown) =>
        this.o.logger.warn({ server: spec.name, err: describe(err) }, 'revoking the replaced upstream tokens failed'),
      )
    }
    this.o.logger.info(
      { project: spec.projectId, server: spec.name, user: pending.userId, issuer: d.as.issuer },
      'upstream OAuth connected',
    )
    return {
      projectId: pending.projectId,
      serverName: pending.serverName,
      userId: pending.userId,
      returnTo: pending.returnTo,
    }
  }

  /**
   * A usable access token for the server and owner, refreshed first when it is about to expire; null when there is
   * none (never connected, needs re-authorization, or the refresh failed).
   */
  async token(server: OAuthServer, owner: CredentialOwner): Promise<string | null> {
    const cred = await this.o.repo.credential(server.projectId, server.name, owner)
    if (cred?.status !== 'ok') return null
    if (!expiring(cred)) return this.open(cred.accessToken, aad(server, owner, 'access'))
    const key = credentialKey(server, owner)
    let flight = this.refreshing.get(key)
    if (!flight) {
      flight = this.refresh(server, owner).finally(() => this.refreshing.delete(key))
      this.refreshing.set(key, flight)
    }
    return flight
  }

  /**
   * Step-up: the server refused a call for want of scopes (`403 insufficient_scope`). The owner is sent to consent
   * again, and that consent asks for what they have plus what the server named.
   */
  async insufficientScope(server: OAuthServer, owner: CredentialOwner, scope: string | null): Promise<void> {
    const key = credentialKey(server, owner)
    const wanted = this.stepUps.get(key) ?? new Set<string>()
    for (const s of (scope ?? '').split(' ')) if (s) wanted.add(s)
    this.stepUps.set(key, wanted)
    this.o.logger.info({ server: server.name, user: owner, scope }, 'upstream asked for more scopes: re-consent needed')
    await this.o.repo.markNeedsReauth(server.projectId, server.name, owner)
  }

  /** The scopes a consent asks for: the configured or advertised ones, what was granted, and any step-up. */
  private async scopesFor(server: OAuthServer, owner: CredentialOwner, d: Discovered): Promise<string[]> {
    const out = new Set(server.auth.scopes.length > 0 ? server.auth.scopes : d.scopes)
    const granted = await this.o.repo.credential(server.projectId, server.name, owner)
    for (const s of (granted?.scope ?? '').split(' ')) if (s) out.add(s)
    for (const s of this.stepUps.get(credentialKey(server, owner)) ?? []) out.add(s)
    return [...out]
  }

  /**
   * The upstream refused a token mcpo sent (401). With a refresh token the next use refreshes first (the access token
   * alone may have been revoked); without one, or when a fresh token was refused again, the owner must connect again.
   */
  async rejected(server: OAuthServer, owner: CredentialOwner): Promise<void> {
    const cred = await this.o.repo.credential(server.projectId, server.name, owner)
    if (cred?.status !== 'ok') return
    if (cred.refreshToken && Date.now() - cred.updatedAt.getTime() > REFUSED_AGAIN_MS) {
      await this.o.repo.saveCredential({ ...cred, expiresAt: new Date(0) })
      return
    }
    await this.o.repo.markNeedsReauth(server.projectId, server.name, owner)
  }

  /** Revokes at the provider where it offers revocation (RFC 7009), then deletes the tokens. */
  async disconnect(server: OAuthServer, owner: CredentialOwner): Promise<boolean> {
    const cred = await this.o.repo.credential(server.projectId, server.name, owner)
    if (!cred) return false
    await this.revoke(server, owner, cred).catch((err: unknown) =>
      this.o.logger.warn(
        { server: server.name, err: describe(err) },
        'upstream token revocation failed; deleted anyway',
      ),
    )
    return this.o.repo.deleteCredential(server.projectId, server.name, owner)
  }

  /**
   * A member left a project (or every project: `projectId` null): their tokens are deleted now and revoked at the
   * provider in the background. Answers how many there were.
   */
  async forget(
    projectId: string | null,
    userId: string,
    server: (projectId: string, name: string) => OAuthServer | undefined,
  ): Promise<number> {
    const gone = await this.o.repo.deleteCredentialsOfUser(projectId, userId)
    for (const cred of gone) {
      const s = server(cred.projectId, cred.serverName)
      if (!s) continue
      this.revoke(s, cred.userId, cred).catch((err: unknown) =>
        this.o.logger.warn({ server: s.name, err: describe(err) }, 'upstream token revocation failed; deleted anyway'),
      )
    }
    return gone.length
  }

  async close(): Promise<void> {
    await this.http.close()
  }

  private async refresh(server: OAuthServer, owner: CredentialOwner): Promise<string | null> {
    const repo = this.o.repo
    const holder = `${this.o.nodeId}:${randomUUID()}`
    if (!(await repo.lockRefresh(server.projectId, server.name, owner, holder, REFRESH_LOCK_S))) {
      // Another node is refreshing: its result is read once it is stored.
      for (let i = 0; i < REFRESH_LOCK_S * 4; i++) {
        await new Promise((r) => setTimeout(r, 250))
        const now = await repo.credential(server.projectId, server.name, owner)
        if (now?.status !== 'ok') return null
        if (!expiring(now)) return this.open(now.accessToken, aad(server, owner, 'access'))
      }
      return null
    }
    try {
      // The lock was free: another node may have refreshed just before it let go.
      const cred = await repo.credential(server.projectId, server.name, owner)
      if (cred?.status !== 'ok') return null
      if (!expiring(cred)) return this.open(cred.accessToken, aad(server, owner, 'access'))
      if (!cred.refreshToken) {
        if (cred.expiresAt && cred.expiresAt.getTime() > Date.now())
          return this.open(cred.accessToken, aad(server, owner, 'access'))
        await repo.markNeedsReauth(server.projectId, server.name, owner)
        return null
      }
      const d = await this.discovery(server)
      const { client, auth } = await this.client(server, d)
      const refreshToken = this.open(cred.refreshToken, aad(server, owner, 'refresh'))
      const res = await oauth.refreshTokenGrantRequest(d.as, client, auth, refreshToken, {
        ...requestOptions(this.http, d.as.token_endpoint ?? d.as.issuer),
        additionalParameters: { resource: d.resource },
      })
      let tokens: oauth.TokenEndpointResponse
      try {
        tokens = await oauth.processRefreshTokenResponse(d.as, client, res)
      } catch (err) {
        // invalid_grant: the refresh token was revoked or has expired; the owner must connect again.
        this.o.logger.warn({ server: server.name, user: owner, err: describe(err) }, 'upstream token refresh refused')
        await repo.markNeedsReauth(server.projectId, server.name, owner)
        return null
      }
      await this.store(server, owner, d, tokens, refreshToken)
      return tokens.access_token
    } finally {
      await repo.unlockRefresh(server.projectId, server.name, owner, holder).catch(() => {})
    }
  }

  private async store(
    server: OAuthServer,
    owner: CredentialOwner,
    d: Discovered,
    tokens: oauth.TokenEndpointResponse,
    previousRefresh: string | null,
  ): Promise<void> {
    // A provider that does not rotate refresh tokens sends none on refresh: the one we have stays good.
    const refresh = tokens.refresh_token ?? previousRefresh
    await this.o.repo.saveCredential({
      projectId: server.projectId,
      serverName: server.name,
      userId: owner,
      issuer: d.as.issuer,
      accessToken: this.seal(tokens.access_token, aad(server, owner, 'access')),
      refreshToken: refresh ? this.seal(refresh, aad(server, owner, 'refresh')) : null,
      expiresAt: typeof tokens.expires_in === 'number' ? new Date(Date.now() + tokens.expires_in * 1000) : null,
      scope: tokens.scope ?? null,
    })
  }

  private async revoke(server: OAuthServer, owner: CredentialOwner, cred: UpstreamCredential): Promise<void> {
    const d = await this.discovery(server)
    if (!d.as.revocation_endpoint) return
    const { client, auth } = await this.client(server, d)
    const opts = requestOptions(this.http, d.as.revocation_endpoint)
    const tokens: [string, string][] = [[cred.accessToken, 'access']]
    if (cred.refreshToken) tokens.unshift([cred.refreshToken, 'refresh'])
    for (const [sealed, kind] of tokens) {
      const res = await oauth.revocationRequest(d.as, client, auth, this.open(sealed, aad(server, owner, kind)), opts)
      await oauth.processRevocationResponse(res)
    }
  }

  private discovery(server: OAuthServer): Promise<Discovered> {
    const key = `${server.projectId}\0${server.name}\0${server.url}`
    const hit = this.discovered.get(key)
    if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit.value
    const value = discover(this.http, server.url)
    this.discovered.set(key, { at: Date.now(), value })
    value.catch(() => this.discovered.delete(key))
    return value
  }

  /**
   * Who mcpo is at this provider. A client the Owner registered with the provider (auth.clientId) is theirs to choose
   * and wins; else mcpo's metadata document where the provider reads them (and mcpo is on https), else a Dynamic
   * Client Registration, kept per provider.
   */
  private async client(server: OAuthServer, d: Discovered): Promise<{ client: oauth.Client; auth: oauth.ClientAuth }> {
    if (server.auth.clientId) {
      const secret = server.auth.clientSecret
      return { client: { client_id: server.auth.clientId }, auth: secret ? clientAuth(d.as, secret) : oauth.None() }
    }
    const known = await this.o.repo.client(d.as.issuer, this.redirectUri)
    if (known) return this.registered(known)
    let made: UpstreamOAuthClient
    if (d.as.client_id_metadata_document_supported === true && this.clientMetadataUrl.startsWith('https://')) {
      made = {
        issuer: d.as.issuer,
        redirectUri: this.redirectUri,
        clientId: this.clientMetadataUrl,
        clientSecret: null,
        method: 'metadata-document',
      }
    } else if (d.as.registration_endpoint) {
      const { client_id: _id, ...metadata } = this.clientMetadata()
      const res = await oauth.dynamicClientRegistrationRequest(
        d.as,
        metadata as Partial<oauth.OmitSymbolProperties<oauth.Client>>,
        requestOptions(this.http, d.as.registration_endpoint),
      )
      let registered: oauth.OmitSymbolProperties<oauth.Client>
      try {
        registered = await oauth.processDynamicClientRegistrationResponse(res)
      } catch (err) {
        throw unavailable(`${d.as.issuer} refused mcpo's registration: ${describe(err)}`, err)
      }
      const secret = typeof registered.client_secret === 'string' ? registered.client_secret : null
      made = {
        issuer: d.as.issuer,
        redirectUri: this.redirectUri,
        clientId: registered.client_id,
        clientSecret: secret ? this.seal(secret, `client:${d.as.issuer}`) : null,
        method: 'dynamic',
      }
    } else {
      throw unavailable(
        `${d.as.issuer} offers neither client metadata documents nor registration: register mcpo there (redirect URI ${this.redirectUri}) and set the server's auth.clientId`,
      )
    }
    await this.o.repo.saveClient(made)
    return this.registered(made)
  }

  private registered(c: UpstreamOAuthClient): { client: oauth.Client; auth: oauth.ClientAuth } {
    const secret = c.clientSecret ? this.open(c.clientSecret, `client:${c.issuer}`) : null
    return { client: { client_id: c.clientId }, auth: secret ? oauth.ClientSecretBasic(secret) : oauth.None() }
  }

  private seal(value: string, where: string): string {
    return encrypt(this.o.keyring, value, `upstream-oauth:${where}`)
  }

  private open(value: string, where: string): string {
    return decrypt(this.o.keyring, value, `upstream-oauth:${where}`)
  }
}

/**
 * Each sealed token is bound to its project and owner, so a row copied to another project or user does not decrypt.
 * Not to the server's name: a credential follows its server through a rename.
 */
function aad(server: OAuthServer, owner: CredentialOwner, kind: string): string {
  return `${server.projectId}/${owner ?? ''}:${kind}`
}

function credentialKey(server: OAuthServer, owner: CredentialOwner): string {
  return `${server.projectId}\0${server.name}\0${owner ?? ''}`
}

function expiring(c: UpstreamCredential): boolean {
  return c.expiresAt !== null && c.expiresAt.getTime() - Date.now() < REFRESH_AHEAD_MS
}

/** RFC 8414 §2: client_secret_basic unless the provider lists only client_secret_post. */
function clientAuth(as: oauth.AuthorizationServer, secret: string): oauth.ClientAuth {
  const methods = as.token_endpoint_auth_methods_supported
  if (Array.isArray(methods) && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')) {
    return oauth.ClientSecretPost(secret)
  }
  return oauth.ClientSecretBasic(secret)
}

function describe(err: unknown): string {
  if (err instanceof oauth.ResponseBodyError)
    return err.error_description ? `${err.error}: ${err.error_description}` : err.error
  if (err instanceof oauth.AuthorizationResponseError) {
    return err.error_description ? `${err.error}: ${err.error_description}` : err.error
  }
  return err instanceof Error ? err.message : String(err)
}

const unavailable = (message: string, cause?: unknown) =>
  new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', message, cause === undefined ? undefined : { cause })
const refused = (message: string) => new GatewayError('MCPO_ERR_UNAUTHENTICATED', message)
