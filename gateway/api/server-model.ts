// What the server routes share: the masked view of a server, sealing and opening its secrets, the stdio rule,
// a live tool listing through the relay, and the after-change step (policy snapshot + relay reload + list_changed).
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { serverProtocol, serverSchema } from '../../config/schema.ts'
import type { Principal } from '../../plugins/contract.ts'
import { type Actor, canInProject } from '../../plugins/rbac/matrix.ts'
import { TOOL_POLICIES_SERVICE, type ToolPoliciesService } from '../../plugins/rbac/policies.ts'
import { MASK, maskRecord } from '../../plugins/secrets/cipher.ts'
import type { Keyring } from '../../plugins/secrets/keyring.ts'
import { maskOptionalUrl, URL_MASK, urlSecrets } from '../../plugins/secrets/url-mask.ts'
import type { NewServer, Server } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import { UpstreamError } from '../mcp/connection.ts'
import { Session } from '../mcp/session.ts'
import type { ServerStatus } from '../mcp/supervisor.ts'
import { LATEST_VERSION } from '../mcp/versions.ts'
import { openServerAuth, openServerSecrets, sealServerAuth, sealServerSecrets } from '../server-secrets.ts'
import type { ApiServices } from './define.ts'

/** A server definition in clear, as validated by the config schema (secrets included: never sent out). */
export type ServerInput = z.output<typeof serverSchema>

export const healthSchema = z
  .enum(['up', 'down', 'unknown'])
  .describe(
    'down: backing off, circuit open, or its last connection, probe or test at save failed; unknown: never tried',
  )

const iso = (ms: number | null | undefined): string | null => (ms ? new Date(ms).toISOString() : null)

export const serverViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  transport: z.enum(['stdio', 'sse', 'streamable-http']),
  command: z.string().nullable(),
  args: z.array(z.string()),
  env: z.record(z.string(), z.string()).describe(`values are always "${MASK}"`),
  cwd: z.string().nullable(),
  url: z
    .string()
    .nullable()
    .describe(
      `credentials in it (password, token-like username, secret query parameters) read "${URL_MASK}"; send it back unchanged to keep them`,
    ),
  headers: z.record(z.string(), z.string()).describe(`values are always "${MASK}"`),
  timeoutMs: z.number(),
  isolation: z.enum(['shared', 'per-session']).nullable(),
  enabled: z.boolean(),
  autoStart: z.boolean(),
  healthCheckIntervalMs: z
    .number()
    .nullable()
    .describe("health probe interval in ms; 0 off; null: the gateway's default (upstreams.healthCheckIntervalMs)"),
  protocol: serverProtocol
    .nullable()
    .describe(
      "MCP protocol era spoken upstream: auto (probe with server/discover, fall back to initialize), legacy (2025, initialize), modern (2026-07-28, stateless); null: the gateway's default (upstreams.protocol)",
    ),
  auth: z
    .object({
      type: z.literal('oauth'),
      credentials: z
        .enum(['project', 'user'])
        .describe("project: one set of tokens an owner consents to; user: each user's own tokens"),
      clientId: z.string().nullable().describe('a pre-registered client; null: metadata document or registration'),
      clientSecret: z.string().nullable().describe(`"${MASK}" when one is stored, else null`),
      scopes: z.array(z.string()),
    })
    .nullable()
    .describe('OAuth to the upstream; null: none'),
  toolToggles: z.record(z.string(), z.boolean()),
  source: z.enum(['ui', 'config']),
  status: z.object({
    state: z.string().describe('stopped, starting, running, backoff or failed (the circuit is open)'),
    health: healthSchema,
    pid: z.number().nullable(),
    restarts: z.number(),
    lastError: z.string().nullable().describe('the last failure, kept after the server recovers (see health)'),
    lastErrorAt: z.string().nullable(),
    lastOkAt: z.string().nullable().describe('the last proof it works: a connection, a probe, a passing test'),
    era: z
      .enum(['legacy', 'modern'])
      .nullable()
      .describe('the protocol era the live connection speaks (the probe verdict under auto); null while none is up'),
  }),
  createdAt: z.string(),
  updatedAt: z.string(),
})

