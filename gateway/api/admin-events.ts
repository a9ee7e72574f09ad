// /api/admin/events: the audit events that belong to no project (refused sign-ins, invalid MCP keys, refused CSRF,
// 403s, user administration, config applied at boot), newest first, for administrators only.
import { z } from 'zod'
import { GatewayError } from '../errors.ts'
import { auditView } from './activity.ts'
import { route } from './define.ts'

const time = z.iso.datetime({ offset: true }).transform((v) => new Date(v))

const eventsQuery = z
  .object({
    /** `security.` lists every refusal; an exact action such as `security.sign_in_failed` narrows it. */
    action: z
      .string()
      .max(200)
      .regex(/^[a-z0-9_.]+$/, 'lower-case letters, digits, _ and .')
      .optional(),
    since: time.optional(),
    until: time.optional(),
    cursor: z
      .string()
      .regex(/^[1-9][0-9]{0,17}$/, 'must be the nextCursor of a previous page')
      .optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(50),
  })
  .strict()

export function adminEventRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/admin/events',
      tag: 'admin',
      summary:
        'Audit events of no project, newest first: refused sign-ins, invalid MCP keys, refused CSRF and 403s (administrators)',
      auth: 'admin',
      query: eventsQuery,
      handler: async ({ query, services }) => {
        if (query.since && query.until && query.since >= query.until) {
          throw new GatewayError('MCPO_ERR_VALIDATION', 'since: must be before until', {
            details: { fields: [{ field: 'since', message: 'must be before until' }] },
          })
        }
        const rows = await services.store.audit.list({
          withoutProject: true,
          actionPrefix: query.action,
          since: query.since,
          until: query.until,
          beforeId: query.cursor ? Number(query.cursor) : undefined,
          limit: query.limit,
        })
        const items = rows.map(auditView)
        const nextCursor = items.length === query.limit ? String(items[items.length - 1].id) : null
        return { items, nextCursor }
      },
    }),
  ]
}
