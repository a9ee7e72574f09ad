// Stdio upstream faults (issue 11 point 2): a crash mid-call under 200 sessions, an upstream that never answers,
// and one that floods stdout, stderr and progress. Each time every waiting client gets a JSON-RPC error or its
// answer, nobody else is disturbed, and the gateway does not hold the flood in memory. Non-JSON stdout is
// test/conformance/upstream.test.ts item 61; kill -9 of the gateway is test/e2e/durability.test.ts.
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '../fixtures/processes.ts'
import { assertNoLeftovers, fixtureServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { bearer, StreamableClient, textOf } from '../kit/mcp-wire.ts'

const SESSIONS = 200
const root = join(import.meta.dirname, '../..')
let gw: TestGateway
const open: StreamableClient[] = []

before(async () => {
  gw = await startTestGateway({
    limits: { sessionsPerKey: 1000, sessionsPerProject: 1000, outboundBufferBytes: 256 * 1024 },
    upstreams: { restartInitialMs: 50 },
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        apiKeys: [{ name: 'k', key: TEST_KEY }],
        servers: [
          { ...fixtureServer('crashy'), autoStart: true },
          { ...fixtureServer('hangy'), timeoutMs: 1000, autoStart: true },
          {
            name: 'flood',
            transport: 'stdio',
            command: process.execPath,
            args: ['--import', 'tsx', join(root, 'test/fixtures/flood-server.ts')],
            cwd: root,
            autoStart: true,
          },
        ],
      },
    ],
  })
})
after(async () => {
  await Promise.allSettled(open.map((c) => c.close()))
  await gw?.close()
  await assertNoLeftovers()
})

async function session(server: string): Promise<StreamableClient> {
  const c = new StreamableClient(`${gw.url}/projects/demo/servers/${server}/mcp`, bearer(TEST_KEY))
  const init = await c.initialize()
  assert.ok(c.sessionId, init.text)
  open.push(c)
  return c
}