/** A server as every API response shows it: env and header values and URL credentials masked, status from the relay. */
export function serverView(row: Server, status: ServerStatus | undefined, secrets: readonly string[] = []) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    transport: row.transport,
    command: row.command,
    args: row.args,
    env: maskRecord(row.env),
    cwd: row.cwd,
    url: maskOptionalUrl(row.url),
    headers: maskRecord(row.headers),
    timeoutMs: row.timeoutMs,
    isolation: row.isolation,
    enabled: row.enabled,
    autoStart: row.autoStart,
    healthCheckIntervalMs: row.healthCheckIntervalMs,
    protocol: row.protocol,
    auth: row.auth && { ...row.auth, clientSecret: row.auth.clientSecret ? MASK : null },
    toolToggles: row.toolToggles,
    source: row.source,
    status: {
      state: status?.state ?? 'stopped',
      health: status?.health ?? 'unknown',
      pid: status?.pid ?? null,
      restarts: status?.restarts ?? 0,
      lastError: status?.lastError ? redact(status.lastError, secrets) : null,
      lastErrorAt: iso(status?.lastErrorAt),
      lastOkAt: iso(status?.lastOkAt),
      era: status?.era ?? null,
    },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

/** The stored row in clear: what a PUT merges into and a MASK refers to. */
export function openServer(keyring: Keyring, row: Server): ServerInput {
  const { env, headers } = openServerSecrets(keyring, row)
  const auth = openServerAuth(keyring, row)
  return {
    name: row.name,
    description: row.description,
    transport: row.transport,
    command: row.command ?? undefined,
    args: row.args,
    env,
    cwd: row.cwd ?? undefined,
    url: row.url ?? undefined,
    headers,
    timeoutMs: row.timeoutMs,
    isolation: row.isolation ?? undefined,
    enabled: row.enabled,
    autoStart: row.autoStart,
    healthCheckIntervalMs: row.healthCheckIntervalMs ?? undefined,
    protocol: row.protocol ?? undefined,
    auth: auth && {
      type: auth.type,
      credentials: auth.credentials,
      clientId: auth.clientId ?? undefined,
      clientSecret: auth.clientSecret ?? undefined,
      scopes: auth.scopes,
    },
  }
}

/** The row to store: secrets encrypted and bound to project, server name and field. */
export function sealServer(keyring: Keyring, projectId: string, s: ServerInput): Omit<NewServer, 'source'> {
  return {
    projectId,
    name: s.name,
    description: s.description ?? '',
    transport: s.transport,
    command: s.transport === 'stdio' ? (s.command ?? null) : null,
    args: s.transport === 'stdio' ? s.args : [],
    ...sealServerSecrets(
      keyring,
      { projectId, name: s.name },
      { env: s.transport === 'stdio' ? s.env : {}, headers: s.transport === 'stdio' ? {} : s.headers },
    ),
    cwd: s.transport === 'stdio' ? (s.cwd ?? null) : null,
    url: s.transport === 'stdio' ? null : (s.url ?? null),
    timeoutMs: s.timeoutMs,
    isolation: s.isolation ?? null,
    enabled: s.enabled,
    autoStart: s.autoStart,
    healthCheckIntervalMs: s.healthCheckIntervalMs ?? null,
    protocol: s.protocol ?? null,
    auth: s.transport === 'stdio' ? null : sealServerAuth(keyring, { projectId, name: s.name }, s.auth),
  }
}

/** Replaces each secret value that occurs in `text` (stderr lines, error messages) with the mask. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join(MASK)
  return out
}

export function secretValues(keyring: Keyring, row: Server): string[] {
  const open = openServer(keyring, row)
  const clientSecret = open.auth?.clientSecret ? [open.auth.clientSecret] : []
  return [...Object.values(open.env), ...Object.values(open.headers), ...clientSecret, ...urlSecrets(row.url)]
}

/**
 * Resolves the mask in a map sent back by a client: `MASK` keeps the stored value of that key. A mask for a key
 * that has no stored value is a field error.
 */
