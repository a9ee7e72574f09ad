// Invitations into a project (product.md §2): `team` (every member of one of the inviter's teams gets a pending
// invitation), `individual` (an existing user, by email) and `external` (someone without an account: a single-use
// link whose token is stored only as a SHA-256 hash). Each stays pending until accepted, declined, revoked or
// expired; resend renews the expiry (and the link). Mail goes through a plugin's `deliverInvitation` hook; without
// one, the link is in the create and resend answers for the inviter to pass on. The token is never logged or audited.
import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import type { InvitationMessage, Principal } from '../../plugins/contract.ts'
import type { Invitation, Project, Store } from '../../plugins/storage/port.ts'
import { GatewayError, isGatewayError } from '../errors.ts'
import { requireProject, requireTeam, userProjectRole } from './access.ts'
import { type ApiServices, route } from './define.ts'
import { assertOpen, auditJoin, hashInvitationToken, join } from './invitation-join.ts'
import { acceptLinkRoutes } from './invitation-links.ts'
import { deliverInvitation } from './mail.ts'
import { pageQuery, pageSchema, paginate } from './paging.ts'
import { actingUserId, assertActive, callerUserId } from './rules.ts'
import { invitationSchema, invitationView, roleSchema } from './views.ts'

const DAY_MS = 24 * 60 * 60 * 1000
export const DEFAULT_INVITATION_DAYS = 7
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

function newToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString('base64url')
  return { token, tokenHash: hashInvitationToken(token) }
}

function messageFor(inv: Invitation, link: string | null): InvitationMessage {
  return {
    invitationId: inv.id,
    kind: inv.kind,
    email: inv.email ?? '',
    role: inv.role,
    projectId: inv.projectId,
    teamId: inv.teamId,
    link,
    expiresAt: inv.expiresAt.toISOString(),
    invitedBy: inv.invitedBy,
  }
}

/** The token is in the fragment so browsers never send it to a server or put it in a Referer. */
function linkFor(services: ApiServices, token: string): string {
  const base = services.config.listen.publicBaseUrl?.replace(/\/$/, '') ?? ''
  return `${base}/admin/invite#token=${token}`
}

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

/** An invitation addressed to the signed-in user; anyone else's is "not found". */
async function addressedToMe(store: Store, principal: Principal | null, id: string) {
  const userId = callerUserId(principal)
  const user = await store.users.get(userId)
  const inv = await store.invitations.get(id)
  if (!user || !inv?.email || inv.email.toLowerCase() !== user.email.toLowerCase()) {
    throw new GatewayError('MCPO_ERR_NOT_FOUND', 'invitation not found')
  }
  return { inv, user }
}

const mineSchema = invitationSchema.extend({
  project: z.object({ id: z.string(), name: z.string() }).nullable(),
  inviter: z.object({ name: z.string(), email: z.string() }).nullable(),
})

export function invitationRoutes() {
  return [
    route({
      method: 'POST',
      path: '/api/projects/:id/invitations',
      tag: 'invitations',
      summary:
        'Invite into a project (owners): kind team (your team’s members), individual (an existing user) or ' +
        'external (a one-time link, answered here once)',
      auth: 'user',
      status: 201,
      body: createBody,
      response: withLink,
      handler: async ({ params, body, principal, services, audit }) => {
        const store = services.store
        const { project } = await requireProject(store, principal, params.id, 'members.manage')
        assertActive(project)
        const invitedBy = actingUserId(principal)
        const expiresAt = new Date(Date.now() + body.expiresInDays * DAY_MS)
        const pending = new Set(
          (await store.invitations.listPending({ projectId: project.id })).map((i) => i.email?.toLowerCase()),
        )
        const targets: { email: string; sourceTeamId: string | null }[] = []
        let skipped = 0
        let token: { token: string; tokenHash: string } | null = null
        if (body.kind === 'team') {
          const { team } = await requireTeam(store, principal, body.teamId, 'team.view')
          for (const m of await store.teamMembers.list(team.id)) {
            const member = (await userProjectRole(store, project, m.userId)) !== null
            if (member || pending.has(m.email.toLowerCase())) skipped++
            else targets.push({ email: m.email, sourceTeamId: team.id })
          }
        } else {
          const user = await store.users.getByEmail(body.email)
          if (body.kind === 'individual' && !user) {
            throw new GatewayError(
              'MCPO_ERR_NOT_FOUND',
              `no account uses ${body.email}: send an external invitation instead`,
              { details: { field: 'email' } },
            )
          }
          if (user && (await userProjectRole(store, project, user.id)) !== null) {
            throw new GatewayError('MCPO_ERR_CONFLICT', `${body.email} is already a member of this project`)
          }
          if (pending.has(body.email.toLowerCase())) {
            throw new GatewayError(
              'MCPO_ERR_CONFLICT',
              `${body.email} already has a pending invitation to this project: resend it instead`,
            )
          }
          targets.push({ email: user?.email ?? body.email, sourceTeamId: null })
          if (body.kind === 'external') token = newToken()
        }
        const created = await store.transaction(async (tx) => {
          const out: Invitation[] = []
          for (const t of targets) {
            out.push(
              await tx.invitations.create({
                kind: body.kind,
                projectId: project.id,
                sourceTeamId: t.sourceTeamId,
                email: t.email,
                role: body.role,
                tokenHash: token?.tokenHash ?? null,
                invitedBy,
                expiresAt,
              }),
            )
          }
          return out
        })
        const views = created.map((i) => invitationView(i))
        for (const v of views) {
          audit({
            action: 'invitation.created',
            projectId: project.id,
            target: { type: 'invitation', id: v.id },
            after: v,
          })
        }
        const link = token ? linkFor(services, token.token) : null
        let delivered = created.length > 0
        for (const inv of created) {
          delivered =
            (await deliverInvitation(services, messageFor(inv, inv.kind === 'external' ? link : null))) && delivered
        }
        return { invitations: views, skipped, link: delivered ? null : link, delivered }
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
      path: '/api/invitations',
      tag: 'invitations',
      summary: 'Pending invitations addressed to my email, with the project and who invited me',
      auth: 'user',
      query: pageQuery,
      response: pageSchema(mineSchema),
      handler: async ({ query, principal, services }) => {
        const store = services.store
        const user = await store.users.get(callerUserId(principal))
        if (!user) throw new GatewayError('MCPO_ERR_UNAUTHENTICATED', 'sign in as a user')
        const page = paginate(await store.invitations.listPending({ email: user.email }), query, (i) => i)
        const items = []
        for (const i of page.items) {
          const project = i.projectId ? await store.projects.get(i.projectId) : null
          const inviter = i.invitedBy ? await store.users.get(i.invitedBy) : null
          items.push({
            ...invitationView(i),
            project: project ? { id: project.id, name: project.name } : null,
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
            ...(token ? { tokenHash: token.tokenHash } : {}),
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
        const delivered = await deliverInvitation(services, messageFor(updated, link))
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
