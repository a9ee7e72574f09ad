// Invitations into a project (product.md §2): `team` (every member of one of the inviter's teams gets a pending
// invitation), `individual` (a person by email, who accepts from their account) and `external` (a single-use link to
// create an account, whose token is stored only as a SHA-256 hash). Each stays pending until accepted, declined,
// revoked or expired; resend renews the expiry (and the link). Mail goes through a plugin's `deliverInvitation` hook;
// without one, the link is in the create and resend answers for the inviter to pass on. The token is never logged
// or audited. Whether an email has an account is never told: both kinds are made the same way either way. An account
// whose email is not verified sees and takes none of the invitations addressed to it (SECURITY.md).
import { z } from 'zod'
import type { Principal } from '../../plugins/contract.ts'
import type { Invitation, Project, Store, User } from '../../plugins/storage/port.ts'
import { GatewayError, isGatewayError } from '../errors.ts'
import { requireProject, requireTeam, userProjectRole } from './access.ts'
import { route } from './define.ts'
import { assertOpen, auditJoin, join } from './invitation-join.ts'
import { acceptLinkRoutes } from './invitation-links.ts'
import {
  assertInvitable,
  DEFAULT_INVITATION_DAYS,
  deliver,
  linkFor,
  newToken,
  sendInvitations,
} from './invitation-send.ts'
import { pageQuery, pageSchema, paginate } from './paging.ts'
import { assertActive, callerUserId } from './rules.ts'
import { invitationSchema, invitationView, roleSchema } from './views.ts'

const DAY_MS = 24 * 60 * 60 * 1000
const expiresInDays = z.number().int().min(1).max(30).default(DEFAULT_INVITATION_DAYS)

const createBody = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('team'),
    teamId: z.string().min(1).max(100).describe('one of your teams (id or slug)'),
    role: roleSchema,
    expiresInDays,
  }),
  z.object({ kind: z.literal('individual'), email: z.email(), role: roleSchema, expiresInDays }),
  z.object({ kind: z.literal('external'), email: z.email(), role: roleSchema, expiresInDays }),
])

const withLink = z.object({
  invitations: z.array(invitationSchema),
  /** Team members skipped because they are already members or already invited. */
  skipped: z.number().int(),
  /** The one-time link of an external invitation, shown only here (null when a mail plugin delivered it). */
  link: z.string().nullable(),
  /** True when a `deliverInvitation` plugin sent every invitation by mail. */
  delivered: z.boolean(),
})

/** An invitation the caller may resend or revoke; one they cannot manage is "not found". */
async function manageable(
  store: Store,
  principal: Principal | null,
  id: string,
): Promise<{ inv: Invitation; project: Project | null }> {
  const inv = await store.invitations.get(id)
  if (!inv) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'invitation not found')
  try {
    if (inv.projectId) {
      return { inv, project: (await requireProject(store, principal, inv.projectId, 'members.manage')).project }
    }
    await requireTeam(store, principal, inv.teamId ?? '', 'team.manage')
    return { inv, project: null }
  } catch (err) {
    if (isGatewayError(err, 'MCPO_ERR_NOT_FOUND')) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'invitation not found')
    throw err
  }
}

/**
 * The signed-in user, who may act on invitations addressed to their email only once that email is verified: an
 * account made through an invitation link the inviter was shown may belong to the inviter, not to the address's owner.
 */
async function verifiedInvitee(store: Store, principal: Principal | null): Promise<User> {
  const user = await store.users.get(callerUserId(principal))
  if (!user) throw new GatewayError('MCPO_ERR_UNAUTHENTICATED', 'sign in as a user')
  if (!user.emailVerifiedAt) {
    throw new GatewayError(
      'MCPO_ERR_FORBIDDEN',
      `verify your email address (${user.email}) before acting on invitations sent to it: ask for a verification ` +
        'mail from your profile, or ask an administrator to confirm it',
      { details: { reason: 'email_unverified' } },
    )
  }
  return user
}

/** An invitation addressed to the signed-in user's verified email; anyone else's is "not found". */
async function addressedToMe(store: Store, principal: Principal | null, id: string) {
  const user = await verifiedInvitee(store, principal)
  const inv = await store.invitations.get(id)
  if (!inv?.email || inv.email.toLowerCase() !== user.email.toLowerCase()) {
    throw new GatewayError('MCPO_ERR_NOT_FOUND', 'invitation not found')
  }
  return { inv, user }
}

