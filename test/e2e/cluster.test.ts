// Scale-out (issue 10): three gateway processes on one PostgreSQL behind a round-robin balancer with no sticky
// sessions. SDK clients on both transports get every answer right, a revoked key is refused by every node within a
// second, and kill -9 of the node that owns the shared stdio upstream fails its sessions fast while the others go on
// and the upstream's lease moves. Each run has its own schema, dropped afterwards; every process is killed at the end.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { listDescendants } from '../fixtures/processes.ts'
import { TEST_KEY } from '../harness.ts'
import { GatewayCluster } from '../kit/gateway-cluster.ts'
import { requirePostgres, TEST_DATABASE_URL } from '../kit/postgres.ts'
import { type RoundRobinProxy, startProxy } from './round-robin-proxy.ts'
import type { GatewayProcess } from './spawn.ts'

const pg = await requirePostgres('three nodes on one PostgreSQL behind a round-robin balancer')
const url = TEST_DATABASE_URL
const schema = pg?.schema('mcpo_cluster') ?? ''
const ADMIN = { email: 'admin@cluster.test', password: 'cluster-admin-password' }
const auth = { Authorization: `Bearer ${TEST_KEY}` }

const cluster = new GatewayCluster({
  url,
  schema,
  // A slow poll, so that only LISTEN/NOTIFY can bring a revocation to every node within a second.
  plugins: '[sessions(), apiKeys({ refreshMs: 60_000 }), toolPolicies(), metrics()]',
  config: 'upstreams: { restartInitialMs: 100, restartMaxMs: 500, maxConsecutiveFailures: 20 },',
  env: { MCPO_ADMIN_EMAIL: ADMIN.email, MCPO_ADMIN_PASSWORD: ADMIN.password },
})
const nodes = cluster.nodes
const children: number[] = []
let proxy: RoundRobinProxy | undefined

type Kind = 'sse' | 'streamable'

async function connect(kind: Kind, path: string, headers: Record<string, string> = auth) {
  const target = new URL(proxy!.url + path)
  const transport =
    kind === 'sse'
      ? new SSEClientTransport(target, { requestInit: { headers } })
      : new StreamableHTTPClientTransport(target, { requestInit: { headers } })
  const client = new Client({ name: `cluster-${kind}`, version: '1.0.0' })
  await client.connect(transport)
  return { client, transport, kind, path }
}

/** The node a client's session lives on: the prefix of its session id. */
function ownerOf(c: { transport: unknown; kind: Kind }): string {
  const id =
    c.kind === 'streamable'
      ? (c.transport as StreamableHTTPClientTransport).sessionId
      : new URL((c.transport as { _endpoint?: URL })._endpoint ?? 'http://x/').searchParams.get('sessionId')
  return String(id).split('.')[0]
}

type Client_ = Awaited<ReturnType<typeof connect>>

/**
 * Round robin decides where sessions are born: connects until each transport has a session on `nodeId` and one
 * elsewhere. Fills `into` as it goes, so the caller's cleanup closes them even when placement fails.
 */
async function placeSessions(into: Client_[], nodeId: string): Promise<void> {
  const placed = (kind: Kind, here: boolean) => into.some((c) => c.kind === kind && (ownerOf(c) === nodeId) === here)
  const done = () => (['sse', 'streamable'] as const).every((k) => placed(k, true) && placed(k, false))
  for (let i = 0; i < 40 && !done(); i++) {
    const kind: Kind = i % 2 ? 'sse' : 'streamable'
    if (placed(kind, true) && placed(kind, false)) continue
    // Each connect makes three requests: a probe in between moves the rotation, or every session of a kind would be
    // born on the same node.
    if (i % 3 === 0) await fetch(`${proxy!.url}/healthz`)
    into.push(await connect(kind, `/projects/demo/servers/shared/${kind === 'sse' ? 'sse' : 'mcp'}`))
  }
  for (const k of ['sse', 'streamable'] as const) {
    assert.ok(placed(k, true) && placed(k, false), `${k} sessions on ${nodeId} and elsewhere`)
  }
}

async function echo(client: Client, tool: string, message: string): Promise<string> {
  const r = (await client.callTool({ name: tool, arguments: { message } })) as { content: { text: string }[] }
  return r.content[0].text
}

/** How a call ended: its JSON-RPC error code and message, 'result', or 'pending' if it had not settled in `ms`. */
async function settled(call: Promise<unknown>, ms: number): Promise<{ code?: number; message: string }> {
  let timer: NodeJS.Timeout | undefined
  const pending = new Promise<{ message: string }>((r) => {
    timer = setTimeout(() => r({ message: 'pending' }), ms)
  })
  try {
    return await Promise.race([
      call.then(
        () => ({ message: 'result' }),
        (err: { code?: number; message: string }) => ({ code: err.code, message: err.message }),
      ),
      pending,
    ])
  } finally {
    clearTimeout(timer)
  }
}

