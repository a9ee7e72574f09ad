// Issue 16 point 8: an upstream reply is read up to `upstreams.maxMessageBytes` (16 MiB by default), never whole. A
// local remote upstream streams 128 MiB (generated as it goes, with backpressure, so the test holds none of it) as a
// JSON body, as one SSE event, as the body of an error and on a legacy SSE stream, to "test connection" and to relayed
// tool calls. Each gets a clear error in seconds, the upstream is cut off long before the end of its reply, and the
// memory of this process (the gateway runs in it) grows by far less than the reply.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it, type TestContext } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { assertNoLeftovers, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { bearer, StreamableClient } from '../kit/mcp-wire.ts'

const MiB = 1024 * 1024
const HUGE = 128 * MiB
/** Well below the reply: what the cap (16 MiB) and the buffers around it may cost, not the reply itself. */
const MAX_GROWTH = 64 * MiB

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

let gw: TestGateway
let upstream: Server
let base = ''
/** Bytes each huge reply got out before the gateway stopped reading, by mode. */
const sent = new Map<string, number>()
const closed = new Map<string, Promise<void>>()
let legacyStream: ServerResponse | null = null

/** Writes `head`, then `size` bytes of `x`, then `tail`, waiting for the socket to drain; stops when it closes. */
function stream(mode: string, res: ServerResponse, head: string, size: number, tail = ''): void {
  const chunk = Buffer.alloc(256 * 1024, 'x')
  sent.set(mode, 0)
  const done = once(res, 'close').then(() => {})
  closed.set(mode, done)
  void (async () => {
    res.write(head)
    let n = 0
    while (n < size && !res.destroyed) {
      const more = res.write(chunk)
      n += chunk.length
      sent.set(mode, n)
      if (!more) await Promise.race([once(res, 'drain'), done])
    }
    if (!res.destroyed) res.end(tail)
  })()
}

const hugeText = (id: unknown) =>
  `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"`
const TAIL = '"}]}}'

function result(id: unknown, value: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, result: value })
}

const INIT = { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'huge', version: '1' } }
const TOOLS = { tools: [{ name: 'big', inputSchema: { type: 'object' } }] }

/** Streamable HTTP at `/<mode>/mcp`, legacy SSE at `/legacy/sse` + `/legacy/messages`. */
function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const mode = (req.url ?? '').split('/')[1]
  if (mode === 'legacy') return void legacy(req, res, body)
  if (req.method === 'GET') return void res.writeHead(405).end()
  if (req.method === 'DELETE') return void res.writeHead(200).end()
  const msg = JSON.parse(body) as { id?: unknown; method?: string }
  if (msg.id === undefined) return void res.writeHead(202).end()
  const json = { 'content-type': 'application/json', 'mcp-session-id': 's1' }
  if (msg.method === 'initialize' && mode === 'init') {
    res.writeHead(200, json)
    return void stream(mode, res, hugeText(msg.id), HUGE, TAIL)
  }
  if (msg.method === 'initialize') return void res.writeHead(200, json).end(result(msg.id, INIT))
  if (msg.method === 'tools/list') return void res.writeHead(200, json).end(result(msg.id, TOOLS))
  if (mode === 'json') {
    res.writeHead(200, json)
    return void stream(mode, res, hugeText(msg.id), HUGE, TAIL)
  }
  if (mode === 'event') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 's1' })
    return void stream(mode, res, `event: message\ndata: ${hugeText(msg.id)}`, HUGE, `${TAIL}\n\n`)
  }
  if (mode === 'error') {
    res.writeHead(500, { 'content-type': 'text/plain' })
    return void stream(mode, res, 'Internal Server Error: ', HUGE)
  }
  res.writeHead(404).end()
}

function legacy(req: IncomingMessage, res: ServerResponse, body: string): void {
  if (req.method === 'GET') {
    legacyStream = res
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    return void res.write('event: endpoint\ndata: /legacy/messages\n\n')
  }
  const msg = JSON.parse(body) as { id?: unknown; method?: string }
  res.writeHead(202).end()
  const out = legacyStream
  if (msg.id === undefined || !out) return
  if (msg.method === 'initialize') out.write(`event: message\ndata: ${result(msg.id, INIT)}\n\n`)
  else if (msg.method === 'tools/list') out.write(`event: message\ndata: ${result(msg.id, TOOLS)}\n\n`)
  else stream('legacy', out, `event: message\ndata: ${hugeText(msg.id)}`, HUGE, `${TAIL}\n\n`)
}

