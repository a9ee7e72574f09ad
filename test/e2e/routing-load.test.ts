// Routing under load: 200 concurrent client sessions (half legacy SSE, half Streamable HTTP) share ONE stdio upstream
// and each calls echo with its own strings, several calls at once. No reply may reach the wrong session, one upstream
// process serves them all, and none is left once the gateway stops.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { findProcesses, pidAlive, waitFor } from '../fixtures/processes.ts'
import { fixtureServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'

const SESSIONS = 200
const CALLS_PER_SESSION = 5
// On the fixture's command line only, so the process table search finds this test's upstream and nothing else.
const TAG = `routing-load-${randomUUID()}`

let gw: TestGateway
const clients: Client[] = []

before(async () => {
  gw = await startTestGateway({
    limits: { sessionsPerKey: 1000 },
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        apiKeys: [{ name: 'test', key: TEST_KEY }],
        servers: [{ ...fixtureServer('load', ['--tag', TAG]), isolation: 'shared', autoStart: true }],
      },
    ],
  })
})

after(async () => {
  await Promise.allSettled(clients.map((c) => c.close()))
  await gw?.close()
})

describe('routing under load', () => {
  it(`${SESSIONS} concurrent sessions on one shared stdio upstream: every reply carries its own string; one upstream; none left after close`, async (t) => {
    const started = performance.now()
    const base = `${gw.url}/projects/demo/servers/load`
    const headers = { Authorization: `Bearer ${TEST_KEY}` }
    await Promise.all(
      Array.from({ length: SESSIONS }, async (_, i) => {
        const transport =
          i % 2 === 0
            ? new SSEClientTransport(new URL(`${base}/sse`), { requestInit: { headers } })
            : new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers } })
        const client = new Client({ name: `load-${i}`, version: '1.0.0' })
        clients[i] = client
        await client.connect(transport)
      }),
    )
    const connected = performance.now()
    assert.equal(gw.gateway.sessions.size, SESSIONS)

    let misrouted = 0
    let failed = 0
    // Every session's SDK client numbers its requests 1, 2, 3…: the ids collide across sessions on purpose.
    await Promise.all(
      clients.map((client, i) =>
        Promise.all(
          Array.from({ length: CALLS_PER_SESSION }, async (_, k) => {
            const message = `s${i}-c${k}-${randomUUID()}`
            try {
              const result = await client.callTool({ name: 'echo', arguments: { message } })
              const text = (result.content as { text?: string }[])[0]?.text
              if (text !== `Echo: ${message}`) misrouted++
            } catch {
              failed++
            }
          }),
        ),
      ),
    )
    const called = performance.now()
    t.diagnostic(
      `sessions=${SESSIONS} calls=${SESSIONS * CALLS_PER_SESSION} misrouted=${misrouted} failed=${failed} ` +
        `connect=${Math.round(connected - started)}ms calls=${Math.round(called - connected)}ms`,
    )
    assert.equal(misrouted, 0)
    assert.equal(failed, 0)

    const status = gw.gateway.relay.status('demo').load
    assert.equal(status.pids.length, 1, `expected one upstream process, status says ${status.pids}`)
    const upstream = findProcesses(TAG)
    assert.ok(upstream.length >= 1)
    assert.ok(upstream.some((p) => p.pid === status.pid))
    // The fixture runs under `node --import tsx`: one process per upstream (tsx adds no child process).
    assert.equal(upstream.length, 1, `upstream processes: ${upstream.map((p) => p.pid)}`)

    await Promise.allSettled(clients.map((c) => c.close()))
    await gw.close()
    assert.ok(await waitFor(() => findProcesses(TAG).length === 0, 3000), 'an upstream process outlived the gateway')
    assert.ok(!pidAlive(status.pid!))
  })
})
