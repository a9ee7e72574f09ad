// A project's activity: the audit trail and the tool-call log, newest first with keyset (cursor) paging, and
// tool-call metrics (success rate, average, p50, p95, calls per minute) over a time window.
import { z } from 'zod'
import type { AuditEvent, ToolCall } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import { requireProject } from './access.ts'
import { route } from './define.ts'

const TAG = 'activity'
const STATUSES = ['ok', 'error', 'denied', 'timeout', 'cancelled'] as const
const time = z.iso.datetime({ offset: true }).transform((v) => new Date(v))

/** A time window and keyset paging, newest first: the query fields of every log list. */
export const keysetFields = {
  since: time.optional(),
  until: time.optional(),
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,17}$/, 'must be the nextCursor of a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
}

/** Refuses an empty window, which is always a mistake in the query. */
export function checkWindow(query: { since?: Date; until?: Date }): void {
  if (query.since && query.until && query.since >= query.until) {
    throw new GatewayError('MCPO_ERR_VALIDATION', 'since: must be before until', {
      details: { fields: [{ field: 'since', message: 'must be before until' }] },
    })
  }
}

/** The cursor of the page after `items`, or null when this page was the last. */
export function nextCursorOf(items: readonly { id: number }[], limit: number): string | null {
  return items.length === limit ? String(items[items.length - 1].id) : null
}

const activityQuery = z
  .object({
    kind: z.enum(['audit', 'tools']).default('audit'),
    actor: z.string().max(200).optional(),
    action: z.string().max(200).optional(),
    server: z.string().max(200).optional(),
    tool: z.string().max(200).optional(),
    status: z.enum(STATUSES).optional(),
    session: z.string().max(200).optional(),
    keyId: z.guid().optional(),
    text: z.string().max(200).optional(),
    minDurationMs: z.coerce.number().int().min(0).optional(),
    ...keysetFields,
  })
  .strict()

export function auditView(e: AuditEvent) {
  return {
    id: e.id,
    at: e.createdAt.toISOString(),
    actor: { type: e.actorType, id: e.actorId },
    action: e.action,
    target: e.targetType ? { type: e.targetType, id: e.targetId } : null,
    before: e.before ?? null,
    after: e.after ?? null,
    ip: e.ip,
    userAgent: e.userAgent,
    requestId: e.requestId,
  }
}

export function toolCallView(c: ToolCall) {
  return {
    id: c.id,
    at: c.createdAt.toISOString(),
    server: c.serverName,
    tool: c.toolName,
    status: c.status,
    errorCode: c.errorCode,
    errorMessage: c.errorMessage,
    durationMs: c.durationMs,
    principalId: c.principalId,
    keyId: c.keyId,
    sessionId: c.sessionId,
    clientName: c.clientName,
    argsSize: c.argsSize,
    requestId: c.requestId ?? null,
    /** Only for projects that capture arguments (redacted); null otherwise. */
    arguments: c.arguments ?? null,
  }
}

export function activityRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/projects/:id/activity',
      tag: TAG,
      summary: 'Audit trail (kind=audit) or tool calls (kind=tools), newest first; pass nextCursor to page',
      auth: 'user',
      query: activityQuery,
      handler: async ({ params, principal, query, services }) => {
        await requireProject(services.store, principal, params.id, 'project.view')
        checkWindow(query)
        const beforeId = query.cursor ? Number(query.cursor) : undefined
        let items: { id: number }[]
        if (query.kind === 'audit') {
          const rows = await services.store.audit.list({
            projectId: params.id,
            actorId: query.actor,
            action: query.action,
            ...(query.server ? { targetType: 'server', targetId: query.server } : {}),
            since: query.since,
            until: query.until,
            beforeId,
            limit: query.limit,
          })
          items = rows.map(auditView)
        } else {
          const rows = await services.store.toolCalls.list({
            projectId: params.id,
            principalId: query.actor,
            serverName: query.server,
            toolName: query.tool,
            status: query.status,
            sessionId: query.session,
            keyId: query.keyId,
            text: query.text,
            minDurationMs: query.minDurationMs,
            since: query.since,
            until: query.until,
            beforeId,
            limit: query.limit,
          })
          items = rows.map(toolCallView)
        }
        return { kind: query.kind, items, nextCursor: nextCursorOf(items, query.limit) }
      },
    }),
    route({
      method: 'GET',
      path: '/api/projects/:id/tool-calls/stats',
      tag: TAG,
      summary: 'Tool-call metrics over a window (default: the last hour)',
      auth: 'user',
      query: z
        .object({
          server: z.string().max(200).optional(),
          tool: z.string().max(200).optional(),
          since: time.optional(),
          until: time.optional(),
        })
        .strict(),
      response: z.object({
        since: z.string(),
        until: z.string(),
        total: z.number(),
        ok: z.number(),
        errors: z.number(),
        successRate: z.number().nullable(),
        avgMs: z.number().nullable(),
        p50Ms: z.number().nullable(),
        p95Ms: z.number().nullable(),
        callsPerMinute: z.number(),
      }),
      handler: async ({ params, principal, query, services }) => {
        await requireProject(services.store, principal, params.id, 'project.view')
        const until = query.until ?? new Date()
        const since = query.since ?? new Date(until.getTime() - 3_600_000)
        checkWindow({ since, until })
        const s = await services.store.toolCalls.stats({
          projectId: params.id,
          serverName: query.server,
          toolName: query.tool,
          since,
          until,
        })
        const minutes = (until.getTime() - since.getTime()) / 60_000
        return {
          since: since.toISOString(),
          until: until.toISOString(),
          total: s.total,
          ok: s.ok,
          errors: s.errors,
          successRate: s.total ? s.ok / s.total : null,
          avgMs: s.avgMs,
          p50Ms: s.p50Ms,
          p95Ms: s.p95Ms,
          callsPerMinute: Math.round((s.total / minutes) * 1000) / 1000,
        }
      },
    }),
  ]
}
