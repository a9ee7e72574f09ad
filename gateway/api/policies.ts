// /api/projects/:id/policies: tool policies (allow/deny by server glob, tool glob, roles and API key ids) and the
// explain endpoint that names the rule deciding a call. The decision itself lives in plugins/rbac/policies.ts.
import { z } from 'zod'
import type { Principal } from '../../plugins/contract.ts'
import { Roles } from '../../plugins/rbac/matrix.ts'
import { joinSubjects, type PolicyRule, toRule } from '../../plugins/rbac/policies.ts'
import type { ToolPolicy } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import { requireProject } from './access.ts'
import { type ApiContext, route } from './define.ts'
import { policiesPlugin, projectChanged, userIdOf } from './server-model.ts'

const TAG = 'policies'
const BASE = '/api/projects/:id/policies'

/** Globs over names in the spec's tool alphabet (`A-Z a-z 0-9 _ - .`), plus `*` and `/`. */
const pattern = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.*/-]+$/, 'may hold letters, digits, _ - . / and the wildcard *')

const policyBody = z
  .object({
    effect: z.enum(['allow', 'deny']),
    serverPattern: pattern.default('*'),
    toolPattern: pattern.default('*'),
    roles: z.array(z.enum(Roles)).max(3).default([]),
    keyIds: z.array(z.guid()).max(100).default([]),
    priority: z.number().int().min(-1_000_000).max(1_000_000).default(0),
    description: z.string().max(500).default(''),
  })
  .strict()

const policyPatch = z
  .object({
    effect: z.enum(['allow', 'deny']).optional(),
    serverPattern: pattern.optional(),
    toolPattern: pattern.optional(),
    roles: z.array(z.enum(Roles)).max(3).optional(),
    keyIds: z.array(z.guid()).max(100).optional(),
    priority: z.number().int().min(-1_000_000).max(1_000_000).optional(),
    description: z.string().max(500).optional(),
  })
  .strict()

const policyViewSchema = z.object({
  id: z.string(),
  priority: z.number(),
  effect: z.enum(['allow', 'deny']),
  serverPattern: z.string(),
  toolPattern: z.string(),
  roles: z.array(z.enum(Roles)),
  keyIds: z.array(z.string()),
  description: z.string(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
})

function policyView(p: ToolPolicy): PolicyRule & { createdBy: string | null; createdAt: string; updatedAt: string } {
  return {
    ...toRule(p),
    createdBy: p.createdBy,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  }
}

/** Key ids must name keys of this project: a rule about another project's key would silently never match. */
async function checkKeys(ctx: ApiContext, projectId: string, keyIds: readonly string[]): Promise<void> {
  const bad: string[] = []
  for (const [i, id] of keyIds.entries()) {
    const key = await ctx.services.store.apiKeys.get(id)
    if (!key || key.projectId !== projectId) bad.push(`keyIds.${i}`)
  }
  if (bad.length) {
    throw new GatewayError('MCPO_ERR_VALIDATION', `${bad.join(', ')}: no API key of this project`, {
      details: { fields: bad.map((field) => ({ field, message: 'is no API key of this project' })) },
    })
  }
}

async function requirePolicy(ctx: ApiContext, projectId: string, policyId: string): Promise<ToolPolicy> {
  const p = z.guid().safeParse(policyId).success ? await ctx.services.store.toolPolicies.get(policyId) : null
  if (!p || p.projectId !== projectId) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'policy not found')
  return p
}

