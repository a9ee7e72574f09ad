// mcpo as a 2026-07-28 client of its upstreams (issue 21, protocol.md §11.3 U1–U3): a server that speaks only the
// new revision (the SDK v2 server refusing 2025-era requests) is probed with server/discover, spoken to statelessly
// (the _meta envelope and the revision's headers on every request, no session, no GET, no DELETE), and served to
// 2025-era and 2026-era clients alike; tools with an invalid x-mcp-header are left out; a cancel closes the request's
// POST; a 2025-era server under `auto` still gets initialize; `modern` forced on a 2025-era server fails clearly.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableV2 } from '@modelcontextprotocol/client'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { type HttpFixture, startHttpFixture } from '../fixtures/fixture-server.ts'
import { type ModernServer, startModernServer } from '../fixtures/modern-server.ts'
import { assertNoLeftovers, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'

let gw: TestGateway
let modern: ModernServer
let legacy: HttpFixture
const clients: { close(): Promise<void> }[] = []

before(async () => {
  modern = await startModernServer()
  legacy = await startHttpFixture({ transport: 'streamable-http' })
  gw = await startTestGateway({
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        servers: [
          { name: 'modern', transport: 'streamable-http', url: modern.url, protocol: 'auto' },
          { name: 'forced', transport: 'streamable-http', url: modern.url, protocol: 'modern' },
          { name: 'legacy-auto', transport: 'streamable-http', url: legacy.url, protocol: 'auto' },
          { name: 'legacy-forced', transport: 'streamable-http', url: legacy.url, protocol: 'modern' },
        ],
        apiKeys: [{ name: 'k', key: TEST_KEY }],
      },
    ],
  })
})

after(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})))
  await gw?.close()
  await modern?.close()
  await legacy?.close()
  await assertNoLeftovers()
})

