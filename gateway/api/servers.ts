// /api/projects/:id/servers: CRUD, add from the catalog, enable, disable, restart and status. Secrets are
// write-only (masked in every answer); stdio commands are for global admins; config-file servers are read-only.
import { z } from 'zod'
import { serverSchema } from '../../config/schema.ts'
import { MASK } from '../../plugins/secrets/cipher.ts'
import { URL_MASK, unmaskUrl } from '../../plugins/secrets/url-mask.ts'
import type { Server } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import { requireProject } from './access.ts'
import { catalogServerInput } from './catalog.ts'
import { type ApiContext, type ApiServices, reply, route } from './define.ts'
import {
  maskedKeys,
  openServer,
  projectChanged,
  redact,
  requireEditable,
  requireSecretsStay,
  requireServer,
  requireStdioRight,
  type ServerInput,
  sealServer,
  secretValues,
  serverView,
  serverViewSchema,
  unmask,
  unmaskAuth,
  validateServer,
} from './server-model.ts'

const TAG = 'servers'
const BASE = '/api/projects/:id/servers'

/** PUT: any field of a server, none required; `null` clears an optional field. Env/header values may be the mask. */
const serverPatchSchema = z
  .object(
    Object.fromEntries(
      Object.entries(serverSchema.shape).map(([k, s]) => [
        k,
        ((s instanceof z.ZodDefault ? s.unwrap() : s) as z.ZodType).nullable().optional(),
      ]),
    ) as { [K in keyof typeof serverSchema.shape]: z.ZodOptional<z.ZodNullable<z.ZodType>> },
  )
  .strict()

const fromTemplateSchema = z
  .object({
    templateId: z.guid(),
    name: serverSchema.shape.name,
    description: z.string().max(2000).optional(),
    env: z.record(z.string(), z.string()).default({}),
    headers: z.record(z.string(), z.string()).default({}),
    timeoutMs: serverSchema.shape.timeoutMs,
    enabled: z.boolean().default(true),
    autoStart: z.boolean().default(false),
  })
  .strict()

export function view(services: ApiServices, row: Server) {
  const status = services.relay.status(row.projectId)[row.name]
  return serverView(row, status, status?.lastError ? secretValues(services.keyring, row) : [])
}

/** A save of a definition that was just tested records that test as the server's health (server-checks.ts). */
function recordTest(services: ApiServices, projectId: string, input: ServerInput): void {
  const tested = services.connectionTests.find(projectId, input)
  if (tested) services.relay.runtime(projectId, input.name)?.noteCheck(tested.ok, tested.error ?? undefined)
}

async function create(ctx: ApiContext, projectId: string, input: ServerInput) {
  const row = await ctx.services.store.servers.create({
    ...sealServer(ctx.services.keyring, projectId, input),
    source: 'ui',
  })
  await projectChanged(ctx.services, projectId)
  recordTest(ctx.services, projectId, input)
  const after = view(ctx.services, row)
  ctx.audit({ action: 'server.create', projectId, target: { type: 'server', id: row.name }, after })
  return after
}

async function setEnabled(ctx: ApiContext, enabled: boolean) {
  const { id, name } = ctx.params
  await requireProject(ctx.services.store, ctx.principal, id, 'servers.manage')
  await requireServer(ctx.services, id, name)
  const row = (await ctx.services.store.servers.update(id, name, { enabled })) as Server
  await projectChanged(ctx.services, id)
  ctx.audit({
    action: enabled ? 'server.enable' : 'server.disable',
    projectId: id,
    target: { type: 'server', id: name },
  })
  return view(ctx.services, row)
}

