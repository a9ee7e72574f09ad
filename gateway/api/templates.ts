// /api/templates: the admin-approved server catalog. Everyone signed in sees approved templates; admins see and
// manage all. A template is the only way a non-admin adds a stdio server (POST /api/projects/:id/servers/from-template).

import { z } from 'zod'
import { serverSchema } from '../../config/schema.ts'
import { maskOptionalUrl, unmaskUrl } from '../../plugins/secrets/url-mask.ts'
import type { Template } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import { type ApiServices, route } from './define.ts'
import { userIdOf } from './server-model.ts'

const TAG = 'templates'
const vars = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/, 'must be a variable name'),
  z.string().max(500),
)

const templateFields = {
  name: z.string().trim().min(1).max(100),
  description: z.string().max(2000),
  transport: z.enum(['stdio', 'sse', 'streamable-http']),
  command: serverSchema.shape.command,
  args: z.array(z.string()),
  envTemplate: vars,
  url: serverSchema.shape.url,
  headersTemplate: vars,
  approved: z.boolean(),
}

const templateBody = z
  .object({
    ...templateFields,
    description: templateFields.description.default(''),
    args: templateFields.args.default([]),
    envTemplate: vars.default({}),
    headersTemplate: vars.default({}),
    approved: z.boolean().default(true),
  })
  .strict()

const templatePatch = z
  .object({
    name: templateFields.name.optional(),
    description: templateFields.description.optional(),
    transport: templateFields.transport.optional(),
    command: templateFields.command.nullable(),
    args: templateFields.args.optional(),
    envTemplate: vars.optional(),
    url: templateFields.url.nullable(),
    headersTemplate: vars.optional(),
    approved: z.boolean().optional(),
  })
  .strict()

const templateViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  transport: z.enum(['stdio', 'sse', 'streamable-http']),
  command: z.string().nullable(),
  args: z.array(z.string()),
  envTemplate: z.record(z.string(), z.string()),
  url: z.string().nullable(),
  headersTemplate: z.record(z.string(), z.string()),
  approved: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
})

function templateView(t: Template) {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    transport: t.transport,
    command: t.command,
    args: t.args,
    envTemplate: t.envTemplate,
    // Developers browse the catalog: credentials an admin put in a template's URL are not theirs to read.
    url: maskOptionalUrl(t.url),
    headersTemplate: t.headersTemplate,
    approved: t.approved,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  }
}

/** A stdio template needs a command, a remote one a URL: the same rule as for servers. */
function checkShape(t: { transport: string; command?: string | null; url?: string | null }): void {
  const field = t.transport === 'stdio' ? 'command' : 'url'
  if (t[field]) return
  const message = `is required for ${t.transport} templates`
  throw new GatewayError('MCPO_ERR_VALIDATION', `${field}: ${message}`, { details: { fields: [{ field, message }] } })
}

async function findTemplate(services: ApiServices, id: string): Promise<Template | null> {
  return z.guid().safeParse(id).success ? services.store.templates.get(id) : null
}

export function templateRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/templates',
      tag: TAG,
      summary: 'The server catalog: approved templates (admins also see the others)',
      auth: 'user',
      response: z.array(templateViewSchema),
      handler: async ({ principal, services }) => {
        const rows = await services.store.templates.list(principal?.isAdmin ? {} : { approved: true })
        return rows.map(templateView)
      },
    }),
    route({
      method: 'GET',
      path: '/api/templates/:templateId',
      tag: TAG,
      summary: 'One template',
      auth: 'user',
      response: templateViewSchema,
      handler: async ({ params, principal, services }) => {
        const t = await findTemplate(services, params.templateId)
        if (!t || (!t.approved && !principal?.isAdmin))
          throw new GatewayError('MCPO_ERR_NOT_FOUND', 'template not found')
        return templateView(t)
      },
    }),
    route({
      method: 'POST',
      path: '/api/templates',
      tag: TAG,
      summary: 'Add a template to the catalog',
      auth: 'admin',
      body: templateBody,
      status: 201,
      response: templateViewSchema,
      handler: async ({ body, principal, services, audit }) => {
        checkShape(body)
        const t = await services.store.templates.create({ ...body, createdBy: userIdOf(principal) })
        const view = templateView(t)
        audit({ action: 'template.create', target: { type: 'template', id: t.id }, after: view })
        return view
      },
    }),
    route({
      method: 'PUT',
      path: '/api/templates/:templateId',
      tag: TAG,
      summary: 'Change or approve a template; servers made from it keep their definition',
      auth: 'admin',
      body: templatePatch,
      response: templateViewSchema,
      handler: async ({ body, params, services, audit }) => {
        const current = await findTemplate(services, params.templateId)
        if (!current) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'template not found')
        const patch = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined))
        // The edit form sends back the URL as shown: unchanged, it means the stored one, credentials included.
        if (typeof patch.url === 'string') patch.url = unmaskUrl(patch.url, current.url)
        checkShape({ ...current, ...patch })
        const t = await services.store.templates.update(current.id, patch)
        if (!t) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'template not found')
        const view = templateView(t)
        audit({
          action: 'template.update',
          target: { type: 'template', id: t.id },
          before: templateView(current),
          after: view,
        })
        return view
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/templates/:templateId',
      tag: TAG,
      summary: 'Remove a template; servers made from it stay',
      auth: 'admin',
      handler: async ({ params, services, audit }) => {
        const current = await findTemplate(services, params.templateId)
        if (!current || !(await services.store.templates.delete(current.id)))
          throw new GatewayError('MCPO_ERR_NOT_FOUND', 'template not found')
        audit({ action: 'template.delete', target: { type: 'template', id: params.templateId } })
        return undefined
      },
    }),
  ]
}
