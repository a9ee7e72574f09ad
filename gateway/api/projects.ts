// /api/projects: the projects I belong to (every project for administrators with ?all=true), create, read, edit,
// delete, archive and restore, and ownership transfer. Projects from mcpo.config.ts are read-only here except
// archive and restore; an archived project takes no writes but restore and delete.
import { z } from 'zod'
import type { Principal } from '../../plugins/contract.ts'
import { type Actor, stronger } from '../../plugins/rbac/matrix.ts'
import type { Project, ProjectPatch, Role, Store } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import { AUTH_MODES, type AuthMode, authModeOf } from '../oauth/resources.ts'
import { requireProject, requireTeam, userProjectRole } from './access.ts'
import { route } from './define.ts'
import { pageQuery, pageSchema, paginate, queryFlag } from './paging.ts'
import {
  type AppliedTemplate,
  applyProjectTemplate,
  findProjectTemplate,
  templateVariables,
} from './project-templates.ts'
import {
  assertActive,
  assertUiOwned,
  assertVersion,
  callerUserId,
  keepProjectOwner,
  stopServing,
  whoIs,
} from './rules.ts'
import { projectChanged } from './server-model.ts'
import { slugify, uniqueSlug } from './slugs.ts'
import { projectSchema, projectView, versionField } from './views.ts'

const projectId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    'must be 1-64 letters, digits, "-" or "_", starting with a letter or digit',
  )
const projectName = z.string().trim().min(1).max(200)
const projectDescription = z.string().max(2000)
const MAX_SETTINGS_BYTES = 64 * 1024
const settingsPatch = z
  .record(z.string().min(1).max(200), z.unknown())
  .refine((s) => JSON.stringify(s).length <= MAX_SETTINGS_BYTES, `must be at most ${MAX_SETTINGS_BYTES} bytes as JSON`)
  .refine((s) => s.authMode === undefined || s.authMode === null || AUTH_MODES.includes(s.authMode as AuthMode), {
    message: `authMode must be one of ${AUTH_MODES.join(', ')}`,
    path: ['authMode'],
  })
  .describe('merged into the settings; a key set to null is removed')

/** The caller's own role, for the answer: administrators act as owners but may hold no role at all. */
async function viewerRole(store: Store, principal: Principal | null, project: Project, actor: Actor) {
  if (!actor.isAdmin) return actor.role
  return principal?.userId ? userProjectRole(store, project, principal.userId) : null
}

function mergeSettings(current: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const next = { ...current }
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete next[k]
    else next[k] = v
  }
  return next
}

