// M9 (protocol.md §11.3): `subscriptions/listen` keeps quiet streams alive with keepalives, and a resource watched by
// several listen streams (of one client or of several) is subscribed upstream once, updates reach exactly the streams
// that watch it, each tagged with its own subscription id, and the upstream subscription ends with the last stream.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { readLog, tapped } from '../fixtures/recording-upstreams.ts'
import { assertNoLeftovers, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { type RpcMsg, SseStream } from '../kit/mcp-wire.ts'
import { tempDir } from '../kit/temp-dir.ts'
import { sleep } from '../kit/waiting.ts'

const V = '2026-07-28'
const URI = 'fixture://hello'

describe('M9 subscriptions/listen', { timeout: 60_000 }, () => {
  const dir = tempDir('listen')
  const LOG = join(dir.path, 'fx.log')
  let gw: TestGateway | undefined
  let url = ''
  const streams: SseStream[] = []

  before(async () => {
    gw = await startTestGateway({
      limits: { sseKeepaliveMs: 300 },
      projects: [
        {
          id: 'demo',
          name: 'Demo',
          apiKeys: [{ name: 'test', key: TEST_KEY }],
          servers: [{ ...tapped('fx', LOG), autoStart: true }],
        },
      ],
    })
    url = `${gw.url}/projects/demo/servers/fx/mcp`
  })

  after(async () => {
    for (const s of streams) s.close()
    await gw?.close()
    dir.cleanup()
    await assertNoLeftovers()
  })

  const envelope = (caps: Record<string, unknown> = {}) => ({
    'io.modelcontextprotocol/protocolVersion': V,
    'io.modelcontextprotocol/clientCapabilities': caps,
  })

  function headers(method: string, name?: string): Record<string, string> {
    return {
      authorization: `Bearer ${TEST_KEY}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': V,
      'mcp-method': method,
      ...(name ? { 'mcp-name': name } : {}),
    }
  }

  async function listen(id: string, notifications: Record<string, unknown>, caps = {}): Promise<SseStream> {
    const abort = new AbortController()
    const res = await fetch(url, {
      method: 'POST',
      headers: headers('subscriptions/listen'),
      body: JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'subscriptions/listen',
        params: { notifications, _meta: envelope(caps) },
      }),
      signal: abort.signal,
    })
    assert.equal(res.status, 200)
    const stream = new SseStream(res, abort)
    streams.push(stream)
    const ack = await stream.waitMessage(() => true, 5000)
    assert.equal(ack.method, 'notifications/subscriptions/acknowledged')
    return stream
  }

  async function notify(): Promise<void> {
    const res = await fetch(url, {
      method: 'POST',
      headers: headers('tools/call', 'notify'),
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'n',
        method: 'tools/call',
        params: { name: 'notify', arguments: { uri: URI }, _meta: envelope() },
      }),
    })
    assert.equal(res.status, 200)
    await res.arrayBuffer()
  }

  const upstream = (method: string, since: number) =>
    readLog(LOG)
      .slice(since)
      .filter((e) => e.d === 'in' && e.msg?.method === method && (e.msg.params as { uri?: string })?.uri === URI)
  const updates = (s: SseStream) => s.messages.filter((m: RpcMsg) => m.method === 'notifications/resources/updated')

  it('a quiet listen stream gets keepalives', async () => {
    const s = await listen('quiet', { toolsListChanged: true })
    const before = s.events.length
    const comments = s.comments.length
    await sleep(1000)
    assert.ok(s.comments.length - comments >= 2, `keepalive comments in 1 s: ${s.comments.length - comments}`)
    assert.equal(s.events.length, before, 'keepalives are comments, not events')
    s.close()
  })

  it('one upstream subscription for every stream watching a URI; updates only to them, tagged; ended with the last', async () => {
    const since = readLog(LOG).length
    const a = await listen('a', { resourceSubscriptions: [URI] })
    const b = await listen('b', { resourceSubscriptions: [URI] }, { roots: {} })
    const c = await listen('c', { toolsListChanged: true })
    await sleep(200)
    assert.equal(upstream('resources/subscribe', since).length, 1, 'subscribed upstream once')

    await notify()
    await a.waitMessage((m) => m.method === 'notifications/resources/updated', 5000)
    await b.waitMessage((m) => m.method === 'notifications/resources/updated', 5000)
    await c.waitMessage((m) => m.method === 'notifications/tools/list_changed', 5000)
    await sleep(200)
    assert.equal(updates(a).length, 1)
    assert.equal(updates(b).length, 1)
    assert.equal(updates(c).length, 0, 'a stream that did not watch the URI hears nothing of it')
    const tag = (m: RpcMsg) =>
      (m.params as { _meta?: Record<string, unknown> })._meta?.['io.modelcontextprotocol/subscriptionId']
    assert.equal(tag(updates(a)[0]), 'a')
    assert.equal(tag(updates(b)[0]), 'b')

    a.close()
    await sleep(300)
    assert.equal(upstream('resources/unsubscribe', since).length, 0, 'another stream still watches it')
    b.close()
    c.close()
    for (let i = 0; i < 20 && upstream('resources/unsubscribe', since).length === 0; i++) await sleep(100)
    assert.equal(upstream('resources/unsubscribe', since).length, 1, 'the last stream ended the upstream subscription')
  })
})
