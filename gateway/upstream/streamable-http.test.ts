import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, test } from 'node:test'
import { type HttpFixture, type HttpFixtureOptions, startHttpFixture } from '../../test/fixtures/fixture-server.ts'
import { waitFor } from '../../test/fixtures/processes.ts'
import { firstText, RpcPeer } from '../../test/fixtures/rpc-peer.ts'
import { isGatewayError } from '../errors.ts'
import { StreamableHttpTransport, type StreamableHttpTransportOptions } from './streamable-http.ts'

const transports = new Set<StreamableHttpTransport>()
const servers = new Set<{ close(): Promise<void> }>()
after(async () => {
  await Promise.all([...transports].map((t) => t.close()))
  await Promise.all([...servers].map((s) => s.close()))
})

async function fixture(options: Partial<HttpFixtureOptions> = {}): Promise<HttpFixture> {
  const f = await startHttpFixture({ transport: 'streamable-http', ...options })
  servers.add(f)
  return f
}

function transport(options: StreamableHttpTransportOptions): StreamableHttpTransport {
  const t = new StreamableHttpTransport(options)
  transports.add(t)
  return t
}

async function rawServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.add({
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`
}

const seen = (f: HttpFixture, method: string) => f.requests.filter((r) => r.method === method)

// The SDK server drops unrelated notifications while no GET stream is attached: call `notify` until the n-th arrives.
async function notifyUntilSeen(peer: RpcPeer, n: number): Promise<void> {
  const count = () => peer.received.filter((m) => m.method === 'notifications/tools/list_changed').length
  for (let attempt = 0; attempt < 50 && count() < n; attempt++) {
    await peer.request('tools/call', { name: 'notify', arguments: {} })
    await waitFor(() => count() >= n, 100)
  }
  assert.ok(count() >= n, `list_changed #${n} arrived on the GET stream`)
}

describe('StreamableHttpTransport against the SDK Streamable server', () => {
  test('a user and password in the URL reach the upstream as Basic auth, never in the URL; a configured header wins', async () => {
    const f = await fixture()
    const withUser = f.url.replace('http://', 'http://alice:s%40cret%3Ax@')
    const t = transport({ url: withUser })
    const peer = new RpcPeer(t)
    await t.start()
    await peer.initialize()
    const sent = seen(f, 'POST')[0]
    assert.equal(sent.headers.authorization, `Basic ${Buffer.from('alice:s@cret:x').toString('base64')}`)
    assert.ok(!sent.url.includes('alice') && !sent.url.includes('cret'))
    const configured = transport({ url: withUser, headers: { Authorization: 'Bearer configured' } })
    const peer2 = new RpcPeer(configured)
    await configured.start()
    await peer2.initialize()
    assert.equal(seen(f, 'POST').at(-1)?.headers.authorization, 'Bearer configured')
  })

  test('SSE responses: handshake headers, echo, progress before the response', async () => {
    const f = await fixture()
    const t = transport({ url: f.url, headers: { Authorization: 'Bearer upstream-secret', Host: 'evil.example' } })
    const peer = new RpcPeer(t)
    await t.start()
    const init = await peer.initialize()
    assert.equal((init.serverInfo as { name: string }).name, 'mcpo-fixture')
    assert.ok(t.sessionId && /^[\x21-\x7e]+$/.test(t.sessionId))
    t.setProtocolVersion(init.protocolVersion as string)

    assert.equal(
      firstText(await peer.request('tools/call', { name: 'echo', arguments: { message: 'hi' } })),
      'Echo: hi',
    )
    const before = peer.received.length
    const slow = await peer.request('tools/call', {
      name: 'slow',
      arguments: { steps: 3, ms: 30 },
      _meta: { progressToken: 'p' },
    })
    assert.equal(firstText(slow), 'done')
    const sequence = peer.received.slice(before).map((m) => m.method ?? 'response')
    assert.deepEqual(sequence, [
      'notifications/progress',
      'notifications/progress',
      'notifications/progress',
      'response',
    ])

    const posts = seen(f, 'POST')
    const [initPost, initializedPost] = posts
    assert.equal(initPost.headers['mcp-session-id'], undefined)
    assert.equal(initPost.headers['mcp-protocol-version'], undefined, 'never on the initialize POST')
    assert.equal(initializedPost.headers['mcp-session-id'], t.sessionId)
    for (const post of posts) {
      assert.equal(post.headers.accept, 'application/json, text/event-stream')
      assert.equal(post.headers['content-type'], 'application/json')
      assert.equal(post.headers.authorization, 'Bearer upstream-secret')
      assert.match(post.headers.host!, /^127\.0\.0\.1:/)
    }
    assert.equal(posts.at(-1)!.headers['mcp-protocol-version'], '2025-11-25')

    const session = t.sessionId
    await t.close()
    const deletes = seen(f, 'DELETE')
    assert.equal(deletes.length, 1)
    assert.equal(deletes[0].headers['mcp-session-id'], session)
    assert.equal(f.sessionCount(), 0)
  })

  test('JSON responses are delivered', async () => {
    const f = await fixture({ jsonResponse: true, pages: 3 })
    const t = transport({ url: f.url })
    const peer = new RpcPeer(t)
    await t.start()
    await peer.initialize()
    const page1 = await peer.request('tools/list')
    assert.equal(page1.nextCursor, 'page:1')
    await assert.rejects(peer.request('tools/list', { cursor: 'bogus' }), (err: Error & { code?: number }) => {
      assert.equal(err.code, -32602)
      return true
    })
    assert.equal(firstText(await peer.request('tools/call', { name: 'echo', arguments: { message: 'j' } })), 'Echo: j')
    await t.close()
  })

  test('GET stream: server notifications arrive; a dropped stream reconnects', async () => {
    const f = await fixture()
    const t = transport({ url: f.url, reconnect: { initialMs: 30 } })
    const peer = new RpcPeer(t)
    await t.start()
    await peer.initialize()
    t.openEventStream()
    t.openEventStream() // idempotent
    assert.ok(await waitFor(() => seen(f, 'GET').length === 1 && f.sessionCount() === 1))
    const get = seen(f, 'GET')[0]
    assert.equal(get.headers.accept, 'text/event-stream')
    assert.equal(get.headers['mcp-session-id'], t.sessionId)
    await notifyUntilSeen(peer, 1)
    await peer.waitFor((m) => m.method === 'notifications/resources/updated')

    f.dropStreams()
    // >= 2: the SDK server may answer a reconnect 409 until it noticed the old stream is gone.
    assert.ok(await waitFor(() => seen(f, 'GET').length >= 2, 3000), 'reconnected')
    await notifyUntilSeen(peer, 2)
    await t.close()
  })

  test('server→client requests ride the POST stream; the answer is a POST; resources, prompts, fail', async () => {
    const f = await fixture()
    const t = transport({ url: f.url })
    const peer = new RpcPeer(t)
    peer.onrequest = (m) =>
      m.method === 'elicitation/create'
        ? { action: 'accept', content: { color: 'blue' } }
        : { role: 'assistant', content: { type: 'text', text: 'sampled hi' }, model: 'test-model' }
    await t.start()
    await peer.initialize({ elicitation: {}, sampling: {} })
    const elicited = await peer.request('tools/call', { name: 'ask', arguments: {} })
    assert.deepEqual(JSON.parse(firstText(elicited)!), { action: 'accept', content: { color: 'blue' } })
    const sampled = await peer.request('tools/call', { name: 'ask', arguments: { mode: 'sampling' } })
    assert.match(firstText(sampled)!, /sampled hi/)
    const answers = seen(f, 'POST').filter((r) => r.body?.includes('"result"') && !r.body.includes('"method"'))
    assert.equal(answers.length, 2, 'each answer went upstream as its own POST')

    const read = await peer.request('resources/read', { uri: 'fixture://hello' })
    assert.equal((read.contents as { text: string }[])[0].text, 'Hello from the fixture')
    const prompt = await peer.request('prompts/get', { name: 'greet', arguments: { name: 'Ada' } })
    assert.equal((prompt.messages as { content: { text: string } }[])[0].content.text, 'Hello, Ada!')
    const failed = await peer.request('tools/call', { name: 'fail', arguments: {} })
    assert.equal(failed.isError, true)
    await t.close()
  })

  test('GET 405 means no stream: not retried', async () => {
    const f = await fixture({ getStream: false })
    const t = transport({ url: f.url, reconnect: { initialMs: 10 } })
    const peer = new RpcPeer(t)
    await t.start()
    await peer.initialize()
    t.openEventStream()
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.equal(seen(f, 'GET').length, 1)
    assert.equal(firstText(await peer.request('tools/call', { name: 'echo', arguments: { message: 'x' } })), 'Echo: x')
    await t.close()
  })

  test('404 on a session: onsendfailure for the message and onclose; no DELETE afterwards', async () => {
    const f = await fixture()
    const t = transport({ url: f.url })
    const peer = new RpcPeer(t)
    await t.start()
    await peer.initialize()
    await f.expireSessions()
    await assert.rejects(peer.request('tools/list'), (err: Error) => {
      assert.ok(isGatewayError(err, 'MCPO_ERR_UPSTREAM_CLOSED'))
      assert.equal(err.message, 'upstream session expired')
      assert.equal(err.details?.status, 404)
      return true
    })
    const reason = await peer.closed
    assert.ok(isGatewayError(reason, 'MCPO_ERR_UPSTREAM_CLOSED'))
    assert.equal(reason.details?.status, 404)
    await t.close()
    assert.equal(seen(f, 'DELETE').length, 0)
  })

  test('another non-2xx reaches onsendfailure; the transport stays open', async () => {
    const f = await fixture()
    const t = transport({ url: f.url })
    const peer = new RpcPeer(t)
    let closed = false
    void peer.closed.then(() => {
      closed = true
    })
    await t.start()
    // No initialize first: the SDK server answers 400 "Mcp-Session-Id header is required".
    await assert.rejects(peer.request('tools/list'), (err: Error) => {
      assert.ok(isGatewayError(err, 'MCPO_ERR_UPSTREAM_UNAVAILABLE'))
      assert.equal(err.details?.status, 400)
      return true
    })
    assert.equal(closed, false)
    await peer.initialize()
    assert.ok(t.sessionId)
    await t.close()
  })
})

describe('StreamableHttpTransport edge cases', () => {
  test('a JSON array answer is delivered element by element', async () => {
    const url = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify([
          { jsonrpc: '2.0', method: 'notifications/message', params: {} },
          { jsonrpc: '2.0', id: 1, result: {} },
        ]),
      )
    })
    const t = transport({ url })
    const got: string[] = []
    t.onmessage = (m) => got.push(m)
    await t.start()
    t.send('{"jsonrpc":"2.0","id":1,"method":"ping"}')
    assert.ok(await waitFor(() => got.length === 2))
    assert.deepEqual(JSON.parse(got[1]), { jsonrpc: '2.0', id: 1, result: {} })
    await t.close()
  })

  test('an SSE answer that ends without a response, and cannot be resumed, reports the message as failed', async () => {
    const url = await rawServer((req, res) => {
      if (req.method === 'GET') return void res.writeHead(405, { allow: 'POST' }).end()
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end(
        'id: 1\ndata:\n\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}\n\n',
      )
    })
    const t = transport({ url })
    const got: string[] = []
    const failures: [string, Error][] = []
    t.onmessage = (m) => got.push(m)
    t.onsendfailure = (m, err) => failures.push([m, err])
    await t.start()
    t.send('{"jsonrpc":"2.0","id":1,"method":"tools/call"}')
    assert.ok(await waitFor(() => failures.length === 1))
    assert.equal(got.length, 1, 'the progress notification still went through; the empty priming event did not')
    assert.equal(failures[0][0], '{"jsonrpc":"2.0","id":1,"method":"tools/call"}')
    assert.ok(isGatewayError(failures[0][1], 'MCPO_ERR_UPSTREAM_CLOSED'))
    await t.close()
  })

  test('a response stream the server closes early (SSE polling) is resumed with GET and Last-Event-ID', async () => {
    const gets: (string | undefined)[] = []
    const url = await rawServer((req, res) => {
      if (req.method === 'GET') {
        gets.push(req.headers['last-event-id'] as string | undefined)
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        // The first resume finds the stream still busy and is closed again; the second gets the response.
        if (gets.length === 1) return void res.end('id: p1-2\nretry: 20\ndata:\n\n')
        return void res.end('id: p1-3\ndata: {"jsonrpc":"2.0","id":1,"result":{"content":[]}}\n\n')
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end(
        'id: p1-1\nretry: 20\ndata:\n\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}\n\n',
      )
    })
    const t = transport({ url })
    const got: string[] = []
    const failures: Error[] = []
    t.onmessage = (m) => got.push(m)
    t.onsendfailure = (_m, err) => failures.push(err)
    await t.start()
    t.send('{"jsonrpc":"2.0","id":1,"method":"tools/call"}')
    assert.ok(await waitFor(() => got.length === 2))
    assert.deepEqual(JSON.parse(got[1]), { jsonrpc: '2.0', id: 1, result: { content: [] } })
    assert.deepEqual(gets, ['p1-1', 'p1-2'], 'each resume names the last event seen')
    assert.deepEqual(failures, [])
    await t.close()
  })

  test('U5: a GET stream the server ends is reopened after its retry delay with Last-Event-ID, losing nothing', async () => {
    const gets: { lastEventId: string | undefined; at: number }[] = []
    const url = await rawServer((req, res) => {
      if (req.method === 'GET') {
        gets.push({ lastEventId: req.headers['last-event-id'] as string | undefined, at: Date.now() })
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        if (gets.length === 1) {
          return void res.end(
            'retry: 150\nid: g-1\ndata: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n\n',
          )
        }
        if (gets.length === 2) {
          return void res.write('id: g-2\ndata: {"jsonrpc":"2.0","method":"notifications/prompts/list_changed"}\n\n')
        }
        return
      }
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'sess-g' })
      res.end('{"jsonrpc":"2.0","id":1,"result":{}}')
    })
    const t = transport({ url })
    const got: string[] = []
    t.onmessage = (m) => got.push(JSON.parse(m).method)
    await t.start()
    t.send('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}')
    assert.ok(await waitFor(() => got.length === 1))
    t.openEventStream()
    assert.ok(await waitFor(() => got.length === 3))
    assert.deepEqual(got.slice(1), ['notifications/tools/list_changed', 'notifications/prompts/list_changed'])
    assert.deepEqual(
      gets.map((g) => g.lastEventId),
      [undefined, 'g-1'],
      'the second GET resumes after the last event seen',
    )
    assert.ok(gets[1].at - gets[0].at >= 140, `the server's retry: delay was kept (${gets[1].at - gets[0].at} ms)`)
    await t.close()
  })

  test('close(): DELETE answered 405 is fine; a DELETE that hangs is bounded', async () => {
    let hang = false
    const deletes: (string | undefined)[] = []
    const url = await rawServer((req, res) => {
      if (req.method === 'DELETE') {
        deletes.push(req.headers['mcp-session-id'] as string | undefined)
        if (!hang) res.writeHead(405, { allow: 'GET, POST' }).end()
        return
      }
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'sess-1' })
      res.end('{"jsonrpc":"2.0","id":1,"result":{}}')
    })
    for (const mode of [false, true]) {
      hang = mode
      const t = transport({ url, deleteTimeoutMs: 200 })
      let response = false
      t.onmessage = () => {
        response = true
      }
      await t.start()
      t.send('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}')
      assert.ok(await waitFor(() => response))
      assert.equal(t.sessionId, 'sess-1')
      const started = Date.now()
      await t.close()
      assert.ok(Date.now() - started < 1000, `close() is bounded (hang=${mode})`)
    }
    assert.deepEqual(deletes, ['sess-1', 'sess-1'])
  })

  test('a connection refused reaches onsendfailure; send after close too', async () => {
    const t = transport({ url: 'http://127.0.0.1:9/mcp' })
    const failures: Error[] = []
    t.onsendfailure = (_m, err) => failures.push(err)
    await t.start()
    t.send('{"jsonrpc":"2.0","id":1,"method":"ping"}')
    assert.ok(await waitFor(() => failures.length === 1))
    assert.ok(isGatewayError(failures[0], 'MCPO_ERR_UPSTREAM_UNAVAILABLE'))
    await t.close()
    t.send('{"jsonrpc":"2.0","id":2,"method":"ping"}')
    assert.ok(await waitFor(() => failures.length === 2))
    assert.ok(isGatewayError(failures[1], 'MCPO_ERR_UPSTREAM_CLOSED'))
  })
})
