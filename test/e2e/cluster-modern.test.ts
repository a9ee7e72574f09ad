// 2026-07-28 clients on a cluster (issue 19, point 8): three gateway processes on one PostgreSQL behind a round-robin
// balancer with no sticky sessions. Stateless modern requests succeed on every node; a multi round-trip request whose
// retry lands on another node than the first request is routed by its requestState to the node holding the parked
// upstream call; `subscriptions/listen` through the balancer is acknowledged first and hears a tools list change caused
// through another node. Each run has its own schema, dropped afterwards; every process is killed at the end.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { listDescendants } from '../fixtures/processes.ts'
import { assertNoLeftovers, fixtureServer, TEST_KEY } from '../harness.ts'
import { type ReferenceServer, startReferenceServer } from '../kit/conformance/reference-server.ts'
import type { ClusterNode } from '../kit/gateway-cluster.ts'
import { ACCEPT_BOTH, type Json, messagesOf, type RpcMsg, SseStream, textOf } from '../kit/mcp-wire.ts'
import { requirePostgres, TEST_DATABASE_URL } from '../kit/postgres.ts'
import { type RoundRobinProxy, startProxy } from './round-robin-proxy.ts'
import { ensureStopped, prepareDir, spawnGateway } from './spawn.ts'

const ROOT = join(import.meta.dirname, '../..')
const V = '2026-07-28'
const SHARED = '/projects/demo/servers/shared/mcp'
const REFERENCE = '/projects/demo/servers/reference/mcp'

const nodes: ClusterNode[] = []
const dirs: string[] = []
let reference: ReferenceServer | undefined
let proxy: RoundRobinProxy | undefined

// Registered before requirePostgres's own `after` (which drops the schema): hooks run in registration order, so the
// nodes are gone before their schema is.
after(async () => {
  await proxy?.close()
  for (const pid of nodes.flatMap((n) => (n.child.pid ? listDescendants(n.child.pid) : []))) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  await Promise.all(nodes.map((n) => ensureStopped(n)))
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  reference?.stop()
})

const pg = await requirePostgres('2026-07-28 clients on three nodes on one PostgreSQL behind a round-robin balancer')
const schema = pg?.schema('mcpo_cluster_modern') ?? ''

/**
 * Node `id` of the cluster, as test/kit/gateway-cluster.ts starts them (fast heartbeats, a shared secret), with the
 * stdio fixture server `shared` and the conformance reference server as the remote Streamable HTTP server `reference`,
 * spoken to in the 2025 era: the MRTR cases here are about a 2025-era upstream asking a modern client.
 */
async function startNode(id: string): Promise<ClusterNode> {
  const dir =
    await prepareDir(`import { metrics, postgresStorage, sessions, toolPolicies } from ${JSON.stringify(join(ROOT, 'config/index.ts'))}
export default defineConfig({
  listen: { host: '127.0.0.1' },
  logLevel: 'info',
  storage: postgresStorage({ url: ${JSON.stringify(TEST_DATABASE_URL)}, schema: ${JSON.stringify(schema)} }),
  plugins: [sessions(), apiKeys(), toolPolicies(), metrics()],
  cluster: { nodeId: ${JSON.stringify(id)}, heartbeatMs: 200, deadAfterMs: 2000, connectTimeoutMs: 500 },
  upstreams: { restartInitialMs: 100, restartMaxMs: 500, maxConsecutiveFailures: 20 },
  limits: { shutdownGraceMs: 500 },
  projects: [{
    id: 'demo', name: 'Demo',
    servers: [
      ${JSON.stringify(fixtureServer('shared'))},
      ${JSON.stringify({ name: 'reference', transport: 'streamable-http', url: reference?.url, protocol: 'legacy' })},
    ],
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

function envelope(caps: Json = {}): Json {
  return {
    'io.modelcontextprotocol/protocolVersion': V,
    'io.modelcontextprotocol/clientCapabilities': caps,
    'io.modelcontextprotocol/clientInfo': { name: 'cluster-modern', version: '1' },
  }
}

function modernRequest(
  base: string,
  path: string,
  method: string,
  params: Json,
  id: string | number,
  caps: Json = {},
  signal?: AbortSignal,
): Promise<Response> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${TEST_KEY}`,
    'content-type': 'application/json',
    accept: ACCEPT_BOTH,
    'mcp-protocol-version': V,
    'mcp-method': method,
  }
  if (method === 'tools/call') headers['mcp-name'] = String(params.name)
  return fetch(base + path, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: envelope(caps) } }),
    signal,
  })
}

/** A modern request's answer: its status, raw text and the response to its id. */
async function modern(
  base: string,
  path: string,
  method: string,
  params: Json,
  id: string | number,
  caps: Json = {},
): Promise<{ status: number; text: string; final: RpcMsg | undefined }> {
  const res = await modernRequest(base, path, method, params, id, caps)
  const text = await res.text()
  const final = messagesOf(res.headers.get('content-type') ?? '', text).find(
    (m) => m.method === undefined && m.id === id,
  )
  assert.equal(res.headers.get('mcp-session-id'), null, 'a modern answer carries no session')
  return { status: res.status, text, final }
}

/** How many client requests `node` forwarded to the nodes owning them, from its metrics. */
async function forwarded(node: ClusterNode): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text()
  const m = /^mcpo_cluster_forwarded_requests_total\{outcome="forwarded"\} (\d+)$/m.exec(text)
  assert.ok(m, `${node.id} exposes its forwarded requests`)
  return Number(m[1])
}