export function unmask(
  sent: Readonly<Record<string, string>>,
  stored: Readonly<Record<string, string>>,
  field: 'env' | 'headers',
): Record<string, string> {
  const out: Record<string, string> = {}
  const missing: string[] = []
  for (const [k, v] of Object.entries(sent)) {
    if (v !== MASK) out[k] = v
    else if (Object.hasOwn(stored, k)) out[k] = stored[k]
    else missing.push(k)
  }
  if (missing.length) {
    throw new GatewayError('MCPO_ERR_VALIDATION', `${field}: ${missing.join(', ')} has no stored value to keep`, {
      details: { fields: missing.map((k) => ({ field: `${field}.${k}`, message: 'has no stored value to keep' })) },
    })
  }
  return out
}

/**
 * Resolves the client secret of an `auth` sent by a client: the mask keeps the stored one (a field error when there is
 * none), and so does leaving it out while naming the same client; null clears it. Answers whether the stored one is kept.
 */
export function unmaskAuth(sent: ServerInput['auth'], stored: ServerInput['auth']): boolean {
  if (!sent) return false
  const keep = sent.clientSecret === MASK || (sent.clientSecret === undefined && sent.clientId === stored?.clientId)
  if (!keep) return false
  if (stored?.clientSecret) {
    sent.clientSecret = stored.clientSecret
    return true
  }
  if (sent.clientSecret === MASK) {
    const message = 'has no stored value to keep'
    throw new GatewayError('MCPO_ERR_VALIDATION', `auth.clientSecret: ${message}`, {
      details: { fields: [{ field: 'auth.clientSecret', message }] },
    })
  }
  return false
}

/** The keys of a map sent by a client whose value is the mask, i.e. that ask for the stored value. */
export function maskedKeys(sent: Readonly<Record<string, string>> | null | undefined): string[] {
  return sent ? Object.keys(sent).filter((k) => sent[k] === MASK) : []
}

/**
 * Where a server's secrets are sent: the origin (scheme, host, port) of a remote server's URL, or what a stdio server
 * runs (command, arguments, directory), since its arguments can name a URL too (`mcp-remote https://…`).
 */
export function secretTarget(s: Pick<ServerInput, 'transport' | 'url' | 'command' | 'args' | 'cwd'>): string {
  if (s.transport === 'stdio') return JSON.stringify([s.command ?? '', s.args, s.cwd ?? ''])
  try {
    return new URL(s.url ?? '').origin
  } catch {
    return ''
  }
}

/**
 * A stored secret goes only to the target it was saved for. When `after` points elsewhere than `before`, every value
 * it keeps from storage (`kept`: sent as the mask, or left out of a PUT) must be typed again; otherwise anyone who may
 * edit the server could send its credentials to a host of their choosing without ever knowing them.
 */
export function requireSecretsStay(
  before: ServerInput | null,
  after: ServerInput,
  kept: { env: readonly string[]; headers: readonly string[]; clientSecret?: boolean },
): void {
  if (!before) return
  const field = after.transport === 'stdio' ? 'env' : 'headers'
  const names = kept[field].filter((k) => Object.hasOwn(after[field], k)).map((k) => `${field}.${k}`)
  // The client secret goes to the authorization server the upstream names, so the URL decides where it goes too.
  if (kept.clientSecret && after.auth?.clientSecret) names.push('auth.clientSecret')
  if (names.length === 0 || secretTarget(before) === secretTarget(after)) return
  const what = after.transport === 'stdio' ? 'command, arguments or directory' : 'URL origin (scheme, host, port)'
  const message = `the ${what} changed: enter this value again (a saved secret is only sent where it was saved for)`
  throw new GatewayError('MCPO_ERR_VALIDATION', `${names.join(', ')}: ${message}`, {
    details: { fields: names.map((field) => ({ field, message })) },
  })
}

