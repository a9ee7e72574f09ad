// /api/auth: first-run admin set-up, sign in and out, the current user, password change.
import { z } from 'zod'
import type { SessionsService } from '../../plugins/contract.ts'
import type { User } from '../../plugins/storage/port.ts'
import {
  dummyHash,
  hashPassword,
  MIN_PASSWORD_LENGTH,
  passwordProblem,
  verifyPassword,
} from '../../plugins/users/password.ts'
import { SignInThrottle } from '../../plugins/users/throttle.ts'
import { hashSetupToken } from '../bootstrap-admin.ts'
import { GatewayError } from '../errors.ts'
import { RefusalActions } from '../refusals.ts'
import { reply, route } from './define.ts'
import { newCsrfToken } from './mount.ts'
import { CLEAR_SESSION_COOKIES, currentSession, endSessions, sessionsOf, signInSessions } from './session-routes.ts'

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  isAdmin: z.boolean(),
  disabled: z.boolean(),
  /** False for an account made through an invitation link no mail plugin delivered, until its email is proven. */
  emailVerified: z.boolean(),
  lastLoginAt: z.string().nullable(),
  createdAt: z.string(),
})

/** A user as the API shows it: never the password hash. */
export function publicUser(u: User): z.infer<typeof userSchema> {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    isAdmin: u.isAdmin,
    disabled: u.disabled,
    emailVerified: u.emailVerifiedAt !== null,
    lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
    createdAt: u.createdAt.toISOString(),
  }
}

const password = z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(1024)

async function signedIn(sessions: SessionsService, user: User) {
  const { token, expiresAt } = await sessions.issue(user)
  const cookies = sessions.cookies(token, newCsrfToken(), sessions.ttlSeconds)
  return reply(
    200,
    { token, expiresAt: expiresAt.toISOString(), user: publicUser(user) },
    { 'set-cookie': cookies as unknown as string },
  )
}