async function eventually<T>(what: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < until) {
    try {
      return await fn()
    } catch (err) {
      last = err
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms: ${(last as Error)?.message}`)
}

async function leaseOwner(): Promise<string | null> {
  const admin = pg!.sql
  const rows = await admin`SELECT node_id FROM ${admin(schema)}.cluster_leases WHERE server_name = 'shared'`
  return rows.length ? String(rows[0].node_id) : null
}

if (pg) {
  const admin = pg.sql
  describe('three nodes on one PostgreSQL behind a round-robin balancer', () => {
    before(async () => {
      // The first node migrates and applies the config; the others join it together.
      await cluster.start('n1')
      await Promise.all([cluster.start('n2'), cluster.start('n3')])
      proxy = await startProxy(nodes.map((n) => n.url))
    })

    after(async () => {
      await cluster.stop(children)
      await proxy?.close()
    })

    it('SDK clients over SSE and Streamable HTTP get every answer right, whichever node they land on', async () => {
      const clients = await Promise.all([
        connect('sse', '/projects/demo/servers/shared/sse'),
        connect('sse', '/projects/demo/sse'),
        connect('streamable', '/projects/demo/servers/shared/mcp'),
        connect('streamable', '/projects/demo/mcp'),
        connect('streamable', '/projects/demo/servers/shared/mcp'),
        connect('sse', '/projects/demo/servers/shared/sse'),
      ])
      try {
        const calls: Promise<void>[] = []
        clients.forEach((c, i) => {
          // The unified endpoint names tools <server>__<tool>.
          const name = c.path.includes('/servers/') ? 'echo' : 'shared__echo'
          for (let j = 0; j < 8; j++) {
            const message = `c${i}-m${j}-${randomBytes(4).toString('hex')}`
            calls.push(echo(c.client, name, message).then((text) => assert.equal(text, `Echo: ${message}`)))
          }
        })
        await Promise.all(calls)
        // Sessions live on several nodes, and each node answered part of the traffic (forwarding happened).
        assert.ok(new Set(clients.map(ownerOf)).size >= 2, `owners: ${clients.map(ownerOf)}`)
        for (const n of nodes) assert.ok((proxy!.served.get(n.url) ?? 0) > 0, `${n.id} served nothing`)
        // One node runs the shared stdio upstream; the lease names it.
        assert.ok(['n1', 'n2', 'n3'].includes(String(await leaseOwner())))
        // Every node counts the cluster it sees and the requests it forwarded; the lease holder says it holds one.
        const owner = await leaseOwner()
        let forwarded = 0
        for (const n of nodes) {
          const text = await (await fetch(`${n.url}/metrics`)).text()
          assert.match(text, /^mcpo_cluster_nodes_live 3$/m, `${n.id} metrics`)
          assert.match(text, new RegExp(`^mcpo_cluster_leases_held ${n.id === owner ? 1 : 0}$`, 'm'))
          forwarded += Number(/^mcpo_cluster_forwarded_requests_total\{outcome="forwarded"\} (\d+)$/m.exec(text)?.[1])
        }
        assert.ok(forwarded > 0, 'requests were forwarded between nodes')
      } finally {
        await Promise.all(clients.map((c) => c.client.close()))
      }
    })

    it('a revoked key, a disabled server and a new policy take effect on every node within a second (LISTEN/NOTIFY)', async () => {
      const login = await fetch(`${nodes[0].url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ADMIN),
      })
      assert.equal(login.status, 200)
      const { token } = (await login.json()) as { token: string }
      const api = (method: string, path: string, body?: unknown) =>
        fetch(`${nodes[0].url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        })
      /** Changes something on n1, then polls n2 and n3 until each shows it; the worst delay in ms. */
      const measure = async (
        what: string,
        change: () => Promise<void>,
        shows: (n: GatewayProcess) => Promise<boolean>,
      ) => {
        const others = nodes.slice(1)
        for (const n of others) assert.equal(await shows(n), false, `${n.id} shows "${what}" before the change`)
        await change()
        const t0 = performance.now()
        const seen = await Promise.all(
          others.map(async (n) => {
            while (performance.now() - t0 < 3000) {
              if (await shows(n)) return performance.now() - t0
              await new Promise((r) => setTimeout(r, 10))
            }
            return Number.POSITIVE_INFINITY
          }),
        )
        const worst = Math.max(...seen)
        console.log(
          `# ${what}: seen by every other node after ${worst.toFixed(0)} ms (${seen.map((x) => x.toFixed(0))})`,
        )
        assert.ok(worst < 1000, `${what} took ${worst} ms to reach some node`)
      }

      const created = await api('POST', '/api/projects/demo/api-keys', { name: 'short-lived' })
      assert.equal(created.status, 201, await created.clone().text())
      const { id, key } = (await created.json()) as { id: string; key: string }
      // Without a session header a usable key gets 400, a dead key 401, a disabled server 404: probes open nothing.
      const probe = (n: GatewayProcess, k = key) =>
        fetch(`${n.url}/projects/demo/servers/shared/mcp`, {
          headers: { authorization: `Bearer ${k}`, accept: 'text/event-stream' },
        }).then((r) => r.status)
      for (const n of nodes) {
        await eventually(`${n.id} knows the new key`, async () => assert.equal(await probe(n), 400), 3000)
      }
      await measure(
        'key revoked',
        async () => assert.equal((await api('DELETE', `/api/projects/demo/api-keys/${id}`)).status, 204),
        async (n) => (await probe(n)) === 401,
      )
      await measure(
        'server disabled',
        async () => assert.equal((await api('POST', '/api/projects/demo/servers/shared/disable')).status, 200),
        async (n) => (await probe(n, TEST_KEY)) === 404,
      )
      assert.equal((await api('POST', '/api/projects/demo/servers/shared/enable')).status, 200)
      for (const n of nodes) {
        await eventually(
          `${n.id} serves the server again`,
          async () => assert.equal(await probe(n, TEST_KEY), 400),
          3000,
        )
      }

      // n2's LISTEN connection dies (as in a database failover) and a key is revoked meanwhile: the notification may
      // be lost, so n2 reloads every cache once it listens again, and still refuses the key within seconds.
      const second = await api('POST', '/api/projects/demo/api-keys', { name: 'during-failover' })
      const other = (await second.json()) as { id: string; key: string }
      await eventually('n2 knows the second key', async () => assert.equal(await probe(nodes[1], other.key), 400), 3000)
      const killed = await admin`
        SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'mcpo-cluster-n2'`
      assert.ok(killed.length > 0, 'n2 had cluster connections to terminate')
      assert.equal((await api('DELETE', `/api/projects/demo/api-keys/${other.id}`)).status, 204)
      await eventually(
        'n2 to refuse the key after reconnecting',
        async () => assert.equal(await probe(nodes[1], other.key), 401),
        8000,
      )

      // A policy is enforced on the client's node: one session pinned to each other node, calling echo.
      const pinned = await Promise.all(
        nodes.slice(1).map(async (n) => {
          const client = new Client({ name: 'pinned', version: '1.0.0' })
          await client.connect(
            new StreamableHTTPClientTransport(new URL(`${n.url}/projects/demo/servers/shared/mcp`), {
              requestInit: { headers: auth },
            }),
          )
          return { n, client }
        }),
      )
      try {
        const denied = async (n: GatewayProcess) => {
          const { client } = pinned.find((p) => p.n === n)!
          return echo(client, 'echo', 'policy?').then(
            () => false,
            (err: Error) => /not available/.test(err.message),
          )
        }
        let policyId = ''
        await measure(
          'deny policy added',
          async () => {
            const r = await api('POST', '/api/projects/demo/policies', { effect: 'deny', toolPattern: 'echo' })
            assert.equal(r.status, 201, await r.clone().text())
            policyId = ((await r.json()) as { id: string }).id
          },
          denied,
        )
        assert.equal((await api('DELETE', `/api/projects/demo/policies/${policyId}`)).status, 204)
      } finally {
        await Promise.all(pinned.map((p) => p.client.close()))
      }
    })

    it('kill -9 of the lease owner: its sessions fail fast, clients reconnect elsewhere, the rest go on, the lease moves', async () => {
      // A call first, so the upstream runs (the previous test stopped it) and its lease names its node.
      const first = await connect('streamable', '/projects/demo/servers/shared/mcp')
      assert.equal(await echo(first.client, 'echo', 'warm'), 'Echo: warm')
      await first.client.close()
      const victimId = await leaseOwner()
      assert.ok(victimId, 'a node holds the lease')
      const victim = nodes.find((n) => n.id === victimId)!
      const clients: Client_[] = []
      try {
        await placeSessions(clients, victimId)
        const onVictim = clients.filter((c) => ownerOf(c) === victimId)
        const elsewhere = clients.filter((c) => ownerOf(c) !== victimId)
        for (const c of clients) assert.equal(await echo(c.client, 'echo', 'before'), 'Echo: before')
        for (const pid of victim.child.pid ? listDescendants(victim.child.pid) : []) children.push(pid)
        victim.child.kill('SIGKILL')
        await victim.exited
        proxy!.backends = proxy!.backends.filter((b) => b !== victim.url)
        proxy!.backends.push(victim.url) // still in rotation, as a balancer that has not noticed yet

        // The victim's streamable sessions fail fast: the owner is gone, so the forwarding node answers 404.
        for (const c of onVictim.filter((x) => x.kind === 'streamable')) {
          const t0 = performance.now()
          await assert.rejects(echo(c.client, 'echo', 'lost'))
          const ms = performance.now() - t0
          console.log(`# a session of the killed node failed after ${ms.toFixed(0)} ms`)
          assert.ok(ms < 2000, `a dead session failed after ${ms} ms`)
        }
        // A new session through the balancer works at once (served by a live node, via the moved upstream).
        const fresh = await connect('streamable', '/projects/demo/servers/shared/mcp')
        clients.push(fresh)
        const t0 = performance.now()
        assert.equal(
          await eventually('a call on a new session', () => echo(fresh.client, 'echo', 'again'), 15_000),
          'Echo: again',
        )
        console.log(`# first call after kill -9 answered after ${(performance.now() - t0).toFixed(0)} ms`)
        // Sessions on the live nodes go on, with the same session (no re-initialize).
        for (const c of elsewhere) {
          const before = ownerOf(c)
          const message = `still-${randomBytes(3).toString('hex')}`
          assert.equal(
            await eventually('a surviving session call', () => echo(c.client, 'echo', message), 15_000),
            `Echo: ${message}`,
          )
          assert.equal(ownerOf(c), before)
        }
        // Legacy SSE clients of the victim reconnect by themselves (a new endpoint on a live node) and go on.
        for (const c of onVictim.filter((x) => x.kind === 'sse')) {
          const message = `back-${randomBytes(3).toString('hex')}`
          assert.equal(
            await eventually('a reconnected SSE call', () => echo(c.client, 'echo', message), 15_000),
            `Echo: ${message}`,
          )
          assert.notEqual(ownerOf(c), victimId)
        }
        const moved = await eventually(
          'the lease to move',
          async () => {
            const owner = await leaseOwner()
            if (!owner || owner === victimId) throw new Error(`lease still with ${owner}`)
            return owner
          },
          10_000,
        )
        assert.ok(['n1', 'n2', 'n3'].includes(moved) && moved !== victimId)
      } finally {
        await Promise.all(clients.map((c) => c.client.close().catch(() => {})))
      }
    })

    it('SIGTERM of the lease owner: every call in flight ends with a JSON-RPC error, on its sessions and the others', async () => {
      const first = await connect('streamable', '/projects/demo/servers/shared/mcp')
      assert.equal(await eventually('a warm-up call', () => echo(first.client, 'echo', 'warm'), 15_000), 'Echo: warm')
      await first.client.close()
      const stoppingId = await leaseOwner()
      const stopping = nodes.find((n) => n.id === stoppingId && n.child.exitCode === null && !n.child.signalCode)
      assert.ok(stopping, `a live node holds the lease (${stoppingId})`)
      const clients: Client_[] = []
      try {
        await placeSessions(clients, stopping.id)
        // Calls that outlast the grace period (500 ms): ten seconds each, some of them forwarded between the nodes.
        // The signal comes once every call has reported progress, so each is running upstream, not still on its way.
        const started: Promise<void>[] = []
        const calls = clients.map((c) => {
          let progressed = () => {}
          started.push(new Promise((r) => (progressed = r)))
          return c.client.callTool({ name: 'slow', arguments: { steps: 40, ms: 250 } }, undefined, {
            timeout: 60_000,
            onprogress: () => progressed(),
          })
        })
        await Promise.all(started)
        const t0 = performance.now()
        stopping.child.kill('SIGTERM')
        const ends = await Promise.all(calls.map((c) => settled(c, 8000)))
        console.log(`# calls in flight ended within ${(performance.now() - t0).toFixed(0)} ms of SIGTERM`)
        const report = clients.map((c, i) => `${c.kind} session on ${ownerOf(c)}: ${ends[i].code} ${ends[i].message}`)
        console.log(`# stopped ${stopping.id}; ${report.join('; ')}`)
        for (const [i, c] of clients.entries()) {
          const end = ends[i]
          const where = report[i]
          assert.ok(typeof end.code === 'number' && end.code <= -32000 && end.code >= -32019, where)
          // The stopping node's own sessions are told why; sessions elsewhere lose the upstream it ran.
          if (ownerOf(c) === stopping.id) assert.match(end.message, /shutting down/, where)
        }
        assert.equal((await stopping.exited).code, 0)
        proxy!.backends = proxy!.backends.filter((b) => b !== stopping.url)
        // The other node's sessions go on, with the upstream now run by a live node.
        for (const c of clients.filter((x) => ownerOf(x) !== stopping.id)) {
          const message = `after-${randomBytes(3).toString('hex')}`
          assert.equal(
            await eventually('a call after the drain', () => echo(c.client, 'echo', message), 15_000),
            `Echo: ${message}`,
          )
        }
      } finally {
        await Promise.all(clients.map((c) => c.client.close().catch(() => {})))
      }
    })
  })
}
