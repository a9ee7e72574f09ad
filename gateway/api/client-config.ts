// Ready-to-paste client configs (protocol.md §6) and endpoint discovery. The key is always a placeholder the client
// expands (`${env:…}`, `${input:…}`, a shell variable), never a real key: keys are shown once, at creation.
import { z } from 'zod'
import type { Project, Server } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import type { IncomingRequest } from '../http.ts'
import { publicBaseUrl } from '../web-security.ts'
import { requireProject } from './access.ts'
import { type ApiServices, route } from './define.ts'

const CLIENTS = ['cline', 'claude-desktop', 'cursor', 'vscode', 'claude-code'] as const
type Client = (typeof CLIENTS)[number]
type Transport = 'sse' | 'streamable-http'
/** The mcp-remote release whose behaviour protocol.md §6.2 describes. */
const MCP_REMOTE = 'mcp-remote@0.15.1'

/** Absolute base URL clients reach mcpo at (see `publicBaseUrl` for the one rule). */
export function baseUrl(services: ApiServices, req: IncomingRequest): string {
  const { security, listen } = services.config
  return publicBaseUrl(req, { ...security, publicBaseUrl: listen.publicBaseUrl }, `localhost:${listen.port}`)
}

export function endpointsOf(base: string, projectId: string, server: string | null) {
  const root = `${base}/projects/${encodeURIComponent(projectId)}${server === null ? '' : `/servers/${encodeURIComponent(server)}`}`
  return { sse: `${root}/sse`, messages: `${root}/messages`, mcp: `${root}/mcp` }
}

/** The environment variable the configs expect the key in, e.g. MCPO_DEMO_KEY. */
export function keyVariable(projectId: string): string {
  const id = projectId
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .slice(0, 40)
  return `MCPO_${id}_KEY`
}

/** A short entry name for the unified endpoint: every client prefixes tool names with it (protocol.md §5). */
export function unifiedEntryName(project: Project): string {
  const id = project.id.toLowerCase().replace(/[^a-z0-9-]+/g, '-')
  return id.length <= 16 ? id : `mcpo-${id.slice(0, 8)}`
}

interface Entry {
  name: string
  url: string
  /** Seconds, for Cline: 1–3600, and never longer than mcpo's own upstream timeout. */
  timeoutS: number
}

/** How many characters the names mcpo exposes may have in each client, given the entry name (protocol.md §5). */
function nameBudget(client: Client, entry: string): number {
  if (client === 'claude-code') return 64 - entry.length - 7
  if (client === 'cursor') return 59 - entry.length
  return 64 - entry.length - 2
}

function timeoutOf(servers: readonly Server[]): number {
  const ms = servers.length ? Math.max(...servers.map((s) => s.timeoutMs)) : 60_000
  return Math.min(3600, Math.max(1, Math.ceil(ms / 1000)))
}

