import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, test } from 'node:test'
import { type HttpFixture, startHttpFixture } from '../../test/fixtures/fixture-server.ts'
import { waitFor } from '../../test/fixtures/processes.ts'
import { firstText, RpcPeer } from '../../test/fixtures/rpc-peer.ts'
import { isGatewayError } from '../errors.ts'
import { SseTransport, type SseTransportOptions } from './sse.ts'
import { type SseEvent, SseParser } from './sse-parser.ts'

const transports = new Set<SseTransport>()
const servers = new Set<{ close(): Promise<void> }>()
after(async () => {
  await Promise.all([...transports].map((t) => t.close()))
  await Promise.all([...servers].map((s) => s.close()))
})

async function fixture(options: Partial<Parameters<typeof startHttpFixture>[0]> = {}): Promise<HttpFixture> {
  const f = await startHttpFixture({ transport: 'sse', ...options })
  servers.add(f)
  return f
}

function transport(options: SseTransportOptions): SseTransport {
  const t = new SseTransport(options)
  transports.add(t)
  return t
}

/** A bare node:http server on 127.0.0.1, registered for cleanup. */
async function rawServer(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.add({
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

describe('SseParser', () => {
  const parse = (chunks: string[]) => {
    const events: SseEvent[] = []
    const retries: number[] = []
    const parser = new SseParser({ onevent: (e) => events.push(e), onretry: (ms) => retries.push(ms) })
    for (const chunk of chunks) parser.push(chunk)
    parser.end()
    return { events, retries }
  }

  test('events, multi-line data, comments, retry, ids, default type', () => {
    const { events, retries } = parse([
      ': keepalive\n\nevent: endpoint\ndata: /messages?sessionId=1\n\n',
      'id: 7\nretry: 2500\ndata: {"a":\ndata: 1}\n\n',
      'data:no-space\r\n\r\n',
      'event: x\n\n', // no data: nothing dispatched
      'data: trailing without blank line',
    ])
    assert.deepEqual(events, [
      { event: 'endpoint', data: '/messages?sessionId=1', id: undefined },
      { event: 'message', data: '{"a":\n1}', id: '7' },
      { event: 'message', data: 'no-space', id: '7' },
    ])
    assert.deepEqual(retries, [2500])
  })

  test('any split, including inside CRLF and multi-byte characters', () => {
    const bytes = Buffer.from('event: message\r\ndata: {"t":"é✓"}\r\n\r\ndata: 2\r\r')
    for (let cut = 0; cut <= bytes.length; cut++) {
      const events: SseEvent[] = []
      const parser = new SseParser({ onevent: (e) => events.push(e) })
      parser.push(bytes.subarray(0, cut))
      parser.push(bytes.subarray(cut))
      parser.end()
      assert.deepEqual(
        events.map((e) => e.data),
        ['{"t":"é✓"}', '2'],
        `cut at ${cut}`,
      )
    }
  })

  test('drops an oversized event', () => {
    const events: SseEvent[] = []
    const oversize: number[] = []
    const parser = new SseParser({
      onevent: (e) => events.push(e),
      onoversize: (n) => oversize.push(n),
      maxEventChars: 10,
    })
    parser.push(`data: ${'x'.repeat(50)}\n\ndata: ok\n\n`)
    assert.deepEqual(
      events.map((e) => e.data),
      ['ok'],
    )
    assert.equal(oversize.length, 1)
  })
})

describe('SseTransport', () => {
  test('initialize, tools/list, echo, slow with progress; headers on GET and POSTs', async () => {
    const f = await fixture()
    const t = transport({ url: f.url, headers: { Authorization: 'Bearer upstream-secret', 'Mcp-Session-Id': 'nope' } })
    const peer = new RpcPeer(t)
    await t.start()
    assert.match(t.endpoint!, /^http:\/\/127\.0\.0\.1:\d+\/messages\?sessionId=/)
    const init = await peer.initialize()
    assert.equal((init.serverInfo as { name: string }).name, 'mcpo-fixture')
    t.setProtocolVersion(init.protocolVersion as string)
    const tools = await peer.request('tools/list')
    assert.ok((tools.tools as { name: string }[]).some((tool) => tool.name === 'echo'))
    assert.equal(
      firstText(await peer.request('tools/call', { name: 'echo', arguments: { message: 'hi' } })),
      'Echo: hi',
    )
    const slow = await peer.request('tools/call', {
      name: 'slow',
      arguments: { steps: 2, ms: 20 },
      _meta: { progressToken: 5 },
    })
    assert.equal(firstText(slow), 'done')
    assert.equal(peer.received.filter((m) => m.method === 'notifications/progress').length, 2)

    const get = f.requests.find((r) => r.method === 'GET')!
    assert.equal(get.headers.accept, 'text/event-stream')
    assert.equal(get.headers.authorization, 'Bearer upstream-secret')
    const posts = f.requests.filter((r) => r.method === 'POST')
    assert.ok(posts.length >= 5)
    for (const post of posts) {
      assert.equal(post.headers.authorization, 'Bearer upstream-secret')
      assert.equal(post.headers['content-type'], 'application/json')
      assert.equal(post.headers['mcp-session-id'], undefined, 'configured protocol headers are never sent')
    }
    assert.equal(posts[0].headers['mcp-protocol-version'], undefined)
    assert.equal(posts.at(-1)!.headers['mcp-protocol-version'], '2025-11-25')
    await t.close()
    assert.ok(await waitFor(() => f.sessionCount() === 0), 'close() aborts the GET')
  })

  test('a cross-origin endpoint is refused (SSRF guard) and nothing is POSTed there', async () => {
    let hits = 0
    const other = await rawServer((_req, res) => {
      hits++
      res.end()
    })
    const f = await fixture({ endpoint: `${other.url}/messages?sessionId=x` })
    const t = transport({ url: f.url, reconnect: { initialMs: 10 } })
    await assert.rejects(t.start(), (err: Error) => {
      assert.ok(isGatewayError(err, 'MCPO_ERR_UPSTREAM_UNAVAILABLE'))
      assert.match(err.message, /origin/)
      return true
    })
    assert.equal(f.requests.filter((r) => r.method === 'GET').length, 1, 'not retried')
    assert.equal(hits, 0)
  })

  test('a path-relative endpoint resolves against the SSE URL', async () => {
    const { url } = await rawServer((req, res) => {
      if (req.method !== 'GET') return void res.writeHead(202).end()
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('event: endpoint\ndata: messages?sessionId=abc\n\n')
    })
    const t = transport({ url: `${url}/base/sse` })
    await t.start()
    assert.equal(t.endpoint, `${url}/base/messages?sessionId=abc`)
    await t.close()
  })

  test('a dropped stream after start reaches onclose; later sends fail', async () => {
    const f = await fixture()
    const t = transport({ url: f.url })
    const peer = new RpcPeer(t)
    await t.start()
    await peer.initialize()
    f.dropStreams()
    const reason = await peer.closed
    assert.ok(isGatewayError(reason, 'MCPO_ERR_UPSTREAM_CLOSED'))
    await assert.rejects(peer.request('ping'), (err: Error) => isGatewayError(err, 'MCPO_ERR_UPSTREAM_CLOSED'))
    assert.equal(f.requests.filter((r) => r.method === 'GET').length, 1, 'no silent reconnect after start()')
  })

  test('a POST refused by the upstream reaches onsendfailure; 404 also closes', async () => {
    let status = 500
    const { url } = await rawServer((req, res) => {
      if (req.method === 'POST') return void res.writeHead(status).end('nope')
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('event: endpoint\ndata: /messages?sessionId=s\n\n')
    })
    const t = transport({ url: `${url}/sse` })
    const failures: [string, Error][] = []
    let closed: Error | undefined | 'open' = 'open'
    t.onsendfailure = (message, err) => failures.push([message, err])
    t.onclose = (reason) => {
      closed = reason
    }
    await t.start()
    t.send('{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
    assert.ok(await waitFor(() => failures.length === 1))
    assert.equal(failures[0][0], '{"jsonrpc":"2.0","id":1,"method":"tools/list"}', 'names the failed message')
    assert.ok(isGatewayError(failures[0][1], 'MCPO_ERR_UPSTREAM_UNAVAILABLE'))
    assert.equal(failures[0][1].details?.status, 500)
    assert.equal(closed, 'open')

    status = 404
    t.send('{"jsonrpc":"2.0","id":2,"method":"tools/list"}')
    assert.ok(await waitFor(() => failures.length === 2 && closed !== 'open'))
    assert.ok(isGatewayError(failures[1][1], 'MCPO_ERR_UPSTREAM_CLOSED'))
    assert.ok(isGatewayError(closed, 'MCPO_ERR_UPSTREAM_CLOSED'))
    assert.equal(closed.details?.status, 404)
  })

  test('the upstream forgetting the session ends the stream: onclose', async () => {
    const f = await fixture()
    const t = transport({ url: f.url })
    const peer = new RpcPeer(t)
    await t.start()
    await peer.initialize()
    await f.expireSessions()
    assert.ok(isGatewayError(await peer.closed, 'MCPO_ERR_UPSTREAM_CLOSED'))
  })

  test('a throwing onmessage handler is logged and does not end the stream', async () => {
    const { url } = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('event: endpoint\ndata: /messages\n\n')
      res.write('data: {"jsonrpc":"2.0","method":"a"}\n\ndata: {"jsonrpc":"2.0","method":"b"}\n\n')
    })
    const errors: unknown[] = []
    const noop = (): void => {}
    const logger = { debug: noop, info: noop, warn: noop, error: (obj: unknown) => errors.push(obj) }
    const t = transport({ url: `${url}/sse`, logger })
    const got: string[] = []
    let closed = false
    t.onmessage = (m) => {
      got.push(m)
      if (got.length === 1) throw new Error('handler bug')
    }
    t.onclose = () => {
      closed = true
    }
    await t.start()
    assert.ok(await waitFor(() => got.length === 2))
    assert.equal(errors.length, 1)
    assert.equal(closed, false)
    await t.close()
  })

  test('start() retries the initial connect with backoff', async () => {
    let gets = 0
    const { url } = await rawServer((_req, res) => {
      gets++
      if (gets < 3) return void res.writeHead(503).end('warming up')
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('event: endpoint\ndata: /messages?sessionId=s\n\n')
    })
    const t = transport({ url: `${url}/sse`, reconnect: { initialMs: 20, factor: 2 } })
    const started = Date.now()
    await t.start()
    assert.equal(gets, 3)
    assert.ok(Date.now() - started >= 60, 'waited 20 + 40 ms')
    await t.close()
  })

  test('start() gives up after maxAttempts; 4xx is not retried', async () => {
    let gets = 0
    const { url } = await rawServer((_req, res) => {
      gets++
      res.writeHead(gets === 1 ? 500 : 401).end()
    })
    const t = transport({ url: `${url}/sse`, reconnect: { initialMs: 5, maxAttempts: 5 } })
    await assert.rejects(t.start(), (err: Error) => isGatewayError(err, 'MCPO_ERR_UPSTREAM_UNAVAILABLE'))
    assert.equal(gets, 2)

    const refused = transport({ url: 'http://127.0.0.1:9/sse', reconnect: { initialMs: 5, maxAttempts: 3 } })
    await assert.rejects(refused.start(), (err: Error) => {
      assert.match(err.message, /after 3 attempts/)
      return true
    })
  })

  test('connect timeout: a server that never sends the endpoint event', async () => {
    const { url } = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(': hello\n\n')
    })
    const t = transport({ url: `${url}/sse`, connectTimeoutMs: 150, reconnect: { maxAttempts: 2, initialMs: 10 } })
    const started = Date.now()
    await assert.rejects(t.start(), (err: Error) => {
      assert.ok(isGatewayError(err, 'MCPO_ERR_UPSTREAM_UNAVAILABLE'))
      assert.match(err.message, /no endpoint event/)
      return true
    })
    assert.ok(Date.now() - started < 1500)
  })
})