export function authRoutes() {
  const throttle = new SignInThrottle()
  return [
    route({
      method: 'GET',
      path: '/api/auth/setup',
      tag: 'auth',
      summary: 'Whether the first-run admin set-up is still open',
      auth: 'public',
      response: z.object({ needed: z.boolean() }),
      handler: async ({ services }) => ({
        needed:
          sessionsOf(services) !== null &&
          (await services.store.setup.hasToken()) &&
          (await services.store.users.count({ isAdmin: true })) === 0,
      }),
    }),
    route({
      method: 'POST',
      path: '/api/auth/setup',
      tag: 'auth',
      summary: 'Create the first admin with the one-time token printed at start',
      auth: 'public',
      body: z.object({ token: z.string().min(1), email: z.email(), name: z.string().max(200).default(''), password }),
      handler: async ({ body, services, audit }) => {
        // Checked first: the link is spent by the account it makes, which must be able to sign in.
        const sessions = signInSessions(services)
        // Tokens are looked up by their SHA-256, so no comparison of the secret itself can leak through timing.
        const tokenHash = hashSetupToken(body.token)
        // Any node's token works here, once: under the first-admin lock, using it voids every other node's too.
        const user = await services.store.transaction(async (tx) => {
          await tx.setup.lock()
          if (!(await tx.setup.consumeToken(tokenHash))) return null
          // An admin made meanwhile (MCPO_ADMIN_EMAIL on a node that started later): the token is spent all the same.
          if ((await tx.users.count({ isAdmin: true })) > 0) return null
          return tx.users.create({
            email: body.email,
            name: body.name,
            // Hashed while holding the lock: this runs once per installation, after a valid token only.
            passwordHash: await hashPassword(body.password),
            isAdmin: true,
            // Whoever holds the set-up token printed on the operator's console is the operator.
            emailVerifiedAt: new Date(),
          })
        })
        if (!user) throw new GatewayError('MCPO_ERR_FORBIDDEN', 'the set-up link is invalid or was already used')
        audit({ action: 'user.admin_created', target: { type: 'user', id: user.id }, after: publicUser(user) })
        return signedIn(sessions, user)
      },
    }),
    route({
      method: 'POST',
      path: '/api/auth/login',
      tag: 'auth',
      summary: 'Sign in with email and password; answers a token and sets the session cookie',
      auth: 'public',
      body: z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024) }),
      handler: async ({ body, req, services, audit }) => {
        const sessions = signInSessions(services)
        const account = body.email.toLowerCase()
        const wait = throttle.retryAfter(account, req.ip)
        if (wait > 0) {
          throw new GatewayError('MCPO_ERR_RATE_LIMITED', `too many failed sign-ins; try again in ${wait} s`, {
            details: { retryAfterS: wait },
            refusal: { action: RefusalActions.signInThrottled, subject: account },
          })
        }
        const user = await services.store.users.getByEmail(account)
        const ok = user?.passwordHash
          ? await verifyPassword(user.passwordHash, body.password)
          : (await verifyPassword(await dummyHash(), body.password)) && false
        if (!user || !ok || user.disabled) {
          throttle.fail(account, req.ip)
          // Recorded as a refusal (aggregated per address and account), so guessing cannot flood the audit trail.
          throw new GatewayError('MCPO_ERR_UNAUTHENTICATED', 'wrong email or password', {
            refusal: { action: RefusalActions.signInFailed, subject: account },
          })
        }
        throttle.succeed(account, req.ip)
        const updated = (await services.store.users.update(user.id, { lastLoginAt: new Date() })) ?? user
        audit({ action: 'auth.sign_in', target: { type: 'user', id: user.id } })
        return signedIn(sessions, updated)
      },
    }),
    route({
      method: 'POST',
      path: '/api/auth/logout',
      tag: 'auth',
      summary: 'Sign out: ends this session on every node and clears the session cookies',
      // Public, so that a browser holding an expired or already ended session can still clear its cookies.
      auth: 'public',
      handler: async ({ ex, principal, services, audit }) => {
        const sessionId = currentSession(services, ex)
        if (sessionId) {
          await sessionsOf(services)?.revoke(sessionId)
          audit({ action: 'auth.sign_out', target: { type: 'user', id: principal?.userId ?? '' } })
        }
        return reply(204, undefined, { 'set-cookie': CLEAR_SESSION_COOKIES as unknown as string })
      },
    }),
    route({
      method: 'GET',
      path: '/api/auth/me',
      tag: 'auth',
      summary: 'The signed-in user',
      auth: 'user',
      response: userSchema,
      handler: async ({ principal, services }) => {
        const user = principal?.userId ? await services.store.users.get(principal.userId) : null
        if (!user) throw new GatewayError('MCPO_ERR_UNAUTHENTICATED', 'sign in as a user')
        return publicUser(user)
      },
    }),
    route({
      method: 'POST',
      path: '/api/auth/password',
      tag: 'auth',
      summary: 'Change the signed-in user’s password; every other session of the user ends',
      auth: 'user',
      body: z.object({ currentPassword: z.string().min(1), newPassword: password }),
      handler: async ({ body, ex, principal, services, audit }) => {
        const user = principal?.userId ? await services.store.users.get(principal.userId) : null
        if (!user?.passwordHash || !(await verifyPassword(user.passwordHash, body.currentPassword))) {
          throw new GatewayError('MCPO_ERR_FORBIDDEN', 'the current password is wrong')
        }
        const problem = passwordProblem(body.newPassword)
        if (problem) throw new GatewayError('MCPO_ERR_VALIDATION', `newPassword: ${problem}`)
        await services.store.users.update(user.id, { passwordHash: await hashPassword(body.newPassword) })
        // Whoever knew the old password (or holds a stolen token) is signed out; the one who changed it stays.
        const ended = await endSessions(services, user.id, currentSession(services, ex))
        audit({
          action: 'user.password_changed',
          target: { type: 'user', id: user.id },
          after: { sessionsEnded: ended },
        })
        return undefined
      },
    }),
  ]
}
