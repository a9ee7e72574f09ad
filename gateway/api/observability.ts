// What on-call asks about a project's data plane: client sessions (who is connected, with what, how often it fails),
// a server's log lines by level (gateway events and stderr), and each server's last success and last error.
import { z } from 'zod'
import { LOG_LEVELS, type ServerLogEntry, stderrLevel } from '../mcp/server-log.ts'
import { requireProject } from './access.ts'
import { route } from './define.ts'
import { queryFlag } from './paging.ts'
import { healthSchema, redact, requireServer, secretValues } from './server-model.ts'

const TAG = 'observability'
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

const sessionSchema = z.object({
  id: z.string(),
  server: z.string().nullable(),
  transport: z.string().nullable(),
  clientName: z.string().nullable(),
  clientVersion: z.string().nullable(),
  userAgent: z.string().nullable(),
  ip: z.string().nullable(),
  principalId: z.string().nullable(),
  keyId: z.string().nullable(),
  node: z.string().nullable(),
  requests: z.number(),
  failures: z.number(),
  startedAt: z.string(),
  lastSeenAt: z.string(),
  closedAt: z.string().nullable(),
})

const logEntrySchema = z.object({
  at: z.string().nullable(),
  level: z.enum(LOG_LEVELS),
  category: z.enum(['gateway', 'stderr']),
  message: z.string(),
})

export function observabilityRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/projects/:id/sessions',
      tag: TAG,
      summary: 'Client sessions, most recently seen first: client, IP, principal, request and failure counts',
      auth: 'user',
      query: z
        .object({
          server: z.string().max(200).optional(),
          active: queryFlag.describe('only sessions still open and seen in the last 30 minutes'),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        })
        .strict(),
      response: z.object({ items: z.array(sessionSchema) }),
      handler: async ({ params, principal, query, services }) => {
        await requireProject(services.store, principal, params.id, 'project.view')
        await services.tracker.flush()
        const rows = await services.store.clientSessions.list({
          projectId: params.id,
          serverName: query.server,
          activeSince: query.active ? new Date(Date.now() - 30 * 60_000) : undefined,
          limit: query.limit,
        })
        return {
          items: rows
            .filter((r) => !query.active || r.closedAt === null)
            .map((r) => ({
              id: r.id,
              server: r.serverName,
              transport: r.transport,
              clientName: r.clientName,
              clientVersion: r.clientVersion,
              userAgent: r.userAgent,
              ip: r.ip,
              principalId: r.principalId,
              keyId: r.keyId,
              node: r.nodeId,
              requests: r.requestCount,
              failures: r.failureCount,
              startedAt: r.createdAt.toISOString(),
              lastSeenAt: r.lastSeenAt.toISOString(),
              closedAt: r.closedAt ? r.closedAt.toISOString() : null,
            })),
        }
      },
    }),
    route({
      method: 'GET',
      path: '/api/projects/:id/servers/:name/logs',
      tag: TAG,
      summary: "A server's log: gateway events about it (oldest first) then its stderr tail; secrets masked",
      auth: 'user',
      query: z
        .object({
          level: z.enum(LOG_LEVELS).default('debug').describe('this level and above'),
          category: z.enum(['gateway', 'stderr']).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(200),
        })
        .strict(),
      response: z.object({ items: z.array(logEntrySchema) }),
      handler: async ({ params, principal, query, services }) => {
        await requireProject(services.store, principal, params.id, 'project.view')
        const row = await requireServer(services, params.id, params.name)
        const secrets = secretValues(services.keyring, row)
        const min = LOG_LEVELS.indexOf(query.level)
        const stderr: ServerLogEntry[] = (services.relay.status(params.id)[params.name]?.stderr ?? []).map((line) => ({
          at: null,
          level: stderrLevel(line),
          category: 'stderr',
          message: line,
        }))
        const all = [...services.relay.serverLog(params.id, params.name).entries(), ...stderr]
        const items = all
          .filter((e) => LOG_LEVELS.indexOf(e.level) >= min && (!query.category || e.category === query.category))
          .slice(-query.limit)
          .map((e) => ({ ...e, message: redact(e.message, secrets) }))
        return { items }
      },
    }),
    route({
      method: 'GET',
      path: '/api/projects/:id/servers/:name/health',
      tag: TAG,
      summary: "A server's state, last successful request and last error (secrets masked)",
      auth: 'user',
      response: z.object({
        state: z.string(),
        health: healthSchema,
        enabled: z.boolean(),
        lastSuccessAt: z.string().nullable(),
        lastErrorAt: z.string().nullable(),
        lastError: z.string().nullable(),
        restarts: z.number(),
        consecutiveFailures: z.number(),
      }),
      handler: async ({ params, principal, services }) => {
        await requireProject(services.store, principal, params.id, 'project.view')
        const row = await requireServer(services, params.id, params.name)
        const secrets = secretValues(services.keyring, row)
        const log = services.relay.serverLog(params.id, params.name)
        const status = services.relay.status(params.id)[params.name]
        // A failed start, probe or test at save is an error too, and may be newer than the last failed request.
        const ownNewer = (status?.lastErrorAt ?? 0) > (log.lastErrorAt ?? 0)
        const lastError = (ownNewer ? status?.lastError : log.lastError) ?? null
        return {
          state: status?.state ?? 'stopped',
          health: status?.health ?? 'unknown',
          enabled: row.enabled,
          lastSuccessAt: iso(log.lastSuccessAt),
          lastErrorAt: iso(ownNewer ? (status?.lastErrorAt ?? null) : log.lastErrorAt),
          lastError: lastError === null ? null : redact(lastError, secrets),
          restarts: status?.restarts ?? 0,
          consecutiveFailures: status?.consecutiveFailures ?? 0,
        }
      },
    }),
  ]
}
