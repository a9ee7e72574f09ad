// /api/teams/:id/members: list, invite (they join when they accept), re-role and remove team members. A team always
// keeps an owner; members may leave on their own; someone who leaves loses the keys they made in the team's projects
// they can no longer reach.

import { GatewayError } from '../errors.ts'
import { requireTeam } from './access.ts'
import { route } from './define.ts'
import { invitedSchema, inviteMember } from './invitation-send.ts'
import { pageQuery, pageSchema, paginate } from './paging.ts'
import { assertVersion, keepTeamOwner, revokeKeysOfLeaver, whoIs } from './rules.ts'
import { memberBody, roleBody, teamMemberSchema, teamMemberView } from './views.ts'

const notMember = () => new GatewayError('MCPO_ERR_NOT_FOUND', 'the user is not a member of this team')

export function teamMemberRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/teams/:id/members',
      tag: 'teams',
      summary: 'A team’s members with their roles',
      auth: 'user',
      query: pageQuery,
      response: pageSchema(teamMemberSchema),
      handler: async ({ params, query, principal, services }) => {
        const { team } = await requireTeam(services.store, principal, params.id, 'team.view')
        return paginate(await services.store.teamMembers.list(team.id), query, teamMemberView)
      },
    }),
    route({
      method: 'POST',
      path: '/api/teams/:id/members',
      tag: 'teams',
      summary:
        'Invite someone (by userId or email) into a team with a role (team owners): they join when they accept. ' +
        'The answer is the same whether or not an account uses the email',
      auth: 'user',
      status: 202,
      body: memberBody,
      response: invitedSchema,
      handler: async (ctx) => {
        const { params, body, principal, services } = ctx
        const store = services.store
        const { team } = await requireTeam(store, principal, params.id, 'team.manage')
        return inviteMember(ctx, { projectId: null, teamId: team.id }, body, async (userId) => {
          return (await store.teamMembers.get(team.id, userId)) !== null
        })
      },
    }),
    route({
      method: 'PUT',
      path: '/api/teams/:id/members/:userId',
      tag: 'teams',
      summary: 'Change a team member’s role (team owners); the last owner cannot be demoted',
      auth: 'user',
      body: roleBody,
      response: teamMemberSchema,
      handler: async ({ params, body, principal, services, audit }) => {
        const store = services.store
        const { team } = await requireTeam(store, principal, params.id, 'team.manage')
        const user = await store.users.get(params.userId)
        if (!user) throw notMember()
        const { before, after } = await store.transaction(async (tx) => {
          await tx.teams.lock(team.id)
          const current = await tx.teamMembers.get(team.id, user.id)
          if (!current) throw notMember()
          assertVersion('membership', current.updatedAt, body.version)
          await keepTeamOwner(tx, team.id, current.role, body.role, whoIs(principal?.userId === user.id, user.email))
          return { before: current, after: (await tx.teamMembers.setRole(team.id, user.id, body.role)) ?? current }
        })
        const view = teamMemberView({ ...after, email: user.email, name: user.name })
        audit({
          action: 'team.member_role_changed',
          teamId: team.id,
          target: { type: 'user', id: user.id },
          before: { role: before.role },
          after: { role: after.role },
        })
        return view
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/teams/:id/members/:userId',
      tag: 'teams',
      summary: 'Remove a member (team owners), or leave the team (your own id); the last owner cannot leave',
      auth: 'user',
      handler: async ({ params, principal, services, audit }) => {
        const store = services.store
        const self = principal?.kind === 'user' && principal.userId === params.userId
        const { team } = await requireTeam(store, principal, params.id, self ? 'team.view' : 'team.manage')
        const user = await store.users.get(params.userId)
        if (!user) throw notMember()
        const { removed, keysRevoked, projectIds } = await store.transaction(async (tx) => {
          await tx.teams.lock(team.id)
          const current = await tx.teamMembers.get(team.id, user.id)
          if (!current) throw notMember()
          await keepTeamOwner(tx, team.id, current.role, null, whoIs(self, user.email))
          await tx.teamMembers.remove(team.id, user.id)
          let keysRevoked = 0
          const projectIds: string[] = []
          for (const p of await tx.projects.list({ teamId: team.id, includeArchived: true })) {
            keysRevoked += await revokeKeysOfLeaver(tx, p, user.id)
            projectIds.push(p.id)
          }
          return { removed: current, keysRevoked, projectIds }
        })
        if (services.membersChanged) await services.membersChanged(projectIds)
        else if (keysRevoked > 0) await services.reloadKeys()
        audit({
          action: self ? 'team.member_left' : 'team.member_removed',
          teamId: team.id,
          target: { type: 'user', id: user.id },
          before: { role: removed.role },
          after: { keysRevoked },
        })
        return undefined
      },
    }),
  ]
}
