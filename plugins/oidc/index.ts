// The `oidc()` plugin: single sign-on with any OpenID Connect provider (authorization code + PKCE S256, ID token
// checked against the provider's JWKS, by oauth4webapi). Its routes are in gateway/api/oidc-routes.ts; sessions()
// signs users in.
import { calculatePKCECodeChallenge } from 'oauth4webapi'
import {
  type Clock,
  defineService,
  GatewayError,
  type Logger,
  type McpoPlugin,
  offer,
  type Role,
  SESSIONS_SERVICE,
  type Store,
  type User,
} from '../contract.ts'
import { type AccountPolicy, type AuditDraft, type GroupRole, type OidcIdentity, signInAccount } from './accounts.ts'
import { clearFlowCookie, flowCookie, newFlow, openFlow, sealFlow } from './flow.ts'
import { discover, type Provider, providerUrl, redeemCode, validateCallback } from './provider.ts'

export type { AuditDraft, GroupRole, OidcIdentity } from './accounts.ts'
export { FLOW_COOKIE } from './flow.ts'

export interface OidcOptions {
  /** The provider's issuer URL; discovery reads `${issuer}/.well-known/openid-configuration`. */
  issuer: string
  clientId: string
  /** Sent only to the provider's token endpoint; never logged or returned. Read it from the environment. */
  clientSecret: string
  /** Default `['openid', 'email', 'profile']`; `openid` is always sent. */
  scopes?: string[]
  /** Path of the callback as the provider reaches it, after `listen.publicBaseUrl`. Default `/api/auth/oidc/callback`. */
  redirectPath?: string
  /** The ID token claim that lists the user's groups. Default `groups`. */
  groupsClaim?: string
  /**
   * Team roles for members of provider groups, granted at every sign-in (never lowered or removed).
   * @example { 'platform-devs': { team: 'platform', role: 'developer' }, admins: [{ team: 'ops', role: 'owner' }] }
   */
  groupRoles?: Record<string, GroupRole | GroupRole[]>
  /** Create an account at the first sign-in of someone mcpo does not know. Default true. */
  allowSignup?: boolean
  /** Treat the email claim as verified without `email_verified: true` (for providers that omit the claim). */
  trustUnverifiedEmail?: boolean
  /** Text of the sign-in button. Default `Single sign-on`. */
  label?: string
}

/** Single sign-on through an OpenID provider, for the sign-in routes; sessions() then signs the user in. */
export interface OidcService {
  readonly label: string
  /**
   * Starts a sign-in: where to send the browser, and the flow cookie to set. `baseUrl` is mcpo's origin; `next`, a
   * path the caller has checked, is where the browser goes once signed in (kept in the flow cookie).
   */
  begin(baseUrl: string, next?: string | null): Promise<{ location: string; setCookie: string }>
  /** Checks the callback against its flow cookie, redeems the code and verifies the ID token. */
  complete(callback: CallbackParams, flowCookieValue: string | undefined): Promise<OidcIdentity>
  /** The `next` the sign-in began with, from its flow cookie; null when there is none or the cookie is not valid. */
  nextOf(flowCookieValue: string | undefined): Promise<string | null>
  /** Finds, links or creates the user and grants group roles; refuses disabled or unknown users. */
  signIn(identity: OidcIdentity): Promise<{ user: User; events: AuditDraft[] }>
  /** Set-Cookie that deletes the flow cookie (every callback answer sends it: a flow is used once). */
  clearCookie(baseUrl: string): string
}

export interface OidcPlugin extends McpoPlugin, OidcService {}

export const OIDC_SERVICE = defineService<OidcService>('oidc', 'oidc({ issuer, clientId, clientSecret })')

export interface CallbackParams {
  code?: string
  state?: string
  error?: string
  iss?: string
}

