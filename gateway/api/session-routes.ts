// Ending sign-in sessions: "sign out everywhere" for oneself, and for any user by an administrator. Sign-out, password
// changes and disabled accounts end sessions through the same helpers (auth-routes.ts, users.ts).
import { z } from 'zod'
import { type Exchange, SESSIONS_SERVICE, type SessionsService } from '../../plugins/contract.ts'
import { CSRF_COOKIE, SESSION_COOKIE } from '../../plugins/sessions/index.ts'
import { GatewayError } from '../errors.ts'
import { type ApiServices, reply, route } from './define.ts'
import { callerUserId } from './rules.ts'

/** Set-Cookie values that delete the session and CSRF cookies. */
export const CLEAR_SESSION_COOKIES = [
  `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`,
  `${CSRF_COOKIE}=; Path=/; SameSite=Strict; Max-Age=0`,
]

/** The sign-in sessions, or null when no sessions() plugin is configured: then nobody signs in with a password. */
export function sessionsOf(services: ApiServices): SessionsService | null {
  return services.plugins.service(SESSIONS_SERVICE)
}

/**
 * The sessions a sign-in needs. Called before the sign-in spends anything (a set-up link, a throttle slot), so a
 * gateway without sessions() refuses up front instead of after the account was made.
 */
export function signInSessions(services: ApiServices): SessionsService {
  const sessions = sessionsOf(services)
  if (!sessions) {
    throw new GatewayError(
      'MCPO_ERR_NOT_FOUND',
      'sign-in is off on this gateway: add sessions() to plugins in mcpo.config.ts (or leave plugins out for the default set)',
    )
  }
  return sessions
}

/** The session the request came with, when the sessions plugin signed it in. */
export function currentSession(services: ApiServices, ex: Exchange): string | null {
  return sessionsOf(services)?.sessionOf(ex) ?? null
}

/** Ends every session of the user but `keep`; 0 without the sessions plugin (then there are none). */
export async function endSessions(services: ApiServices, userId: string, keep: string | null = null): Promise<number> {
  return (await sessionsOf(services)?.revokeAll(userId, keep)) ?? 0
}

const revoked = z.object({ revoked: z.number().int().describe('sessions ended') })

export function sessionRoutes() {
  return [
    route({
      method: 'POST',
      path: '/api/auth/sessions/revoke',
      tag: 'auth',
      summary: 'Sign out everywhere: ends every session of the signed-in user, this one included, on every node',
      auth: 'user',
      response: revoked,
      handler: async ({ principal, services, audit }) => {
        const userId = callerUserId(principal)
        const n = await endSessions(services, userId)
        audit({ action: 'user.sessions_revoked', target: { type: 'user', id: userId }, after: { revoked: n } })
        return reply(200, { revoked: n }, { 'set-cookie': CLEAR_SESSION_COOKIES as unknown as string })
      },
    }),
    route({
      method: 'POST',
      path: '/api/users/:id/sessions/revoke',
      tag: 'users',
      summary: 'Sign a user out everywhere (administrators): ends all their sessions on every node',
      auth: 'admin',
      response: revoked,
      handler: async ({ params, services, audit }) => {
        const user = await services.store.users.get(params.id)
        if (!user) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'user not found')
        const n = await endSessions(services, user.id)
        audit({ action: 'user.sessions_revoked', target: { type: 'user', id: user.id }, after: { revoked: n } })
        return { revoked: n }
      },
    }),
  ]
}
