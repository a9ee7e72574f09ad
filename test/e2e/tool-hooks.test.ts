// The tool-call hooks of the plugin contract on every path a call can take: a real plugin's `onToolCall` sees each
// call before it goes upstream and may refuse it, and SDK clients see the refusal as a JSON-RPC error on the
// per-server and unified endpoints over Streamable HTTP and legacy SSE; the admin UI's tool tester meets the same
// hook. `onToolResult` receives every outcome, the gateway log names the refusing plugin, and the tool-call record
// says `denied`.
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpError } from '@modelcontextprotocol/sdk/types.js'
import { createLogger } from '../../gateway/logger.ts'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { audit } from '../../plugins/audit/index.ts'
import type { McpoPlugin, ToolCall, ToolCallRecord } from '../../plugins/contract.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { assertNoLeftovers, everythingServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'

const FORBIDDEN = 'launch the rockets'
const lines: string[] = []
const logSink = new Writable({
  write(chunk, _enc, cb) {
    lines.push(...String(chunk).split('\n').filter(Boolean))
    cb()
  },
})

/** A policy plugin as a deployment would write one: it refuses echo calls that carry a forbidden message. */
function messageGuard() {
  const seen: ToolCall[] = []
  const results: ToolCallRecord[] = []
  const plugin: McpoPlugin = {
    name: 'test:message-guard',
    onToolCall: (_ex, call) => {
      seen.push(call)
      const message = (call.arguments as { message?: unknown } | undefined)?.message
      return message === FORBIDDEN ? { deny: 'that message is not allowed here' } : undefined
    },
    onToolResult: (record) => {
      results.push(record)
    },
  }
  return { plugin, seen, results }
}

const guard = messageGuard()
const trail = audit({ batchMs: 50 })
let gw: TestGateway

before(async () => {
  gw = await startTestGateway(
    {
      plugins: [sessions(), apiKeys(), toolPolicies(), guard.plugin, trail],
      projects: [
        { id: 'demo', name: 'Demo', servers: [everythingServer()], apiKeys: [{ name: 'test', key: TEST_KEY }] },
      ],
    },
    { logger: createLogger('info', logSink) },
  )
})
after(async () => {
  await gw?.close()
  await assertNoLeftovers()
})

type Kind = 'streamable' | 'sse'
async function connect(kind: Kind, path: string): Promise<Client> {
  const client = new Client({ name: `hooks-${kind}`, version: '1.0.0' })
  const url = new URL(`${gw.url}${path}/${kind === 'sse' ? 'sse' : 'mcp'}`)
  const headers = { Authorization: `Bearer ${TEST_KEY}` }
  await client.connect(
    kind === 'sse'
      ? new SSEClientTransport(url, {
          requestInit: { headers },
          eventSourceInit: {
            fetch: (u, init) => fetch(u, { ...init, headers: { ...(init?.headers ?? {}), ...headers } }),
          },
        })
      : new StreamableHTTPClientTransport(url, { requestInit: { headers } }),
  )
  return client
}

const paths = [
  { name: 'per-server', path: '/projects/demo/servers/everything', tool: 'echo' },
  { name: 'unified', path: '/projects/demo', tool: 'everything__echo' },
]

describe('onToolCall and onToolResult', () => {
  for (const { name, path, tool } of paths) {
    for (const kind of ['streamable', 'sse'] as const) {
      it(`${name} endpoint over ${kind}: the hook sees the call and its refusal reaches the client`, async () => {
        const client = await connect(kind, path)
        try {
          const before = guard.seen.length
          const ok = await client.callTool({ name: tool, arguments: { message: `hello ${kind}` } })
          assert.deepEqual(ok.content, [{ type: 'text', text: `Echo: hello ${kind}` }])
          const err = await client.callTool({ name: tool, arguments: { message: FORBIDDEN } }).then(
            () => null,
            (e: unknown) => e,
          )
          assert.ok(err instanceof McpError, `expected a JSON-RPC error, got ${String(err)}`)
          assert.equal(err.code, -32014)
          assert.match(err.message, /Tool echo was refused: that message is not allowed here/)
          const calls = guard.seen.slice(before)
          assert.deepEqual(
            calls.map((c) => [c.projectId, c.serverName, c.toolName, (c.arguments as { message: string }).message]),
            [
              ['demo', 'everything', 'echo', `hello ${kind}`],
              ['demo', 'everything', 'echo', FORBIDDEN],
            ],
          )
          assert.equal(calls[1].principal?.kind, 'api-key')
        } finally {
          await client.close()
        }
      })
    }
  }

  it('hands every outcome to onToolResult and records refusals as denied', async () => {
    const refused = guard.results.filter((r) => r.status === 'denied')
    assert.equal(refused.length, 4)
    for (const r of refused) {
      assert.equal(r.toolName, 'echo')
      assert.equal(r.errorCode, '-32014')
      assert.match(r.errorMessage ?? '', /not allowed here/)
    }
    assert.equal(guard.results.filter((r) => r.status === 'ok').length, 4)
    await trail.flush()
    const rows = await gw.gateway.store.toolCalls.list({ projectId: 'demo', status: 'denied' })
    assert.equal(rows.length, 4)
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'tool call refused by a plugin')
    assert.equal(logged.length, 4)
    assert.equal(logged[0].plugin, 'test:message-guard')
    assert.equal(logged[0].tool, 'echo')
  })

  it('applies to the admin UI tool tester', async () => {
    const setup = await fetch(`${gw.url}/api/auth/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        token: gw.gateway.setupToken,
        email: 'admin@example.com',
        name: 'Admin',
        password: 'correct horse battery staple',
      }),
    })
    assert.equal(setup.status, 200)
    const { token } = (await setup.json()) as { token: string }
    const test = async (message: string) => {
      const res = await fetch(`${gw.url}/api/projects/demo/servers/everything/tools/echo/call`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ arguments: { message } }),
      })
      assert.equal(res.status, 200)
      return (await res.json()) as { ok: boolean; error?: { code: number; message: string } }
    }
    const before = guard.seen.length
    assert.equal((await test('from the tester')).ok, true)
    const refused = await test(FORBIDDEN)
    assert.equal(refused.ok, false)
    assert.equal(refused.error?.code, -32014)
    assert.equal(guard.seen.length, before + 2)
    assert.equal(guard.results.at(-1)?.status, 'denied')
    assert.equal(guard.results.at(-1)?.clientName, 'mcpo admin test runner')
  })
})
