// /api/projects/:id/members: list (direct members, and those who come through the project's team), invite a person
// from any team (they join when they accept) or add a whole team, re-role, remove or leave. A project always keeps an
// owner, and a member who loses all access loses the API keys they made in it. Config-file projects take members
// too: the file declares none.
import { z } from 'zod'
import type { Project, Role, Store } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import { oauthServerOf } from '../upstream-oauth/routes.ts'
import { requireProject, requireTeam } from './access.ts'
import { route } from './define.ts'
import { invitedSchema, inviteMember } from './invitation-send.ts'
import { pageQuery, pageSchema, paginate } from './paging.ts'
import { actingUserId, assertActive, assertVersion, keepProjectOwner, revokeKeysOfLeaver, whoIs } from './rules.ts'
import {
  inheritedMemberView,
  memberBody,
  type ProjectMemberView,
  projectMemberSchema,
  projectMemberView,
  roleBody,
  roleSchema,
} from './views.ts'

/** The project's team role of a user, or null. */
async function teamRoleOf(store: Store, project: Project, userId: string): Promise<Role | null> {
  return project.teamId ? ((await store.teamMembers.get(project.teamId, userId))?.role ?? null) : null
}

/** A user with no direct row: either a member through the team (say so) or no member at all. */
async function noDirectMember(store: Store, project: Project, userId: string, email: string): Promise<GatewayError> {
  if (await teamRoleOf(store, project, userId)) {
    return new GatewayError(
      'MCPO_ERR_CONFLICT',
      `${email} is a member through the project's team: change that in the team, or add them directly to give a stronger role here`,
    )
  }
  return new GatewayError('MCPO_ERR_NOT_FOUND', 'the user is not a member of this project')
}