export function policyRoutes() {
  return [
    route({
      method: 'GET',
      path: BASE,
      tag: TAG,
      summary: 'The tool policies of a project, in evaluation order',
      auth: 'user',
      response: z.array(policyViewSchema),
      handler: async ({ params, principal, services }) => {
        await requireProject(services.store, principal, params.id, 'project.view')
        return (await services.store.toolPolicies.list(params.id)).map(policyView)
      },
    }),
    route({
      method: 'POST',
      path: BASE,
      tag: TAG,
      summary: 'Add a policy; deny wins, allow rules restrict a tool to their subjects, the rest is allowed',
      auth: 'user',
      body: policyBody,
      status: 201,
      response: policyViewSchema,
      handler: async (ctx) => {
        const { body, params, services } = ctx
        await requireProject(services.store, ctx.principal, params.id, 'policies.edit')
        await checkKeys(ctx, params.id, body.keyIds)
        const created = await services.store.toolPolicies.create({
          projectId: params.id,
          effect: body.effect,
          serverPattern: body.serverPattern,
          toolPattern: body.toolPattern,
          roles: joinSubjects(body.roles, body.keyIds) as ToolPolicy['roles'],
          priority: body.priority,
          description: body.description,
          createdBy: userIdOf(ctx.principal),
        })
        await projectChanged(services, params.id)
        const view = policyView(created)
        ctx.audit({
          action: 'policy.create',
          projectId: params.id,
          target: { type: 'policy', id: created.id },
          after: view,
        })
        return view
      },
    }),
    route({
      method: 'PUT',
      path: `${BASE}/:policyId`,
      tag: TAG,
      summary: 'Change a policy',
      auth: 'user',
      body: policyPatch,
      response: policyViewSchema,
      handler: async (ctx) => {
        const { body, params, services } = ctx
        await requireProject(services.store, ctx.principal, params.id, 'policies.edit')
        const current = await requirePolicy(ctx, params.id, params.policyId)
        const before = toRule(current)
        if (body.keyIds) await checkKeys(ctx, params.id, body.keyIds)
        const { roles, keyIds, ...rest } = body
        const patch: Parameters<typeof services.store.toolPolicies.update>[1] = { ...rest }
        if (roles || keyIds) {
          patch.roles = joinSubjects(roles ?? before.roles, keyIds ?? before.keyIds) as ToolPolicy['roles']
        }
        const updated = await services.store.toolPolicies.update(current.id, patch)
        if (!updated) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'policy not found')
        await projectChanged(services, params.id)
        const view = policyView(updated)
        ctx.audit({
          action: 'policy.update',
          projectId: params.id,
          target: { type: 'policy', id: current.id },
          before,
          after: view,
        })
        return view
      },
    }),
    route({
      method: 'DELETE',
      path: `${BASE}/:policyId`,
      tag: TAG,
      summary: 'Remove a policy',
      auth: 'user',
      handler: async (ctx) => {
        const { params, services } = ctx
        await requireProject(services.store, ctx.principal, params.id, 'policies.edit')
        const current = await requirePolicy(ctx, params.id, params.policyId)
        await services.store.toolPolicies.delete(current.id)
        await projectChanged(services, params.id)
        ctx.audit({
          action: 'policy.delete',
          projectId: params.id,
          target: { type: 'policy', id: current.id },
          before: toRule(current),
        })
        return undefined
      },
    }),
    route({
      method: 'GET',
      path: `${BASE}/explain`,
      tag: TAG,
      summary: 'Whether a call would be allowed for a key, a user or a role, and the rule that decides',
      auth: 'user',
      query: z
        .object({
          server: z.string().min(1),
          tool: z.string().min(1),
          keyId: z.guid().optional(),
          userId: z.guid().optional(),
          role: z.enum(Roles).optional(),
        })
        .strict(),
      handler: async (ctx) => {
        const { query, params, services } = ctx
        await requireProject(services.store, ctx.principal, params.id, 'project.view')
        const plugin = policiesPlugin(services)
        if (!plugin) {
          // A 404 like the other optional features (sign-in, SSO): the route is absent, the gateway is not broken.
          throw new GatewayError(
            'MCPO_ERR_NOT_FOUND',
            'tool policies are off on this gateway: add toolPolicies() to plugins in mcpo.config.ts (or leave plugins out for the default set)',
          )
        }
        let principal: Principal | undefined
        if (query.keyId) {
          const key = await services.store.apiKeys.get(query.keyId)
          if (!key || key.projectId !== params.id) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'API key not found')
          principal = { kind: 'api-key', id: key.id, projectId: key.projectId, userId: key.createdBy ?? undefined }
        } else if (query.userId) {
          const user = await services.store.users.get(query.userId)
          if (!user) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'user not found')
          principal = { kind: 'user', id: user.id, userId: user.id, isAdmin: user.isAdmin }
        } else if (!query.role) {
          // No subject given: explain for the caller.
          principal = ctx.principal ?? undefined
        }
        const v = await plugin.explain(params.id, query.server, query.tool, { principal, role: query.role })
        return { allowed: v.allowed, rule: v.rule, reason: v.reason, subject: v.subject }
      },
    }),
  ]
}
