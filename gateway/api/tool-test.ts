// The server detail view's "test" runner: one `tools/call` sent through the relay as the signed-in caller, so it
// meets the same tool toggles, policies, rate limits and tool-call log as a call from an MCP client. A browser cannot
// call the MCP endpoint itself without holding a project key, which the admin UI never has.
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { GatewayError } from '../errors.ts'
import type { RpcId, RpcMessage } from '../mcp/json-rpc.ts'
import { type ClientSink, Session } from '../mcp/session.ts'
import { LATEST_VERSION } from '../mcp/versions.ts'
import { requireProject } from './access.ts'
import { route } from './define.ts'
import { requireServer } from './server-model.ts'

/** What the tool-call log shows as the client of these calls. */
export const TEST_CLIENT_NAME = 'mcpo admin test runner'

const callBody = z
  .object({ arguments: z.record(z.string(), z.unknown()).default({}) })
  .strict()
  .describe('the tool arguments, as a tools/call would send them')

const callReply = z.object({
  ok: z.boolean().describe('false for a JSON-RPC error or a result with isError'),
  durationMs: z.number(),
  result: z.unknown().optional().describe('the CallToolResult, unchanged (content, structuredContent, isError)'),
  error: z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() }).optional(),
})

export function toolTestRoutes() {
  return [
    route({
      method: 'POST',
      path: '/api/projects/:id/servers/:name/tools/:tool/call',
      tag: 'tools',
      summary: 'Call one tool as the signed-in user (the server view’s test runner); policies and the tool log apply',
      auth: 'user',
      body: callBody,
      response: callReply,
      handler: async ({ body, ex, params, principal, services }) => {
        await requireProject(services.store, principal, params.id, 'tools.call')
        const row = await requireServer(services, params.id, params.name)
        const rt = services.relay.runtime(params.id, row.name)
        if (!row.enabled || !rt?.spec.enabled) {
          throw new GatewayError('MCPO_ERR_CONFLICT', `server "${row.name}" is disabled: enable it to call its tools`)
        }
        // A one-request session, like liveTools(): the relay routes replies by session, and closing it frees them.
        const session = new Session({
          id: `api-test-${randomUUID()}`,
          projectId: params.id,
          serverName: row.name,
          principalId: principal!.id,
          principalKind: principal!.kind,
          transport: 'streamable',
          protocolVersion: LATEST_VERSION,
          now: Date.now(),
        })
        session.initialized = true
        session.clientInfo = { name: TEST_CLIENT_NAME }
        const msg = {
          jsonrpc: '2.0' as const,
          id: 1 as RpcId,
          method: 'tools/call',
          params: { name: params.tool, arguments: body.arguments },
        }
        const started = performance.now()
        try {
          const json = await new Promise<string>((resolve) => {
            const sink: ClientSink = {
              // Progress and server→client requests have no one to go to here; only the answer counts.
              send: () => {},
              respond: resolve,
              get closed() {
                return session.closed
              },
            }
            void services.relay.request(session, msg, JSON.stringify(msg), sink, ex)
          })
          const durationMs = Math.round(performance.now() - started)
          const answer = JSON.parse(json) as RpcMessage
          if (answer.error) return { ok: false, durationMs, error: answer.error }
          const isError = (answer.result as { isError?: unknown } | undefined)?.isError === true
          return { ok: !isError, durationMs, result: answer.result }
        } finally {
          session.close('test call done')
        }
      },
    }),
  ]
}
