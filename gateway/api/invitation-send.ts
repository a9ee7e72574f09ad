// Making and sending invitations, shared by the invitation routes and by adding a member to a project or team: one
// pending invitation per invitee, a one-time link for external ones (stored as a hash), mail through the plugins,
// and `deliveredAt` on a link a mail plugin took (following only such a link proves the email: SECURITY.md).
import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import type { InvitationMessage } from '../../plugins/contract.ts'
import type { Invitation, InvitationKind, Role, Store } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import type { ApiContext, ApiServices } from './define.ts'
import { hashInvitationToken } from './invitation-join.ts'
import { deliverInvitation } from './mail.ts'
import { actingUserId } from './rules.ts'
import { invitationSchema, invitationView } from './views.ts'

const DAY_MS = 24 * 60 * 60 * 1000
export const DEFAULT_INVITATION_DAYS = 7

/** Where an invitation leads: a project or a team. */
export type InvitationTarget = { projectId: string; teamId: null } | { projectId: null; teamId: string }

export interface SendInput {
  kind: InvitationKind
  target: InvitationTarget
  /** External invitations have exactly one invitee (one link). */
  invitees: { email: string; sourceTeamId: string | null }[]
  role: Role
  expiresInDays?: number
}

export interface Sent {
  invitations: Invitation[]
  /** The external invitation's one-time link when no mail plugin took it (the inviter passes it on). */
  link: string | null
  /** True when a mail plugin took every invitation. */
  delivered: boolean
}

/** The answer of adding a member: the same whoever the email belongs to, or whether anyone does. */
export const invitedSchema = z.object({
  invitation: invitationSchema,
  /** The one-time link when no mail plugin delivered it, for the inviter to pass on; null otherwise. */
  link: z.string().nullable(),
  delivered: z.boolean(),
})

export function newToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString('base64url')
  return { token, tokenHash: hashInvitationToken(token) }
}

/** The token is in the fragment so browsers never send it to a server or put it in a Referer. */
export function linkFor(services: ApiServices, token: string): string {
  const base = services.config.listen.publicBaseUrl?.replace(/\/$/, '') ?? ''
  return `${base}/admin/invite#token=${token}`
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

/**
 * Hands one invitation (with its current link, if any) to the mail plugins. A link a plugin took is marked delivered:
 * only the mailbox has it, so whoever follows it owns the address.
 */
export async function deliver(services: ApiServices, inv: Invitation, link: string | null): Promise<boolean> {
  const delivered = await deliverInvitation(services, messageFor(inv, link))
  if (delivered && link) await services.store.invitations.update(inv.id, { deliveredAt: new Date() })
  return delivered
}

/** Refuses an invitee who is already a member (`member` says how that is checked) or already has a pending one. */
export async function assertInvitable(
  store: Store,
  target: InvitationTarget,
  email: string,
  member: (userId: string) => Promise<boolean>,
): Promise<void> {
  const user = await store.users.getByEmail(email)
  // Membership is visible to whoever may invite, so saying so tells them nothing about who has an account.
  if (user && (await member(user.id))) {
    throw new GatewayError('MCPO_ERR_CONFLICT', `${email} is already a member`)
  }
  const pending = await store.invitations.listPending(
    target.projectId !== null ? { projectId: target.projectId } : { teamId: target.teamId },
  )
  if (pending.some((i) => i.email?.toLowerCase() === email.toLowerCase())) {
    throw new GatewayError('MCPO_ERR_CONFLICT', `${email} already has a pending invitation here: resend it instead`)
  }
}

/** Creates the invitations in one transaction, audits and delivers them. */
export async function sendInvitations(
  ctx: Pick<ApiContext, 'principal' | 'services' | 'audit'>,
  input: SendInput,
): Promise<Sent> {
  const { services } = ctx
  const token = input.kind === 'external' ? newToken() : null
  if (token && input.invitees.length !== 1) {
    throw new GatewayError('MCPO_ERR_INTERNAL', 'an external invitation has exactly one invitee')
  }
  const invitedBy = actingUserId(ctx.principal)
  const expiresAt = new Date(Date.now() + (input.expiresInDays ?? DEFAULT_INVITATION_DAYS) * DAY_MS)
  const created = await services.store.transaction(async (tx) => {
    const out: Invitation[] = []
    for (const t of input.invitees) {
      out.push(
        await tx.invitations.create({
          kind: input.kind,
          projectId: input.target.projectId,
          teamId: input.target.teamId,
          sourceTeamId: t.sourceTeamId,
          email: t.email,
          role: input.role,
          tokenHash: token?.tokenHash ?? null,
          invitedBy,
          expiresAt,
        }),
      )
    }
    return out
  })
  for (const inv of created) {
    const view = invitationView(inv)
    ctx.audit({
      action: 'invitation.created',
      projectId: inv.projectId,
      teamId: inv.teamId,
      target: { type: 'invitation', id: inv.id },
      after: view,
    })
  }
  const link = token ? linkFor(services, token.token) : null
  let delivered = created.length > 0
  for (const inv of created) delivered = (await deliver(services, inv, inv.tokenHash ? link : null)) && delivered
  return { invitations: created, link: delivered ? null : link, delivered }
}

/**
 * Adding a member, by user id or by email: a pending invitation the person accepts, never a membership made without
 * their consent. By email it is an external invitation (its link lets someone without an account join) whether or not
 * an account uses the address, so the answer is the same either way; by id (the caller already knows the account)
 * an individual one.
 */
export async function inviteMember(
  ctx: Pick<ApiContext, 'principal' | 'services' | 'audit'>,
  target: InvitationTarget,
  who: { userId?: string; email?: string; role: Role },
  member: (userId: string) => Promise<boolean>,
): Promise<z.infer<typeof invitedSchema>> {
  const store = ctx.services.store
  let email = who.email ?? ''
  if (who.userId) {
    const user = await store.users.get(who.userId)
    if (!user) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'user not found', { details: { field: 'userId' } })
    email = user.email
  }
  await assertInvitable(store, target, email, member)
  const sent = await sendInvitations(ctx, {
    kind: who.userId ? 'individual' : 'external',
    target,
    invitees: [{ email, sourceTeamId: null }],
    role: who.role,
  })
  return { invitation: invitationView(sent.invitations[0]), link: sent.link, delivered: sent.delivered }
}