export const OIDC_PLUGIN = 'mcpo:oidc'
export const DEFAULT_REDIRECT_PATH = '/api/auth/oidc/callback'
const ROLES: readonly Role[] = ['owner', 'developer', 'reporter']
// Discovery is re-read this often, so a provider's endpoint changes reach mcpo without a restart.
const DISCOVERY_TTL_MS = 24 * 3600_000

interface Resolved {
  issuer: string
  client: { id: string; secret: string }
  scopes: string
  redirectPath: string
  groupsClaim: string
  policy: AccountPolicy
  trustUnverifiedEmail: boolean
}

export function oidc(options: OidcOptions): OidcPlugin {
  let resolved: Resolved
  let store: Store
  let clock: Clock
  let logger: Logger
  let flowKey: Uint8Array
  let provider: { current: Provider; at: number } | null = null
  let discovering: Promise<Provider> | null = null
  const label = typeof options.label === 'string' && options.label.trim() ? options.label.trim() : 'Single sign-on'

  /** Discovery runs at the first sign-in, not at boot: a provider outage must not stop the gateway. */
  function metadata(): Promise<Provider> {
    if (provider && clock.now() - provider.at < DISCOVERY_TTL_MS) return Promise.resolve(provider.current)
    // The previous provider lends its key set (and its cache) while the JWKS URL stays the same.
    discovering ??= discover(resolved.issuer, provider?.current)
      .then(
        (current) => {
          provider = { current, at: clock.now() }
          const { issuer } = current.as
          logger.info({ issuer, tokenEndpointAuth: current.tokenEndpointAuth }, 'OpenID provider discovered')
          return current
        },
        (err) => {
          if (!provider) throw err
          logger.warn({ err: (err as Error).message }, 'OpenID discovery failed; keeping the previous document')
          return provider.current
        },
      )
      .finally(() => {
        discovering = null
      })
    return discovering
  }

  // The client secret stays in this closure, never on the plugin object, so nothing that prints a plugin shows it.
  const plugin: OidcPlugin = {
    name: OIDC_PLUGIN,
    requires: [SESSIONS_SERVICE],
    label,
    clearCookie(baseUrl) {
      return clearFlowCookie(baseUrl.startsWith('https:'))
    },
    setup(ctx) {
      resolved = resolveOptions(options)
      store = ctx.storage
      clock = ctx.clock
      logger = ctx.logger
      flowKey = ctx.deriveKey('oidc-flow')
    },

    async begin(baseUrl, next = null) {
      const { as } = await metadata()
      const flow = newFlow(`${baseUrl.replace(/\/+$/, '')}${resolved.redirectPath}`, next)
      const url = new URL(as.authorization_endpoint!)
      url.searchParams.set('response_type', 'code')
      url.searchParams.set('client_id', resolved.client.id)
      url.searchParams.set('redirect_uri', flow.redirectUri)
      url.searchParams.set('scope', resolved.scopes)
      url.searchParams.set('state', flow.state)
      url.searchParams.set('nonce', flow.nonce)
      url.searchParams.set('code_challenge', await calculatePKCECodeChallenge(flow.verifier))
      url.searchParams.set('code_challenge_method', 'S256')
      const sealed = await sealFlow(flowKey, flow, clock.now())
      return { location: url.href, setCookie: flowCookie(sealed, flow.redirectUri.startsWith('https:')) }
    },

    async nextOf(cookieValue) {
      const flow = cookieValue ? await openFlow(flowKey, cookieValue, clock.now()) : null
      return flow?.next ?? null
    },

    async complete(callback, cookieValue) {
      const flow = cookieValue ? await openFlow(flowKey, cookieValue, clock.now()) : null
      if (!flow) {
        throw new GatewayError(
          'MCPO_ERR_BAD_REQUEST',
          'this sign-in expired or was started in another browser; start it again',
        )
      }
      const current = await metadata()
      const params = new URLSearchParams()
      for (const [name, value] of Object.entries(callback)) if (typeof value === 'string') params.set(name, value)
      const checked = validateCallback(current, resolved.client.id, params, flow.state)
      const claims = await redeemCode(
        current,
        resolved.client,
        checked,
        { redirectUri: flow.redirectUri, verifier: flow.verifier, nonce: flow.nonce, now: clock.now() },
        logger,
      )
      const email = typeof claims.email === 'string' && /^[^\s@]+@[^\s@]+$/.test(claims.email) ? claims.email : null
      return {
        issuer: current.as.issuer,
        subject: claims.sub,
        email: email && email.length <= 320 ? email : null,
        emailVerified:
          resolved.trustUnverifiedEmail || claims.email_verified === true || claims.email_verified === 'true',
        name: displayName(claims),
        groups: groupsOf(claims[resolved.groupsClaim]),
      }
    },

    signIn(identity) {
      return signInAccount(store, identity, resolved.policy, logger, new Date(clock.now()))
    },
  }
  plugin.provides = [offer(OIDC_SERVICE, plugin)]
  return plugin
}

