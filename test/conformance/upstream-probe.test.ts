// U1 on stdio (protocol.md §11.2): under `auto`, a stdio server that has not answered `server/discover` within a second
// is offered `initialize` beside it and the first era to answer wins. A 2025-era server that ignores unknown requests
// then starts in about a second instead of waiting out the probe, and a 2026-only server that is slow to boot (as one
// fetched by npx is) is still recognised as modern instead of failing its first start on a refused handshake.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { assertNoLeftovers, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'

const ROOT = join(import.meta.dirname, '../..')

/** A 2025-era stdio server that answers only what it knows: unknown requests get no answer at all. */
const SILENT_LEGACY = `
const rl = require('node:readline').createInterface({ input: process.stdin })
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n')
rl.on('line', (line) => {
  const m = JSON.parse(line)
  if (m.method === 'initialize') return send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'silent', version: '1' } } })
  if (m.method === 'tools/list') return send({ jsonrpc: '2.0', id: m.id, result: { tools: [{ name: 'hello', inputSchema: { type: 'object' } }] } })
  if (m.method === 'tools/call') return send({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: 'hello from 2025' }] } })
})
`

/** The 2026-only stdio fixture, started only after 2.5 s, as a server that is still being fetched would be. */
const SLOW_MODERN = `setTimeout(() => import(${JSON.stringify(join(ROOT, 'test/fixtures/modern-stdio-server.ts'))}), 2500)`

let gw: TestGateway
const clients: Client[] = []

before(async () => {
  gw = await startTestGateway({
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        apiKeys: [{ name: 'test', key: TEST_KEY }],
        servers: [
          { name: 'silent', transport: 'stdio', command: process.execPath, args: ['-e', SILENT_LEGACY] },
          {
            name: 'slow-modern',
            transport: 'stdio',
            command: process.execPath,
            args: ['--import', 'tsx', '-e', SLOW_MODERN],
          },
        ],
      },
    ],
  })
})

after(async () => {
  for (const c of clients) await c.close().catch(() => {})
  await gw?.close()
  await assertNoLeftovers()
})

async function connect(server: string): Promise<Client> {
  const client = new Client({ name: 'probe', version: '1' })
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${gw.url}/projects/demo/servers/${server}/mcp`), {
      requestInit: { headers: gw.auth },
    }),
  )
  clients.push(client)
  return client
}

const status = (server: string) => gw.gateway.relay.runtime('demo', server)?.status()
const textOf = (r: unknown) => (r as { content: { text?: string }[] }).content[0]?.text ?? ''

describe('the era probe on stdio, under auto', () => {
  it('a 2025-era server that ignores server/discover is started with initialize after about a second', async () => {
    const started = Date.now()
    const client = await connect('silent')
    assert.equal(textOf(await client.callTool({ name: 'hello', arguments: {} })), 'hello from 2025')
    const ms = Date.now() - started
    assert.ok(ms < 3500, `first call after ${ms} ms (the probe alone would wait 5 s)`)
    assert.equal(status('silent')?.era, 'legacy')
  })

  it('a 2026-only server that boots slowly is recognised as modern on its first start', async () => {
    const client = await connect('slow-modern')
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message: 'late' } })), 'Echo: late')
    assert.equal(status('slow-modern')?.era, 'modern')
    assert.equal(status('slow-modern')?.restarts, 0)
    assert.equal(status('slow-modern')?.consecutiveFailures, 0)
  })
})
