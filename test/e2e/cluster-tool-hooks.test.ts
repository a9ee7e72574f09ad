// onToolCall on cluster-forwarded requests: two gateway processes on one PostgreSQL behind a round-robin balancer,
// each with a policy plugin that refuses one message. Legacy SSE posts land on either node and reach the session's
// owner through the cluster forwarder; every refused call still reaches the SDK client as a JSON-RPC error, and the
// owner's log names the plugin. Each run has its own schema, dropped afterwards; every process is killed at the end.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpError } from '@modelcontextprotocol/sdk/types.js'
import { TEST_KEY } from '../harness.ts'
import { GatewayCluster } from '../kit/gateway-cluster.ts'
import { requirePostgres, TEST_DATABASE_URL } from '../kit/postgres.ts'
import { type RoundRobinProxy, startProxy } from './round-robin-proxy.ts'

const pg = await requirePostgres('onToolCall on requests forwarded between nodes')
const FORBIDDEN = 'launch the rockets'
const cluster = new GatewayCluster({
  url: TEST_DATABASE_URL,
  schema: pg?.schema('mcpo_hooks') ?? '',
  plugins: `[sessions(), apiKeys(), toolPolicies(), metrics(), {
    name: 'test:message-guard',
    onToolCall: (_ex, call) => (call.arguments?.message === ${JSON.stringify(FORBIDDEN)} ? { deny: 'not on this cluster' } : undefined),
  }]`,
})
const nodes = cluster.nodes
let proxy: RoundRobinProxy | undefined

async function forwardedRequests(): Promise<number> {
  let forwarded = 0
  for (const n of nodes) {
    const text = await (await fetch(`${n.url}/metrics`)).text()
    forwarded += Number(/^mcpo_cluster_forwarded_requests_total\{outcome="forwarded"\} (\d+)$/m.exec(text)?.[1] ?? 0)
  }
  return forwarded
}

if (pg) {
  describe('onToolCall on requests forwarded between nodes', () => {
    before(async () => {
      await cluster.start('h1')
      await cluster.start('h2')
      proxy = await startProxy(nodes.map((n) => n.url))
    })

    after(async () => {
      await cluster.stop()
      await proxy?.close()
    })

    for (const kind of ['sse', 'streamable'] as const) {
      it(`refuses on the session's owner whichever node a ${kind} request lands on`, async () => {
        const headers = { Authorization: `Bearer ${TEST_KEY}` }
        const target = new URL(`${proxy!.url}/projects/demo/servers/shared/${kind === 'sse' ? 'sse' : 'mcp'}`)
        const client = new Client({ name: `hooks-cluster-${kind}`, version: '1.0.0' })
        await client.connect(
          kind === 'sse'
            ? new SSEClientTransport(target, { requestInit: { headers } })
            : new StreamableHTTPClientTransport(target, { requestInit: { headers } }),
        )
        const forwardedBefore = await forwardedRequests()
        try {
          // Consecutive requests alternate between the nodes, so half of them are forwarded to the owner.
          for (let i = 0; i < 4; i++) {
            const ok = (await client.callTool({ name: 'echo', arguments: { message: `call ${i}` } })) as {
              content: { text: string }[]
            }
            assert.equal(ok.content[0].text, `Echo: call ${i}`)
            const err = await client.callTool({ name: 'echo', arguments: { message: FORBIDDEN } }).then(
              () => null,
              (e: unknown) => e,
            )
            assert.ok(err instanceof McpError, `call ${i}: expected a JSON-RPC error, got ${String(err)}`)
            assert.equal(err.code, -32014)
            assert.match(err.message, /was refused: not on this cluster/)
          }
        } finally {
          await client.close()
        }
        assert.ok((await forwardedRequests()) > forwardedBefore, 'requests were forwarded between the nodes')
        const refusals = nodes
          .flatMap((n) => n.stdout().split('\n'))
          .filter(
            (l) => l.includes('"msg":"tool call refused by a plugin"') && l.includes(`"plugin":"test:message-guard"`),
          )
        assert.ok(refusals.length >= 4, `refusals logged: ${refusals.length}`)
      })
    }
  })
}
