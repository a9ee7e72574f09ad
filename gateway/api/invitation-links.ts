// The external invitee's side of a one-time link: what the link is for (so the page can say so before anything
// happens), and accepting it: the account is created when no one uses the invited email yet; an existing account
// signs in first. The token arrives in the body (never the URL), is compared by its SHA-256 hash and never logged.
import { z } from 'zod'
import { parseCookies } from '../../plugins/cookies.ts'
import type { Invitation, Store } from '../../plugins/storage/port.ts'
import { hashPassword, MIN_PASSWORD_LENGTH } from '../../plugins/users/password.ts'
import { GatewayError } from '../errors.ts'
import { publicUser, userSchema } from './auth-routes.ts'
import { route } from './define.ts'
import { auditVerified } from './email-verification.ts'
import { assertOpen, auditJoin, hashInvitationToken, join } from './invitation-join.ts'
import { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from './mount.ts'
import { invitationSchema, invitationView, roleSchema } from './views.ts'

const token = z.string().min(16).max(200)
const password = z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(1024)

async function byToken(store: Store, value: string): Promise<Invitation & { email: string }> {
  const inv = await store.invitations.getByTokenHash(hashInvitationToken(value))
  if (inv?.kind !== 'external' || !inv.email) {
    throw new GatewayError('MCPO_ERR_NOT_FOUND', 'this invitation link is not valid')
  }
  return inv as Invitation & { email: string }
}

/**
 * This route is public (new accounts have no session), so mount.ts skips its CSRF check; joining as the signed-in
 * user with a cookie session must pass the same double-submit check as every other state change.
 */
function checkCsrf(headers: Readonly<Record<string, string>>): void {
  const cookies = parseCookies(headers.cookie)
  if (!cookies.get(SESSION_COOKIE)) return
  const header = headers[CSRF_HEADER]
  if (!header || header !== cookies.get(CSRF_COOKIE)) {
    throw new GatewayError('MCPO_ERR_FORBIDDEN', `missing or wrong ${CSRF_HEADER} header`)
  }
}

export function acceptLinkRoutes() {
  return [
    route({
      method: 'POST',
      path: '/api/invitations/link-info',
      tag: 'invitations',
      summary: 'What an invitation link is for: project, role, email, and whether an account already uses the email',
      auth: 'public',
      body: z.object({ token }),
      response: z.object({
        email: z.string(),
        role: roleSchema,
        status: invitationSchema.shape.status,
        expiresAt: z.string(),
        project: z.object({ id: z.string(), name: z.string() }).nullable(),
        team: z.object({ id: z.string(), name: z.string() }).nullable(),
        accountExists: z.boolean(),
      }),
      handler: async ({ body, services }) => {
        const store = services.store
        const inv = await byToken(store, body.token)
        const view = invitationView(inv)
        const project = inv.projectId ? await store.projects.get(inv.projectId) : null
        const team = inv.teamId ? await store.teams.get(inv.teamId) : null
        return {
          email: inv.email,
          role: inv.role,
          status: view.status,
          expiresAt: view.expiresAt,
          project: project ? { id: project.id, name: project.name } : null,
          team: team ? { id: team.id, name: team.name } : null,
          accountExists: (await store.users.getByEmail(inv.email)) !== null,
        }
      },
    }),
    route({
      method: 'POST',
      path: '/api/invitations/accept-link',
      tag: 'invitations',
      summary:
        'Accept a one-time invitation link: creates the account (name, password) and joins; ' +
        'if an account already uses the email, sign in as it first',
      auth: 'public',
      body: z.object({ token, name: z.string().trim().max(200).default(''), password: password.optional() }),
      response: z.object({ user: userSchema, invitation: invitationSchema, created: z.boolean() }),
      handler: async ({ body, principal, req, services, audit }) => {
        const store = services.store
        const inv = await byToken(store, body.token)
        assertOpen(inv)
        const existing = await store.users.getByEmail(inv.email)
        if (existing) {
          if (principal?.kind !== 'user') {
            throw new GatewayError(
              'MCPO_ERR_UNAUTHENTICATED',
              `an account already uses ${inv.email}: sign in with it, then open the link again`,
            )
          }
          if (principal.userId !== existing.id) {
            throw new GatewayError(
              'MCPO_ERR_FORBIDDEN',
              `this invitation is for ${inv.email}: sign in with that account`,
            )
          }
          checkCsrf(req.headers)
          // A link only the mailbox had proves the address; a link the inviter was shown grants this invitation only.
          const proves = inv.deliveredAt !== null && existing.emailVerifiedAt === null
          const { user, accepted } = await store.transaction(async (tx) => ({
            user: proves
              ? ((await tx.users.update(existing.id, { emailVerifiedAt: new Date() })) ?? existing)
              : existing,
            accepted: await join(tx, inv.id, existing.id),
          }))
          if (proves) auditVerified(audit, user.id, 'invitation-mail')
          auditJoin(audit, accepted, existing.id)
          return { user: publicUser(user), invitation: invitationView(accepted), created: false }
        }
        if (!body.password) {
          throw new GatewayError('MCPO_ERR_VALIDATION', 'password: choose a password for your new account', {
            details: { fields: [{ field: 'password', message: 'required to create your account' }] },
          })
        }
        const passwordHash = await hashPassword(body.password)
        // One transaction: if the invitation was used meanwhile, the account is not created either. Its email counts
        // as verified only when a mail plugin delivered the link: otherwise the inviter had the link and may be the
        // one choosing this password, so the account gets this invitation and nothing else sent to the address.
        const { user, accepted } = await store.transaction(async (tx) => {
          const user = await tx.users.create({
            email: inv.email,
            name: body.name,
            passwordHash,
            emailVerifiedAt: inv.deliveredAt ? new Date() : null,
          })
          return { user, accepted: await join(tx, inv.id, user.id) }
        })
        audit({
          action: 'user.created',
          target: { type: 'user', id: user.id },
          after: { ...publicUser(user), via: 'invitation' },
        })
        auditJoin(audit, accepted, user.id)
        return { user: publicUser(user), invitation: invitationView(accepted), created: true }
      },
    }),
  ]
}