before(async () => {
  upstream = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => handle(req, res, body))
  })
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
  const remote = (mode: string) => ({ name: mode, transport: 'streamable-http' as const, url: `${base}/${mode}/mcp` })
  gw = await startTestGateway({
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        apiKeys: [{ name: 'k', key: TEST_KEY }],
        servers: [
          remote('json'),
          remote('event'),
          remote('error'),
          { name: 'legacy', transport: 'sse', url: `${base}/legacy/sse` },
        ],
      },
    ],
  })
})
after(async () => {
  try {
    await gw?.close()
    upstream?.closeAllConnections()
    await new Promise((r) => upstream?.close(r))
  } finally {
    await assertNoLeftovers()
  }
})

/**
 * Runs `work` while sampling this process's memory every 5 ms; fails when RSS or heap + external memory grows by
 * MAX_GROWTH or more over the level just before it.
 */
async function bounded<T>(t: TestContext, what: string, work: () => Promise<T>): Promise<T> {
  gc()
  const start = process.memoryUsage()
  let rss = start.rss
  let held = start.heapUsed + start.external
  const sample = setInterval(() => {
    const m = process.memoryUsage()
    rss = Math.max(rss, m.rss)
    held = Math.max(held, m.heapUsed + m.external)
  }, 5)
  const started = performance.now()
  try {
    return await work()
  } finally {
    clearInterval(sample)
    const m = process.memoryUsage()
    rss = Math.max(rss, m.rss)
    held = Math.max(held, m.heapUsed + m.external)
    const grew = { rss: (rss - start.rss) / MiB, held: (held - start.heapUsed - start.external) / MiB }
    t.diagnostic(
      `${what}: ${Math.round(performance.now() - started)} ms, peak growth RSS ${grew.rss.toFixed(1)} MiB, ` +
        `heap+external ${grew.held.toFixed(1)} MiB, upstream got out ${((sent.get(what) ?? 0) / MiB).toFixed(1)} MiB`,
    )
    assert.ok(grew.rss * MiB < MAX_GROWTH, `${what}: RSS grew by ${grew.rss.toFixed(1)} MiB`)
    assert.ok(grew.held * MiB < MAX_GROWTH, `${what}: heap + external grew by ${grew.held.toFixed(1)} MiB`)
  }
}

/** The huge reply was cut off: the upstream saw its connection close before it could write it all. */
async function cutOff(mode: string): Promise<void> {
  await closed.get(mode)
  assert.ok((sent.get(mode) ?? 0) < HUGE / 2, `${mode}: the upstream wrote ${sent.get(mode)} bytes`)
}

async function callBig(server: string) {
  const c = new StreamableClient(`${gw.url}/projects/demo/servers/${server}/mcp`, bearer(TEST_KEY))
  const init = await c.initialize()
  assert.ok(c.sessionId, init.text)
  const { final } = await c.call(7, 'big')
  await c.close()
  return final
}

describe('upstream replies past upstreams.maxMessageBytes', () => {
  it('test connection: a 128 MiB initialize answer is refused with a clear error', async (t) => {
    const res = await fetch(`${gw.url}/api/auth/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: gw.gateway.setupToken, email: 'admin@example.com', password: 'upstream size pw' }),
    })
    const { token } = (await res.json()) as { token: string }
    const tested = await bounded(t, 'init', async () => {
      const r = await fetch(`${gw.url}/api/projects/demo/servers/test`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ transport: 'streamable-http', url: `${base}/init/mcp` }),
      })
      assert.equal(r.status, 200)
      return (await r.json()) as { ok: boolean; error?: string }
    })
    assert.equal(tested.ok, false)
    assert.match(tested.error ?? '', /larger than 16 MiB \(upstreams\.maxMessageBytes\)/)
    await cutOff('init')
  })

  for (const [mode, what] of [
    ['json', 'a JSON body'],
    ['event', 'one SSE event on the POST stream'],
  ] as const) {
    it(`a relayed tools/call answered by ${what} of 128 MiB gets a JSON-RPC error`, async (t) => {
      const final = await bounded(t, mode, () => callBig(mode))
      assert.equal(final?.error?.code, -32010, JSON.stringify(final))
      assert.match(final?.error?.message ?? '', /larger than 16 MiB \(upstreams\.maxMessageBytes\)/)
      await cutOff(mode)
    })
  }

  it('an error body of 128 MiB is read for a few KB only', async (t) => {
    const final = await bounded(t, 'error', () => callBig('error'))
    assert.equal(final?.error?.code, -32010, JSON.stringify(final))
    assert.match(final?.error?.message ?? '', /HTTP 500/)
    await cutOff('error')
  })

  it('a 128 MiB event on a legacy SSE stream ends that connection, failing the call at once', async (t) => {
    const final = await bounded(t, 'legacy', () => callBig('legacy'))
    assert.equal(final?.error?.code, -32012, JSON.stringify(final))
    assert.match(final?.error?.message ?? '', /larger than 16 MiB \(upstreams\.maxMessageBytes\)/)
    await cutOff('legacy')
  })
})