export function projectRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/projects',
      tag: 'projects',
      summary: 'Projects I belong to, directly or through a team, with my role; administrators list all with ?all=true',
      auth: 'user',
      query: pageQuery.extend({ includeArchived: queryFlag, all: queryFlag }),
      response: pageSchema(projectSchema),
      handler: async ({ query, principal, services }) => {
        const userId = callerUserId(principal)
        const store = services.store
        if (query.all && !principal?.isAdmin) {
          throw new GatewayError('MCPO_ERR_FORBIDDEN', 'only administrators may list every project')
        }
        const mine = await store.projects.listForUser(userId, { includeArchived: query.includeArchived })
        const roles = new Map<string, Role | null>(mine.map((p) => [p.id, stronger(p.role, p.teamRole)]))
        const projects: Project[] = query.all
          ? await store.projects.list({ includeArchived: query.includeArchived })
          : mine
        return paginate(projects, query, (p) => projectView(p, roles.get(p.id) ?? null))
      },
    }),
    route({
      method: 'POST',
      path: '/api/projects',
      tag: 'projects',
      summary:
        'Create a project; the creator becomes its owner. The id defaults to a unique slug of the name; ' +
        'a team project needs a role that may create projects in the team',
      auth: 'user',
      status: 201,
      body: z.object({
        id: projectId.optional(),
        name: projectName,
        description: projectDescription.default(''),
        teamId: z.string().min(1).max(100).optional().describe('team id or slug'),
        templateId: z
          .string()
          .min(1)
          .max(100)
          .optional()
          .describe('a project template (id or name) whose servers, policies and members the project starts with'),
        variables: templateVariables.describe("per template server, its catalog variables' values"),
      }),
      response: projectSchema.extend({
        fromTemplate: z
          .object({
            templateId: z.string(),
            servers: z.array(z.string()),
            policies: z.number(),
            members: z.number(),
            skipped: z.array(z.string()),
          })
          .optional(),
      }),
      handler: async ({ body, principal, services, audit }) => {
        const userId = callerUserId(principal)
        const store = services.store
        const teamId = body.teamId
          ? (await requireTeam(store, principal, body.teamId, 'team.createProject')).team.id
          : null
        const id =
          body.id ??
          (await uniqueSlug(slugify(body.name, 'project'), async (c) => (await store.projects.get(c)) !== null))
        const template = body.templateId ? await findProjectTemplate(store, body.templateId) : null
        if (body.templateId && !template) {
          throw new GatewayError('MCPO_ERR_VALIDATION', 'templateId: no such project template', {
            details: { fields: [{ field: 'templateId', message: 'no such project template' }] },
          })
        }
        let fromTemplate: AppliedTemplate | undefined
        const project = await store.transaction(async (tx) => {
          const p = await tx.projects.create({
            id,
            name: body.name,
            description: body.description,
            teamId,
            createdBy: userId,
            source: 'ui',
          })
          await tx.projectMembers.add({
            projectId: p.id,
            userId,
            role: 'owner',
            inviteSource: 'direct',
            addedBy: userId,
          })
          if (!template) return p
          fromTemplate = await applyProjectTemplate(tx, services, p.id, template, body.variables, userId)
          return (await tx.projects.get(p.id)) ?? p
        })
        if (fromTemplate?.servers.length || fromTemplate?.policies) await projectChanged(services, project.id)
        const view = { ...projectView(project, 'owner'), ...(fromTemplate ? { fromTemplate } : {}) }
        audit({
          action: 'project.created',
          projectId: project.id,
          target: { type: 'project', id: project.id },
          after: view,
        })
        return view
      },
    }),
    route({
      method: 'GET',
      path: '/api/projects/:id',
      tag: 'projects',
      summary: 'A project with my role in it',
      auth: 'user',
      response: projectSchema,
      handler: async ({ params, principal, services }) => {
        const { project, actor } = await requireProject(services.store, principal, params.id, 'project.view')
        return projectView(project, await viewerRole(services.store, principal, project, actor))
      },
    }),
    route({
      method: 'PUT',
      path: '/api/projects/:id',
      tag: 'projects',
      summary: 'Edit name, description, settings or team (owners); pass version to refuse a stale edit',
      auth: 'user',
      body: z.object({
        name: projectName.optional(),
        description: projectDescription.optional(),
        settings: settingsPatch.optional(),
        teamId: z.string().min(1).max(100).nullable().optional().describe('team id or slug; null leaves the team'),
        version: versionField,
      }),
      response: projectSchema,
      handler: async ({ params, body, principal, services, audit }) => {
        const store = services.store
        const { project, actor } = await requireProject(store, principal, params.id, 'project.settings')
        assertUiOwned(project, 'edit')
        assertActive(project)
        let teamId: string | null | undefined = body.teamId
        // Moving into a team also needs the right to create projects there.
        if (teamId) teamId = (await requireTeam(store, principal, teamId, 'team.createProject')).team.id
        const updated = await store.transaction(async (tx) => {
          await tx.projects.lock(project.id)
          const current = await tx.projects.get(project.id)
          if (!current) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'project not found')
          assertVersion('project', current.updatedAt, body.version)
          assertActive(current)
          const patch: ProjectPatch = {}
          if (body.name !== undefined) patch.name = body.name
          if (body.description !== undefined) patch.description = body.description
          if (body.settings !== undefined) patch.settings = mergeSettings(current.settings, body.settings)
          if (authModeOf(patch.settings) !== 'keys' && !services.config.oauth.enabled) {
            throw new GatewayError(
              'MCPO_ERR_VALIDATION',
              'OAuth is turned off for this gateway (oauth.enabled: false in mcpo.config.ts)',
              { details: { fields: [{ field: 'settings.authMode', message: 'needs oauth.enabled' }] } },
            )
          }
          if (teamId !== undefined && teamId !== current.teamId) {
            patch.teamId = teamId
            // Leaving a team takes its owners' ownership with it; someone must still own the project.
            if (current.teamId && (await keepsNoOwner(tx, { ...current, teamId }))) {
              throw new GatewayError(
                'MCPO_ERR_CONFLICT',
                'the project would have no owner outside its team: add a direct owner before moving it',
                { details: { reason: 'last_owner' } },
              )
            }
          }
          return (await tx.projects.update(project.id, patch)) ?? current
        })
        // Every node's endpoints switch between keys and OAuth with the project's next reload.
        if (authModeOf(updated.settings) !== authModeOf(project.settings)) await services.reloadProject(project.id)
        const role = await viewerRole(store, principal, updated, actor)
        audit({
          action: 'project.updated',
          projectId: project.id,
          target: { type: 'project', id: project.id },
          before: projectView(project, role),
          after: projectView(updated, role),
        })
        return projectView(updated, role)
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/projects/:id',
      tag: 'projects',
      summary: 'Delete a project and everything in it (owners); repeat its id in ?confirm= to be sure',
      auth: 'user',
      query: z.object({ confirm: z.string({ error: 'repeat the project id here to confirm the deletion' }) }),
      handler: async ({ params, query, principal, services, audit }) => {
        const store = services.store
        const { project } = await requireProject(store, principal, params.id, 'project.settings')
        if (query.confirm !== project.id) {
          throw new GatewayError('MCPO_ERR_VALIDATION', 'confirm must equal the project id', {
            details: { fields: [{ field: 'confirm', message: `must equal the project id (${project.id})` }] },
          })
        }
        assertUiOwned(project, 'remove')
        await store.projects.delete(project.id)
        await stopServing(services, project.id, 'project deleted')
        // Its keys went with it (ON DELETE CASCADE); drop them from the cache now rather than at the next refresh.
        await services.reloadKeys()
        audit({
          action: 'project.deleted',
          projectId: project.id,
          target: { type: 'project', id: project.id },
          before: projectView(project, null),
        })
        return undefined
      },
    }),
    route({
      method: 'POST',
      path: '/api/projects/:id/archive',
      tag: 'projects',
      summary: 'Archive a project (owners): its MCP endpoints stop serving and it takes no changes until restored',
      auth: 'user',
      response: projectSchema,
      handler: async ({ params, principal, services, audit }) => {
        const store = services.store
        const { project, actor } = await requireProject(store, principal, params.id, 'project.settings')
        const role = await viewerRole(store, principal, project, actor)
        if (project.archivedAt) return projectView(project, role)
        const archived = (await store.projects.archive(project.id)) ?? project
        await stopServing(services, project.id, 'project archived')
        audit({
          action: 'project.archived',
          projectId: project.id,
          target: { type: 'project', id: project.id },
          after: { archivedAt: archived.archivedAt?.toISOString() ?? null },
        })
        return projectView(archived, role)
      },
    }),
    route({
      method: 'POST',
      path: '/api/projects/:id/restore',
      tag: 'projects',
      summary: 'Restore an archived project (owners): its servers load again',
      auth: 'user',
      response: projectSchema,
      handler: async ({ params, principal, services, audit }) => {
        const store = services.store
        const { project, actor } = await requireProject(store, principal, params.id, 'project.settings')
        const role = await viewerRole(store, principal, project, actor)
        if (!project.archivedAt) return projectView(project, role)
        const restored = (await store.projects.restore(project.id)) ?? project
        await services.reloadProject(project.id)
        // Its keys authenticate again at once, not at the next periodic key reload.
        await services.reloadKeys()
        audit({
          action: 'project.restored',
          projectId: project.id,
          target: { type: 'project', id: project.id },
          before: { archivedAt: project.archivedAt.toISOString() },
        })
        return projectView(restored, role)
      },
    }),
    route({
      method: 'POST',
      path: '/api/projects/:id/transfer',
      tag: 'projects',
      summary:
        'Hand ownership to another member (owners): they become owner and you become developer, ' +
        'unless keepOwnership is true',
      auth: 'user',
      body: z.object({ userId: z.uuid(), keepOwnership: z.boolean().default(false) }),
      response: projectSchema,
      handler: async ({ params, body, principal, services, audit }) => {
        const callerId = callerUserId(principal)
        const store = services.store
        const { project } = await requireProject(store, principal, params.id, 'project.settings')
        assertActive(project)
        if (body.userId === callerId) {
          throw new GatewayError('MCPO_ERR_VALIDATION', 'userId: name another member, not yourself', {
            details: { fields: [{ field: 'userId', message: 'must be another member' }] },
          })
        }
        const target = await store.users.get(body.userId)
        if (!target) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'user not found', { details: { field: 'userId' } })
        if (target.disabled) throw new GatewayError('MCPO_ERR_CONFLICT', `${target.email} is disabled`)
        const steppedDown = await store.transaction(async (tx) => {
          await tx.projects.lock(project.id)
          if ((await userProjectRole(tx, project, target.id)) === null) {
            throw new GatewayError(
              'MCPO_ERR_CONFLICT',
              `${target.email} is not a member of this project: add them first, then transfer ownership`,
            )
          }
          if (await tx.projectMembers.get(project.id, target.id)) {
            await tx.projectMembers.setRole(project.id, target.id, 'owner')
          } else {
            await tx.projectMembers.add({
              projectId: project.id,
              userId: target.id,
              role: 'owner',
              inviteSource: 'direct',
              addedBy: callerId,
            })
          }
          const mine = await tx.projectMembers.get(project.id, callerId)
          if (body.keepOwnership || mine?.role !== 'owner') return false
          await keepProjectOwner(tx, project, callerId, 'developer', whoIs(true, ''))
          await tx.projectMembers.setRole(project.id, callerId, 'developer')
          return true
        })
        audit({
          action: 'project.ownership_transferred',
          projectId: project.id,
          target: { type: 'user', id: target.id },
          after: { owner: target.id, previousOwner: callerId, previousOwnerRole: steppedDown ? 'developer' : 'owner' },
        })
        const fresh = (await store.projects.get(project.id)) ?? project
        return projectView(fresh, await userProjectRole(store, fresh, callerId))
      },
    }),
  ]
}

/** True when, with `project`'s team as given, no one would own it. */
async function keepsNoOwner(store: Store, project: Project): Promise<boolean> {
  const direct = (await store.projectMembers.list(project.id)).some((m) => m.role === 'owner')
  if (direct) return false
  if (!project.teamId) return true
  return (await store.teamMembers.countOwners(project.teamId)) === 0
}
