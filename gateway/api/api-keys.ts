// Project API keys: create (the full key is answered once; only its SHA-256 and a prefix/suffix are kept), list,
// edit, revoke; the same at the PRD's /projects/:id/api-keys; and the admin console over every project.
// Everyone may manage their own keys (`keys.own`), owners anyone's (`keys.manageAll`). A key cannot manage keys:
// a leaked key must not be able to mint keys that outlive its revocation.
import { z } from 'zod'
import { displayParts, generateApiKey, hashApiKey } from '../../plugins/api-keys/keys.ts'
import type { Principal } from '../../plugins/contract.ts'
import { canInProject } from '../../plugins/rbac/matrix.ts'
import type { ApiKey } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import { requireProject } from './access.ts'
import { type ApiContext, reply, route } from './define.ts'

const TAG = 'api-keys'

const rateLimit = z.object({ requests: z.number().int().min(1), perSeconds: z.number().int().min(1) }).strict()
const future = z.iso
  .datetime({ offset: true })
  .refine((v) => Date.parse(v) > Date.now(), 'must be in the future')
  .transform((v) => new Date(v))

const createBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    description: z.string().max(2000).default(''),
    expiresAt: future.nullable().default(null),
  })
  .strict()

const patchBody = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    description: z.string().max(2000).optional(),
    expiresAt: future.nullable().optional(),
    rateLimit: rateLimit.nullable().optional(),
  })
  .strict()

export type KeyStatus = 'active' | 'expired' | 'revoked'

export function keyStatus(k: ApiKey, now = Date.now()): KeyStatus {
  if (k.revokedAt) return 'revoked'
  if (k.expiresAt && k.expiresAt.getTime() <= now) return 'expired'
  return 'active'
}

const keyViewSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  description: z.string(),
  prefix: z.string(),
  suffix: z.string(),
  preview: z.string(),
  status: z.enum(['active', 'expired', 'revoked']),
  createdBy: z.string().nullable(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  rateLimit: rateLimit.nullable(),
  source: z.enum(['ui', 'config']),
  createdAt: z.string(),
})

/** A key as lists show it: enough to recognise it, never its hash. */
export function keyView(k: ApiKey) {
  return {
    id: k.id,
    projectId: k.projectId,
    name: k.name,
    description: k.description,
    prefix: k.prefix,
    suffix: k.suffix,
    preview: `${k.prefix}…${k.suffix}`,
    status: keyStatus(k),
    createdBy: k.createdBy,
    expiresAt: k.expiresAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    rateLimit: k.rateLimit,
    source: k.source,
    createdAt: k.createdAt.toISOString(),
  }
}

function requireSignedInUser(principal: Principal | null): string {
  if (principal?.kind !== 'user' || !principal.userId) {
    throw new GatewayError('MCPO_ERR_FORBIDDEN', 'API keys are managed by signed-in users, not with an API key')
  }
  return principal.userId
}

/** The key, if it belongs to the project and the caller may manage it (own key, or `keys.manageAll`). */
async function manageableKey(ctx: ApiContext, level: 'edit' | 'revoke') {
  const { id, keyId } = ctx.params
  const { actor } = await requireProject(ctx.services.store, ctx.principal, id, 'keys.own')
  const userId = requireSignedInUser(ctx.principal)
  const key = z.guid().safeParse(keyId).success ? await ctx.services.store.apiKeys.get(keyId) : null
  if (!key || key.projectId !== id) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'API key not found')
  const all = canInProject(actor, 'keys.manageAll')
  if (key.createdBy !== userId && !all)
    throw new GatewayError('MCPO_ERR_FORBIDDEN', 'you may manage only your own keys')
  if (key.source === 'config') {
    throw new GatewayError('MCPO_ERR_CONFLICT', `key "${key.name}" is defined in the config file; ${level} it there`)
  }
  return { key, all }
}

