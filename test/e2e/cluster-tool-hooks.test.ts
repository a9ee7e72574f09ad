// onToolCall on cluster-forwarded requests: two gateway processes on one PostgreSQL behind a round-robin balancer,
// each with a policy plugin that refuses one message. Legacy SSE posts land on either node and reach the session's
// owner through the cluster forwarder; every refused call still reaches the SDK client as a JSON-RPC error, and the
// owner's log names the plugin. Each run has its own schema, dropped afterwards; every process is killed at the end.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpError } from '@modelcontextprotocol/sdk/types.js'
import postgres from 'postgres'
import { listDescendants } from '../fixtures/processes.ts'
import { fixtureServer, TEST_KEY } from '../harness.ts'
import { type RoundRobinProxy, startProxy } from './round-robin-proxy.ts'
import { ensureStopped, type GatewayProcess, prepareDir, spawnGateway } from './spawn.ts'

const url = process.env.MCPO_TEST_DATABASE_URL || 'postgres://127.0.0.1:5432/test'
const admin = postgres(url, { max: 2, connect_timeout: 3, onnotice: () => {} })
const schema = `mcpo_hooks_${randomBytes(5).toString('hex')}`
const root = join(import.meta.dirname, '../..')
const FORBIDDEN = 'launch the rockets'

const down = await admin`SELECT 1`.then(
  () => null,
  (err: Error) => err.message,
)

const nodes: (GatewayProcess & { id: string })[] = []
const dirs: string[] = []
let proxy: RoundRobinProxy | undefined

async function startNode(id: string) {
  const dir =
    await prepareDir(`import { metrics, postgresStorage, sessions, toolPolicies } from ${JSON.stringify(join(root, 'config/index.ts'))}
export default defineConfig({
  listen: { host: '127.0.0.1' },
  logLevel: 'info',
  storage: postgresStorage({ url: ${JSON.stringify(url)}, schema: ${JSON.stringify(schema)} }),
  plugins: [sessions(), apiKeys(), toolPolicies(), metrics(), {
    name: 'test:message-guard',
    onToolCall: (_ex, call) => (call.arguments?.message === ${JSON.stringify(FORBIDDEN)} ? { deny: 'not on this cluster' } : undefined),
  }],
  cluster: { nodeId: ${JSON.stringify(id)}, heartbeatMs: 200, deadAfterMs: 2000, connectTimeoutMs: 500 },
  limits: { shutdownGraceMs: 500 },
  projects: [{
    id: 'demo', name: 'Demo',
    servers: [${JSON.stringify(fixtureServer('shared'))}],
    apiKeys: [{ name: 'test', key: ${JSON.stringify(TEST_KEY)} }],
  }],
})`)
  dirs.push(dir)
  const p = spawnGateway(dir, { MCPO_SECRET_KEY: 'c'.repeat(64) })
  const node = Object.assign(p, { id })
  nodes.push(node)
  await p.ready
  return node
}

async function forwardedRequests(): Promise<number> {
  let forwarded = 0
  for (const n of nodes) {
    const text = await (await fetch(`${n.url}/metrics`)).text()
    forwarded += Number(/^mcpo_cluster_forwarded_requests_total\{outcome="forwarded"\} (\d+)$/m.exec(text)?.[1] ?? 0)
  }
  return forwarded
}

if (down && process.env.CI === 'true') {
  it('PostgreSQL is reachable for the cluster hook test', () =>
    assert.fail(`PostgreSQL at ${url} is unreachable: ${down}`))
} else if (down) {
  it('onToolCall on forwarded requests', { skip: `PostgreSQL is unreachable (${down})` }, () => {})
} else {
  describe('onToolCall on requests forwarded between nodes', () => {
    before(async () => {
      await startNode('h1')
      await startNode('h2')
      proxy = await startProxy(nodes.map((n) => n.url))
    })

    after(async () => {
      for (const pid of nodes.flatMap((n) => (n.child.pid ? listDescendants(n.child.pid) : []))) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {}
      }
      await Promise.all(nodes.map((n) => ensureStopped(n)))
      await proxy?.close()
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
      await admin`DROP SCHEMA IF EXISTS ${admin(schema)} CASCADE`.catch(() => {})
      await admin.end({ timeout: 5 })
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
