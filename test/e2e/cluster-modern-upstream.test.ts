// 2026-07-28 upstreams on a cluster (issue 21 points 4 and 7): three gateway processes on one PostgreSQL with a remote
// modern server (the SDK v2 handler refusing 2025-era requests) and a modern stdio server. A modern remote upstream is
// stateless for the cluster: every node calls it from its own process, with no lease, no forwarding, no session, no
// GET and no DELETE (at most one 2025 handshake per node, refused). A stdio upstream still has one owner: one process,
// on the lease holder, which the other nodes reach. 2025-era (SDK 1.x) and 2026-07-28 (SDK v2, pinned) clients on
// every node.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableV2 } from '@modelcontextprotocol/client'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { type ModernServer, startModernServer } from '../fixtures/modern-server.ts'
import type { ModernStdioEvent } from '../fixtures/modern-stdio-server.ts'
import { listDescendants } from '../fixtures/processes.ts'
import { assertNoLeftovers, TEST_KEY } from '../harness.ts'
import { type ClusterNode, GatewayCluster } from '../kit/gateway-cluster.ts'
import { requirePostgres, TEST_DATABASE_URL } from '../kit/postgres.ts'

const ROOT = join(import.meta.dirname, '../..')
const STDIO_FIXTURE = join(ROOT, 'test/fixtures/modern-stdio-server.ts')
const auth = { Authorization: `Bearer ${TEST_KEY}` }
const dir = mkdtempSync(join(tmpdir(), 'mcpo-cluster-modern-up-'))
const record = join(dir, 'stdio.jsonl')

let cluster: GatewayCluster | undefined
let modern: ModernServer | undefined
const clients: { close(): Promise<void> }[] = []

// Registered before requirePostgres's own `after` (which drops the schema): hooks run in registration order, so the
// nodes are gone before their schema is.
after(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})))
  await cluster?.stop()
  await modern?.close()
  rmSync(dir, { recursive: true, force: true })
  await assertNoLeftovers()
})

const pg = await requirePostgres('2026-07-28 upstreams on three nodes on one PostgreSQL')
const schema = pg?.schema('mcpo_cluster_modern_up') ?? ''

/**
 * Which node holds the connection whose local TCP port is `port`, now: the sockets among each node process's open
 * files, looked up in the kernel's TCP tables. Keep-alive keeps a node's connection to the upstream open for seconds,
 * so a request just served can be traced to the process that sent it.
 */
function nodeOfPort(nodes: readonly ClusterNode[], port: number): string | null {
  const tables = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((t) => (existsSync(t) ? [readFileSync(t, 'utf8')] : []))
  const inodes = new Set<string>()
  for (const table of tables) {
    for (const line of table.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f.length > 9 && Number.parseInt(f[1].split(':')[1], 16) === port) inodes.add(f[9])
    }
  }
  for (const n of nodes) {
    const pid = n.child.pid as number
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      let link = ''
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`)
      } catch {
        continue
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1]
      if (inode && inodes.has(inode)) return n.id
    }
  }
  return null
}

function stdioEvents(): ModernStdioEvent[] {
  if (!existsSync(record)) return []
  return readFileSync(record, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ModernStdioEvent)
}

const stdioInbound = () =>
  stdioEvents()
    .filter((e) => e.ev === 'in')
    .map((e) => e.msg as { id?: number; method?: string; params?: { arguments?: { message?: string } } })

async function legacyClient(node: ClusterNode, server: string): Promise<Client> {
  const client = new Client({ name: `sdk1-${node.id}`, version: '1.0.0' })
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${node.url}/projects/demo/servers/${server}/mcp`), {
      requestInit: { headers: auth },
    }),
  )
  clients.push(client)
  return client
}

async function modernClient(node: ClusterNode, server: string): Promise<ClientV2> {
  const client = new ClientV2(
    { name: `v2-${node.id}`, version: '1' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  )
  await client.connect(
    new StreamableV2(new URL(`${node.url}/projects/demo/servers/${server}/mcp`), { requestInit: { headers: auth } }),
  )
  clients.push(client)
  return client
}

const textOf = (r: unknown) => ((r as { content: { text?: string }[] }).content ?? []).map((c) => c.text).join('')

async function leases(): Promise<{ server_name: string; node_id: string }[]> {
  const sql = pg!.sql
  return (await sql`SELECT server_name, node_id FROM ${sql(schema)}.cluster_leases ORDER BY server_name`) as never
}

/** A node's gauge or counter value from its /metrics. */
async function metric(node: ClusterNode, line: RegExp): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text()
  const m = line.exec(text)
  return m ? Number(m[1]) : 0
}

