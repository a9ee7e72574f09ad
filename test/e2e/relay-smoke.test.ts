// The definition of done: a project declared in config with server-everything answers tools/list and
// tools/call from the SDK clients over both transports, on per-server and unified endpoints, with its key only.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { findProcesses, listDescendants, pidAlive } from '../fixtures/processes.ts'
import { startTestGateway, type TestGateway } from '../harness.ts'

let gw: TestGateway

before(async () => {
  gw = await startTestGateway()
})
after(async () => {
  await gw?.close()
})

const endpoints = [
  ['sse', '/projects/demo/servers/everything/sse', 'echo'],
  ['streamable', '/projects/demo/servers/everything/mcp', 'echo'],
  ['sse', '/projects/demo/sse', 'everything__echo'],
  ['streamable', '/projects/demo/mcp', 'everything__echo'],
] as const

function transport(kind: 'sse' | 'streamable', path: string, headers: Record<string, string>) {
  const url = new URL(gw.url + path)
  return kind === 'sse'
    ? new SSEClientTransport(url, { requestInit: { headers } })
    : new StreamableHTTPClientTransport(url, { requestInit: { headers } })
}

describe('SDK clients through mcpo to server-everything', () => {
  for (const [kind, path, echo] of endpoints) {
    it(`${kind} ${path}: lists and calls tools with the project key`, async () => {
      const client = new Client({ name: 'smoke', version: '1.0.0' })
      await client.connect(transport(kind, path, gw.auth))
      try {
        const { tools } = await client.listTools()
        assert.ok(
          tools.some((t) => t.name === echo),
          `no ${echo} in ${tools.map((t) => t.name)}`,
        )
        const result = await client.callTool({ name: echo, arguments: { message: `hi ${kind}` } })
        assert.deepEqual(result.content, [{ type: 'text', text: `Echo: hi ${kind}` }])
      } finally {
        await client.close()
      }
    })

    it(`${kind} ${path}: refused without a key and with a wrong one`, async () => {
      const attempts: Record<string, string>[] = [{}, { Authorization: 'Bearer mcp_proj_wrongwrongwrongwrongwrong' }]
      for (const headers of attempts) {
        const client = new Client({ name: 'smoke', version: '1.0.0' })
        await assert.rejects(
          client.connect(transport(kind, path, headers)),
          /401|Unauthorized|invalid_token|UNAUTHENTICATED/i,
        )
        await client.close().catch(() => {})
      }
    })
  }

  it('leaves no upstream process behind once the gateway stops', async () => {
    // Only this process's children: other test files run their own server-everything at the same time.
    const mine = new Set(listDescendants(process.pid))
    const pids = findProcesses('server-everything')
      .map((p) => p.pid)
      .filter((pid) => mine.has(pid))
    assert.ok(pids.length >= 1, 'server-everything should be running while sessions were open')
    await gw.close()
    assert.deepEqual(
      pids.filter((pid) => pidAlive(pid)),
      [],
    )
  })
})
