// Bulk import of a pasted Claude/Cline/Cursor/VS Code `mcpServers` JSON, and "test connection" before saving:
// a throwaway upstream is started, initialized and listed, then stopped.
import { z } from 'zod'
import { serverNamePattern, serverSchema } from '../../config/schema.ts'
import { unmaskUrl, urlSecrets } from '../../plugins/secrets/url-mask.ts'
import { GatewayError, isGatewayError } from '../errors.ts'
import { ServerRuntime, type ServerSpec } from '../mcp/supervisor.ts'
import { requireProject } from './access.ts'
import { importName, remoteTransport } from './client-entry.ts'
import { route } from './define.ts'
import {
  maskedKeys,
  openServer,
  projectChanged,
  redact,
  requireSecretsStay,
  requireStdioRight,
  type ServerInput,
  sealServer,
  serverView,
  unmask,
  validateServer,
} from './server-model.ts'

const TAG = 'servers'
const MAX_ENTRIES = 200
/** A test connection never waits longer than this for the handshake and the tool list. */
const TEST_TIMEOUT_MS = 30_000

const importSchema = z.looseObject({
  mcpServers: z.record(z.string(), z.unknown()).optional(),
  /** VS Code's `.vscode/mcp.json` uses `servers`. */
  servers: z.record(z.string(), z.unknown()).optional(),
})

const testSchema = z.object({ ...serverSchema.shape, name: serverSchema.shape.name.optional() }).strict()

/** One client config entry as an mcpo server definition (validated later with the config schema). */
export function fromClientEntry(name: string, entry: unknown): Record<string, unknown> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new GatewayError('MCPO_ERR_VALIDATION', 'the entry is not an object', {
      details: { fields: [{ field: 'body', message: 'must be an object' }] },
    })
  }
  const e = entry as Record<string, unknown>
  const out: Record<string, unknown> = { name }
  if (typeof e.description === 'string') out.description = e.description
  if (e.disabled === true) out.enabled = false
  // Cline's timeout is in seconds; mcpo's upstream timeout must be at least as long (protocol.md §6.1).
  if (typeof e.timeout === 'number' && Number.isFinite(e.timeout)) out.timeoutMs = Math.max(1000, e.timeout * 1000)
  const url = e.url ?? e.serverUrl
  const type = String(e.type ?? e.transportType ?? e.transport ?? '')
  if (e.command !== undefined || type === 'stdio') {
    Object.assign(out, { transport: 'stdio', command: e.command, args: e.args ?? [], env: e.env ?? {} })
    if (e.cwd !== undefined) out.cwd = e.cwd
    return out
  }
  return { ...out, transport: remoteTransport(type, url), url, headers: e.headers ?? {} }
}

