// Ready-to-paste client configs (protocol.md §6) and endpoint discovery. The key is always a placeholder the client
// expands (`${env:…}`, `${input:…}`, a shell variable), never a real key: keys are shown once, at creation.
// Servers that are down (backing off, circuit open, or failing their last connection, probe or test at save) are left
// out, and the answer says which and why: a client given a broken server shows its users a failed connection they
// cannot fix. `includeFailing=true` keeps them; a server asked for by name is always given, with a note.
import { z } from 'zod'
import type { Project, Server } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import type { IncomingRequest } from '../http.ts'
import { authModeOf } from '../oauth/resources.ts'
import { publicBaseUrl } from '../web-security.ts'
import { requireProject } from './access.ts'
import { type ApiServices, route } from './define.ts'
import { queryFlag } from './paging.ts'
import { redact, secretValues } from './server-model.ts'

const CLIENTS = ['cline', 'claude-desktop', 'cursor', 'vscode', 'claude-code', 'claude', 'chatgpt'] as const
type Client = (typeof CLIENTS)[number]
/** claude.ai and ChatGPT take a connector URL and do OAuth only: there is no place for a key. */
const OAUTH_ONLY: ReadonlySet<Client> = new Set(['claude', 'chatgpt'])
type Auth = 'key' | 'oauth'
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

/** A server left out of a config or discovery because it is down. */
export interface Omitted {
  name: string
  state: string
  lastError: string | null
  lastErrorAt: string | null
}

const includeFailing = queryFlag.describe('true keeps servers that are down (left out by default, listed apart)')

/** The enabled servers of a project, split into those to give out and those left out because they are down. */
async function serversFor(services: ApiServices, projectId: string, keepFailing: boolean) {
  const given: Server[] = []
  const omitted: Omitted[] = []
  for (const s of await services.store.servers.list(projectId)) {
    if (!s.enabled) continue
    const st = services.relay.runtime(projectId, s.name)?.status()
    if (keepFailing || st?.health !== 'down') {
      given.push(s)
      continue
    }
    omitted.push({
      name: s.name,
      state: st.state,
      lastError: st.lastError ? redact(st.lastError, secretValues(services.keyring, s)) : null,
      lastErrorAt: st.lastErrorAt ? new Date(st.lastErrorAt).toISOString() : null,
    })
  }
  return { given, omitted }
}