function projectKeyRoutes(base: string, documented: boolean) {
  const tag = documented ? TAG : 'prd'
  return [
    route({
      method: 'GET',
      path: base,
      tag,
      summary: 'API keys of the project: all of them with keys.manageAll, else your own',
      auth: 'user',
      query: z.object({ mine: z.enum(['true', 'false']).optional() }),
      response: z.array(keyViewSchema),
      handler: async ({ params, principal, query, services }) => {
        const { actor } = await requireProject(services.store, principal, params.id, 'keys.own')
        const keys = await services.store.apiKeys.list(params.id)
        const all = canInProject(actor, 'keys.manageAll') && query.mine !== 'true'
        return keys.filter((k) => all || (principal?.userId && k.createdBy === principal.userId)).map(keyView)
      },
    }),
    route({
      method: 'POST',
      path: base,
      tag,
      summary: 'Create a key; the answer holds the full key, shown this once',
      auth: 'user',
      body: createBody,
      status: 201,
      response: keyViewSchema.extend({ key: z.string() }),
      handler: async (ctx) => {
        const { body, params, services } = ctx
        await requireProject(services.store, ctx.principal, params.id, 'keys.own')
        const userId = requireSignedInUser(ctx.principal)
        const key = generateApiKey()
        const row = await services.store.apiKeys.create({
          projectId: params.id,
          name: body.name,
          description: body.description,
          keyHash: hashApiKey(key),
          ...displayParts(key),
          createdBy: userId,
          expiresAt: body.expiresAt,
          source: 'ui',
        })
        // The data plane authenticates from a cache: reload it so the key works on the next request.
        await services.reloadKeys()
        const view = keyView(row)
        ctx.audit({
          action: 'api_key.create',
          projectId: params.id,
          target: { type: 'api_key', id: row.id },
          after: view,
        })
        return { ...view, key }
      },
    }),
    route({
      method: 'PUT',
      path: `${base}/:keyId`,
      tag,
      summary: 'Rename a key, change its description or expiry; rate limits need keys.manageAll',
      auth: 'user',
      body: patchBody,
      response: keyViewSchema,
      handler: async (ctx) => {
        const { key, all } = await manageableKey(ctx, 'edit')
        if (ctx.body.rateLimit !== undefined && !all) {
          throw new GatewayError('MCPO_ERR_FORBIDDEN', 'only project owners may change rate limits')
        }
        const updated = await ctx.services.store.apiKeys.update(key.id, ctx.body)
        if (!updated) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'API key not found')
        await ctx.services.reloadKeys()
        const view = keyView(updated)
        ctx.audit({
          action: 'api_key.update',
          projectId: key.projectId,
          target: { type: 'api_key', id: key.id },
          before: keyView(key),
          after: view,
        })
        return view
      },
    }),
    route({
      method: 'DELETE',
      path: `${base}/:keyId`,
      tag,
      summary: 'Revoke a key: it stops working at once and its open sessions close',
      auth: 'user',
      handler: async (ctx) => {
        const { key } = await manageableKey(ctx, 'revoke')
        await ctx.services.store.apiKeys.revoke(key.id)
        await ctx.services.reloadKeys()
        ctx.audit({ action: 'api_key.revoke', projectId: key.projectId, target: { type: 'api_key', id: key.id } })
        return reply(204)
      },
    }),
  ]
}

export function apiKeyRoutes() {
  return [
    ...projectKeyRoutes('/api/projects/:id/api-keys', true),
    ...projectKeyRoutes('/projects/:id/api-keys', false),
    route({
      method: 'GET',
      path: '/api/admin/api-keys',
      tag: 'admin',
      summary: 'Every API key of every project, filtered by text and status',
      auth: 'admin',
      query: z.object({
        search: z.string().max(200).optional(),
        status: z.enum(['active', 'expired', 'revoked']).optional(),
        projectId: z.string().max(100).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
        offset: z.coerce.number().int().min(0).default(0),
      }),
      handler: async ({ query, services }) => {
        const projects = await services.store.projects.list({ includeArchived: true })
        const needle = query.search?.toLowerCase()
        const now = Date.now()
        const rows = []
        for (const p of projects) {
          if (query.projectId && p.id !== query.projectId) continue
          for (const k of await services.store.apiKeys.list(p.id)) {
            if (query.status && keyStatus(k, now) !== query.status) continue
            const text = `${k.name} ${k.description} ${k.prefix} ${k.suffix} ${p.id} ${p.name}`.toLowerCase()
            if (needle && !text.includes(needle)) continue
            rows.push({ ...keyView(k), projectName: p.name })
          }
        }
        rows.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))
        return { total: rows.length, keys: rows.slice(query.offset, query.offset + query.limit) }
      },
    }),
  ]
}