const mineSchema = invitationSchema.extend({
  project: z.object({ id: z.string(), name: z.string() }).nullable(),
  team: z.object({ id: z.string(), name: z.string() }).nullable(),
  inviter: z.object({ name: z.string(), email: z.string() }).nullable(),
})

export function invitationRoutes() {
  return [
    route({
      method: 'POST',
      path: '/api/projects/:id/invitations',
      tag: 'invitations',
      summary:
        'Invite into a project (owners): kind team (your team’s members), individual (someone who accepts from ' +
        'their account) or external (a one-time link, answered here once); the answer never tells whether an ' +
        'account uses the email',
      auth: 'user',
      status: 201,
      body: createBody,
      response: withLink,
      handler: async (ctx) => {
        const { params, body, principal, services } = ctx
        const store = services.store
        const { project } = await requireProject(store, principal, params.id, 'members.manage')
        assertActive(project)
        const target = { projectId: project.id, teamId: null }
        const invitees: { email: string; sourceTeamId: string | null }[] = []
        let skipped = 0
        if (body.kind === 'team') {
          const pending = new Set(
            (await store.invitations.listPending({ projectId: project.id })).map((i) => i.email?.toLowerCase()),
          )
          const { team } = await requireTeam(store, principal, body.teamId, 'team.view')
          for (const m of await store.teamMembers.list(team.id)) {
            const member = (await userProjectRole(store, project, m.userId)) !== null
            if (member || pending.has(m.email.toLowerCase())) skipped++
            else invitees.push({ email: m.email, sourceTeamId: team.id })
          }
        } else {
          // The address as typed, never the account's spelling of it: the answer must not tell whether one exists.
          await assertInvitable(
            store,
            target,
            body.email,
            async (userId) => (await userProjectRole(store, project, userId)) !== null,
          )
          invitees.push({ email: body.email, sourceTeamId: null })
        }
        const sent = await sendInvitations(ctx, {
          kind: body.kind,
          target,
          invitees,
          role: body.role,
          expiresInDays: body.expiresInDays,
        })
        return { ...sent, invitations: sent.invitations.map((i) => invitationView(i)), skipped }
      },
    }),
    route({
      method: 'GET',
      path: '/api/projects/:id/invitations',
      tag: 'invitations',
      summary: 'Pending invitations into a project, newest first',
      auth: 'user',
      query: pageQuery,
      response: pageSchema(invitationSchema),
      handler: async ({ params, query, principal, services }) => {
        const { project } = await requireProject(services.store, principal, params.id, 'project.view')
        const pending = await services.store.invitations.listPending({ projectId: project.id })
        return paginate(pending, query, (i) => invitationView(i))
      },
    }),
    route({
      method: 'GET',
      path: '/api/teams/:id/invitations',
      tag: 'invitations',
      summary: 'Pending invitations into a team, newest first',
      auth: 'user',
      query: pageQuery,
      response: pageSchema(invitationSchema),
      handler: async ({ params, query, principal, services }) => {
        const { team } = await requireTeam(services.store, principal, params.id, 'team.view')
        const pending = await services.store.invitations.listPending({ teamId: team.id })
        return paginate(pending, query, (i) => invitationView(i))
      },
    }),
    route({
      method: 'GET',
      path: '/api/invitations',
      tag: 'invitations',
      summary:
        'Pending invitations addressed to my email, with the project or team and who invited me; refused (403) ' +
        'while my email is not verified',
      auth: 'user',
      query: pageQuery,
      response: pageSchema(mineSchema),
      handler: async ({ query, principal, services }) => {
        const store = services.store
        const user = await verifiedInvitee(store, principal)
        const page = paginate(await store.invitations.listPending({ email: user.email }), query, (i) => i)
        const items = []
        for (const i of page.items) {
          const project = i.projectId ? await store.projects.get(i.projectId) : null
          const team = i.teamId ? await store.teams.get(i.teamId) : null
          const inviter = i.invitedBy ? await store.users.get(i.invitedBy) : null
          items.push({
            ...invitationView(i),
            project: project ? { id: project.id, name: project.name } : null,
            team: team ? { id: team.id, name: team.name } : null,
            inviter: inviter ? { name: inviter.name, email: inviter.email } : null,
          })
        }
        return { ...page, items }
      },
    }),
    route({
      method: 'POST',
      path: '/api/invitations/:id/resend',
      tag: 'invitations',
      summary: 'Renew a pending or expired invitation’s expiry; an external one gets a new link (the old one dies)',
      auth: 'user',
      response: z.object({ invitation: invitationSchema, link: z.string().nullable(), delivered: z.boolean() }),
      handler: async ({ params, principal, services, audit }) => {
        const store = services.store
        const { inv, project } = await manageable(store, principal, params.id)
        if (project) assertActive(project)
        if (inv.status !== 'pending' && inv.status !== 'expired') {
          throw new GatewayError('MCPO_ERR_CONFLICT', `this invitation was already ${inv.status}: create a new one`)
        }
        const token = inv.kind === 'external' ? newToken() : null
        const updated =
          (await store.invitations.update(inv.id, {
            status: 'pending',
            expiresAt: new Date(Date.now() + DEFAULT_INVITATION_DAYS * DAY_MS),
            // The new link is delivered by nobody yet: until a mail plugin takes it, it proves no email.
            ...(token ? { tokenHash: token.tokenHash, deliveredAt: null } : {}),
          })) ?? inv
        const view = invitationView(updated)
        audit({
          action: 'invitation.resent',
          projectId: inv.projectId,
          teamId: inv.teamId,
          target: { type: 'invitation', id: inv.id },
          before: { expiresAt: inv.expiresAt.toISOString() },
          after: { expiresAt: view.expiresAt },
        })
        const link = token ? linkFor(services, token.token) : null
        const delivered = await deliver(services, updated, link)
        return { invitation: view, link: delivered ? null : link, delivered }
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/invitations/:id',
      tag: 'invitations',
      summary: 'Revoke a pending invitation (owners); its link stops working',
      auth: 'user',
      handler: async ({ params, principal, services, audit }) => {
        const store = services.store
        const { inv, project } = await manageable(store, principal, params.id)
        if (project) assertActive(project)
        if (inv.status === 'revoked') return undefined
        if (inv.status === 'accepted' || inv.status === 'declined') {
          throw new GatewayError(
            'MCPO_ERR_CONFLICT',
            `this invitation was already ${inv.status}${inv.status === 'accepted' ? ': remove the member instead' : ''}`,
          )
        }
        await store.invitations.update(inv.id, { status: 'revoked' })
        audit({
          action: 'invitation.revoked',
          projectId: inv.projectId,
          teamId: inv.teamId,
          target: { type: 'invitation', id: inv.id },
          before: invitationView(inv),
        })
        return undefined
      },
    }),
    route({
      method: 'POST',
      path: '/api/invitations/:id/accept',
      tag: 'invitations',
      summary: 'Accept an invitation addressed to me: I join with its role',
      auth: 'user',
      response: invitationSchema,
      handler: async ({ params, principal, services, audit }) => {
        const store = services.store
        const { inv, user } = await addressedToMe(store, principal, params.id)
        assertOpen(inv)
        const accepted = await store.transaction((tx) => join(tx, inv.id, user.id))
        auditJoin(audit, accepted, user.id)
        return invitationView(accepted)
      },
    }),
    route({
      method: 'POST',
      path: '/api/invitations/:id/decline',
      tag: 'invitations',
      summary: 'Decline an invitation addressed to me',
      auth: 'user',
      response: invitationSchema,
      handler: async ({ params, principal, services, audit }) => {
        const store = services.store
        const { inv } = await addressedToMe(store, principal, params.id)
        if (inv.status !== 'pending') {
          throw new GatewayError('MCPO_ERR_CONFLICT', `this invitation was already ${inv.status}`)
        }
        const declined = (await store.invitations.update(inv.id, { status: 'declined' })) ?? inv
        audit({
          action: 'invitation.declined',
          projectId: inv.projectId,
          teamId: inv.teamId,
          target: { type: 'invitation', id: inv.id },
        })
        return invitationView(declined)
      },
    }),
    ...acceptLinkRoutes(),
  ]
}