export function serverImportRoutes() {
  return [
    route({
      method: 'POST',
      path: '/api/projects/:id/servers/import',
      tag: TAG,
      summary: 'Add many servers from a pasted { "mcpServers": { … } } JSON; answers one result per entry',
      auth: 'user',
      body: importSchema,
      handler: async (ctx) => {
        const { services, params } = ctx
        const { actor } = await requireProject(services.store, ctx.principal, params.id, 'servers.manage')
        const entries = Object.entries(ctx.body.mcpServers ?? ctx.body.servers ?? {})
        if (entries.length === 0 || entries.length > MAX_ENTRIES) {
          throw new GatewayError('MCPO_ERR_VALIDATION', `mcpServers: give 1 to ${MAX_ENTRIES} servers`, {
            details: { fields: [{ field: 'mcpServers', message: `must hold 1 to ${MAX_ENTRIES} servers` }] },
          })
        }
        const results = []
        for (const [original, entry] of entries) {
          const name = importName(original)
          try {
            if (!serverNamePattern.test(name)) {
              throw new GatewayError('MCPO_ERR_VALIDATION', 'the name has no usable characters', {
                details: { fields: [{ field: 'name', message: 'must hold letters or digits' }] },
              })
            }
            const input = validateServer(fromClientEntry(name, entry))
            requireStdioRight(actor, null, input)
            unmask(input.env, {}, 'env')
            unmask(input.headers, {}, 'headers')
            const row = await services.store.servers.create({
              ...sealServer(services.keyring, params.id, input),
              source: 'ui',
            })
            results.push({ entry: original, name, status: 'created' as const, server: serverView(row, undefined) })
          } catch (err) {
            if (!isGatewayError(err)) throw err
            const error = { code: err.code, message: err.message, fields: err.details?.fields }
            results.push({ entry: original, name, status: 'failed' as const, error })
          }
        }
        const created = results.filter((r) => r.status === 'created')
        if (created.length) await projectChanged(services, params.id)
        ctx.audit({
          action: 'server.import',
          projectId: params.id,
          target: { type: 'project', id: params.id },
          after: { created: created.map((r) => r.name), failed: results.length - created.length },
        })
        return { created: created.length, failed: results.length - created.length, results }
      },
    }),
    route({
      method: 'POST',
      path: '/api/projects/:id/servers/test',
      tag: TAG,
      summary: 'Test a server definition before saving: start it, initialize, list tools, stop',
      auth: 'user',
      body: testSchema,
      handler: async ({ body, params, principal, services }) => {
        const { actor } = await requireProject(services.store, principal, params.id, 'servers.manage')
        // Testing the edit of a saved server: masked values mean the stored ones.
        const saved = body.name ? await services.store.servers.get(params.id, body.name) : null
        const before = saved ? openServer(services.keyring, saved) : null
        const input: ServerInput = validateServer({ ...body, name: body.name ?? 'connection-test' })
        const kept = { env: maskedKeys(input.env), headers: maskedKeys(input.headers) }
        input.env = unmask(input.env, before?.env ?? {}, 'env')
        input.headers = unmask(input.headers, before?.headers ?? {}, 'headers')
        if (input.url) input.url = unmaskUrl(input.url, before?.url)
        requireStdioRight(actor, before, input)
        requireSecretsStay(before, input, kept)
        const secrets = [...Object.values(input.env), ...Object.values(input.headers), ...urlSecrets(input.url)]
        const stdio = input.transport === 'stdio'
        const spec: ServerSpec = {
          projectId: params.id,
          name: input.name,
          transport: input.transport,
          command: stdio ? input.command : null,
          args: stdio ? input.args : [],
          env: stdio ? input.env : {},
          cwd: stdio ? (input.cwd ?? null) : null,
          url: stdio ? null : input.url,
          headers: stdio ? {} : input.headers,
          timeoutMs: Math.min(input.timeoutMs, TEST_TIMEOUT_MS),
          isolation: 'shared',
          enabled: true,
          autoStart: false,
        }
        const limits = {
          ...services.config.upstreams,
          handshakeTimeoutMs: Math.min(services.config.upstreams.handshakeTimeoutMs, TEST_TIMEOUT_MS),
        }
        const log = services.logger.child({ project: params.id, server: input.name, test: true })
        const rt = new ServerRuntime(spec, limits, services.relay.caps, log)
        const started = Date.now()
        try {
          const conn = await rt.ensureStarted()
          const tools = (await conn.list('tools/list')) as { name?: string }[]
          services.connectionTests.remember(params.id, input, { ok: true, error: null })
          return {
            ok: true,
            durationMs: Date.now() - started,
            serverInfo: conn.initializeResult?.serverInfo ?? null,
            protocolVersion: conn.initializeResult?.protocolVersion ?? null,
            toolCount: tools.length,
            tools: tools.map((t) => t.name ?? ''),
          }
        } catch (err) {
          const error = redact(err instanceof Error ? err.message : String(err), secrets)
          // Remembered for the save that may follow ("Save anyway"), which records it as the server's last error.
          services.connectionTests.remember(params.id, input, { ok: false, error: `connection test: ${error}` })
          return {
            ok: false,
            durationMs: Date.now() - started,
            error,
            stderr: rt.status().stderr.map((line) => redact(line, secrets)),
          }
        } finally {
          await rt.stop()
        }
      },
    }),
  ]
}