export function buildClientConfig(client: Client, transport: Transport, entries: Entry[], projectId: string) {
  const variable = keyVariable(projectId)
  const notes: string[] = [
    `Set ${variable} to a project API key (mcp_proj_…); create one in the project's Settings tab.`,
  ]
  const url = (e: Entry) => e.url
  const map = <T>(fn: (e: Entry) => T) => Object.fromEntries(entries.map((e) => [e.name, fn(e)]))
  const budgets = Object.fromEntries(entries.map((e) => [e.name, nameBudget(client, e.name)]))
  switch (client) {
    case 'cline':
      return {
        file: '~/.cline/data/settings/cline_mcp_settings.json',
        config: {
          mcpServers: map((e) => ({
            // An explicit type: a url without one means SSE to Cline (cline/cline#6767).
            type: transport === 'sse' ? 'sse' : 'streamableHttp',
            url: url(e),
            headers: { Authorization: `Bearer \${env:${variable}}` },
            disabled: false,
            autoApprove: [],
            timeout: e.timeoutS,
          })),
        },
        nameBudgets: budgets,
        notes,
      }
    case 'claude-desktop': {
      notes.push(
        'Claude Desktop starts stdio commands only, so mcp-remote bridges to mcpo; it needs Node.js 20.18.1 or newer.',
        'Replace the MCPO_AUTH value with "Bearer " and your key: Claude Desktop does not expand variables.',
      )
      return {
        file: 'claude_desktop_config.json',
        config: {
          mcpServers: map((e) => {
            const args = ['-y', MCP_REMOTE, url(e), '--transport', transport === 'sse' ? 'sse-only' : 'http-only']
            // No spaces around ':': mcp-remote splits the header there and the shell must not split the argument.
            // biome-ignore lint/suspicious/noTemplateCurlyInString: mcp-remote expands ${MCPO_AUTH} from its env.
            args.push('--header', 'Authorization:${MCPO_AUTH}')
            if (/^http:\/\//.test(e.url) && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])[:/]/.test(e.url))
              args.push('--allow-http')
            return { command: 'npx', args, env: { MCPO_AUTH: `Bearer <${variable}>` } }
          }),
        },
        nameBudgets: budgets,
        notes,
      }
    }
    case 'cursor':
      return {
        file: '~/.cursor/mcp.json',
        config: { mcpServers: map((e) => ({ url: url(e), headers: { Authorization: `Bearer \${env:${variable}}` } })) },
        nameBudgets: budgets,
        notes,
      }
    case 'vscode': {
      const input = variable.toLowerCase().replace(/_/g, '-')
      return {
        file: '.vscode/mcp.json',
        config: {
          inputs: [{ type: 'promptString', id: input, description: `mcpo API key for ${projectId}`, password: true }],
          servers: map((e) => ({
            type: transport === 'sse' ? 'sse' : 'http',
            url: url(e),
            headers: { Authorization: `Bearer \${input:${input}}` },
          })),
        },
        nameBudgets: budgets,
        notes: [`VS Code asks for the key (input "${input}") the first time it connects.`],
      }
    }
    case 'claude-code': {
      const flag = transport === 'sse' ? 'sse' : 'http'
      return {
        file: '.mcp.json',
        command: entries
          .map(
            (e) =>
              `claude mcp add --transport ${flag} --header "Authorization: Bearer $${variable}" ${e.name} '${e.url}'`,
          )
          .join('\n'),
        config: {
          mcpServers: map((e) => ({
            type: flag,
            url: url(e),
            headers: { Authorization: `Bearer \${${variable}}` },
          })),
        },
        nameBudgets: budgets,
        notes,
      }
    }
  }
}

async function entriesFor(
  services: ApiServices,
  base: string,
  project: Project,
  server: string | undefined,
  transport: Transport,
): Promise<Entry[]> {
  const servers = (await services.store.servers.list(project.id)).filter((s) => s.enabled)
  const pick = (urls: ReturnType<typeof endpointsOf>) => (transport === 'sse' ? urls.sse : urls.mcp)
  if (server === 'unified') {
    return [
      { name: unifiedEntryName(project), url: pick(endpointsOf(base, project.id, null)), timeoutS: timeoutOf(servers) },
    ]
  }
  const chosen = server === undefined ? servers : servers.filter((s) => s.name === server)
  if (server !== undefined && chosen.length === 0) {
    throw new GatewayError('MCPO_ERR_NOT_FOUND', `no enabled server named "${server}"`)
  }
  return chosen.map((s) => ({
    name: s.name,
    url: pick(endpointsOf(base, project.id, s.name)),
    timeoutS: timeoutOf([s]),
  }))
}

export function clientConfigRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/projects/:id/client-config',
      tag: 'client-config',
      summary: 'A ready-to-paste config for one client; the key is a placeholder',
      auth: 'user',
      query: z
        .object({
          client: z.enum(CLIENTS),
          server: z.string().max(100).optional().describe('a server name, or "unified"; default: every enabled server'),
          transport: z.enum(['sse', 'streamable-http']).default('streamable-http'),
        })
        .strict(),
      handler: async ({ params, principal, query, req, services }) => {
        const { project } = await requireProject(services.store, principal, params.id, 'project.view')
        const base = baseUrl(services, req)
        const entries = await entriesFor(services, base, project, query.server, query.transport)
        return {
          client: query.client,
          transport: query.transport,
          keyVariable: keyVariable(project.id),
          ...buildClientConfig(query.client, query.transport, entries, project.id),
        }
      },
    }),
    route({
      method: 'GET',
      path: '/projects/:id/cline-config',
      tag: 'prd',
      summary: 'The Cline config of every enabled server of the project (SSE unless transport=streamable-http)',
      auth: 'user',
      projectKeys: 'read',
      query: z.object({ transport: z.enum(['sse', 'streamable-http']).default('sse') }).strict(),
      handler: async ({ params, principal, query, req, services }) => {
        const { project } = await requireProject(services.store, principal, params.id, 'project.view')
        const entries = await entriesFor(services, baseUrl(services, req), project, undefined, query.transport)
        return buildClientConfig('cline', query.transport, entries, project.id).config
      },
    }),
    route({
      method: 'GET',
      path: '/projects/:id/.well-known/mcp-servers',
      tag: 'prd',
      summary: 'Discovery: the enabled servers of the project with their transports and endpoint URLs',
      auth: 'user',
      projectKeys: 'read',
      handler: async ({ params, principal, req, services }) => {
        const { project } = await requireProject(services.store, principal, params.id, 'project.view')
        const base = baseUrl(services, req)
        const servers = (await services.store.servers.list(project.id)).filter((s) => s.enabled)
        return {
          project: { id: project.id, name: project.name },
          auth: { type: 'bearer', keyPrefix: 'mcp_proj_', header: 'Authorization' },
          transports: ['sse', 'streamable-http'],
          unified: { name: unifiedEntryName(project), endpoints: endpointsOf(base, project.id, null) },
          servers: servers.map((s) => ({
            name: s.name,
            description: s.description,
            upstreamTransport: s.transport,
            endpoints: endpointsOf(base, project.id, s.name),
          })),
        }
      },
    }),
  ]
}
