// A 2026-07-28-only upstream over stdio (issue 21 point 7): the SDK v2 server's stdio entry refusing 2025-era
// messages, as a shared stdio server under `protocol: 'auto'` (the probe decides) and `'modern'` (forced). 2025-era
// clients (SDK 1.x over Streamable HTTP and legacy SSE) and a 2026-07-28 client (SDK v2, pinned) list and call through
// mcpo; the API reports the era; a cancel reaches the child as `notifications/cancelled` with its own request id (the
// revision's stdio cancellation: there is no per-request stream to close) and stops the work; the children are gone
// once the gateway stops.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableV2 } from '@modelcontextprotocol/client'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { ModernStdioEvent } from '../fixtures/modern-stdio-server.ts'
import { pidAlive, waitFor } from '../fixtures/processes.ts'
import { assertNoLeftovers, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { setUpAdmin } from '../kit/first-admin.ts'

const ROOT = join(import.meta.dirname, '../..')
const META_VERSION = 'io.modelcontextprotocol/protocolVersion'
const SERVERS = ['auto', 'forced'] as const
type Name = (typeof SERVERS)[number]

const dir = mkdtempSync(join(tmpdir(), 'mcpo-modern-stdio-'))
const recordOf = (name: Name) => join(dir, `${name}.jsonl`)
let gw: TestGateway | undefined
let adminToken = ''
const clients: { close(): Promise<void> }[] = []

/** The shared stdio server `name` running the SDK v2 fixture, recording to its own file. */
function modernStdio(name: Name, protocol: 'auto' | 'modern') {
  return {
    name,
    transport: 'stdio' as const,
    command: process.execPath,
    args: ['--import', 'tsx', join(ROOT, 'test/fixtures/modern-stdio-server.ts'), '--record', recordOf(name)],
    cwd: ROOT,
    protocol,
  }
}

function events(name: Name): ModernStdioEvent[] {
  if (!existsSync(recordOf(name))) return []
  return readFileSync(recordOf(name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ModernStdioEvent)
}

/** A message the child read, loosely typed for the fields these tests look at. */
type Seen = {
  id?: number
  method?: string
  params?: { name?: string; requestId?: unknown; _meta?: Record<string, unknown> }
}
const seenOf = (e: ModernStdioEvent) => e.msg as unknown as Seen

const inbound = (name: Name) =>
  events(name)
    .filter((e) => e.ev === 'in')
    .map(seenOf)

before(async () => {
  gw = await startTestGateway({
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        servers: [modernStdio('auto', 'auto'), modernStdio('forced', 'modern')],
        apiKeys: [{ name: 'k', key: TEST_KEY }],
      },
    ],
  })
  adminToken = (await setUpAdmin(gw, 'pw-modern-stdio-1')).token
})

after(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})))
  await gw?.close()
  rmSync(dir, { recursive: true, force: true })
  await assertNoLeftovers()
})

const endpoint = (server: Name, kind: 'mcp' | 'sse' = 'mcp') =>
  new URL(`${(gw as TestGateway).url}/projects/demo/servers/${server}/${kind}`)

async function legacyClient(server: Name, kind: 'mcp' | 'sse'): Promise<Client> {
  const client = new Client({ name: `sdk1-${kind}`, version: '1.0.0' })
  const requestInit = { headers: (gw as TestGateway).auth }
  await client.connect(
    kind === 'mcp'
      ? new StreamableHTTPClientTransport(endpoint(server), { requestInit })
      : new SSEClientTransport(endpoint(server, 'sse'), { requestInit }),
  )
  clients.push(client)
  return client
}

async function modernClient(server: Name): Promise<ClientV2> {
  const client = new ClientV2({ name: 'v2', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } })
  await client.connect(new StreamableV2(endpoint(server), { requestInit: { headers: (gw as TestGateway).auth } }))
  clients.push(client)
  return client
}

const textOf = (content: unknown) => (content as { text?: string }[]).map((c) => c.text ?? '').join('')

/** The server as GET /api/projects/demo/servers shows it. */
async function apiStatus(server: Name): Promise<{ era: string | null; pid: number | null; state: string }> {
  const res = await fetch(`${(gw as TestGateway).url}/api/projects/demo/servers`, {
    headers: { authorization: `Bearer ${adminToken}` },
  })
  assert.equal(res.status, 200)
  const rows = (await res.json()) as {
    name: string
    status: { era: string | null; pid: number | null; state: string }
  }[]
  const row = rows.find((r) => r.name === server)
  assert.ok(row, `${server} is listed`)
  return row.status
}

/**
 * Starts a `slow` call with `call(signal)`, aborts it once the child has begun the work, and checks what the child
 * read: a `notifications/cancelled` naming that call's own upstream id, after which the work stopped within a second.
 */
