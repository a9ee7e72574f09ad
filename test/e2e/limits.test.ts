// Configured limits (issue 11 point 3) give clear errors: body size 413 (also chunked), header size 431, sessions
// per key / per project / in total (429 with a JSON-RPC -32015 body on Streamable HTTP), requests in flight per
// session (-32015). The outbound buffer per session is covered by flow-control.test.ts.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '../fixtures/processes.ts'
import {
  assertNoLeftovers,
  fixtureServer,
  OTHER_KEY,
  OTHER_PROJECT_KEY,
  startTestGateway,
  TEST_KEY,
  type TestGateway,
} from '../harness.ts'
import { ACCEPT_BOTH, bearer, postMcp, StreamableClient } from '../kit/mcp-wire.ts'

let gw: TestGateway
before(async () => {
  gw = await startTestGateway({
    limits: {
      maxBodyBytes: 8192,
      maxHeaderBytes: 4096,
      sessionsPerKey: 2,
      sessionsPerProject: 3,
      sessionsTotal: 4,
      inFlightPerSession: 2,
    },
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        servers: [fixtureServer()],
        apiKeys: [
          { name: 'a', key: TEST_KEY },
          { name: 'b', key: OTHER_KEY },
        ],
      },
      { id: 'other', name: 'Other', servers: [fixtureServer()], apiKeys: [{ name: 'c', key: OTHER_PROJECT_KEY }] },
    ],
  })
})
after(async () => {
  await gw?.close()
  await assertNoLeftovers()
})

const mcpUrl = (project: string) => `${gw.url}/projects/${project}/servers/fixture/mcp`

/** Opens a session; the initialize answer, with the client to go on with (and close). */
async function open(project: string, key: string) {
  const client = new StreamableClient(mcpUrl(project), bearer(key))
  const res = await client.initialize()
  return { client, status: res.status, id: res.headers.get('mcp-session-id'), body: res.messages[0] }
}

describe('limits', () => {
  it('413 for a body over maxBodyBytes: MCP and REST, with and without Content-Length', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(10_000) } })
    for (const url of [mcpUrl('demo'), `${gw.url}/projects/demo/servers/fixture/messages?sessionId=x`]) {
      const res = await postMcp(url, big, bearer(TEST_KEY))
      assert.equal(res.status, 413, url)
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'MCPO_ERR_PAYLOAD_TOO_LARGE')
    }
    const rest = await fetch(`${gw.url}/api/teams`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(10_000) }),
    })
    assert.equal(rest.status, 413)
    await rest.arrayBuffer()
    // Chunked: the edge counts bytes as they arrive instead of trusting a Content-Length.
    const chunked = await fetch(mcpUrl('demo'), {
      method: 'POST',
      headers: { ...bearer(TEST_KEY), 'content-type': 'application/json', accept: ACCEPT_BOTH },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 5; i++) c.enqueue(new TextEncoder().encode('x'.repeat(4000)))
          c.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    assert.equal(chunked.status, 413)
    await chunked.arrayBuffer()
  })

  it('431 for headers over maxHeaderBytes, on every route', async () => {
    for (const path of ['/healthz', '/api/teams', '/projects/demo/servers/fixture/mcp']) {
      const res = await fetch(gw.url + path, { headers: { 'x-padding': 'y'.repeat(5000) } })
      assert.equal(res.status, 431, path)
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'MCPO_ERR_HEADERS_TOO_LARGE')
    }
    const fine = await fetch(`${gw.url}/healthz`, { headers: { 'x-padding': 'y'.repeat(2000) } })
    assert.equal(fine.status, 200)
    await fine.arrayBuffer()
  })

  it('refuses a third request in flight on one session with -32015; the session stays usable', async () => {
    const s = await open('demo', TEST_KEY)
    assert.equal(s.status, 200)
    const sessionId = s.id as string
    const abort = new AbortController()
    const hanging = [1, 2].map((id) =>
      s.client.post(
        { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'hang', arguments: {} } },
        { signal: abort.signal },
      ),
    )
    try {
      const session = gw.gateway.sessions.get(sessionId)
      assert.ok(await waitFor(() => session?.inflight.size === 2, 10_000), 'both hang calls reached the upstream')
      const third = await s.client.post({
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'echo', arguments: { message: 'x' } },
      })
      const data = third.messages[0]
      assert.equal(data.id, 3)
      assert.equal(data.error?.code, -32015)
      // Pings are answered by mcpo itself and never count against the upstream budget.
      const ping = await s.client.post({ jsonrpc: '2.0', id: 4, method: 'ping' })
      assert.deepEqual(ping.messages[0].result, {})
    } finally {
      abort.abort()
      await Promise.allSettled(hanging)
      await s.client.close()
    }
  })

  it('caps sessions per key, per project and in total, each with a message naming the cap', async () => {
    const opened: StreamableClient[] = []
    try {
      const expectOpen = async (project: string, key: string) => {
        const r = await open(project, key)
        assert.equal(r.status, 200, JSON.stringify(r.body))
        opened.push(r.client)
      }
      const expectRefused = async (project: string, key: string, message: RegExp) => {
        const r = await open(project, key)
        assert.equal(r.status, 429)
        const body = r.body as { jsonrpc: string; id: null; error: { code: number; message: string } }
        assert.equal(body.jsonrpc, '2.0')
        assert.equal(body.error.code, -32015)
        assert.match(body.error.message, message)
        assert.equal(r.id, null, 'no session id for a refused session')
      }
      await expectOpen('demo', TEST_KEY)
      await expectOpen('demo', TEST_KEY)
      await expectRefused('demo', TEST_KEY, /this key already has 2 open sessions/)
      await expectOpen('demo', OTHER_KEY)
      await expectRefused('demo', OTHER_KEY, /this project already has 3 open sessions/)
      await expectOpen('other', OTHER_PROJECT_KEY)
      await expectRefused('other', OTHER_PROJECT_KEY, /session limit/)
      assert.equal(gw.gateway.sessions.size, 4)
    } finally {
      for (const c of opened) await c.close()
    }
    assert.equal(gw.gateway.sessions.size, 0)
    const again = await open('demo', TEST_KEY)
    assert.equal(again.status, 200, 'closing sessions frees their slots')
    await again.client.close()
  })
})
