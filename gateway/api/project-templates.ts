// /api/project-templates: blueprints for new projects (servers from the approved catalog, tool policies, members by
// email or whole teams, settings). Admins manage them; every signed-in user lists them and passes `templateId` to
// POST /api/projects. Servers come only from the catalog, so a template never lets a non-admin define a stdio command.
import { z } from 'zod'
import { serverSchema } from '../../config/schema.ts'
import { Roles } from '../../plugins/rbac/matrix.ts'
import type { ProjectTemplate, Store } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import { catalogServerInput } from './catalog.ts'
import { type ApiServices, route } from './define.ts'
import { sealServer, userIdOf } from './server-model.ts'

const TAG = 'project-templates'
const pattern = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.*/-]+$/, 'may hold letters, digits, _ - . / and the wildcard *')

const templateServer = z
  .object({
    name: serverSchema.shape.name,
    templateId: z.guid().describe('a server catalog template (GET /api/templates)'),
    description: z.string().max(2000).optional(),
    timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
    enabled: z.boolean().default(true),
    autoStart: z.boolean().default(false),
  })
  .strict()

const templatePolicy = z
  .object({
    effect: z.enum(['allow', 'deny']),
    serverPattern: pattern.default('*'),
    toolPattern: pattern.default('*'),
    roles: z.array(z.enum(Roles)).max(3).default([]),
    priority: z.number().int().min(-1_000_000).max(1_000_000).default(0),
    description: z.string().max(500).default(''),
  })
  .strict()

const templateRole = z.union([
  z.object({ email: z.email(), role: z.enum(Roles) }).strict(),
  z.object({ team: z.string().min(1).max(100).describe('team slug or id'), role: z.enum(Roles) }).strict(),
])

const settings = z.record(z.string().min(1).max(200), z.unknown())

const templateBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    description: z.string().max(2000).default(''),
    servers: z.array(templateServer).max(100).default([]),
    policies: z.array(templatePolicy).max(200).default([]),
    roles: z.array(templateRole).max(200).default([]),
    settings: settings.default({}),
  })
  .strict()

const templatePatch = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    description: z.string().max(2000).optional(),
    servers: z.array(templateServer).max(100).optional(),
    policies: z.array(templatePolicy).max(200).optional(),
    roles: z.array(templateRole).max(200).optional(),
    settings: settings.optional(),
  })
  .strict()

const viewSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  servers: z.array(templateServer),
  policies: z.array(templatePolicy),
  roles: z.array(templateRole),
  settings: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
})

/** The variables a user fills when creating a project from a template: per server, env and header values. */
export const templateVariables = z
  .record(
    z.string(),
    z
      .object({
        env: z.record(z.string(), z.string().max(10_000)).default({}),
        headers: z.record(z.string(), z.string().max(10_000)).default({}),
      })
      .strict(),
  )
  .default({})
export type TemplateVariables = z.infer<typeof templateVariables>

function view(t: ProjectTemplate): z.infer<typeof viewSchema> {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    servers: t.servers,
    policies: t.policies,
    roles: t.roles,
    settings: t.settings,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  }
}

function fieldError(fields: { field: string; message: string }[]): GatewayError {
  return new GatewayError('MCPO_ERR_VALIDATION', fields.map((f) => `${f.field}: ${f.message}`).join('; '), {
    details: { fields },
  })
}

/** Each server must name an approved catalog entry, once. */
async function checkServers(store: Store, servers: ProjectTemplate['servers']): Promise<void> {
  const bad: { field: string; message: string }[] = []
  const seen = new Set<string>()
  for (const [i, s] of servers.entries()) {
    if (seen.has(s.name)) bad.push({ field: `servers.${i}.name`, message: 'is used twice' })
    seen.add(s.name)
    const t = await store.templates.get(s.templateId)
    if (!t?.approved) bad.push({ field: `servers.${i}.templateId`, message: 'is no approved catalog template' })
  }
  if (bad.length) throw fieldError(bad)
}

export async function findProjectTemplate(store: Store, idOrName: string): Promise<ProjectTemplate | null> {
  return z.guid().safeParse(idOrName).success
    ? store.projectTemplates.get(idOrName)
    : store.projectTemplates.getByName(idOrName)
}

export interface AppliedTemplate {
  templateId: string
  servers: string[]
  policies: number
  members: number
  /** Role entries that named nobody (an unknown email or team): reported, not fatal. */
  skipped: string[]
}

/**
 * Fills a new project from a template inside the creating transaction, so a bad variable leaves no half-made project.
 * `creatorId` keeps the owner role it was given.
 */