describe('stdio upstream faults', () => {
  it(`a crash mid-call under ${SESSIONS} sessions: every waiting call gets an error at once, then all sessions work`, async () => {
    const clients: StreamableClient[] = []
    for (let i = 0; i < SESSIONS; i += 50) {
      clients.push(...(await Promise.all(Array.from({ length: Math.min(50, SESSIONS - i) }, () => session('crashy')))))
    }
    const slow = clients.slice(1).map((c, i) => c.call(i, 'slow', { steps: 100, ms: 100 }))
    const inflight = () => [...gw.gateway.sessions.all()].reduce((n, s) => n + s.inflight.size, 0)
    assert.ok(await waitFor(() => inflight() >= SESSIONS - 1, 20_000), `only ${inflight()} calls reached the upstream`)
    const crashedAt = performance.now()
    const crash = await clients[0].call('boom', 'crash')
    assert.ok(crash.final?.error, `the crashing call gets an error: ${crash.reply.text}`)
    const results = await Promise.all(slow)
    const waited = performance.now() - crashedAt
    const errors = results.filter((r) => r.final?.error)
    assert.equal(errors.length, SESSIONS - 1, `every waiting call fails: ${JSON.stringify(results[0].final)}`)
    for (const r of errors) assert.ok([-32010, -32012].includes(r.final?.error?.code as number), r.reply.text)
    assert.ok(waited < 5000, `the errors came ${Math.round(waited)} ms after the crash, not when the calls timed out`)
    // The server restarts and every session is still valid; each reply carries its own string.
    const echoes = await Promise.all(clients.map((c, i) => c.call(`e${i}`, 'echo', { message: `s${i}` })))
    for (const [i, e] of echoes.entries()) assert.equal(textOf(e.final?.result), `Echo: s${i}`, e.reply.text)
    await Promise.all(clients.map((c) => c.close()))
  })

  it('an upstream that never answers: the caller gets a timeout error, others on the same upstream are served', async () => {
    const [stuck, other] = await Promise.all([session('hangy'), session('hangy')])
    const started = performance.now()
    const hung = stuck.call(1, 'hang')
    await new Promise((r) => setTimeout(r, 100))
    const t = performance.now()
    const echo = await other.call(2, 'echo', { message: 'still here' })
    assert.equal(textOf(echo.final?.result), 'Echo: still here')
    assert.ok(performance.now() - t < 900, 'the other session was answered while the hang was pending')
    const { final } = await hung
    const ms = performance.now() - started
    assert.equal(final?.error?.code, -32011, JSON.stringify(final))
    assert.ok(ms >= 900 && ms < 4000, `timed out after ${Math.round(ms)} ms (timeoutMs 1000)`)
  })

  it('a 20 MiB line on stdout and 20 MiB on stderr are dropped, not kept; the upstream keeps answering', async () => {
    const c = await session('flood')
    const rssBefore = process.memoryUsage().rss
    const big = await c.call(1, 'bigline', { mb: 20 })
    assert.equal(textOf(big.final?.result), 'after the big line', big.reply.text.slice(0, 300))
    const err = await c.call(2, 'stderr', { mb: 20 })
    assert.equal(textOf(err.final?.result), 'stderr done')
    const echo = await c.call(3, 'echo', { n: 1 })
    assert.equal(textOf(echo.final?.result), 'echo {"n":1}')
    const grown = (process.memoryUsage().rss - rssBefore) / 2 ** 20
    // The line cap (16 MiB) may be held once while a line is read; 40 MiB kept would mean the flood was stored.
    assert.ok(grown < 40, `RSS grew ${grown.toFixed(1)} MiB`)
    assert.equal(gw.gateway.relay.runtime('demo', 'flood')?.state, 'running')
  })

  it('a progress flood to a client that stops reading cuts that client off; a reading client gets every message', async () => {
    const reader = await session('flood')
    const stalled = await session('flood')
    // The stalled client: a raw socket that sends the call and never reads the answer.
    const socket = connect(gw.port, '127.0.0.1')
    socket.on('error', () => {})
    socket.pause()
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 'flood',
      method: 'tools/call',
      params: { name: 'spam', arguments: { count: 40_000, bytes: 1024 }, _meta: { progressToken: 'p' } },
    })
    const rssBefore = process.memoryUsage().rss
    socket.write(
      `POST /projects/demo/servers/flood/mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_KEY}\r\n` +
        `Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n` +
        `Mcp-Session-Id: ${stalled.sessionId}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
    const stalledSession = gw.gateway.sessions.get(stalled.sessionId as string)
    assert.ok(await waitFor(() => stalledSession?.inflight.size === 1, 10_000), 'the flood call reached the upstream')
    // The upstream answers one call at a time, so the reader's call completes only after the whole 40 MB flood
    // went through the gateway; then it gets all of its own progress.
    const reply = await reader.post({
      jsonrpc: '2.0',
      id: 'r',
      method: 'tools/call',
      params: { name: 'spam', arguments: { count: 2000, bytes: 100 }, _meta: { progressToken: 'q' } },
    })
    const grown = (process.memoryUsage().rss - rssBefore) / 2 ** 20
    const progress = reply.messages.filter((m) => m.method === 'notifications/progress')
    assert.equal(progress.length, 2000)
    assert.equal(textOf(reply.messages.find((m) => m.id === 'r')?.result), 'spam done')
    // Now the stalled client reads what it was sent: a cut-off stream without the flood's final answer.
    let received = 0
    let tail = ''
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length
      tail = (tail + chunk.toString('latin1')).slice(-4096)
    })
    const ended = new Promise<boolean>((r) => {
      socket.once('close', () => r(true))
      setTimeout(() => r(false), 15_000)
    })
    socket.resume()
    assert.ok(await ended, 'the gateway ended the connection of the client that stopped reading')
    assert.ok(received < 40 * 2 ** 20, `the stalled client got ${received} bytes: it was not cut off`)
    assert.doesNotMatch(tail, /"id":"flood"/, 'the flood call never completed on the cut stream')
    assert.ok(grown < 40, `RSS grew ${grown.toFixed(1)} MiB while a stalled client was flooded with 40 MB`)
    socket.destroy()
  })
})