/** Validates the options; each message names its field (the host prefixes the plugin name). */
function resolveOptions(o: OidcOptions): Resolved {
  if (o === null || typeof o !== 'object') throw new Error('options: pass { issuer, clientId, clientSecret }')
  const issuer = providerUrl(o.issuer, 'issuer').href.replace(/\/$/, '')
  if (typeof o.issuer === 'string' && o.issuer.includes('?')) throw new Error('issuer: must not have a query')
  if (typeof o.clientId !== 'string' || o.clientId === '') throw new Error('clientId: is required')
  if (typeof o.clientSecret !== 'string' || o.clientSecret === '') {
    throw new Error('clientSecret: is required (read it from the environment)')
  }
  const scopes = o.scopes ?? ['openid', 'email', 'profile']
  if (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string' || !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s))) {
    throw new Error('scopes: must be a list of scope names without spaces or quotes')
  }
  const redirectPath = o.redirectPath ?? DEFAULT_REDIRECT_PATH
  if (typeof redirectPath !== 'string' || !/^\/[\w\-./~%]*$/.test(redirectPath) || redirectPath.startsWith('//')) {
    throw new Error('redirectPath: must be a path such as /api/auth/oidc/callback')
  }
  const groupsClaim = o.groupsClaim ?? 'groups'
  if (typeof groupsClaim !== 'string' || groupsClaim === '') throw new Error('groupsClaim: must be a claim name')
  const groupRoles = new Map<string, GroupRole[]>()
  for (const [group, value] of Object.entries(o.groupRoles ?? {})) {
    const list = Array.isArray(value) ? value : [value]
    list.forEach((g, i) => {
      const field = Array.isArray(value) ? `groupRoles.${group}[${i}]` : `groupRoles.${group}`
      if (!g || typeof g.team !== 'string' || g.team === '') throw new Error(`${field}.team: must be a team slug`)
      if (!ROLES.includes(g.role)) throw new Error(`${field}.role: must be one of ${ROLES.join(', ')}`)
    })
    groupRoles.set(
      group,
      list.map((g) => ({ team: g.team, role: g.role })),
    )
  }
  if (o.allowSignup !== undefined && typeof o.allowSignup !== 'boolean')
    throw new Error('allowSignup: must be a boolean')
  return {
    issuer,
    client: { id: o.clientId, secret: o.clientSecret },
    scopes: [...new Set(['openid', ...scopes])].join(' '),
    redirectPath,
    groupsClaim,
    policy: { allowSignup: o.allowSignup ?? true, groupRoles },
    trustUnverifiedEmail: o.trustUnverifiedEmail === true,
  }
}

function displayName(claims: Record<string, unknown>): string {
  const name =
    [claims.name, claims.preferred_username].find((v): v is string => typeof v === 'string' && v.trim() !== '') ??
    [claims.given_name, claims.family_name].filter((v) => typeof v === 'string').join(' ')
  return name.trim().slice(0, 200)
}

/** Groups as a list of strings; some providers send one group as a plain string. */
function groupsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string').slice(0, 1000)
  return []
}
