// /api/auth/providers and the OpenID Connect sign-in: login (redirect to the provider) and callback (code → ID token
// → user → the same session cookies as a password sign-in, then `next` or /admin). The protocol work is in
// plugins/oidc.
import { z } from 'zod'
import { safeNext } from '../../admin-ui/router.ts'
import { parseCookies } from '../../plugins/cookies.ts'
import { FLOW_COOKIE, OIDC_SERVICE, type OidcIdentity, type OidcService } from '../../plugins/oidc/index.ts'
import { GatewayError, isGatewayError } from '../errors.ts'
import { baseUrl } from './client-config.ts'
import { type ApiServices, reply, route } from './define.ts'
import { newCsrfToken } from './mount.ts'
import { signInSessions } from './session-routes.ts'

export const OIDC_LOGIN_PATH = '/api/auth/oidc/login'

function oidcPlugin(services: ApiServices): OidcService | null {
  return services.plugins.service(OIDC_SERVICE)
}

function requireOidc(services: ApiServices): OidcService {
  const p = oidcPlugin(services)
  if (!p) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'single sign-on is not configured (add oidc() to the plugins)')
  return p
}

const callbackQuery = z.object({
  code: z.string().max(4096).optional(),
  state: z.string().max(512).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(2048).optional(),
  iss: z.string().max(2048).optional(),
})

const noStore = { 'cache-control': 'no-store' }

const loginQuery = z.object({ next: z.string().max(2048).optional() })

const ORIGIN = 'http://mcpo.invalid'

/**
 * Where a sign-in may end: the sign-in page's own rule for `next` (a path under /admin, or a consent page), and only
 * in canonical form, because a browser following Location resolves dot segments and backslashes the rule never saw.
 */
export function returnPath(next: string | null | undefined): string | null {
  const checked = safeNext(next ?? null)
  if (checked === null) return null
  let url: URL
  try {
    url = new URL(checked, ORIGIN)
  } catch {
    return null
  }
  return url.origin === ORIGIN && `${url.pathname}${url.search}` === checked ? checked : null
}

export function oidcRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/auth/providers',
      tag: 'auth',
      summary: 'How users can sign in: password always; single sign-on when oidc() is configured',
      auth: 'public',
      response: z.object({
        password: z.boolean(),
        oidc: z.object({ label: z.string(), loginUrl: z.string() }).nullable(),
      }),
      handler: ({ services }) => {
        const p = oidcPlugin(services)
        return { password: true, oidc: p ? { label: p.label, loginUrl: OIDC_LOGIN_PATH } : null }
      },
    }),
    route({
      method: 'GET',
      path: OIDC_LOGIN_PATH,
      tag: 'auth',
      summary:
        'Start single sign-on: redirects to the OpenID provider (authorization code with PKCE); `next` is where the ' +
        'browser goes once signed in (a path under /admin or a consent page; anything else is ignored)',
      auth: 'public',
      query: loginQuery,
      handler: async ({ req, query, services }) => {
        // The flow cookie carries `next`: the provider never sees it, so nobody can change it on the way back.
        const next = returnPath(query.next)
        const { location, setCookie } = await requireOidc(services).begin(baseUrl(services, req), next)
        return reply(302, undefined, { location, 'set-cookie': setCookie, ...noStore })
      },
    }),
    route({
      method: 'GET',
      path: '/api/auth/oidc/callback',
      tag: 'auth',
      summary:
        'Where the OpenID provider returns: signs the user in (session cookies) and redirects to the `next` the ' +
        'sign-in began with, or /admin',
      auth: 'public',
      query: callbackQuery,
      handler: async ({ req, query, services, audit }) => {
        const p = requireOidc(services)
        const sessions = signInSessions(services)
        const base = baseUrl(services, req)
        // The flow cookie is for one callback, whatever its outcome.
        const clear = p.clearCookie(base)
        let identity: OidcIdentity | null = null
        const flowCookie = parseCookies(req.headers.cookie).get(FLOW_COOKIE) ?? undefined
        try {
          identity = await p.complete(query, flowCookie)
          const { user, events } = await p.signIn(identity)
          for (const event of events) audit(event)
          audit({ action: 'auth.sign_in', target: { type: 'user', id: user.id }, after: { via: 'oidc' } })
          const { token } = await sessions.issue(user)
          const cookies = [...sessions.cookies(token, newCsrfToken(), sessions.ttlSeconds), clear]
          // Checked again: the cookie is sealed by mcpo, but the rule may have tightened since it was sealed.
          const path = returnPath(await p.nextOf(flowCookie)) ?? '/admin'
          const home = services.config.listen.publicBaseUrl ? `${base}${path}` : path
          return reply(302, undefined, { location: home, 'set-cookie': cookies as unknown as string, ...noStore })
        } catch (err) {
          if (!isGatewayError(err)) throw err
          if (err.httpStatus >= 500) services.logger.warn({ err: err.message }, 'single sign-on failed')
          if (err.httpStatus === 401 || err.httpStatus === 403) {
            audit({
              action: 'auth.sign_in_failed',
              target: identity?.email ? { type: 'email', id: identity.email } : { type: 'oidc', id: 'unknown' },
              after: { via: 'oidc', reason: err.message },
            })
          }
          return reply(err.httpStatus, { error: { code: err.code, message: err.message } }, { 'set-cookie': clear })
        }
      },
    }),
  ]
}
