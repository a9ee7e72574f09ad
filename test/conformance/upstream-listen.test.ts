// U3 (protocol.md §11.2): a 2026-07-28 upstream has no session to push changes on, so mcpo holds one
// `subscriptions/listen` per upstream connection, naming the list changes the server announces and every URI a client
// subscribed to; what arrives on it reaches 2025-era sessions as list_changed / resources/updated and 2026-07-28
// clients on their own listen streams. A lost listen stream is reopened and every list dropped. List caches honour
// the upstream's ttlMs. The upstream is written at the wire level, so every listen it sees is counted.
import assert from 'node:assert/strict'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import {
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { assertNoLeftovers, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { type RpcMsg, SseStream } from '../kit/mcp-wire.ts'
import { waitFor } from '../kit/waiting.ts'

const MODERN = '2026-07-28'
const URI = 'mem://notes'
const TOOLS_TTL_MS = 400

interface Listen {
  notifications: Record<string, unknown>
  res: ServerResponse
  open: boolean
  id: unknown
}

/** A 2026-07-28-only server at the wire level: lists with ttlMs, `subscriptions/listen`, tools that cause changes. */
function startListeningServer() {
  const listens: Listen[] = []
  const tools = ['add_tool', 'touch']
  let toolLists = 0
  const push = (method: string, params: Record<string, unknown>, to: (l: Listen) => boolean) => {
    for (const l of listens) {
      if (!l.open || !to(l)) continue
      const meta = { 'io.modelcontextprotocol/subscriptionId': l.id }
      l.res.write(
        `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method, params: { ...params, _meta: meta } })}\n\n`,
      )
    }
  }
  const server = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    if (req.method !== 'POST') return void res.writeHead(405).end()
    const msg = JSON.parse(body) as { id?: unknown; method: string; params?: Record<string, unknown> }
    const answer = (result: Record<string, unknown>) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { resultType: 'complete', ...result } }))
    }
    switch (msg.method) {
      case 'server/discover':
        return answer({
          supportedVersions: [MODERN],
          capabilities: { tools: { listChanged: true }, resources: { subscribe: true, listChanged: true } },
          serverInfo: { name: 'listening', version: '1' },
          ttlMs: 60_000,
          cacheScope: 'public',
        })
      case 'tools/list':
        toolLists++
        return answer({
          tools: tools.map((name) => ({ name, inputSchema: { type: 'object' } })),
          ttlMs: TOOLS_TTL_MS,
          cacheScope: 'public',
        })
      case 'resources/list':
        return answer({ resources: [{ uri: URI, name: 'notes' }], ttlMs: 60_000, cacheScope: 'public' })
      case 'resources/templates/list':
        return answer({ resourceTemplates: [], ttlMs: 60_000, cacheScope: 'public' })
      case 'resources/read':
        return answer({ contents: [{ uri: URI, text: 'hello' }], ttlMs: 0, cacheScope: 'public' })
      case 'tools/call': {
        if (msg.params?.name === 'add_tool') {
          tools.push(`extra_${tools.length}`)
          push('notifications/tools/list_changed', {}, (l) => l.notifications.toolsListChanged === true)
        } else {
          const uri = (msg.params?.arguments as { uri?: string } | undefined)?.uri ?? URI
          push('notifications/resources/updated', { uri }, (l) =>
            ((l.notifications.resourceSubscriptions as string[] | undefined) ?? []).includes(uri),
          )
        }
        return answer({ content: [{ type: 'text', text: 'done' }] })
      }
      case 'subscriptions/listen': {
        const l: Listen = {
          notifications: (msg.params?.notifications ?? {}) as Record<string, unknown>,
          res,
          open: true,
          id: msg.id,
        }
        listens.push(l)
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        const ack = { notifications: l.notifications, _meta: { 'io.modelcontextprotocol/subscriptionId': msg.id } }
        res.write(
          `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: ack })}\n\n`,
        )
        res.on('close', () => {
          l.open = false
        })
        return
      }
      default:
        res.writeHead(404, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } }))
    }
  })
  return {
    listens,
    open: () => listens.filter((l) => l.open),
    toolLists: () => toolLists,
    /** Ends every listen stream as a server restart would. */
    dropListens() {
      for (const l of listens) if (l.open) l.res.destroy()
    },
    server,
    start: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`)),
      ),
  }
}

const upstream = startListeningServer()
let gw: TestGateway
const clients: Client[] = []
const streams: SseStream[] = []

before(async () => {
  const url = await upstream.start()
  gw = await startTestGateway({
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        apiKeys: [{ name: 'test', key: TEST_KEY }],
        servers: [{ name: 'live', transport: 'streamable-http', url, protocol: 'modern', isolation: 'shared' }],
      },
    ],
  })
})

after(async () => {
  for (const s of streams) s.close()
  for (const c of clients) await c.close().catch(() => {})
  await gw?.close()
  upstream.server.closeAllConnections()
  await new Promise((r) => upstream.server.close(r))
  await assertNoLeftovers()
})

async function connect() {
  const client = new Client({ name: 'listen-v1', version: '1' })
  const changed: string[] = []
  const updated: string[] = []
  client.setNotificationHandler(ToolListChangedNotificationSchema, (n) => void changed.push(n.method))
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updated.push(n.params.uri))
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${gw.url}/projects/demo/servers/live/mcp`), {
      requestInit: { headers: gw.auth },
    }),
  )
  clients.push(client)
  return { client, changed, updated }
}