async function cancelReachesChild(server: Name, call: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
  const seen = events(server).length
  const controller = new AbortController()
  const pending = call(controller.signal)
  assert.ok(
    await waitFor(
      () =>
        events(server)
          .slice(seen)
          .some((e) => e.ev === 'slow'),
      5000,
    ),
    'the child began the slow call',
  )
  const cancelledAt = Date.now()
  controller.abort()
  await assert.rejects(pending)
  assert.ok(
    await waitFor(
      () =>
        events(server)
          .slice(seen)
          .some((e) => e.ev === 'slow-aborted'),
      2000,
    ),
    'the child stopped the slow call',
  )
  const fresh = events(server).slice(seen)
  const read = fresh.filter((e) => e.ev === 'in').map(seenOf)
  const slowId = read.find((m) => m.method === 'tools/call' && m.params?.name === 'slow')?.id
  assert.equal(typeof slowId, 'number')
  const cancel = read.find((m) => m.method === 'notifications/cancelled')
  assert.ok(cancel, 'the child read notifications/cancelled')
  assert.equal(cancel.params?.requestId, slowId)
  const stopped = fresh.find((e) => e.ev === 'slow-aborted') as ModernStdioEvent
  assert.ok(stopped.at - cancelledAt < 1000, `stopped ${stopped.at - cancelledAt} ms after the cancel`)
  assert.ok(!fresh.some((e) => e.ev === 'slow-done'))
}

for (const server of SERVERS) {
  describe(`a 2026-07-28-only stdio upstream, protocol ${server === 'auto' ? "'auto'" : "'modern'"}`, () => {
    it('SDK 1.x over Streamable HTTP: tools/list without the invalid x-mcp-header tool, echo, region-echo', async () => {
      const client = await legacyClient(server, 'mcp')
      assert.equal(client.getServerVersion()?.name, 'modern-stdio-fixture')
      const { tools } = await client.listTools()
      assert.deepEqual(tools.map((t) => t.name).sort(), ['echo', 'region-echo', 'slow'])
      const out = await client.callTool({ name: 'echo', arguments: { message: `hi ${server}` } })
      assert.equal(textOf(out.content), `Echo: hi ${server}`)
      const region = await client.callTool({ name: 'region-echo', arguments: { region: 'zürich', message: 'x' } })
      assert.equal(textOf(region.content), 'zürich: x')
    })

    it('the child speaks 2026-07-28 only: discover first, every request but a refused initialize in the envelope; the API says modern', async () => {
      const seen = inbound(server)
      const methods = seen.map((m) => m.method)
      // Under auto, a child that has not answered the probe within a second (this one takes longer to boot) is offered
      // the 2025 handshake beside it; it refuses, and the DiscoverResult decides.
      const offered = methods.filter((m) => m === 'initialize').length
      assert.ok(
        offered <= (server === 'auto' ? 1 : 0),
        `initialize offered ${offered} times (saw ${methods.join(', ')})`,
      )
      assert.ok(!methods.includes('notifications/initialized'), 'no 2025 session was ever completed')
      assert.equal(methods[0], 'server/discover', 'the era is settled by server/discover first')
      for (const m of seen.filter((x) => x.id !== undefined && x.method !== 'initialize')) {
        assert.equal(m.params?._meta?.[META_VERSION], '2026-07-28', `${m.method} carries the envelope`)
      }
      assert.equal(events(server).filter((e) => e.ev === 'start').length, 1, 'one shared child for every client')
      const status = await apiStatus(server)
      assert.equal(status.era, 'modern')
      assert.equal(status.state, 'running')
      assert.equal(status.pid, events(server).find((e) => e.ev === 'start')?.pid)
      assert.equal((gw as TestGateway).gateway.relay.runtime('demo', server)?.status()?.era, 'modern')
    })

    it('SDK 1.x over legacy SSE: tools/list and echo', async () => {
      const client = await legacyClient(server, 'sse')
      const { tools } = await client.listTools()
      assert.deepEqual(tools.map((t) => t.name).sort(), ['echo', 'region-echo', 'slow'])
      const out = await client.callTool({ name: 'echo', arguments: { message: 'over sse' } })
      assert.equal(textOf(out.content), 'Echo: over sse')
    })

    it('SDK v2 pinned to 2026-07-28: tools/list and echo on the stateless path', async () => {
      const client = await modernClient(server)
      const { tools } = await client.listTools()
      assert.deepEqual(tools.map((t) => t.name).sort(), ['echo', 'region-echo', 'slow'])
      const out = await client.callTool({ name: 'echo', arguments: { message: 'both modern' } })
      assert.equal(textOf(out.content), 'Echo: both modern')
    })

    it("an SDK 1.x client's cancel reaches the child as notifications/cancelled with the child's id; the work stops", async () => {
      const client = await legacyClient(server, 'mcp')
      await cancelReachesChild(server, (signal) =>
        client.callTool({ name: 'slow', arguments: { ms: 20_000 } }, undefined, { signal }),
      )
    })

    it("a 2026-07-28 client's cancel (it closes its POST) reaches the child the same way", async () => {
      const client = await modernClient(server)
      await cancelReachesChild(server, (signal) =>
        client.callTool({ name: 'slow', arguments: { ms: 20_000 } }, { signal }),
      )
    })
  })
}

describe('stopping the gateway', () => {
  it('leaves no stdio child behind', async () => {
    const pids = SERVERS.map((s) => events(s).find((e) => e.ev === 'start')?.pid as number)
    assert.ok(pids.every((p) => typeof p === 'number' && pidAlive(p)))
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})))
    await (gw as TestGateway).close()
    gw = undefined
    assert.ok(await waitFor(() => pids.every((p) => !pidAlive(p)), 3000), `children ${pids.join(', ')} are gone`)
  })
})
