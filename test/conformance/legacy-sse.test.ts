// Conformance, legacy HTTP+SSE: protocol.md §9 items 14–26 (§2). Raw fetch for the wire, the SDK's SSEClientTransport
// where a real client's reconnect is the point. One gateway (keepalive 1 s) with server-everything and two remote
// Streamable fixtures that record what reaches them; a second one only to see the configured public base URL.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import type { UpstreamConnection } from '../../gateway/mcp/connection.ts'
import { type HttpFixture, startHttpFixture } from '../fixtures/fixture-server.ts'
import { waitFor } from '../fixtures/processes.ts'
import { everythingServer, fixtureServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { isResponseTo, LegacyClient, openSse } from '../kit/mcp-wire.ts'
import { sleep } from '../kit/waiting.ts'

const KEEPALIVE_MS = 1000
const SERVER = '/projects/demo/servers/everything'
const PUBLIC_BASE = 'https://gw.example.com/mcpo'

let gw: TestGateway
let gwBase: TestGateway
let fixture: HttpFixture
let auth: Record<string, string>
const open: LegacyClient[] = []

before(async () => {
  fixture = await startHttpFixture({ transport: 'streamable-http' })
  const remote = { transport: 'streamable-http' as const, url: fixture.url, isolation: 'shared' as const }
  ;[gw, gwBase] = await Promise.all([
    startTestGateway({
      limits: { sseKeepaliveMs: KEEPALIVE_MS },
      projects: [
        {
          id: 'demo',
          name: 'Demo',
          servers: [
            { ...everythingServer(), autoStart: true },
            // Shared, so the cancel of a disconnect travels on a connection that outlives the session.
            { name: 'remote-timeout', ...remote, timeoutMs: 1000 },
            { name: 'remote-cancel', ...remote },
          ],
          apiKeys: [{ name: 'test', key: TEST_KEY }],
        },
      ],
    }),
    startTestGateway({
      listen: { host: '127.0.0.1', port: 0, publicBaseUrl: PUBLIC_BASE },
      projects: [{ id: 'demo', name: 'Demo', servers: [fixtureServer()], apiKeys: [{ name: 'test', key: TEST_KEY }] }],
    }),
  ])
  auth = gw.auth
})

after(async () => {
  for (const s of open) s.close()
  await Promise.all([gw?.close(), gwBase?.close()])
  await fixture?.close()
})

/** Opens a legacy stream that `after` closes even if the test fails. */
async function legacy(path = `${SERVER}/sse`, headers = auth): Promise<LegacyClient> {
  const s = await LegacyClient.open(gw.url + path, headers)
  open.push(s)
  return s
}

const rpc = (id: string | number, method: string, params?: Record<string, unknown>) =>
  params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }

describe('conformance L: legacy HTTP+SSE (protocol.md §2)', () => {
  it('14 L: GET …/sse → 200 text/event-stream, Cache-Control: no-cache, first event within 1 s is `endpoint`', async () => {
    const started = Date.now()
    const { res, reader } = await openSse(gw.url + `${SERVER}/sse`, auth)
    assert.ok(reader, `GET answered ${res.status}`)
    try {
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/)
      assert.match(res.headers.get('cache-control') ?? '', /no-cache/)
      assert.equal(res.headers.get('x-accel-buffering'), 'no')
      assert.equal(res.headers.get('content-encoding'), null)
      const first = await reader.waitEvent(() => true, 1000, 'the first event')
      assert.equal(first.event, 'endpoint')
      assert.ok(first.at - started < 1000, `the endpoint event took ${first.at - started} ms`)
    } finally {
      reader.close()
    }
  })

  it('15 L: endpoint data is one line; new URL(data, sseUrl) is same-origin, path …/messages with the base prefix, with sessionId', async () => {
    for (const [path, messages] of [
      [`${SERVER}/sse`, `${SERVER}/messages`],
      ['/projects/demo/sse', '/projects/demo/messages'],
    ]) {
      const sseUrl = gw.url + path
      const s = await legacy(path)
      const ev = s.stream.events[0]
      assert.equal(ev.dataLines, 1)
      assert.doesNotMatch(ev.data, /[\r\n]/)
      // Path-absolute without a configured public URL, so it works behind any host name the client used.
      assert.ok(ev.data.startsWith('/'), `endpoint ${ev.data} is not path-absolute`)
      const url = new URL(ev.data, sseUrl)
      assert.equal(url.origin, new URL(sseUrl).origin)
      assert.equal(url.pathname, messages)
      assert.ok(url.searchParams.get('sessionId'))
      s.close()
    }
    // With a public base URL (a prefixing reverse proxy), the endpoint carries its origin and path prefix.
    const { res, reader } = await openSse(`${gwBase.url}/projects/demo/servers/fixture/sse`, auth)
    assert.ok(reader, `GET answered ${res.status}`)
    try {
      const ev = await reader.waitEvent((e) => e.event === 'endpoint', 1000)
      const proxiedSseUrl = `${PUBLIC_BASE}/projects/demo/servers/fixture/sse`
      const url = new URL(ev.data, proxiedSseUrl)
      assert.equal(ev.dataLines, 1)
      assert.equal(url.origin, new URL(proxiedSseUrl).origin)
      assert.equal(url.pathname, '/mcpo/projects/demo/servers/fixture/messages')
      assert.ok(url.searchParams.get('sessionId'))
    } finally {
      reader.close()
    }
  })

  it('16 L: two GETs → two different sessionIds (UUIDv4: 122 random bits, visible ASCII)', async () => {
    const a = await legacy()
    const b = await legacy()
    assert.notEqual(a.sessionId, b.sessionId)
    for (const id of [a.sessionId, b.sessionId]) {
      assert.match(id, /^[\x21-\x7e]+$/)
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    }
    a.close()
    b.close()
  })

  it("17 L: POST initialize → 202 and exactly one `message` with the InitializeResult on that session's stream only", async () => {
    const a = await legacy()
    const b = await legacy()
    const res = await a.post(
      rpc('init-17', 'initialize', {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'conformance', version: '1.0.0' },
      }),
    )
    assert.equal(res.status, 202)
    await res.arrayBuffer()
    const msg = await a.stream.response('init-17')
    const result = msg.result as { protocolVersion: string; serverInfo: { name: string }; capabilities: object }
    assert.equal(result.protocolVersion, '2025-11-25')
    assert.equal(typeof result.serverInfo.name, 'string')
    assert.equal(typeof result.capabilities, 'object')
    await sleep(300)
    const answers = a.stream.messageEvents.filter((e) => isResponseTo(JSON.parse(e.data), 'init-17'))
    assert.equal(answers.length, 1, `expected exactly one InitializeResult, got ${a.stream.raw}`)
    assert.equal(answers[0].dataLines, 1, 'the JSON must be on one data line')
    // Anything else on the stream may only be a notification (the first session starts the shared upstream, whose
    // post-init list_changed may follow; see the report), never another response.
    const others = a.stream.messages.filter((m) => m.id !== 'init-17')
    assert.ok(
      others.every((m) => typeof m.method === 'string' && m.id === undefined),
      `unexpected messages: ${JSON.stringify(others)}`,
    )
    assert.deepEqual(
      b.stream.events.map((e) => e.event),
      ['endpoint'],
      'the other session must not see the answer',
    )
    a.close()
    b.close()
  })

  it('18 L: POST notifications/initialized → 202, nothing written to the stream', async () => {
    const s = await legacy()
    const init = await s.post(
      rpc(1, 'initialize', {
        protocolVersion: '2024-11-05',
        capabilities: {},
        clientInfo: { name: 'c', version: '1' },
      }),
    )
    assert.equal(init.status, 202)
    await init.arrayBuffer()
    await s.stream.response(1)
    // Let whatever the initialize itself caused arrive first: the assertion is about the notification alone.
    await sleep(300)
    const before = s.stream.events.length
    const res = await s.post({ jsonrpc: '2.0', method: 'notifications/initialized' })
    assert.equal(res.status, 202)
    await res.arrayBuffer()
    await sleep(300)
    assert.equal(s.stream.events.length, before, `unexpected events: ${s.stream.raw}`)
    s.close()
  })

  it('19 L: unknown sessionId → 404; missing → 400; non-JSON → 400; text/plain → 400/415; 5 MB body → 413', async () => {
    const s = await legacy()
    const messages = new URL(s.endpoint)
    messages.search = ''
    const post = (url: string, body: string, type = 'application/json') =>
      fetch(url, { method: 'POST', headers: { ...auth, 'content-type': type }, body })
    const ping = JSON.stringify(rpc(1, 'ping'))

    const unknown = await post(`${messages.href}?sessionId=00000000-0000-4000-8000-000000000000`, ping)
    assert.equal(unknown.status, 404)
    await unknown.arrayBuffer()
    const missing = await post(messages.href, ping)
    assert.equal(missing.status, 400)
    await missing.arrayBuffer()
    const notJson = await post(s.endpoint, '{"jsonrpc":"2.0","id":1,')
    assert.equal(notJson.status, 400)
    await notJson.arrayBuffer()
    // JSON, but not JSON-RPC.
    const notRpc = await post(s.endpoint, '{"hello":"world"}')
    assert.equal(notRpc.status, 400)
    await notRpc.arrayBuffer()
    const plain = await post(s.endpoint, ping, 'text/plain')
    assert.ok(plain.status === 400 || plain.status === 415, `text/plain answered ${plain.status}`)
    await plain.arrayBuffer()
    const huge = JSON.stringify(
      rpc(2, 'tools/call', { name: 'echo', arguments: { message: 'x'.repeat(5 * 1024 * 1024) } }),
    )
    const big = await post(s.endpoint, huge)
    assert.equal(big.status, 413)
    await big.arrayBuffer()
    // None of them was relayed; the session still works.
    const ok = await s.post(rpc(3, 'ping'))
    assert.equal(ok.status, 202)
    assert.deepEqual((await s.stream.response(3)).result, {})
    assert.deepEqual(
      s.stream.messages.map((m) => m.id),
      [3],
    )
    s.close()
  })

  it('20 L: POST after the client closed the GET → 404 within 1 s (no hang, no 500)', async () => {
    const s = await legacy()
    s.close()
    const closedAt = Date.now()
    let status = 0
    while (Date.now() - closedAt < 1000) {
      const res = await s.post(rpc(1, 'ping'), {})
      status = res.status
      await res.arrayBuffer()
      assert.ok(status === 202 || status === 404, `got ${status}`)
      if (status === 404) break
      await sleep(20)
    }
    assert.equal(status, 404)
    assert.ok(Date.now() - closedAt < 1000, `took ${Date.now() - closedAt} ms`)
    assert.equal(gw.gateway.sessions.get(s.sessionId), undefined, 'the session is gone')
  })

  it(`21 L: an idle stream gets a \`:\` comment at least every ${KEEPALIVE_MS} ms`, async () => {
    const s = await legacy()
    await sleep(KEEPALIVE_MS * 2 + 300)
    const end = Date.now()
    s.close()
    const keepalives = s.stream.comments.filter((c) => c.text === 'keepalive')
    assert.ok(
      keepalives.length >= 2,
      `only ${keepalives.length} keepalives in ${KEEPALIVE_MS * 2 + 300} ms: ${s.stream.raw}`,
    )
    const times = [...s.stream.chunkTimes, end]
    const gaps = times.slice(1).map((t, i) => t - times[i])
    // The slack covers timer lateness on a loaded machine; the gateway fires a keepalive after 3/4 of the interval.
    assert.ok(Math.max(...gaps) <= KEEPALIVE_MS + 400, `silent for ${Math.max(...gaps)} ms (gaps ${gaps})`)
    assert.equal(s.stream.events.filter((e) => e.event !== 'endpoint').length, 0, 'keepalives are comments, not events')
  })

  it('22 L: four concurrent POSTs (tools/list, resources/list, resources/templates/list, prompts/list) all answered, by id', async () => {
    const s = await legacy()
    const calls: [string | number, string, string][] = [
      [10, 'tools/list', 'tools'],
      ['10', 'resources/list', 'resources'],
      [12, 'resources/templates/list', 'resourceTemplates'],
      ['p', 'prompts/list', 'prompts'],
    ]
    const statuses = await Promise.all(
      calls.map(async ([id, method]) => {
        const res = await s.post(rpc(id, method))
        await res.arrayBuffer()
        return res.status
      }),
    )
    assert.deepEqual(statuses, [202, 202, 202, 202])
    for (const [id, , key] of calls) {
      const msg = await s.stream.response(id, 10_000)
      const list = (msg.result as Record<string, unknown>)[key]
      assert.ok(Array.isArray(list), `id ${JSON.stringify(id)} got ${JSON.stringify(msg).slice(0, 200)}`)
    }
    // `10` and `"10"` are different requests: exactly one answer each, with the id type kept.
    assert.equal(s.stream.messages.filter((m) => m.id === 10).length, 1)
    assert.equal(s.stream.messages.filter((m) => m.id === '10').length, 1)
    assert.equal(s.stream.messageEvents.length, 4)
    s.close()
  })

  it('23 L: server drops the GET → SSEClientTransport reconnects (~3 s), new endpoint, tools/call without re-initialize', async () => {
    const transport = new SSEClientTransport(new URL(gw.url + `${SERVER}/sse`), { requestInit: { headers: auth } })
    // The SDK keeps the endpoint in a private field; reading it is the only way to see the swap.
    const endpoint = () => (transport as unknown as { _endpoint?: URL })._endpoint?.href
    const client = new Client({ name: 'conformance', version: '1.0.0' })
    try {
      await client.connect(transport)
      const first = endpoint()
      assert.ok(first)
      const oldId = new URL(first).searchParams.get('sessionId') ?? ''
      const old = gw.gateway.sessions.get(oldId)
      assert.ok(old?.initialized, 'the first session was initialized by connect()')
      const dropped = Date.now()
      old.close('test: the server drops the stream')
      assert.ok(await waitFor(() => endpoint() !== first, 8000, 50), 'the client never got a new endpoint')
      const took = Date.now() - dropped
      assert.ok(took >= 1000 && took < 8000, `reconnected after ${took} ms`)
      const newId = new URL(endpoint() ?? '').searchParams.get('sessionId') ?? ''
      assert.notEqual(newId, oldId)
      const result = await client.callTool({ name: 'echo', arguments: { message: 'after reconnect' } })
      assert.deepEqual(result.content, [{ type: 'text', text: 'Echo: after reconnect' }])
      const fresh = gw.gateway.sessions.get(newId)
      assert.ok(fresh, 'the new session is live')
      assert.equal(fresh.clientInfo, null, 'the client did not re-send initialize, and mcpo served it anyway')
      const stale = await fetch(first, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(rpc(1, 'ping')),
      })
      assert.equal(stale.status, 404)
      await stale.arrayBuffer()
    } finally {
      await client.close()
    }
  })

  it('24 L: POST …/sse → 405 with Allow: GET, never 400 or 401 with a valid key', async () => {
    for (const path of [`${SERVER}/sse`, '/projects/demo/sse']) {
      const res = await fetch(gw.url + path, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: {
            protocolVersion: '2025-11-25',
            capabilities: {},
            clientInfo: { name: 'mcp-remote', version: '0.15.1' },
          },
        }),
      })
      assert.ok(res.status === 405 || res.status === 404, `${path} answered ${res.status}`)
      if (res.status === 405) assert.match(res.headers.get('allow') ?? '', /\bGET\b/)
      await res.arrayBuffer()
    }
  })

  it('25 L: upstream tool failure or timeout → POST still 202, JSON-RPC error (or isError result) on the stream', async () => {
    const s = await legacy('/projects/demo/servers/remote-timeout/sse')
    const fail = await s.post(rpc('f', 'tools/call', { name: 'fail', arguments: {} }))
    assert.equal(fail.status, 202)
    await fail.arrayBuffer()
    const started = Date.now()
    const hang = await s.post(rpc('h', 'tools/call', { name: 'hang', arguments: {} }))
    assert.equal(hang.status, 202)
    await hang.arrayBuffer()
    const failed = await s.stream.response('f')
    assert.equal((failed.result as { isError?: boolean }).isError, true)
    // timeoutMs is 1000 for this server: the client hears a JSON-RPC error, not silence and not an HTTP error.
    const timedOut = await s.stream.response('h', 5000)
    const error = timedOut.error as { code: number; message: string }
    assert.equal(typeof error.code, 'number')
    assert.match(error.message, /within|timeout|timed out/i)
    assert.ok(Date.now() - started >= 900, 'the error came from the timeout')
    assert.notEqual(gw.gateway.sessions.get(s.sessionId), undefined, 'the session survives')
    s.close()
  })

  it('26 L: client closes the GET mid-tools/call → upstream gets notifications/cancelled with the mapped id; no late response', async () => {
    const s = await legacy('/projects/demo/servers/remote-cancel/sse')
    const seen = fixture.requests.length
    const res = await s.post(rpc(777, 'tools/call', { name: 'hang', arguments: {} }))
    assert.equal(res.status, 202)
    await res.arrayBuffer()
    const bodyOf = (r: { body?: string }) => (r.body ? (JSON.parse(r.body) as Record<string, unknown>) : {})
    const isHangCall = (r: { body?: string }) => {
      const b = bodyOf(r)
      return b.method === 'tools/call' && (b.params as { name?: string }).name === 'hang'
    }
    assert.ok(await waitFor(() => fixture.requests.slice(seen).some(isHangCall), 3000), 'the call reached the upstream')
    const call = fixture.requests.slice(seen).find(isHangCall)!
    const upstreamId = bodyOf(call).id
    const upstreamSession = call.headers['mcp-session-id']
    assert.notEqual(upstreamId, 777, 'the upstream sees a gateway id, not the client id')

    s.close()
    const closedAt = Date.now()
    const isCancel = (r: { body?: string; headers: Record<string, unknown> }) => {
      const b = bodyOf(r)
      return (
        b.method === 'notifications/cancelled' &&
        (b.params as { requestId?: unknown }).requestId === upstreamId &&
        r.headers['mcp-session-id'] === upstreamSession
      )
    }
    assert.ok(
      await waitFor(() => fixture.requests.slice(seen).some(isCancel), 1000),
      'no notifications/cancelled with the upstream id within 1 s of the disconnect',
    )
    assert.ok(Date.now() - closedAt < 1000)
    // The request is forgotten, so an answer arriving now would find nobody to write to.
    const shared = (
      gw.gateway.relay.runtime('demo', 'remote-cancel') as unknown as { shared: UpstreamConnection | null }
    ).shared
    assert.equal(shared?.inFlight, 0)
    assert.equal(gw.gateway.sessions.get(s.sessionId), undefined)
  })
})