export function memberRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/projects/:id/members',
      tag: 'members',
      summary: 'Project members with direct role, team role, effective role and how they came in',
      auth: 'user',
      query: pageQuery,
      response: pageSchema(projectMemberSchema),
      handler: async ({ params, query, principal, services }) => {
        const store = services.store
        const { project } = await requireProject(store, principal, params.id, 'project.view')
        const direct = await store.projectMembers.list(project.id)
        const team = project.teamId ? await store.teamMembers.list(project.teamId) : []
        const teamRoles = new Map(team.map((m) => [m.userId, m.role]))
        const listed = new Set(direct.map((m) => m.userId))
        const all: ProjectMemberView[] = [
          ...direct.map((m) => projectMemberView(m, teamRoles.get(m.userId) ?? null)),
          ...team.filter((m) => !listed.has(m.userId)).map(inheritedMemberView),
        ].sort((a, b) => a.email.toLowerCase().localeCompare(b.email.toLowerCase()))
        return paginate(all, query, (m) => m)
      },
    }),
    route({
      method: 'POST',
      path: '/api/projects/:id/members',
      tag: 'members',
      summary:
        'Invite someone (by userId or email, from any team) with a role (owners): they join when they accept. ' +
        'The answer is the same whether or not an account uses the email',
      auth: 'user',
      status: 202,
      body: memberBody,
      response: invitedSchema,
      handler: async (ctx) => {
        const { params, body, principal, services } = ctx
        const store = services.store
        const { project } = await requireProject(store, principal, params.id, 'members.manage')
        assertActive(project)
        return inviteMember(ctx, { projectId: project.id, teamId: null }, body, async (userId) => {
          return (await store.projectMembers.get(project.id, userId)) !== null
        })
      },
    }),
    route({
      method: 'POST',
      path: '/api/projects/:id/members/team',
      tag: 'members',
      summary: 'Add every member of one of your teams with one role (owners); existing members are kept as they are',
      auth: 'user',
      body: z.object({ teamId: z.string().min(1).max(100).describe('team id or slug'), role: roleSchema }),
      response: z.object({ teamId: z.string(), added: z.number().int() }),
      handler: async ({ params, body, principal, services, audit }) => {
        const store = services.store
        const { project } = await requireProject(store, principal, params.id, 'members.manage')
        assertActive(project)
        // Only a team the caller belongs to (product.md §2: "members of one of the inviter's teams").
        const { team } = await requireTeam(store, principal, body.teamId, 'team.view')
        const added = await store.projectMembers.addTeam({
          projectId: project.id,
          teamId: team.id,
          role: body.role,
          addedBy: actingUserId(principal),
        })
        audit({
          action: 'member.team_added',
          projectId: project.id,
          target: { type: 'team', id: team.id },
          after: { role: body.role, added },
        })
        return { teamId: team.id, added }
      },
    }),
    route({
      method: 'PUT',
      path: '/api/projects/:id/members/:userId',
      tag: 'members',
      summary: 'Change a member’s role (owners); the last owner cannot be demoted',
      auth: 'user',
      body: roleBody,
      response: projectMemberSchema,
      handler: async ({ params, body, principal, services, audit }) => {
        const store = services.store
        const { project } = await requireProject(store, principal, params.id, 'members.manage')
        assertActive(project)
        const user = await store.users.get(params.userId)
        if (!user) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'the user is not a member of this project')
        const self = principal?.userId === user.id
        const { before, after } = await store.transaction(async (tx) => {
          await tx.projects.lock(project.id)
          const current = await tx.projectMembers.get(project.id, user.id)
          if (!current) throw await noDirectMember(tx, project, user.id, user.email)
          assertVersion('membership', current.updatedAt, body.version)
          await keepProjectOwner(tx, project, user.id, body.role, whoIs(self, user.email))
          return {
            before: current,
            after: (await tx.projectMembers.setRole(project.id, user.id, body.role)) ?? current,
          }
        })
        audit({
          action: 'member.role_changed',
          projectId: project.id,
          target: { type: 'user', id: user.id },
          before: { role: before.role },
          after: { role: after.role },
        })
        return projectMemberView(
          { ...after, email: user.email, name: user.name },
          await teamRoleOf(store, project, user.id),
        )
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/projects/:id/members/:userId',
      tag: 'members',
      summary: 'Remove a member (owners), or leave the project (your own id); the last owner cannot leave',
      auth: 'user',
      handler: async ({ params, principal, services, audit }) => {
        const store = services.store
        const self = principal?.kind === 'user' && principal.userId === params.userId
        const { project } = await requireProject(store, principal, params.id, self ? 'project.view' : 'members.manage')
        assertActive(project)
        const user = await store.users.get(params.userId)
        if (!user) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'the user is not a member of this project')
        const { removed, keysRevoked } = await store.transaction(async (tx) => {
          await tx.projects.lock(project.id)
          const current = await tx.projectMembers.get(project.id, user.id)
          if (!current) throw await noDirectMember(tx, project, user.id, user.email)
          await keepProjectOwner(tx, project, user.id, null, whoIs(self, user.email))
          await tx.projectMembers.remove(project.id, user.id)
          // The apps they connected lose the project with them (their tokens already fail the membership check).
          await tx.oauth.revokeGrantsOf(user.id, project.id)
          return { removed: current, keysRevoked: await revokeKeysOfLeaver(tx, project, user.id) }
        })
        // Their own accounts at per-user servers are no longer the project's to use.
        const upstreamTokens = (await services.upstreamOAuth?.forget(project.id, user.id, oauthServerOf(services))) ?? 0
        if (services.membersChanged) await services.membersChanged([project.id])
        else if (keysRevoked > 0) await services.reloadKeys()
        audit({
          action: self ? 'member.left' : 'member.removed',
          projectId: project.id,
          target: { type: 'user', id: user.id },
          before: { role: removed.role, inviteSource: removed.inviteSource },
          after: { keysRevoked, upstreamTokens },
        })
        return undefined
      },
    }),
  ]
}
