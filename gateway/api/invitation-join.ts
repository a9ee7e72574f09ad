// Joining through an invitation, shared by accept (signed-in invitee) and accept-link (external invitee): the
// open-state check, the membership it makes, and its audit records.
import { createHash } from 'node:crypto'
import { stronger } from '../../plugins/rbac/matrix.ts'
import type { Invitation, Store } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import type { ApiContext } from './define.ts'
import { assertActive } from './rules.ts'

export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** Refuses an invitation that is no longer open. */
export function assertOpen(inv: Invitation, now = Date.now()): void {
  if (inv.status !== 'pending') throw new GatewayError('MCPO_ERR_CONFLICT', `this invitation was already ${inv.status}`)
  if (inv.expiresAt.getTime() <= now) {
    throw new GatewayError('MCPO_ERR_CONFLICT', 'this invitation has expired: ask for it to be sent again')
  }
}

/**
 * Makes `userId` a member as the invitation says and marks it accepted. Inside a transaction: the target's row lock
 * makes a single-use invitation single-use even when two accepts race.
 */
export async function join(tx: Store, invitationId: string, userId: string): Promise<Invitation> {
  const first = await tx.invitations.get(invitationId)
  if (!first) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'invitation not found')
  if (first.projectId) await tx.projects.lock(first.projectId)
  else if (first.teamId) await tx.teams.lock(first.teamId)
  const inv = (await tx.invitations.get(invitationId)) ?? first
  assertOpen(inv)
  if (inv.projectId) {
    const project = await tx.projects.get(inv.projectId)
    if (!project) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'the project of this invitation no longer exists')
    assertActive(project)
    const existing = await tx.projectMembers.get(project.id, userId)
    if (!existing) {
      await tx.projectMembers.add({
        projectId: project.id,
        userId,
        role: inv.role,
        inviteSource: inv.kind === 'team' ? 'team' : 'invitation',
        sourceTeamId: inv.sourceTeamId,
        addedBy: inv.invitedBy,
      })
      // Accepting never demotes someone who already had a stronger role.
    } else if (stronger(existing.role, inv.role) !== existing.role) {
      await tx.projectMembers.setRole(project.id, userId, inv.role)
    }
  } else if (inv.teamId) {
    const existing = await tx.teamMembers.get(inv.teamId, userId)
    if (!existing) await tx.teamMembers.add({ teamId: inv.teamId, userId, role: inv.role })
    else if (stronger(existing.role, inv.role) !== existing.role)
      await tx.teamMembers.setRole(inv.teamId, userId, inv.role)
  }
  return (
    (await tx.invitations.update(inv.id, { status: 'accepted', acceptedAt: new Date(), acceptedBy: userId })) ?? inv
  )
}

/** One audit record for the invitation and one for the membership it made. */
export function auditJoin(audit: ApiContext['audit'], inv: Invitation, userId: string): void {
  audit({
    action: 'invitation.accepted',
    projectId: inv.projectId,
    teamId: inv.teamId,
    target: { type: 'invitation', id: inv.id },
    after: { acceptedBy: userId },
  })
  audit({
    action: inv.projectId ? 'member.added' : 'team.member_added',
    projectId: inv.projectId,
    teamId: inv.teamId,
    target: { type: 'user', id: userId },
    after: { role: inv.role, via: `invitation:${inv.kind}` },
  })
}
