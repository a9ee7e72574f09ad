// Tools: a server's live tool list with per-tool toggles, single and bulk toggling, and every tool of a project
// under the name the unified endpoint exposes (`<server>__<tool>`). Toggles reach open sessions at once
// (the policy snapshot is refreshed and list_changed sent), and apply to config-file servers too.
import { z } from 'zod'
import type { Server } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import { exposedName } from '../mcp/unified.ts'
import { requireProject } from './access.ts'
import { type ApiContext, type ApiServices, route } from './define.ts'
import { liveTools, projectChanged, requireServer } from './server-model.ts'

const TAG = 'tools'
const toolName = z.string().min(1).max(128)

interface ToolItem {
  name?: string
  title?: string
  description?: string
  inputSchema?: unknown
  annotations?: unknown
}

const toolViewSchema = z.object({
  server: z.string(),
  name: z.string(),
  exposedName: z.string().describe('the name on the unified project endpoint'),
  title: z.string().optional(),
  description: z.string().optional(),
  inputSchema: z.unknown().optional(),
  annotations: z.unknown().optional(),
  enabled: z.boolean(),
})

function toolView(services: ApiServices, row: Server, t: ToolItem) {
  const name = t.name ?? ''
  return {
    server: row.name,
    name,
    exposedName: exposedName(row.name, name, services.config.unified),
    title: t.title,
    description: t.description,
    inputSchema: t.inputSchema,
    annotations: t.annotations,
    enabled: row.toolToggles[name] !== false,
  }
}

/** Tools not listed are enabled, so only `false` is stored: the map stays as small as what was switched off. */
async function setToggles(ctx: ApiContext, changes: Record<string, boolean>) {
  const { id, name } = ctx.params
  await requireProject(ctx.services.store, ctx.principal, id, 'servers.manage')
  const row = await requireServer(ctx.services, id, name)
  const toggles = { ...row.toolToggles }
  for (const [tool, enabled] of Object.entries(changes)) {
    if (enabled) delete toggles[tool]
    else toggles[tool] = false
  }
  const updated = await ctx.services.store.servers.update(id, name, { toolToggles: toggles })
  if (!updated) throw new GatewayError('MCPO_ERR_NOT_FOUND', `server "${name}" not found`)
  await projectChanged(ctx.services, id)
  ctx.audit({
    action: 'server.tools_toggled',
    projectId: id,
    target: { type: 'server', id: name },
    before: row.toolToggles,
    after: changes,
  })
  return { server: name, toolToggles: updated.toolToggles }
}

export function toolRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/projects/:id/servers/:name/tools',
      tag: TAG,
      summary: 'The live tool list of a server, with the enabled flag of each tool',
      auth: 'user',
      response: z.object({ server: z.string(), tools: z.array(toolViewSchema) }),
      handler: async ({ params, principal, services }) => {
        await requireProject(services.store, principal, params.id, 'project.view')
        const row = await requireServer(services, params.id, params.name)
        const tools = (await liveTools(services, params.id, row.name)) as ToolItem[]
        return { server: row.name, tools: tools.map((t) => toolView(services, row, t)) }
      },
    }),
    route({
      method: 'PUT',
      path: '/api/projects/:id/servers/:name/tools/:tool',
      tag: TAG,
      summary: 'Enable or disable one tool; open sessions get list_changed',
      auth: 'user',
      body: z.object({ enabled: z.boolean() }).strict(),
      handler: async (ctx) => {
        const tool = toolName.safeParse(ctx.params.tool)
        if (!tool.success) throw new GatewayError('MCPO_ERR_VALIDATION', 'tool: must be 1-128 characters')
        const out = await setToggles(ctx, { [tool.data]: ctx.body.enabled })
        return { ...out, tool: tool.data, enabled: ctx.body.enabled }
      },
    }),
    route({
      method: 'PUT',
      path: '/api/projects/:id/servers/:name/tools',
      tag: TAG,
      summary: 'Enable or disable many tools at once: { "tools": { "<tool>": true|false } }',
      auth: 'user',
      body: z.object({ tools: z.record(toolName, z.boolean()) }).strict(),
      handler: (ctx) => setToggles(ctx, ctx.body.tools),
    }),
    route({
      method: 'GET',
      path: '/api/projects/:id/tools',
      tag: TAG,
      summary:
        'Every tool of the project as the unified endpoint names it, with enabled flags; servers that fail are listed with their error',
      auth: 'user',
      response: z.object({
        tools: z.array(toolViewSchema),
        servers: z.array(
          z.object({ name: z.string(), enabled: z.boolean(), toolCount: z.number(), error: z.string().nullable() }),
        ),
      }),
      handler: async ({ params, principal, services }) => {
        await requireProject(services.store, principal, params.id, 'project.view')
        const rows = await services.store.servers.list(params.id)
        const lists = await Promise.all(
          rows.map(async (row) => {
            if (!row.enabled) return { row, tools: [] as ToolItem[], error: 'disabled' }
            try {
              return { row, tools: (await liveTools(services, params.id, row.name)) as ToolItem[], error: null }
            } catch (err) {
              return { row, tools: [] as ToolItem[], error: (err as Error).message }
            }
          }),
        )
        return {
          tools: lists.flatMap(({ row, tools }) => tools.map((t) => toolView(services, row, t))),
          servers: lists.map(({ row, tools, error }) => ({
            name: row.name,
            enabled: row.enabled,
            toolCount: tools.length,
            error,
          })),
        }
      },
    }),
  ]
}