export async function applyProjectTemplate(
  tx: Store,
  services: ApiServices,
  projectId: string,
  template: ProjectTemplate,
  variables: TemplateVariables,
  creatorId: string,
): Promise<AppliedTemplate> {
  const unknown = Object.keys(variables).filter((name) => !template.servers.some((s) => s.name === name))
  if (unknown.length)
    throw fieldError(unknown.map((n) => ({ field: `variables.${n}`, message: 'is no server of the template' })))
  const applied: AppliedTemplate = { templateId: template.id, servers: [], policies: 0, members: 0, skipped: [] }
  for (const s of template.servers) {
    const catalog = await tx.templates.get(s.templateId)
    if (!catalog?.approved) {
      throw new GatewayError(
        'MCPO_ERR_CONFLICT',
        `server "${s.name}" of the template names a catalog entry that is gone or no longer approved`,
      )
    }
    const vars = variables[s.name] ?? { env: {}, headers: {} }
    const input = catalogServerInput(catalog, { ...s, env: vars.env, headers: vars.headers }, `variables.${s.name}.`)
    await tx.servers.create({ ...sealServer(services.keyring, projectId, input), source: 'ui' })
    applied.servers.push(s.name)
  }
  for (const p of template.policies) {
    await tx.toolPolicies.create({ ...p, projectId, createdBy: creatorId })
    applied.policies++
  }
  for (const r of template.roles) {
    if ('email' in r) {
      const user = await tx.users.getByEmail(r.email)
      // The administrator meant the address's owner: an account that has not proven it owns the address may not be.
      if (!user || user.disabled || !user.emailVerifiedAt) {
        applied.skipped.push(r.email)
        continue
      }
      if (user.id === creatorId || (await tx.projectMembers.get(projectId, user.id))) continue
      await tx.projectMembers.add({
        projectId,
        userId: user.id,
        role: r.role,
        inviteSource: 'direct',
        addedBy: creatorId,
      })
      applied.members++
    } else {
      const team = (await tx.teams.get(r.team)) ?? (await tx.teams.getBySlug(r.team))
      if (!team) {
        applied.skipped.push(`team ${r.team}`)
        continue
      }
      applied.members += await tx.projectMembers.addTeam({
        projectId,
        teamId: team.id,
        role: r.role,
        addedBy: creatorId,
      })
    }
  }
  if (Object.keys(template.settings).length) await tx.projects.update(projectId, { settings: template.settings })
  return applied
}

export function projectTemplateRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/project-templates',
      tag: TAG,
      summary: 'Project templates anyone signed in may create a project from',
      auth: 'user',
      response: z.array(viewSchema),
      handler: async ({ services }) => (await services.store.projectTemplates.list()).map(view),
    }),
    route({
      method: 'GET',
      path: '/api/project-templates/:templateId',
      tag: TAG,
      summary: 'One project template, by id or name',
      auth: 'user',
      response: viewSchema,
      handler: async ({ params, services }) => {
        const t = await findProjectTemplate(services.store, params.templateId)
        if (!t) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'project template not found')
        return view(t)
      },
    }),
    route({
      method: 'POST',
      path: '/api/project-templates',
      tag: TAG,
      summary: 'Add a project template (servers from the approved catalog, policies, roles, settings)',
      auth: 'admin',
      body: templateBody,
      status: 201,
      response: viewSchema,
      handler: async ({ body, principal, services, audit }) => {
        await checkServers(services.store, body.servers)
        const t = await services.store.projectTemplates.create({ ...body, createdBy: userIdOf(principal) })
        const after = view(t)
        audit({ action: 'project-template.create', target: { type: 'project-template', id: t.id }, after })
        return after
      },
    }),
    route({
      method: 'PUT',
      path: '/api/project-templates/:templateId',
      tag: TAG,
      summary: 'Change a project template; projects made from it keep what they got',
      auth: 'admin',
      body: templatePatch,
      response: viewSchema,
      handler: async ({ body, params, services, audit }) => {
        const current = await findProjectTemplate(services.store, params.templateId)
        if (!current) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'project template not found')
        if (body.servers) await checkServers(services.store, body.servers)
        const patch = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined))
        const t = await services.store.projectTemplates.update(current.id, patch)
        if (!t) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'project template not found')
        const after = view(t)
        audit({
          action: 'project-template.update',
          target: { type: 'project-template', id: t.id },
          before: view(current),
          after,
        })
        return after
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/project-templates/:templateId',
      tag: TAG,
      summary: 'Remove a project template; projects made from it stay',
      auth: 'admin',
      handler: async ({ params, services, audit }) => {
        const current = await findProjectTemplate(services.store, params.templateId)
        if (!current || !(await services.store.projectTemplates.delete(current.id)))
          throw new GatewayError('MCPO_ERR_NOT_FOUND', 'project template not found')
        audit({ action: 'project-template.delete', target: { type: 'project-template', id: current.id } })
        return undefined
      },
    }),
  ]
}