/** Validates a merged definition with the config schema, so the API and the config file accept the same servers. */
export function validateServer(input: unknown): ServerInput {
  const parsed = serverSchema.safeParse(input)
  if (parsed.success) return parsed.data
  const fields = parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || 'body', message: i.message }))
  throw new GatewayError(
    'MCPO_ERR_VALIDATION',
    `invalid server: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`,
    { details: { fields } },
  )
}

/** Stdio servers run commands on the gateway host: only global admins may define or change what runs. */
export function requireStdioRight(actor: Actor, before: ServerInput | null, after: ServerInput): void {
  if (after.transport !== 'stdio' || canInProject(actor, 'servers.defineStdio')) return
  const changesCommand =
    before === null ||
    before.transport !== 'stdio' ||
    before.command !== after.command ||
    before.cwd !== after.cwd ||
    JSON.stringify(before.args) !== JSON.stringify(after.args) ||
    JSON.stringify(Object.keys(before.env).sort()) !== JSON.stringify(Object.keys(after.env).sort())
  if (changesCommand) {
    throw new GatewayError(
      'MCPO_ERR_FORBIDDEN',
      'only global administrators may define stdio commands; add a remote server, or a stdio server from the catalog ' +
        '(POST /api/projects/:id/servers/from-template)',
    )
  }
}

export async function requireServer(services: ApiServices, projectId: string, name: string): Promise<Server> {
  const row = await services.store.servers.get(projectId, name)
  if (!row) throw new GatewayError('MCPO_ERR_NOT_FOUND', `server "${name}" not found`)
  return row
}

/** Servers from mcpo.config.ts are rewritten at every boot, so the API may not edit or delete them. */
export function requireEditable(row: Server): void {
  if (row.source === 'config') {
    throw new GatewayError(
      'MCPO_ERR_CONFLICT',
      `server "${row.name}" is defined in the config file; change it there (enable, disable and tool toggles still work here)`,
    )
  }
}

/** The tool policies service, or null without toolPolicies() (then toggles and policies are not enforced). */
export function policiesPlugin(services: ApiServices): ToolPoliciesService | null {
  return services.plugins.service(TOOL_POLICIES_SERVICE)
}

/** After any change to servers, toggles or policies: new snapshot, relay reload, list_changed to open sessions. */
export async function projectChanged(services: ApiServices, projectId: string): Promise<void> {
  await policiesPlugin(services)?.refresh(projectId)
  await services.reloadProject(projectId)
}

/** The actor id used for audit `createdBy` columns: a user, or the user behind an API key. */
export function userIdOf(principal: Principal | null): string | null {
  return principal?.userId ?? null
}

/** A server's tools as its upstream lists them now, through the relay's runtime (started if needed). */
export async function liveTools(services: ApiServices, projectId: string, name: string): Promise<unknown[]> {
  const rt = services.relay.runtime(projectId, name)
  if (!rt?.spec.enabled) throw new GatewayError('MCPO_ERR_CONFLICT', `server "${name}" is disabled`)
  // A throwaway session: the relay attaches connections to sessions, and closing it releases what it started.
  const session = new Session({
    id: `api-${randomUUID()}`,
    projectId,
    serverName: name,
    principalId: 'mcpo:api',
    principalKind: 'system',
    transport: 'streamable',
    protocolVersion: LATEST_VERSION,
    now: Date.now(),
  })
  session.initialized = true
  try {
    const conn = await rt.acquire(session)
    return await conn.list('tools/list')
  } catch (err) {
    throw upstreamFailure(name, err)
  } finally {
    session.close('listing done')
  }
}

export function upstreamFailure(name: string, err: unknown): GatewayError {
  if (err instanceof GatewayError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', `server "${name}": ${message}`, {
    cause: err,
    details: err instanceof UpstreamError ? { rpcCode: err.rpcCode } : undefined,
  })
}