if (pg) {
  describe('2026-07-28 clients on three nodes on one PostgreSQL behind a round-robin balancer', {
    timeout: 120_000,
  }, () => {
    before(async () => {
      reference = await startReferenceServer()
      // The first node migrates and applies the config; the others join it together.
      await startNode('n1')
      await Promise.all([startNode('n2'), startNode('n3')])
      proxy = await startProxy(nodes.map((n) => n.url))
    })

    it('stateless tools/list and tools/call succeed on every node with no session', async () => {
      const before = new Map(proxy!.served)
      for (let i = 0; i < 9; i++) {
        if (i % 2 === 0) {
          const list = await modern(proxy!.url, SHARED, 'tools/list', {}, `list-${i}`)
          assert.equal(list.status, 200, list.text)
          const tools = (list.final?.result?.tools ?? []) as { name: string }[]
          assert.ok(
            tools.some((t) => t.name === 'echo'),
            list.text,
          )
        } else {
          const message = `m${i}-${randomBytes(4).toString('hex')}`
          const call = await modern(proxy!.url, SHARED, 'tools/call', { name: 'echo', arguments: { message } }, i)
          assert.equal(call.status, 200, call.text)
          assert.equal(call.final?.result?.resultType, 'complete', call.text)
          assert.equal(textOf(call.final), `Echo: ${message}`)
        }
      }
      // Round robin over three backends: each node answered three of the nine requests.
      for (const n of nodes) {
        const served = (proxy!.served.get(n.url) ?? 0) - (before.get(n.url) ?? 0)
        assert.ok(served >= 2, `${n.id} served ${served} modern requests`)
      }
    })

    it('an MRTR retry sent to another node than the first request completes (routed by requestState)', async () => {
      const [a, b] = nodes
      const ask = { name: 'test_elicitation', arguments: { message: 'Your name?' } }
      const first = await modern(a.url, REFERENCE, 'tools/call', ask, 1, { elicitation: {} })
      assert.equal(first.status, 200, first.text)
      const result = first.final?.result as
        | { resultType?: string; inputRequests?: Record<string, { method: string }>; requestState?: string }
        | undefined
      assert.equal(result?.resultType, 'input_required', first.text)
      const requests = Object.entries(result?.inputRequests ?? {})
      assert.equal(requests.length, 1, first.text)
      const [key, request] = requests[0]
      assert.equal(request.method, 'elicitation/create')
      assert.equal(typeof result?.requestState, 'string')

      const forwardedBefore = await forwarded(b)
      const retry = await modern(
        b.url,
        REFERENCE,
        'tools/call',
        {
          ...ask,
          inputResponses: { [key]: { action: 'accept', content: { name: 'Ada' } } },
          requestState: result?.requestState,
        },
        2,
        { elicitation: {} },
      )
      assert.equal(retry.status, 200, retry.text)
      assert.equal(retry.final?.id, 2, 'the answer carries the retry id')
      assert.equal(retry.final?.result?.resultType, 'complete', retry.text)
      assert.match(textOf(retry.final) ?? '', /action=accept.*Ada/)
      // Node B did not serve the retry itself: it sent it on to node A, which holds the waiting upstream call.
      assert.equal(await forwarded(b), forwardedBefore + 1, 'node B forwarded the retry to node A')
    })

    it('subscriptions/listen through the balancer is acknowledged first and hears a list change made through another node', async () => {
      const before = new Map(proxy!.served)
      const abort = new AbortController()
      const res = await modernRequest(
        proxy!.url,
        SHARED,
        'subscriptions/listen',
        { notifications: { toolsListChanged: true } },
        'listen-1',
        {},
        abort.signal,
      )
      const stream = new SseStream(res, abort)
      try {
        assert.equal(res.status, 200)
        assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/)
        const listener = nodes.find((n) => (proxy!.served.get(n.url) ?? 0) > (before.get(n.url) ?? 0))
        assert.ok(listener, 'a node took the listen request')
        const ack = await stream.waitMessage((m) => m.method !== undefined, 5000)
        assert.equal(ack.method, 'notifications/subscriptions/acknowledged', JSON.stringify(ack))
        assert.deepEqual((ack.params as { notifications?: Json }).notifications, { toolsListChanged: true })

        // The change is caused directly through each node other than the listener's (one of them, at least, is not
        // the node running the shared stdio upstream either); each change reaches the listener, tagged.
        for (const other of nodes.filter((n) => n !== listener)) {
          const since = stream.events.length
          const notify = await modern(other.url, SHARED, 'tools/call', { name: 'notify', arguments: {} }, other.id)
          assert.equal(notify.final?.result?.resultType, 'complete', notify.text)
          assert.match(textOf(notify.final) ?? '', /notified/)
          const changed = await stream.waitMessage((m) => m.method === 'notifications/tools/list_changed', 5000, since)
          assert.equal(
            (changed.params?._meta as Json | undefined)?.['io.modelcontextprotocol/subscriptionId'],
            'listen-1',
            `the change made through ${other.id} is tagged with the subscription`,
          )
        }
        assert.ok(
          stream.messages.every((m) => m.method !== 'notifications/resources/updated'),
          'resource updates the listener did not opt into stay off its stream',
        )
      } finally {
        stream.close()
      }
    })
  })
}

after(() => assertNoLeftovers())
