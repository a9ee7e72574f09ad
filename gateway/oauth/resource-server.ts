// The MCP endpoints as OAuth resource servers (protocol.md §7.2): a project's auth mode, the Protected Resource
// Metadata each endpoint publishes, the challenge a request without a usable token gets, and the check of an access
// token on every request: signature (the gateway's own keys), issuer, audience = this endpoint's resource, expiry,
// scope, and, at most 500 ms stale, that its grant was not revoked and its user is still a member of the project.
import { createLocalJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose'
import type { Principal } from '../../plugins/contract.ts'
import type { Store } from '../../plugins/storage/port.ts'
import type { Responder } from '../http.ts'
import { sendJson } from '../http.ts'
import type { SigningKeySet } from './keys.ts'
import { type AuthMode, authModeOf, MCP_SCOPE, type McpResource, parseResource, resourceUrl } from './resources.ts'

export interface ResourceServerDeps {
  store: Store
  issuer(): string
  keys(): Promise<SigningKeySet>
  reloadKeys(): Promise<SigningKeySet>
  roleOf(userId: string, projectId: string): Promise<string | null>
  /** The project is loaded and, when named, the server exists and is enabled on this node. */
  endpointExists(projectId: string, serverName: string | null): boolean
}

/** A grant's standing, re-read from the database when older than this. */
const GRANT_FRESH_MS = 500
const TOUCH_EVERY_MS = 60_000
const KEY_RELOAD_MIN_MS = 5_000
const IN_USE_FRESH_MS = 5_000

interface GrantState {
  alive: boolean
  role: string | null
  label: string
  checkedAt: number
  touchedAt: number
  loading: Promise<GrantState> | null
}

export type TokenCheck =
  | { principal: Principal }
  | { error: 'invalid_token' | 'insufficient_scope'; description: string }

export class ResourceServer {
  private readonly modes = new Map<string, AuthMode>()
  private readonly grants = new Map<string, GrantState>()
  private verifierFor: { keys: SigningKeySet; jwks: ReturnType<typeof createLocalJWKSet> } | null = null
  private keysReloadedAt = 0
  private inUseAt = 0
  private inUseValue = false

  constructor(private readonly deps: ResourceServerDeps) {}

  /** The mode when known without a database read: the MCP hot path takes it without waiting. */
  knownMode(projectId: string): AuthMode | undefined {
    return this.modes.get(projectId)
  }

  /** The project's auth mode, cached; `setMode` keeps it current as projects change on any node. */
  async modeOf(projectId: string): Promise<AuthMode> {
    const known = this.modes.get(projectId)
    if (known) return known
    const project = await this.deps.store.projects.get(projectId)
    const mode = authModeOf(project?.settings)
    // Only projects that exist are remembered: anyone may ask for metadata of any id.
    if (project && !project.archivedAt) this.modes.set(projectId, mode)
    return project?.archivedAt ? 'keys' : mode
  }

  setMode(projectId: string, settings: Record<string, unknown> | null): void {
    if (settings === null) this.modes.delete(projectId)
    else this.modes.set(projectId, authModeOf(settings))
    this.inUseAt = 0
  }

  /**
   * Whether any project takes OAuth tokens. A gateway whose projects all use keys publishes no authorization server
   * metadata (protocol.md §7.1): clients that find it drop their configured key header.
   */
  async inUse(): Promise<boolean> {
    if (Date.now() - this.inUseAt < IN_USE_FRESH_MS) return this.inUseValue
    const projects = await this.deps.store.projects.list()
    this.inUseValue = projects.some((p) => !p.archivedAt && authModeOf(p.settings) !== 'keys')
    this.inUseAt = Date.now()
    return this.inUseValue
  }

  /** The resource an endpoint path belongs to: `/projects/p/servers/s/mcp` → `{issuer}/projects/p/servers/s`. */
  resourceOf(r: McpResource): string {
    return resourceUrl(this.deps.issuer(), r)
  }

  metadataUrl(endpointPath: string): string {
    return `${this.deps.issuer()}/.well-known/oauth-protected-resource${endpointPath}`
  }

  /** RFC 9728 metadata for an endpoint, or null when it is not one that takes OAuth tokens. */
  async metadata(endpointPath: string): Promise<Record<string, unknown> | null> {
    const target = endpointOf(this.deps.issuer(), endpointPath)
    if (!target || !this.deps.endpointExists(target.projectId, target.serverName)) return null
    if ((await this.modeOf(target.projectId)) === 'keys') return null
    const issuer = this.deps.issuer()
    return {
      resource: resourceUrl(issuer, target),
      authorization_servers: [issuer],
      scopes_supported: [MCP_SCOPE],
      bearer_methods_supported: ['header'],
      resource_name: target.serverName
        ? `mcpo: ${target.projectId} / ${target.serverName}`
        : `mcpo: ${target.projectId} (all servers)`,
    }
  }

  /** 401 (or 403 for too little scope) with the challenge that starts a client's OAuth flow. */
  challenge(res: Responder, endpointPath: string, problem: { error?: string; description?: string } = {}): void {
    const parts = [`resource_metadata="${this.metadataUrl(endpointPath)}"`, `scope="${MCP_SCOPE}"`]
    if (problem.error) parts.unshift(`error="${problem.error}"`)
    const status = problem.error === 'insufficient_scope' ? 403 : 401
    sendJson(
      res,
      status,
      {
        error: {
          code: status === 403 ? 'MCPO_ERR_FORBIDDEN' : 'MCPO_ERR_UNAUTHENTICATED',
          message:
            problem.description ??
            'this endpoint needs an OAuth access token (or a project API key where the project allows both)',
        },
      },
      { 'www-authenticate': `Bearer ${parts.join(', ')}` },
    )
  }

  /** Checks a bearer token for the endpoint `target`. */
  async check(token: string, target: McpResource): Promise<TokenCheck> {
    const issuer = this.deps.issuer()
    const audience = resourceUrl(issuer, target)
    let claims: JWTPayload
    try {
      claims = await this.verify(token, issuer, audience)
    } catch (err) {
      return { error: 'invalid_token', description: describe(err) }
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : []
    if (!scopes.includes(MCP_SCOPE)) {
      return { error: 'insufficient_scope', description: `the token lacks the ${MCP_SCOPE} scope` }
    }
    const grantId = typeof claims.grant_id === 'string' ? claims.grant_id : null
    const userId = typeof claims.sub === 'string' ? claims.sub : null
    if (!grantId || !userId) return { error: 'invalid_token', description: 'the token names no grant or user' }
    const state = await this.grant(grantId, userId, target.projectId)
    if (!state.alive) return { error: 'invalid_token', description: 'the token was revoked' }
    if (state.role === null) {
      return { error: 'invalid_token', description: 'the user is no longer a member of this project' }
    }
    const clientId = typeof claims.client_id === 'string' ? claims.client_id : 'an app'
    return {
      principal: {
        kind: 'user',
        id: userId,
        userId,
        projectId: target.projectId,
        label: state.label,
        via: { grantId, clientId },
      },
    }
  }

  private async verify(token: string, issuer: string, audience: string): Promise<JWTPayload> {
    const options = { issuer, audience, algorithms: ['ES256'], typ: 'at+jwt', requiredClaims: ['exp', 'sub'] }
    try {
      return (await jwtVerify(token, await this.jwks(false), options)).payload
    } catch (err) {
      // A key another node made since this one loaded its set: read the set again, at most every few seconds.
      if (!(err instanceof joseErrors.JWKSNoMatchingKey) || Date.now() - this.keysReloadedAt < KEY_RELOAD_MIN_MS)
        throw err
      return (await jwtVerify(token, await this.jwks(true), options)).payload
    }
  }

  private async jwks(reload: boolean) {
    if (reload) this.keysReloadedAt = Date.now()
    const keys = reload ? await this.deps.reloadKeys() : await this.deps.keys()
    if (this.verifierFor?.keys !== keys) this.verifierFor = { keys, jwks: createLocalJWKSet({ keys: keys.publicKeys }) }
    return this.verifierFor.jwks
  }

  private async grant(grantId: string, userId: string, projectId: string): Promise<GrantState> {
    const now = Date.now()
    let state = this.grants.get(grantId)
    if (state && now - state.checkedAt < GRANT_FRESH_MS) return state
    if (state?.loading) return state.loading
    const previous = state
    const loading = this.loadGrant(grantId, userId, projectId, previous).catch((err) => {
      // The database is away: the data plane keeps the last known standing rather than refusing everyone.
      if (previous) return { ...previous, loading: null }
      throw err
    })
    if (previous) previous.loading = loading
    state = await loading
    this.grants.set(grantId, state)
    if (this.grants.size > 50_000) this.sweep(now)
    return state
  }

  private async loadGrant(
    grantId: string,
    userId: string,
    projectId: string,
    previous: GrantState | undefined,
  ): Promise<GrantState> {
    const { store } = this.deps
    const row = await store.oauth.find('Grant', grantId)
    const alive = row !== null && row.accountId === userId && row.projectId === projectId
    const role = alive ? await this.deps.roleOf(userId, projectId) : null
    const now = Date.now()
    let touchedAt = previous?.touchedAt ?? 0
    if (alive && now - touchedAt > TOUCH_EVERY_MS) {
      touchedAt = now
      store.oauth.touchGrant(grantId).catch(() => {})
    }
    let label = previous?.label
    if (!label) {
      const user = await store.users.get(userId)
      const clientId = typeof row?.payload.clientId === 'string' ? row.payload.clientId : 'an app'
      label = `${user?.email ?? userId} via ${clientId}`
    }
    return { alive, role, label, checkedAt: now, touchedAt, loading: null }
  }

  private sweep(now: number): void {
    for (const [id, s] of this.grants) if (now - s.checkedAt > 10 * 60_000) this.grants.delete(id)
  }
}

/** The endpoint a path under /.well-known/oauth-protected-resource names (any of its transport suffixes). */
export function endpointOf(issuer: string, endpointPath: string): McpResource | null {
  const base = endpointPath.replace(/\/(?:mcp|sse|messages)$/, '')
  return parseResource(issuer, issuer + base)
}

function describe(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired'
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return err.claim === 'aud' ? 'the token is for another resource' : `the token's ${err.claim} claim is not valid`
  }
  return 'the token is not valid here'
}