describe('U3: one subscriptions/listen per modern upstream connection', () => {
  it('is opened with the list changes the server announces, once however many clients connect', async () => {
    await connect()
    await connect()
    await waitFor(() => upstream.open().length === 1, 5000)
    assert.deepEqual(upstream.open()[0].notifications, { toolsListChanged: true, resourcesListChanged: true })
    assert.equal(upstream.listens.length, 1)
  })

  it('a list change upstream reaches 2025-era sessions as list_changed, and their next list is fetched anew', async () => {
    const a = await connect()
    const b = await connect()
    const before = (await a.client.listTools()).tools.length
    await a.client.callTool({ name: 'add_tool', arguments: {} })
    await waitFor(() => a.changed.length > 0 && b.changed.length > 0, 5000)
    assert.equal((await b.client.listTools()).tools.length, before + 1)
  })

  it("a 2025-era client's resources/subscribe is named in the listen stream (opened anew before the old closes)", async () => {
    const a = await connect()
    const other = await connect()
    await a.client.subscribeResource({ uri: URI })
    await waitFor(
      () => upstream.open().length === 1 && upstream.open()[0].notifications.resourceSubscriptions !== undefined,
      5000,
    )
    assert.deepEqual(upstream.open()[0].notifications.resourceSubscriptions, [URI])
    await other.client.callTool({ name: 'touch', arguments: { uri: URI } })
    await waitFor(() => a.updated.length === 1, 5000)
    assert.deepEqual(a.updated, [URI])
    assert.deepEqual(other.updated, [], 'only the subscribed session hears of it')
    await a.client.unsubscribeResource({ uri: URI })
    await waitFor(
      () => upstream.open().length === 1 && upstream.open()[0].notifications.resourceSubscriptions === undefined,
      5000,
    )
  })

  it('a 2026-07-28 client listening through mcpo gets the change on its own listen stream', async () => {
    const abort = new AbortController()
    const meta = {
      'io.modelcontextprotocol/protocolVersion': MODERN,
      'io.modelcontextprotocol/clientCapabilities': {},
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
    }
    const res = await fetch(`${gw.url}/projects/demo/servers/live/mcp`, {
      method: 'POST',
      headers: {
        ...gw.auth,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN,
        'mcp-method': 'subscriptions/listen',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'watch',
        method: 'subscriptions/listen',
        params: { notifications: { toolsListChanged: true }, _meta: meta },
      }),
      signal: abort.signal,
    })
    const stream = new SseStream(res, abort)
    streams.push(stream)
    await stream.waitMessage((m: RpcMsg) => m.method === 'notifications/subscriptions/acknowledged', 5000)
    const { client } = await connect()
    await client.callTool({ name: 'add_tool', arguments: {} })
    const changed = await stream.waitMessage((m: RpcMsg) => m.method === 'notifications/tools/list_changed', 5000)
    assert.equal(
      (changed.params as { _meta?: Record<string, unknown> })._meta?.['io.modelcontextprotocol/subscriptionId'],
      'watch',
    )
  })

  it('a lost listen stream is opened again, and sessions are told their lists may have changed', async () => {
    const a = await connect()
    const opened = upstream.listens.length
    upstream.dropListens()
    await waitFor(() => upstream.listens.length > opened && upstream.open().length === 1, 10_000)
    await waitFor(() => a.changed.length > 0, 5000)
  })

  it("lists are reused while the upstream's ttlMs lasts and fetched again after it", async () => {
    const { client } = await connect()
    await client.listTools()
    const fetched = upstream.toolLists()
    await client.listTools()
    assert.equal(upstream.toolLists(), fetched, 'within ttlMs the cached list is served')
    await new Promise((r) => setTimeout(r, TOOLS_TTL_MS + 100))
    await client.listTools()
    assert.equal(upstream.toolLists(), fetched + 1, 'after ttlMs the list is fetched again')
  })
})