async function connect(server: string): Promise<Client> {
  const client = new Client({ name: 'legacy-client', version: '1.0.0' })
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${gw.url}/projects/demo/servers/${server}/mcp`), {
      requestInit: { headers: gw.auth },
    }),
  )
  clients.push(client)
  return client
}

const textOf = (content: unknown) => (content as { text?: string }[]).map((c) => c.text ?? '').join('')
const status = (server: string) => gw.gateway.relay.runtime('demo', server)?.status()

describe('a 2026-07-28-only upstream', () => {
  it('U1: auto probes with server/discover and speaks the new revision; a 2025-era client lists and calls', async () => {
    const before = modern.requests.length
    const client = await connect('modern')
    assert.equal(client.getServerVersion()?.name, 'modern-fixture')
    const { tools } = await client.listTools()
    assert.deepEqual(tools.map((t) => t.name).sort(), ['echo', 'region-echo', 'slow'], 'broken-header left out (U2)')
    const out = await client.callTool({ name: 'echo', arguments: { message: 'hi' } })
    assert.equal(textOf(out.content), 'Echo: hi')
    assert.equal(status('modern')?.era, 'modern')
    const all = modern.requests.slice(before)
    // A 2025-era client's own connection offers the server its era first; this one refuses it, once per server.
    const refused = all.filter((r) => r.body.includes('"initialize"'))
    assert.ok(refused.length <= 1, 'at most one initialize per server')
    const seen = all.filter((r) => !refused.includes(r))
    assert.ok(seen.length >= 3)
    for (const r of seen) {
      assert.equal(r.method, 'POST', 'no GET or DELETE upstream (U3)')
      assert.equal(r.headers['mcp-session-id'], undefined, 'no session upstream')
      assert.equal(r.headers['mcp-protocol-version'], '2026-07-28')
      const body = JSON.parse(r.body)
      assert.notEqual(body.method, 'initialize')
      assert.equal(r.headers['mcp-method'], body.method)
      assert.equal(body.params._meta['io.modelcontextprotocol/protocolVersion'], '2026-07-28')
      assert.ok(body.params._meta['io.modelcontextprotocol/clientCapabilities'])
    }
    const call = seen.find((r) => JSON.parse(r.body).method === 'tools/call')
    assert.equal(call?.headers['mcp-name'], 'echo')
  })

  it("U2: a tool's x-mcp-header argument goes as Mcp-Param-*, non-ASCII in the base64 form", async () => {
    const client = await connect('modern')
    const before = modern.requests.length
    const out = await client.callTool({ name: 'region-echo', arguments: { region: 'eu-west', message: 'x' } })
    assert.equal(textOf(out.content), 'eu-west: x')
    const utf = await client.callTool({ name: 'region-echo', arguments: { region: 'zürich', message: 'y' } })
    assert.equal(textOf(utf.content), 'zürich: y')
    const calls = modern.requests.slice(before).filter((r) => JSON.parse(r.body).method === 'tools/call')
    assert.equal(calls[0].headers['mcp-param-region'], 'eu-west')
    assert.equal(calls[1].headers['mcp-param-region'], `=?base64?${Buffer.from('zürich').toString('base64')}?=`)
  })

  it('a cancel from the client closes the POST of its call upstream within a second', async () => {
    const client = await connect('modern')
    const controller = new AbortController()
    const before = modern.requests.length
    const call = client.callTool({ name: 'slow', arguments: { ms: 20_000 } }, undefined, { signal: controller.signal })
    for (let i = 0; i < 100 && !modern.requests.slice(before).some((r) => r.body.includes('"slow"')); i++) {
      await new Promise((r) => setTimeout(r, 20))
    }
    const cancelledAt = Date.now()
    controller.abort()
    await assert.rejects(call)
    const slow = modern.requests.slice(before).find((r) => r.body.includes('"slow"'))
    for (let i = 0; i < 50 && slow?.abortedAt === null; i++) await new Promise((r) => setTimeout(r, 20))
    assert.ok(slow?.abortedAt, 'the upstream saw its request closed')
    assert.ok((slow?.abortedAt ?? 0) - cancelledAt < 1000)
  })

  it('a 2026-07-28 client through mcpo reaches the modern upstream on the stateless path', async () => {
    const client = new ClientV2({ name: 'v2', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } })
    await client.connect(
      new StreamableV2(new URL(`${gw.url}/projects/demo/servers/modern/mcp`), {
        requestInit: { headers: gw.auth },
      }),
    )
    clients.push(client)
    const out = await client.callTool({ name: 'echo', arguments: { message: 'both modern' } })
    assert.equal(textOf(out.content), 'Echo: both modern')
  })

  it('protocol modern skips the probe verdict: the forced server works the same', async () => {
    const client = await connect('forced')
    const out = await client.callTool({ name: 'echo', arguments: { message: 'forced' } })
    assert.equal(textOf(out.content), 'Echo: forced')
    assert.equal(status('forced')?.era, 'modern')
  })
})

describe('2025-era upstreams', () => {
  it("auto gives a 2025-era client's own connection the 2025 handshake first: a 2025-era server keeps its session", async () => {
    const discovers = () => legacy.requests.filter((r) => r.body?.includes('"server/discover"')).length
    const client = await connect('legacy-auto')
    const out = await client.callTool({ name: 'echo', arguments: { message: 'old' } })
    assert.match(textOf(out.content), /old/)
    assert.equal(status('legacy-auto')?.era, 'legacy')
    assert.equal(discovers(), 0, 'no probe: the server took the 2025 handshake')
    const second = await connect('legacy-auto')
    assert.match(textOf((await second.callTool({ name: 'echo', arguments: { message: 'again' } })).content), /again/)
    assert.equal(discovers(), 0)
  })

  it('auto probes once for 2026-07-28 clients of a 2025-era server, falls back to initialize, and keeps the verdict', async () => {
    const discovers = () => legacy.requests.filter((r) => r.body?.includes('"server/discover"')).length
    const before = discovers()
    const call = (id: number, caps: Record<string, unknown> = {}) =>
      fetch(`${gw.url}/projects/demo/servers/legacy-auto/mcp`, {
        method: 'POST',
        headers: {
          ...gw.auth,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': 'echo',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: {
            name: 'echo',
            arguments: { message: `modern ${id}` },
            _meta: {
              'io.modelcontextprotocol/protocolVersion': '2026-07-28',
              'io.modelcontextprotocol/clientCapabilities': caps,
              'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
            },
          },
        }),
      }).then((r) => r.text())
    assert.match(await call(1), /modern 1/)
    assert.equal(discovers(), before + 1)
    // Other capabilities make another stateless client with a connection of its own: the kept verdict spares it the probe.
    assert.match(await call(2, { roots: {} }), /modern 2/)
    assert.equal(discovers(), before + 1, 'the verdict is kept')
  })

  it('protocol modern on a 2025-era server fails with the reason', async () => {
    const client = new Client({ name: 'c', version: '1' })
    const transport = new StreamableHTTPClientTransport(new URL(`${gw.url}/projects/demo/servers/legacy-forced/mcp`), {
      requestInit: { headers: gw.auth },
    })
    await assert.rejects(client.connect(transport), /set to 2026-07-28 but server\/discover failed/)
    await client.close()
    assert.match(status('legacy-forced')?.lastError ?? '', /2026-07-28/)
  })
})
