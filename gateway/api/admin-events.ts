// /api/admin/events: the audit events that belong to no project (refused sign-ins, invalid MCP keys, refused CSRF,
// 403s, user administration, config applied at boot), newest first, for administrators only.
import { z } from 'zod'
import { auditView, checkWindow, keysetFields, nextCursorOf } from './activity.ts'
import { route } from './define.ts'

const eventsQuery = z
  .object({
    /** `security.` lists every refusal; an exact action such as `security.sign_in_failed` narrows it. */
    action: z
      .string()
      .max(200)
      .regex(/^[a-z0-9_.-]+$/, 'lower-case letters, digits, _ - and .')
      .optional(),
    ...keysetFields,
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
        checkWindow(query)
        const rows = await services.store.audit.list({
          withoutProject: true,
          actionPrefix: query.action,
          since: query.since,
          until: query.until,
          beforeId: query.cursor ? Number(query.cursor) : undefined,
          limit: query.limit,
        })
        const items = rows.map(auditView)
        return { items, nextCursor: nextCursorOf(items, query.limit) }
      },
    }),
  ]
}