describe('2026-07-28 upstreams on three nodes', { skip: pg === null }, () => {
  before(async () => {
    modern = await startModernServer()
    cluster = new GatewayCluster({
      url: TEST_DATABASE_URL,
      schema,
      plugins: '[sessions(), apiKeys(), toolPolicies(), metrics()]',
      config: 'upstreams: { restartInitialMs: 100, restartMaxMs: 500, maxConsecutiveFailures: 20 },',
      servers: [
        { name: 'remote', transport: 'streamable-http', url: modern.url, protocol: 'auto' },
        {
          name: 'local',
          transport: 'stdio',
          command: process.execPath,
          args: ['--import', 'tsx', STDIO_FIXTURE, '--record', record],
          cwd: ROOT,
          protocol: 'auto',
        },
      ],
    })
    // The first node migrates and applies the config; the others join it together.
    await cluster.start('n1')
    await Promise.all([cluster.start('n2'), cluster.start('n3')])
  })

  it('every node calls the remote modern server from its own process: no session, GET or DELETE; 2026-07-28 only', async () => {
    const nodes = (cluster as GatewayCluster).nodes
    const server = modern as ModernServer
    const sentBy = new Map<number, string | null>()
    const from = server.requests.length
    for (const node of nodes) {
      const client = await legacyClient(node, 'remote')
      assert.equal(client.getServerVersion()?.name, 'modern-fixture')
      const { tools } = await client.listTools()
      assert.deepEqual(tools.map((t) => t.name).sort(), ['echo', 'region-echo', 'slow'])
      assert.equal(
        textOf(await client.callTool({ name: 'echo', arguments: { message: `via ${node.id}` } })),
        `Echo: via ${node.id}`,
      )
      // Traced at once, while the node's keep-alive connection to the upstream is still open.
      for (const r of server.requests.slice(from)) {
        if (!sentBy.has(r.remotePort)) sentBy.set(r.remotePort, nodeOfPort(nodes, r.remotePort))
      }
    }
    const seen = server.requests.slice(from)
    for (const r of seen) {
      const what = `${r.method} ${r.body.slice(0, 120)}`
      assert.equal(r.method, 'POST', `no GET or DELETE upstream: ${what}`)
      assert.equal(r.headers['mcp-session-id'], undefined, `no session upstream: ${what}`)
      assert.notEqual(sentBy.get(r.remotePort), null, `request from port ${r.remotePort} came from a node process`)
    }
    // A 2025-era client's own connection may offer the 2025 handshake first (upstream-modern.test.ts); this server
    // refuses it, and each node, with a verdict of its own, offers it at most once. Everything else is 2026-07-28.
    const offered = seen.filter((r) => JSON.parse(r.body).method === 'initialize')
    for (const node of nodes) {
      const here = offered.filter((r) => sentBy.get(r.remotePort) === node.id).length
      assert.ok(here <= 1, `${node.id} offered initialize ${here} times`)
    }
    for (const r of seen.filter((x) => !offered.includes(x))) {
      assert.equal(r.headers['mcp-protocol-version'], '2026-07-28', `${r.method} ${r.body.slice(0, 120)}`)
    }
    for (const node of nodes) {
      const call = seen.find((r) => r.body.includes(`"via ${node.id}"`))
      assert.ok(call, `the call through ${node.id} reached the upstream`)
      assert.equal(sentBy.get(call.remotePort), node.id, `the call through ${node.id} was sent by ${node.id} itself`)
    }
  })

  it('2026-07-28 clients on every node reach both servers', async () => {
    for (const node of (cluster as GatewayCluster).nodes) {
      for (const server of ['remote', 'local']) {
        const client = await modernClient(node, server)
        const { tools } = await client.listTools()
        assert.deepEqual(tools.map((t) => t.name).sort(), ['echo', 'region-echo', 'slow'], `${server} on ${node.id}`)
        const out = await client.callTool({ name: 'echo', arguments: { message: `v2 ${server} ${node.id}` } })
        assert.equal(textOf(out), `Echo: v2 ${server} ${node.id}`)
      }
    }
    const server = modern as ModernServer
    assert.ok(
      server.requests.every((r) => r.method === 'POST' && !r.headers['mcp-session-id']),
      'still no session, GET or DELETE upstream',
    )
  })

  it('the modern stdio server runs once, on its lease holder; every node reaches it', async () => {
    const nodes = (cluster as GatewayCluster).nodes
    for (const node of nodes) {
      const client = await legacyClient(node, 'local')
      const out = await client.callTool({ name: 'echo', arguments: { message: `stdio via ${node.id}` } })
      assert.equal(textOf(out), `Echo: stdio via ${node.id}`)
    }
    const held = (await leases()).filter((l) => l.server_name === 'local')
    assert.equal(held.length, 1)
    const owner = held[0].node_id
    const starts = stdioEvents().filter((e) => e.ev === 'start')
    assert.equal(starts.length, 1, 'one stdio process in the whole cluster')
    const running = (n: ClusterNode) =>
      listDescendants(n.child.pid as number).filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('modern-stdio-server.ts')
        } catch {
          return false
        }
      })
    for (const n of nodes) {
      assert.deepEqual(running(n), n.id === owner ? [starts[0].pid] : [], `stdio children of ${n.id}`)
    }
    const calls = stdioInbound().filter((m) => m.method === 'tools/call')
    for (const n of nodes) {
      assert.ok(
        calls.some((m) => m.params?.arguments?.message === `stdio via ${n.id}`),
        `the call through ${n.id} reached the one process`,
      )
    }
    const methods = stdioInbound().map((m) => m.method)
    assert.equal(methods[0], 'server/discover')
    // A child slower than a second to answer the probe is offered the 2025 handshake beside it once, and refuses it.
    assert.ok(methods.filter((m) => m === 'initialize').length <= 1, 'at most the one refused initialize')
    assert.ok(
      !methods.includes('notifications/initialized'),
      'the owner speaks 2026-07-28 to it; peers never reach it with a handshake',
    )
  })

  it('no lease is taken for the remote server and no node places it on another', async () => {
    const nodes = (cluster as GatewayCluster).nodes
    assert.deepEqual(
      (await leases()).map((l) => l.server_name),
      ['local'],
    )
    let held = 0
    for (const n of nodes) held += await metric(n, /^mcpo_cluster_leases_held (\d+)/m)
    assert.equal(held, 1, 'one lease in the cluster, the stdio server’s')
    for (const n of nodes) {
      const placed = n
        .stdout()
        .split('\n')
        .filter((l) => l.includes('shared upstream runs on another node'))
      assert.ok(
        placed.every((l) => l.includes('"server":"local"')),
        `${n.id} placed only the stdio server elsewhere: ${placed.join('\n')}`,
      )
    }
  })
})
