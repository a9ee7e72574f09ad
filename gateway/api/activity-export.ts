// Export of a project's audit trail or tool-call log as NDJSON or CSV, streamed page by page from storage (newest
// first), so an export of millions of rows never sits in memory. Plus the project's observability settings:
// retention and opt-in argument capture with redaction rules.
import { z } from 'zod'
import { AUDIT_SERVICE } from '../../plugins/audit/index.ts'
import { OBSERVABILITY_SETTING, observabilitySettings, settingsOf } from '../../plugins/audit/project-settings.ts'
import { GatewayError } from '../errors.ts'
import { requireProject } from './access.ts'
import { auditView, checkWindow, toolCallView } from './activity.ts'
import { route, streamReply } from './define.ts'

const TAG = 'activity'
const PAGE = 500
const time = z.iso.datetime({ offset: true }).transform((v) => new Date(v))

const AUDIT_COLUMNS = [
  'id',
  'at',
  'actorType',
  'actorId',
  'action',
  'targetType',
  'targetId',
  'before',
  'after',
  'ip',
  'userAgent',
  'requestId',
  'prevHash',
  'hash',
] as const
const TOOL_COLUMNS = [
  'id',
  'at',
  'server',
  'tool',
  'status',
  'errorCode',
  'errorMessage',
  'durationMs',
  'principalId',
  'keyId',
  'sessionId',
  'clientName',
  'argsSize',
  'requestId',
  'arguments',
] as const

/**
 * One RFC 4180 field. Objects become JSON; text that a spreadsheet would run as a formula (= + - @ and control
 * characters first) gets a leading apostrophe (OWASP CSV injection).
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  let text = typeof value === 'string' ? value : JSON.stringify(value)
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

function flatAudit(v: ReturnType<typeof auditView> & { prevHash: string | null; hash: string | null }) {
  return {
    ...v,
    actorType: v.actor.type,
    actorId: v.actor.id,
    targetType: v.target?.type ?? null,
    targetId: v.target?.id ?? null,
  }
}

export function activityExportRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/projects/:id/activity/export',
      tag: TAG,
      summary: 'Export the audit trail (kind=audit, with hashes) or tool calls (kind=tools) as NDJSON or CSV, streamed',
      auth: 'user',
      produces: ['application/x-ndjson', 'text/csv'],
      query: z
        .object({
          kind: z.enum(['audit', 'tools']).default('audit'),
          format: z.enum(['ndjson', 'csv']).default('ndjson'),
          actor: z.string().max(200).optional(),
          action: z.string().max(200).optional(),
          server: z.string().max(200).optional(),
          tool: z.string().max(200).optional(),
          status: z.enum(['ok', 'error', 'denied', 'timeout', 'cancelled']).optional(),
          since: time.optional(),
          until: time.optional(),
        })
        .strict(),
      handler: async ({ params, principal, query, services, audit }) => {
        await requireProject(services.store, principal, params.id, 'project.view')
        checkWindow(query)
        const store = services.store
        const columns: readonly string[] = query.kind === 'audit' ? AUDIT_COLUMNS : TOOL_COLUMNS
        const page = async (beforeId: number | undefined): Promise<{ id: number; row: Record<string, unknown> }[]> => {
          if (query.kind === 'audit') {
            const rows = await store.audit.list({
              projectId: params.id,
              actorId: query.actor,
              action: query.action,
              ...(query.server ? { targetType: 'server', targetId: query.server } : {}),
              since: query.since,
              until: query.until,
              beforeId,
              limit: PAGE,
            })
            return rows.map((e) => ({
              id: e.id,
              row: flatAudit({ ...auditView(e), prevHash: e.prevHash, hash: e.hash }),
            }))
          }
          const rows = await store.toolCalls.list({
            projectId: params.id,
            principalId: query.actor,
            serverName: query.server,
            toolName: query.tool,
            status: query.status,
            since: query.since,
            until: query.until,
            beforeId,
            limit: PAGE,
          })
          return rows.map((c) => ({ id: c.id, row: toolCallView(c) }))
        }
        audit({
          action: 'activity.export',
          projectId: params.id,
          target: { type: 'activity', id: query.kind },
          after: { format: query.format, filters: { ...query, kind: undefined, format: undefined } },
        })
        const csv = query.format === 'csv'
        const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')
        return streamReply(
          200,
          {
            'content-type': csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
            'content-disposition': `attachment; filename="${params.id}-${query.kind}-${stamp}.${csv ? 'csv' : 'ndjson'}"`,
            'cache-control': 'no-store',
          },
          async (write) => {
            if (csv && !(await write(`${columns.join(',')}\r\n`))) return
            let beforeId: number | undefined
            for (;;) {
              const rows = await page(beforeId)
              if (rows.length === 0) return
              const text = rows
                .map(({ row }) =>
                  csv ? `${columns.map((c) => csvField(row[c])).join(',')}\r\n` : `${JSON.stringify(row)}\n`,
                )
                .join('')
              if (!(await write(text))) return
              if (rows.length < PAGE) return
              beforeId = rows[rows.length - 1].id
            }
          },
        )
      },
    }),
    route({
      method: 'GET',
      path: '/api/projects/:id/settings/observability',
      tag: TAG,
      summary: "The project's retention and tool-argument capture settings",
      auth: 'user',
      response: observabilitySettings,
      handler: async ({ params, principal, services }) => {
        const { project } = await requireProject(services.store, principal, params.id, 'project.view')
        return settingsOf(project.settings)
      },
    }),
    route({
      method: 'PUT',
      path: '/api/projects/:id/settings/observability',
      tag: TAG,
      summary: 'Set retention (days) and opt-in capture of tool arguments with redaction rules (owners)',
      auth: 'user',
      body: observabilitySettings,
      response: observabilitySettings,
      handler: async ({ body, params, principal, services, audit }) => {
        await requireProject(services.store, principal, params.id, 'project.settings')
        const before = await services.store.transaction(async (tx) => {
          await tx.projects.lock(params.id)
          const p = await tx.projects.get(params.id)
          if (!p) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'project not found')
          await tx.projects.update(params.id, { settings: { ...p.settings, [OBSERVABILITY_SETTING]: body } })
          return settingsOf(p.settings)
        })
        await services.plugins.service(AUDIT_SERVICE)?.refreshProject(params.id)
        audit({
          action: 'project.observability.update',
          projectId: params.id,
          target: { type: 'project', id: params.id },
          before,
          after: body,
        })
        return body
      },
    }),
  ]
}
