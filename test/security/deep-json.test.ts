// Every tools/call that reaches an upstream is recorded (issue 16 point 7): arguments nested 5,000 levels deep used to
// run and be answered while serialising them in the observer threw, so no tool_calls row or metric was written. Now
// such a message is refused with a JSON-RPC error before it runs, on both transports, and calls within the limit are
// recorded as before.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../gateway/mcp/body.ts'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { audit } from '../../plugins/audit/index.ts'
import { metrics } from '../../plugins/metrics/index.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { fixtureServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { bearer, LegacyClient, StreamableClient } from '../kit/mcp-wire.ts'

let gw: TestGateway
before(async () => {
  gw = await startTestGateway({
    plugins: [sessions(), apiKeys(), toolPolicies(), audit({ batchMs: 50 }), metrics()],
    projects: [{ id: 'demo', name: 'Demo', servers: [fixtureServer()], apiKeys: [{ name: 'k', key: TEST_KEY }] }],
  })
})
after(() => gw?.close())

/** A value nested `levels` deep, alternating objects and arrays. */
function nested(levels: number): unknown {
  let v: unknown = 'leaf'
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { n: v }
  return v
}

/**
 * A tools/call of echo whose arguments nest 5,000 levels, written out by hand: JSON.stringify itself overflows the
 * stack on it, which is exactly what the gateway's observer did.
 */
function deepCall(id: number): string {
  const extra = `${'['.repeat(5000)}1${']'.repeat(5000)}`
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"message":"deep","extra":${extra}}}}`
}

/** The echo calls recorded so far, waiting for the audit plugin's batch when there are none yet. */
async function echoRows(ms = 3000) {
  const until = Date.now() + ms
  for (;;) {
    const rows = await gw.gateway.store.toolCalls.list({ projectId: 'demo', toolName: 'echo' })
    if (rows.length > 0 || Date.now() > until) return rows
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('nesting depth', () => {
  it('finds the depth in one pass, ignoring brackets inside strings', () => {
    assert.equal(nestsDeeperThan(JSON.stringify(nested(MAX_JSON_DEPTH)), MAX_JSON_DEPTH), false)
    assert.equal(nestsDeeperThan(JSON.stringify(nested(MAX_JSON_DEPTH + 1)), MAX_JSON_DEPTH), true)
    assert.equal(nestsDeeperThan(JSON.stringify({ s: '['.repeat(10_000) }), MAX_JSON_DEPTH), false)
    assert.equal(nestsDeeperThan(JSON.stringify({ s: '\\"['.repeat(10_000) }), MAX_JSON_DEPTH), false)
  })

  it('refuses a call nested 5,000 levels on Streamable HTTP before it runs, and records the calls it runs', async () => {
    const client = new StreamableClient(`${gw.url}/projects/demo/servers/fixture/mcp`, bearer(TEST_KEY))
    assert.equal((await client.initialize()).status, 200)
    const res = await client.post(deepCall(7))
    const deep = JSON.parse(res.text)
    assert.equal(res.status, 400)
    assert.equal(deep.error.code, -32600)
    assert.match(deep.error.message, /deeper than 128 levels/)
    const ok = await client.call(8, 'echo', { message: 'shallow', extra: nested(100) })
    assert.ok(ok.final?.result, ok.reply.text)
    const rows = await echoRows()
    assert.equal(rows.length, 1, 'the call within the limit is recorded, the refused one never ran')
    assert.equal(rows[0].status, 'ok')
    assert.ok(rows[0].argsSize > 100)
    await client.close()
  })

  it('refuses the same message on a legacy SSE session with a JSON-RPC error', async () => {
    const s = await LegacyClient.open(`${gw.url}/projects/demo/servers/fixture/sse`, bearer(TEST_KEY))
    try {
      const post = await s.post(deepCall(1))
      assert.equal(post.status, 400)
      assert.equal((await post.json()).error.code, -32600)
    } finally {
      s.close()
    }
  })
})
