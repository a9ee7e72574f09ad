// Remote upstream faults (issue 11 point 2): a remote Streamable HTTP server that answers 500, one that answers
// garbage (as JSON and as SSE), and one that drips bytes without ever answering. Each client gets a JSON-RPC error
// in bounded time, never an HTTP 5xx from mcpo, and a healthy server on the same gateway is served meanwhile.
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { assertNoLeftovers, fixtureServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { bearer, StreamableClient, textOf } from '../kit/mcp-wire.ts'

let gw: TestGateway
let bad: Server
const drips = new Set<NodeJS.Timeout>()

/** The misbehaving remote: `/<mode>/mcp`; the handshake works (except for `down`) so the faults hit tools/call. */
function badRemote(req: IncomingMessage, res: ServerResponse, body: string) {
  const mode = (req.url ?? '').split('/')[1]
  if (mode === 'down') return void res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>oops</h1>')
  if (req.method === 'GET') return void res.writeHead(405).end()
  if (req.method === 'DELETE') return void res.writeHead(200).end()
  let msg: { id?: unknown; method?: string }
  try {
    msg = JSON.parse(body)
  } catch {
    return void res.writeHead(400).end()
  }
  const json = (v: unknown) =>
    res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'remote-1' }).end(JSON.stringify(v))
  if (msg.id === undefined) return void res.writeHead(202).end()
  if (msg.method === 'initialize') {
    return json({
      jsonrpc: '2.0',
      id: msg.id,
      result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: mode, version: '1' } },
    })
  }
  if (msg.method === 'tools/list') {
    return json({ jsonrpc: '2.0', id: msg.id, result: { tools: [{ name: 'x', inputSchema: { type: 'object' } }] } })
  }
  switch (mode) {
    case 'err500':
      return void res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error')
    case 'garbage':
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{{{ not json')
    case 'sse-garbage':
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      return void res.end('event: message\ndata: {broken\n\ndata: [1,2\n\n')
    case 'drip': {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      const t = setInterval(() => res.write(': drip\n'), 100)
      drips.add(t)
      res.on('close', () => {
        clearInterval(t)
        drips.delete(t)
      })
      return
    }
  }
  res.writeHead(404).end()
}

before(async () => {
  bad = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => badRemote(req, res, body))
  })
  await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r))
  const base = `http://127.0.0.1:${(bad.address() as AddressInfo).port}`
  const remote = (name: string) => ({
    name,
    transport: 'streamable-http' as const,
    url: `${base}/${name}/mcp`,
    timeoutMs: 1500,
  })
  gw = await startTestGateway({
    // The stdio fixture starts through tsx, which takes seconds on a busy machine; remote calls time out at 1.5 s.
    upstreams: { handshakeTimeoutMs: 15_000, restartInitialMs: 50 },
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        apiKeys: [{ name: 'k', key: TEST_KEY }],
        servers: [
          { ...fixtureServer('fine'), autoStart: true },
          ...['down', 'err500', 'garbage', 'sse-garbage', 'drip'].map(remote),
        ],
      },
    ],
  })
})
after(async () => {
  await gw?.close()
  for (const t of drips) clearInterval(t)
  bad?.closeAllConnections()
  await new Promise((r) => bad?.close(r))
  await assertNoLeftovers()
})

const client = (server: string) =>
  new StreamableClient(`${gw.url}/projects/demo/servers/${server}/mcp`, bearer(TEST_KEY))

/** While `work` runs, a session on the healthy server keeps answering echo promptly. */
async function othersServed<T>(work: Promise<T>): Promise<T> {
  const fine = client('fine')
  const init = await fine.initialize()
  assert.ok(fine.sessionId, init.text)
  let done = false
  const settled = work.finally(() => {
    done = true
  })
  let n = 0
  while (!done) {
    const t = performance.now()
    const { final, reply } = await fine.call(`f${n}`, 'echo', { message: `n${n}` })
    if (textOf(final?.result) !== `Echo: n${n}`) assert.fail(`the healthy server failed: ${reply.status} ${reply.text}`)
    assert.ok(performance.now() - t < 1000, 'the healthy server answered within 1 s')
    n++
    await new Promise((r) => setTimeout(r, 100))
  }
  await fine.close()
  return settled
}

describe('remote upstream faults', () => {
  it('a remote answering 500 to everything: initialize gets a JSON-RPC error, not an HTTP 5xx', async () => {
    const c = client('down')
    const started = performance.now()
    const init = await othersServed(c.initialize())
    assert.ok(init.status < 500, `HTTP ${init.status}: ${init.text}`)
    const err = init.messages[0]?.error
    assert.ok(err && Number.isInteger(err.code), init.text)
    assert.ok(performance.now() - started < 5000)
    assert.equal(c.sessionId, undefined, 'no half-open session is left')
  })

  for (const [mode, what] of [
    ['err500', 'answering 500 to tools/call'],
    ['garbage', 'answering non-JSON with a JSON content type'],
    ['sse-garbage', 'answering an SSE stream of broken JSON'],
    ['drip', 'dripping keepalive bytes and never answering'],
  ] as const) {
    it(`a remote ${what}: the call gets a JSON-RPC error in bounded time; the session survives`, async () => {
      const c = client(mode)
      const init = await c.initialize()
      assert.ok(c.sessionId, init.text)
      const started = performance.now()
      const { reply, final } = await othersServed(c.call(1, 'x'))
      const ms = performance.now() - started
      assert.equal(reply.status, 200, reply.text)
      assert.ok(final?.error, `expected an error: ${reply.text}`)
      assert.ok([-32010, -32011, -32012, -32603].includes(final.error.code), reply.text)
      assert.ok(ms < 4000, `answered after ${Math.round(ms)} ms (timeout 1500)`)
      const ping = await c.post({ jsonrpc: '2.0', id: 2, method: 'ping' })
      assert.deepEqual(ping.messages[0]?.result, {}, 'the session still answers')
      await c.close()
    })
  }
})