function omittedNote(omitted: readonly Omitted[]): string[] {
  if (!omitted.length) return []
  const what = omitted.map((o) => `${o.name} (${o.state === 'failed' ? 'circuit open' : 'failing'})`).join(', ')
  return [`Left out because they are down: ${what}. Fix them, or ask with includeFailing=true to get them anyway.`]
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

/**
 * A client's config for the given entries. With `auth: 'key'` each entry sends `Authorization: Bearer <a key
 * placeholder>`; with `'oauth'` there is no header at all: the client finds mcpo's authorization server from the
 * endpoint's 401 and opens a browser for the consent step on first connect. claude.ai and ChatGPT take a URL only.
 */
export function buildClientConfig(
  client: Client,
  transport: Transport,
  entries: Entry[],
  projectId: string,
  auth: Auth = 'key',
) {
  const variable = keyVariable(projectId)
  const keyed = auth === 'key'
  const signIn = 'No key: on first connect the client opens a browser, you sign in to mcpo and allow it.'
  const notes: string[] = keyed
    ? [`Set ${variable} to a project API key (mcp_proj_…); create one in the project's Settings tab.`]
    : [signIn]
  const header = (value: string) => (keyed ? { headers: { Authorization: value } } : {})
  const map = <T>(fn: (e: Entry) => T) => Object.fromEntries(entries.map((e) => [e.name, fn(e)]))
  const budgets = Object.fromEntries(entries.map((e) => [e.name, nameBudget(client, e.name)]))
  const connector = (where: string) => ({
    file: where,
    config: map((e) => ({ url: e.url })),
    nameBudgets: budgets,
    notes: [
      `${where}: paste the URL, choose OAuth if asked; you are sent to mcpo to sign in and allow it.`,
      ...(entries.some((e) => /^http:\/\//.test(e.url))
        ? ['This URL is plain http: hosted apps reach only an https URL on the internet (set listen.publicBaseUrl).']
        : []),
    ],
  })
  switch (client) {
    case 'claude':
      return connector('Claude → Settings → Connectors → Add custom connector')
    case 'chatgpt':
      return connector('ChatGPT → Settings → Connectors → Create (MCP server URL, authentication OAuth)')
    case 'cline':
      if (!keyed) notes[0] += ' Cline shows an Authenticate button for the server.'
      return {
        file: '~/.cline/data/settings/cline_mcp_settings.json',
        config: {
          mcpServers: map((e) => ({
            // An explicit type: a url without one means SSE to Cline (cline/cline#6767).
            type: transport === 'sse' ? 'sse' : 'streamableHttp',
            url: e.url,
            ...header(`Bearer \${env:${variable}}`),
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
      )
      notes.push(
        keyed
          ? 'Replace the MCPO_AUTH value with "Bearer " and your key: Claude Desktop does not expand variables.'
          : 'mcp-remote keeps the tokens in ~/.mcp-auth.',
      )
      return {
        file: 'claude_desktop_config.json',
        config: {
          mcpServers: map((e) => {
            const args = ['-y', MCP_REMOTE, e.url, '--transport', transport === 'sse' ? 'sse-only' : 'http-only']
            // No spaces around ':': mcp-remote splits the header there and the shell must not split the argument.
            // biome-ignore lint/suspicious/noTemplateCurlyInString: mcp-remote expands ${MCPO_AUTH} from its env.
            if (keyed) args.push('--header', 'Authorization:${MCPO_AUTH}')
            if (/^http:\/\//.test(e.url) && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])[:/]/.test(e.url))
              args.push('--allow-http')
            return keyed
              ? { command: 'npx', args, env: { MCPO_AUTH: `Bearer <${variable}>` } }
              : { command: 'npx', args }
          }),
        },
        nameBudgets: budgets,
        notes,
      }
    }
    case 'cursor':
      return {
        file: '~/.cursor/mcp.json',
        config: { mcpServers: map((e) => ({ url: e.url, ...header(`Bearer \${env:${variable}}`) })) },
        nameBudgets: budgets,
        notes,
      }
    case 'vscode': {
      const input = variable.toLowerCase().replace(/_/g, '-')
      const servers = map((e) => ({
        type: transport === 'sse' ? 'sse' : 'http',
        url: e.url,
        ...header(`Bearer \${input:${input}}`),
      }))
      return {
        file: '.vscode/mcp.json',
        config: keyed
          ? {
              inputs: [
                { type: 'promptString', id: input, description: `mcpo API key for ${projectId}`, password: true },
              ],
              servers,
            }
          : { servers },
        nameBudgets: budgets,
        notes: keyed ? [`VS Code asks for the key (input "${input}") the first time it connects.`] : notes,
      }
    }
    case 'claude-code': {
      const flag = transport === 'sse' ? 'sse' : 'http'
      const headerFlag = keyed ? ` --header "Authorization: Bearer $${variable}"` : ''
      if (!keyed) notes[0] += ' In Claude Code, run /mcp and choose the server to sign in.'
      return {
        file: '.mcp.json',
        command: entries.map((e) => `claude mcp add --transport ${flag}${headerFlag} ${e.name} '${e.url}'`).join('\n'),
        config: { mcpServers: map((e) => ({ type: flag, url: e.url, ...header(`Bearer \${${variable}}`) })) },
        nameBudgets: budgets,
        notes,
      }
    }
  }
}

/** How the project's clients authenticate when the caller does not say: keys where keys work, else OAuth. */
function authFor(project: Project, client: Client, asked: Auth | undefined): Auth {
  const mode = authModeOf(project.settings)
  const auth = asked ?? (mode === 'oauth' || OAUTH_ONLY.has(client) ? 'oauth' : 'key')
  if (auth === 'oauth' && mode === 'keys') {
    throw new GatewayError(
      'MCPO_ERR_VALIDATION',
      `project "${project.id}" takes API keys only; switch its MCP client authentication to OAuth or both in Settings`,
      { details: { fields: [{ field: 'auth', message: 'the project does not use OAuth' }] } },
    )
  }
  if (auth === 'key' && mode === 'oauth') {
    throw new GatewayError('MCPO_ERR_VALIDATION', `project "${project.id}" takes OAuth sign-in only, not API keys`, {
      details: { fields: [{ field: 'auth', message: 'the project does not take keys' }] },
    })
  }
  return auth
}

async function entriesFor(
  services: ApiServices,
  base: string,
  project: Project,
  server: string | undefined,
  transport: Transport,
  keepFailing: boolean,
): Promise<{ entries: Entry[]; omitted: Omitted[]; notes: string[] }> {
  const pick = (urls: ReturnType<typeof endpointsOf>) => (transport === 'sse' ? urls.sse : urls.mcp)
  // The unified endpoint and a server asked for by name are given whatever their health; the notes say it.
  const { given, omitted } = await serversFor(services, project.id, keepFailing || server !== undefined)
  if (server === 'unified') {
    const down = (await serversFor(services, project.id, false)).omitted
    return {
      entries: [
        { name: unifiedEntryName(project), url: pick(endpointsOf(base, project.id, null)), timeoutS: timeoutOf(given) },
      ],
      omitted: [],
      notes: down.length
        ? [`Down now, so their tools are missing from the unified endpoint: ${down.map((o) => o.name).join(', ')}.`]
        : [],
    }
  }
  const chosen = server === undefined ? given : given.filter((s) => s.name === server)
  if (server !== undefined && chosen.length === 0) {
    throw new GatewayError('MCPO_ERR_NOT_FOUND', `no enabled server named "${server}"`)
  }
  const notes = omittedNote(omitted)
  if (server !== undefined) {
    const st = services.relay.runtime(project.id, server)?.status()
    if (st?.health === 'down') notes.push(`${server} is down now: its connection will fail until it recovers.`)
  }
  const entries = chosen.map((s) => ({
    name: s.name,
    url: pick(endpointsOf(base, project.id, s.name)),
    timeoutS: timeoutOf([s]),
  }))
  return { entries, omitted, notes }
}

function discoveryAuth(mode: 'keys' | 'oauth' | 'both') {
  const key = { type: 'bearer', keyPrefix: 'mcp_proj_', header: 'Authorization' }
  const oauth = { type: 'oauth', discovery: 'the endpoint answers 401 with WWW-Authenticate resource_metadata' }
  if (mode === 'keys') return key
  return mode === 'oauth' ? oauth : { ...key, alternatives: [oauth] }
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
          server: z
            .string()
            .max(100)
            .optional()
            .describe('a server name, or "unified"; default: every enabled server that is not down'),
          transport: z.enum(['sse', 'streamable-http']).default('streamable-http'),
          auth: z
            .enum(['key', 'oauth'])
            .optional()
            .describe('key (a placeholder for a project key) or oauth (no header); default: what the project takes'),
          includeFailing,
        })
        .strict(),
      handler: async ({ params, principal, query, req, services }) => {
        const { project } = await requireProject(services.store, principal, params.id, 'project.view')
        const base = baseUrl(services, req)
        const keep = query.includeFailing
        const { entries, omitted, notes } = await entriesFor(
          services,
          base,
          project,
          query.server,
          query.transport,
          keep,
        )
        const auth = authFor(project, query.client, query.auth)
        const built = buildClientConfig(query.client, query.transport, entries, project.id, auth)
        return {
          client: query.client,
          transport: query.transport,
          auth,
          keyVariable: auth === 'key' ? keyVariable(project.id) : null,
          ...built,
          notes: [...built.notes, ...notes],
          omitted,
        }
      },
    }),
    route({
      method: 'GET',
      path: '/projects/:id/cline-config',
      tag: 'prd',
      summary:
        'The Cline config of every enabled server of the project that is not down (SSE unless transport=streamable-http)',
      auth: 'user',
      projectKeys: 'read',
      query: z.object({ transport: z.enum(['sse', 'streamable-http']).default('sse'), includeFailing }).strict(),
      handler: async ({ params, principal, query, req, services }) => {
        const { project } = await requireProject(services.store, principal, params.id, 'project.view')
        const base = baseUrl(services, req)
        const keep = query.includeFailing
        const { entries } = await entriesFor(services, base, project, undefined, query.transport, keep)
        const auth = authModeOf(project.settings) === 'oauth' ? 'oauth' : 'key'
        return buildClientConfig('cline', query.transport, entries, project.id, auth).config
      },
    }),
    route({
      method: 'GET',
      path: '/projects/:id/.well-known/mcp-servers',
      tag: 'prd',
      summary:
        'Discovery: the enabled servers of the project with their endpoint URLs; those that are down are listed apart',
      auth: 'user',
      projectKeys: 'read',
      query: z.object({ includeFailing }),
      handler: async ({ params, principal, query, req, services }) => {
        const { project } = await requireProject(services.store, principal, params.id, 'project.view')
        const base = baseUrl(services, req)
        const { given: servers, omitted } = await serversFor(services, project.id, query.includeFailing)
        return {
          project: { id: project.id, name: project.name },
          auth: discoveryAuth(authModeOf(project.settings)),
          transports: ['sse', 'streamable-http'],
          unified: { name: unifiedEntryName(project), endpoints: endpointsOf(base, project.id, null) },
          servers: servers.map((s) => ({
            name: s.name,
            description: s.description,
            upstreamTransport: s.transport,
            endpoints: endpointsOf(base, project.id, s.name),
          })),
          // Names and states only: a project key may read this, and error texts can name internal hosts.
          unavailable: omitted.map((o) => ({ name: o.name, state: o.state, since: o.lastErrorAt })),
        }
      },
    }),
  ]
}
