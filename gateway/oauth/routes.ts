// The OAuth routes on the uWS edge: the authorization server's discovery documents and /oauth/* relayed to it, and
// each MCP endpoint's Protected Resource Metadata (RFC 9728 §3.1: the endpoint's whole path after the well-known
// prefix). The consent page itself (GET /oauth/interaction/:uid) is the admin UI's.
import { parseCookies } from '../../plugins/cookies.ts'
import type { PluginHost } from '../../plugins/host.ts'
import { checkCsrf } from '../api/mount.ts'
import { isGatewayError } from '../errors.ts'
import { sendJson } from '../http.ts'
import { makeExchange } from '../mcp/guard.ts'
import type { Router } from '../router.ts'
import { CALLBACK_PATH, CLIENT_METADATA_PATH } from '../upstream-oauth/vault.ts'
import type { WebSecurityOptions } from '../web-security.ts'
import type { ResourceServer } from './resource-server.ts'
import type { AuthorizationServer } from './server.ts'
import { WindowThrottle } from './throttle.ts'

const CORS = { 'access-control-allow-origin': '*', 'cache-control': 'public, max-age=300' }
const CONSENT_CALL = /^\/oauth\/interaction\/[A-Za-z0-9_-]{1,64}\/(?:details|decision)$/

export interface OAuthRouteDeps {
  as: AuthorizationServer
  rs: ResourceServer
  plugins: PluginHost
  web: WebSecurityOptions
  /** Requests per minute and address to the token, registration, revocation and authorization endpoints. */
  perMinute: number
}

const UPSTREAM_PREFIX = '/oauth/upstream/'
const UPSTREAM_PATHS: ReadonlySet<string> = new Set([CALLBACK_PATH, CLIENT_METADATA_PATH])
const THROTTLED = new Set(['/oauth/token', '/oauth/register', '/oauth/revoke', '/oauth/authorize'])

export function addOAuthRoutes(router: Router, deps: OAuthRouteDeps): void {
  const { as, rs, plugins } = deps
  const throttle = new WindowThrottle(deps.perMinute, 60_000)
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    router.add('GET', path, async (req, res) => {
      if (await rs.inUse()) return as.handle(req, res, null)
      if (!res.aborted) sendJson(res, 404, { error: 'not_found', error_description: 'no project uses OAuth' })
    })
  }
  router.add('GET', '/.well-known/oauth-protected-resource/*', async (req, res) => {
    const endpointPath = req.path.slice('/.well-known/oauth-protected-resource'.length)
    const doc = await rs.metadata(endpointPath)
    if (res.aborted) return
    if (!doc) return sendJson(res, 404, { error: 'not_found', error_description: 'no OAuth resource here' }, CORS)
    sendJson(res, 200, doc, CORS)
  })
  router.add('ANY', '/oauth/*', async (req, res) => {
    // mcpo's own paths as an OAuth client (gateway/upstream-oauth) take GET only, and are none of the provider's.
    if (req.path.startsWith(UPSTREAM_PREFIX)) {
      if (UPSTREAM_PATHS.has(req.path)) {
        return sendJson(
          res,
          405,
          { error: { code: 'MCPO_ERR_METHOD_NOT_ALLOWED', message: 'use GET' } },
          { allow: 'GET' },
        )
      }
      return sendJson(res, 404, { error: { code: 'MCPO_ERR_NOT_FOUND', message: 'not found' } })
    }
    if (THROTTLED.has(req.path)) {
      const waitMs = throttle.take(req.ip)
      if (waitMs > 0) {
        const retryAfter = String(Math.max(1, Math.ceil(waitMs / 1000)))
        return sendJson(
          res,
          429,
          { error: 'slow_down', error_description: `too many requests from this address; retry in ${retryAfter} s` },
          { 'retry-after': retryAfter },
        )
      }
    }
    if (!CONSENT_CALL.test(req.path)) return as.handle(req, res, null)
    // The consent page's calls act for the signed-in user, with the admin UI's own CSRF rules.
    const ex = makeExchange(req, {})
    const principal = await plugins.authenticate(ex)
    if (res.aborted) return
    if (principal?.kind !== 'user' || !principal.userId || principal.via) return as.handle(req, res, null)
    try {
      checkCsrf(req, parseCookies(req.headers.cookie), deps.web)
    } catch (err) {
      const message = isGatewayError(err) ? err.message : 'refused'
      return sendJson(res, 403, { error: 'access_denied', error_description: message })
    }
    return as.handle(req, res, principal.userId)
  })
}
