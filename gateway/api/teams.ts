// /api/teams: the caller's teams (every team for administrators), create, read, edit and delete a team, and the
// team's projects. Members are in team-members.ts.
import { z } from 'zod'
import type { Principal } from '../../plugins/contract.ts'
import { stronger } from '../../plugins/rbac/matrix.ts'
import type { Role, Store, Team, TeamPatch } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import { requireTeam } from './access.ts'
import { route } from './define.ts'
import { pageQuery, pageSchema, paginate, queryFlag } from './paging.ts'
import { actingUserId, assertVersion, callerUserId } from './rules.ts'
import { slugify, uniqueSlug } from './slugs.ts'
import { projectSchema, projectView, teamSchema, teamView, versionField } from './views.ts'

const teamSlug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lower-case letters, digits or "-", starting with a letter or digit')
const teamName = z.string().trim().min(1).max(200)
const teamDescription = z.string().max(2000)

/** The caller's own role in a team; an administrator who is not a member has none. */
async function ownRole(store: Store, teamId: string, principal: Principal | null): Promise<Role | null> {
  if (principal?.kind !== 'user' || !principal.userId) return null
  return (await store.teamMembers.get(teamId, principal.userId))?.role ?? null
}

export function teamRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/teams',
      tag: 'teams',
      summary: 'My teams with my role in each; administrators list every team with ?all=true',
      auth: 'user',
      query: pageQuery.extend({ all: queryFlag }),
      response: pageSchema(teamSchema),
      handler: async ({ query, principal, services }) => {
        const userId = callerUserId(principal)
        if (query.all && !principal?.isAdmin) {
          throw new GatewayError('MCPO_ERR_FORBIDDEN', 'only administrators may list every team')
        }
        const mine = new Map((await services.store.teamMembers.listForUser(userId)).map((m) => [m.teamId, m.role]))
        const teams = (await services.store.teams.list()).filter((t) => query.all || mine.has(t.id))
        return paginate(teams, query, (t) => teamView(t, mine.get(t.id) ?? null))
      },
    }),
    route({
      method: 'POST',
      path: '/api/teams',
      tag: 'teams',
      summary: 'Create a team; the creator becomes its owner. The slug defaults to one made from the name',
      auth: 'user',
      status: 201,
      body: z.object({ name: teamName, slug: teamSlug.optional(), description: teamDescription.default('') }),
      response: teamSchema,
      handler: async ({ body, principal, services, audit }) => {
        const userId = callerUserId(principal)
        const store = services.store
        const slug =
          body.slug ??
          (await uniqueSlug(slugify(body.name, 'team'), async (s) => (await store.teams.getBySlug(s)) !== null))
        const team = await store.transaction(async (tx) => {
          const t = await tx.teams.create({ slug, name: body.name, description: body.description })
          await tx.teamMembers.add({ teamId: t.id, userId, role: 'owner' })
          return t
        })
        const view = teamView(team, 'owner')
        audit({ action: 'team.created', teamId: team.id, target: { type: 'team', id: team.id }, after: view })
        return view
      },
    }),
    route({
      method: 'GET',
      path: '/api/teams/:id',
      tag: 'teams',
      summary: 'A team (by id or slug) with my role in it',
      auth: 'user',
      response: teamSchema,
      handler: async ({ params, principal, services }) => {
        const { team } = await requireTeam(services.store, principal, params.id, 'team.view')
        return teamView(team, await ownRole(services.store, team.id, principal))
      },
    }),
    route({
      method: 'PUT',
      path: '/api/teams/:id',
      tag: 'teams',
      summary: 'Edit a team’s name, slug or description (team owners)',
      auth: 'user',
      body: z.object({
        name: teamName.optional(),
        slug: teamSlug.optional(),
        description: teamDescription.optional(),
        version: versionField,
      }),
      response: teamSchema,
      handler: async ({ params, body, principal, services, audit }) => {
        const store = services.store
        const { team } = await requireTeam(store, principal, params.id, 'team.manage')
        assertUiTeam(team, 'rename or describe')
        const patch: TeamPatch = {}
        if (body.name !== undefined) patch.name = body.name
        if (body.slug !== undefined) patch.slug = body.slug
        if (body.description !== undefined) patch.description = body.description
        const updated = await store.transaction(async (tx) => {
          await tx.teams.lock(team.id)
          const current = await tx.teams.get(team.id)
          if (!current) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'team not found')
          assertVersion('team', current.updatedAt, body.version)
          return (await tx.teams.update(team.id, patch)) ?? current
        })
        const role = await ownRole(store, team.id, principal)
        audit({
          action: 'team.updated',
          teamId: team.id,
          target: { type: 'team', id: team.id },
          before: teamView(team, role),
          after: teamView(updated, role),
        })
        return teamView(updated, role)
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/teams/:id',
      tag: 'teams',
      summary:
        'Delete a team (team owners). Its projects survive: each team member keeps their access as a direct member',
      auth: 'user',
      handler: async ({ params, principal, services, audit }) => {
        const store = services.store
        const { team } = await requireTeam(store, principal, params.id, 'team.manage')
        assertUiTeam(team, 'delete')
        const addedBy = actingUserId(principal)
        // The team's projects lose their team (ON DELETE SET NULL); without this step everyone who reached them
        // through the team, owners included, would lose them, leaving projects no one but an admin can open.
        const projects = await store.transaction(async (tx) => {
          await tx.teams.lock(team.id)
          const members = await tx.teamMembers.list(team.id)
          const owned = await tx.projects.list({ teamId: team.id, includeArchived: true })
          for (const p of owned) {
            for (const m of members) {
              const direct = await tx.projectMembers.get(p.id, m.userId)
              if (!direct) {
                await tx.projectMembers.add({
                  projectId: p.id,
                  userId: m.userId,
                  role: m.role,
                  inviteSource: 'team',
                  sourceTeamId: team.id,
                  addedBy,
                })
              } else if (stronger(direct.role, m.role) !== direct.role) {
                await tx.projectMembers.setRole(p.id, m.userId, m.role)
              }
            }
          }
          await tx.teams.delete(team.id)
          return owned.map((p) => p.id)
        })
        audit({
          action: 'team.deleted',
          teamId: team.id,
          target: { type: 'team', id: team.id },
          before: teamView(team, null),
          after: { projectsKept: projects },
        })
        return undefined
      },
    }),
    route({
      method: 'GET',
      path: '/api/teams/:id/projects',
      tag: 'teams',
      summary: 'The team’s projects with my role in each (?includeArchived=true for archived ones too)',
      auth: 'user',
      query: pageQuery.extend({ includeArchived: queryFlag }),
      response: pageSchema(projectSchema),
      handler: async ({ params, query, principal, services }) => {
        const store = services.store
        const { team } = await requireTeam(store, principal, params.id, 'team.view')
        const projects = await store.projects.list({ teamId: team.id, includeArchived: query.includeArchived })
        const roles = new Map<string, Role | null>()
        if (principal?.userId) {
          for (const p of await store.projects.listForUser(principal.userId, { includeArchived: true })) {
            roles.set(p.id, stronger(p.role, p.teamRole))
          }
        }
        return paginate(projects, query, (p) => projectView(p, roles.get(p.id) ?? null))
      },
    }),
  ]
}

/** Teams declared in mcpo.config.ts are rewritten at every boot: their members are managed here, the rest there. */
function assertUiTeam(team: Team, doing: string): void {
  if (team.source === 'config') {
    throw new GatewayError(
      'MCPO_ERR_CONFLICT',
      `team "${team.slug}" is managed by mcpo.config.ts: ${doing} it there (its members are managed here)`,
    )
  }
}