export function serverRoutes() {
  return [
    route({
      method: 'GET',
      path: BASE,
      tag: TAG,
      summary: 'List the servers of a project, with live state; secrets masked',
      auth: 'user',
      response: z.array(serverViewSchema),
      handler: async ({ params, principal, services }) => {
        await requireProject(services.store, principal, params.id, 'project.view')
        return (await services.store.servers.list(params.id)).map((row) => view(services, row))
      },
    }),
    route({
      method: 'POST',
      path: BASE,
      tag: TAG,
      summary: 'Add a server (stdio: global admins only)',
      auth: 'user',
      body: serverSchema,
      status: 201,
      response: serverViewSchema,
      handler: async (ctx) => {
        const { actor } = await requireProject(ctx.services.store, ctx.principal, ctx.params.id, 'servers.manage')
        const input = ctx.body
        requireStdioRight(actor, null, input)
        // A new server has nothing stored: the mask is not a value.
        unmask(input.env, {}, 'env')
        unmask(input.headers, {}, 'headers')
        unmaskAuth(input.auth, undefined)
        return create(ctx, ctx.params.id, input)
      },
    }),
    route({
      method: 'POST',
      path: `${BASE}/from-template`,
      tag: TAG,
      summary: 'Add a server from an approved catalog template, filling its variables',
      auth: 'user',
      body: fromTemplateSchema,
      status: 201,
      response: serverViewSchema,
      handler: async (ctx) => {
        const { body, services } = ctx
        const { actor } = await requireProject(services.store, ctx.principal, ctx.params.id, 'servers.addFromCatalog')
        const template = await services.store.templates.get(body.templateId)
        if (!template || (!template.approved && !actor.isAdmin)) {
          throw new GatewayError('MCPO_ERR_NOT_FOUND', 'no approved template with this id')
        }
        const input = catalogServerInput(template, body)
        return create(ctx, ctx.params.id, input)
      },
    }),
    route({
      method: 'GET',
      path: `${BASE}/:name`,
      tag: TAG,
      summary: 'One server; secrets masked',
      auth: 'user',
      response: serverViewSchema,
      handler: async ({ params, principal, services }) => {
        await requireProject(services.store, principal, params.id, 'project.view')
        return view(services, await requireServer(services, params.id, params.name))
      },
    }),
    route({
      method: 'PUT',
      path: `${BASE}/:name`,
      tag: TAG,
      summary: `Change a server; send "${MASK}" as a secret value, or the URL as shown (credentials "${URL_MASK}"), to keep the stored one (an auth that names the same clientId keeps its clientSecret when left out; null clears it)`,
      auth: 'user',
      body: serverPatchSchema,
      response: serverViewSchema,
      handler: async (ctx) => {
        const { params, services } = ctx
        const { actor } = await requireProject(services.store, ctx.principal, params.id, 'servers.manage')
        const row = await requireServer(services, params.id, params.name)
        requireEditable(row)
        const before = openServer(services.keyring, row)
        const patch: Record<string, unknown> = {}
        for (const [k, v] of Object.entries(ctx.body as Record<string, unknown>)) {
          if (v !== undefined) patch[k] = v === null ? undefined : v
        }
        if (patch.env) patch.env = unmask(patch.env as Record<string, string>, before.env, 'env')
        if (patch.headers) patch.headers = unmask(patch.headers as Record<string, string>, before.headers, 'headers')
        if (typeof patch.url === 'string') patch.url = unmaskUrl(patch.url, before.url)
        const sentAuth = (ctx.body as { auth?: ServerInput['auth'] }).auth
        const keptClientSecret =
          sentAuth === undefined ? Boolean(before.auth?.clientSecret) : unmaskAuth(sentAuth ?? undefined, before.auth)
        const merged: Record<string, unknown> = { ...before, ...patch }
        // A transport change leaves the other transport's fields behind.
        if (patch.transport && patch.transport !== before.transport) {
          if (patch.transport === 'stdio')
            Object.assign(merged, { url: undefined, headers: patch.headers ?? {}, auth: patch.auth })
          else Object.assign(merged, { command: undefined, args: [], cwd: undefined, env: patch.env ?? {} })
        }
        for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k]
        const after = validateServer(merged)
        requireStdioRight(actor, before, after)
        // Left out of the body, a map keeps every stored value; sent, only the masked ones.
        const sent = ctx.body as { env?: Record<string, string> | null; headers?: Record<string, string> | null }
        requireSecretsStay(before, after, {
          env: sent.env === undefined ? Object.keys(before.env) : maskedKeys(sent.env),
          headers: sent.headers === undefined ? Object.keys(before.headers) : maskedKeys(sent.headers),
          clientSecret: keptClientSecret,
        })
        const sealed = sealServer(services.keyring, params.id, after)
        const { projectId: _p, ...fields } = sealed
        const updated = await services.store.servers.update(params.id, params.name, fields)
        if (!updated) throw new GatewayError('MCPO_ERR_NOT_FOUND', `server "${params.name}" not found`)
        await projectChanged(services, params.id)
        recordTest(services, params.id, after)
        const result = view(services, updated)
        ctx.audit({
          action: 'server.update',
          projectId: params.id,
          target: { type: 'server', id: updated.name },
          before: serverView(row, undefined),
          after: result,
        })
        return result
      },
    }),
    route({
      method: 'DELETE',
      path: `${BASE}/:name`,
      tag: TAG,
      summary: 'Remove a server; its upstream stops',
      auth: 'user',
      handler: async (ctx) => {
        const { params, services } = ctx
        await requireProject(services.store, ctx.principal, params.id, 'servers.manage')
        const row = await requireServer(services, params.id, params.name)
        requireEditable(row)
        await services.store.servers.delete(params.id, params.name)
        await projectChanged(services, params.id)
        ctx.audit({
          action: 'server.delete',
          projectId: params.id,
          target: { type: 'server', id: params.name },
          before: serverView(row, undefined),
        })
        return reply(204)
      },
    }),
    route({
      method: 'POST',
      path: `${BASE}/:name/enable`,
      tag: TAG,
      summary: 'Enable a server',
      auth: 'user',
      response: serverViewSchema,
      handler: (ctx) => setEnabled(ctx, true),
    }),
    route({
      method: 'POST',
      path: `${BASE}/:name/disable`,
      tag: TAG,
      summary: 'Disable a server: its upstream stops and its endpoints answer 404',
      auth: 'user',
      response: serverViewSchema,
      handler: (ctx) => setEnabled(ctx, false),
    }),
    route({
      method: 'POST',
      path: `${BASE}/:name/restart`,
      tag: TAG,
      summary: 'Restart a server now; open sessions stay and get list_changed',
      auth: 'user',
      handler: async (ctx) => {
        const { params, services } = ctx
        await requireProject(services.store, ctx.principal, params.id, 'servers.manage')
        const row = await requireServer(services, params.id, params.name)
        const rt = services.relay.runtime(params.id, params.name)
        if (!row.enabled || !rt) throw new GatewayError('MCPO_ERR_CONFLICT', `server "${params.name}" is disabled`)
        await rt.restart()
        ctx.audit({ action: 'server.restart', projectId: params.id, target: { type: 'server', id: params.name } })
        return statusOf(services, row)
      },
    }),
    route({
      method: 'GET',
      path: `${BASE}/:name/status`,
      tag: TAG,
      summary: 'Live state: pid, restarts, failures and the stderr tail (secret values masked)',
      auth: 'user',
      handler: async ({ params, principal, services }) => {
        await requireProject(services.store, principal, params.id, 'project.view')
        return statusOf(services, await requireServer(services, params.id, params.name))
      },
    }),
  ]
}

function statusOf(services: ApiServices, row: Server) {
  const s = services.relay.runtime(row.projectId, row.name)?.status()
  const secrets = secretValues(services.keyring, row)
  return {
    name: row.name,
    enabled: row.enabled,
    state: s?.state ?? 'stopped',
    isolation: s?.isolation ?? row.isolation ?? (row.transport === 'stdio' ? 'shared' : 'per-session'),
    pid: s?.pid ?? null,
    pids: s?.pids ?? [],
    connections: s?.connections ?? 0,
    sessions: s?.sessions ?? 0,
    restarts: s?.restarts ?? 0,
    consecutiveFailures: s?.consecutiveFailures ?? 0,
    health: s?.health ?? 'unknown',
    lastError: s?.lastError ? redact(s.lastError, secrets) : null,
    lastErrorAt: s?.lastErrorAt ? new Date(s.lastErrorAt).toISOString() : null,
    lastOkAt: s?.lastOkAt ? new Date(s.lastOkAt).toISOString() : null,
    retryAt: s?.retryAt ? new Date(s.retryAt).toISOString() : null,
    stderr: (s?.stderr ?? []).map((line) => redact(line, secrets)),
  }
}
