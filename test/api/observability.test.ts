// Data-plane observability through the REST API: client sessions with client name (MCP clientInfo, else the
// User-Agent), IP and request/failure counts; a server's log by level; each server's last success and last error.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { isFailure } from '../../gateway/mcp/reply.ts'
import { clientFromUserAgent } from '../../gateway/mcp/session-tracker.ts'
import { everythingServer, fixtureServer, OTHER_PROJECT_KEY, TEST_KEY } from '../harness.ts'
import { bearer, postMcp } from '../kit/mcp-wire.ts'
import { type ProjectApi, startProjectApi } from './project-harness.ts'

let api: ProjectApi

before(async () => {
  api = await startProjectApi({
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        servers: [everythingServer(), fixtureServer()],
        apiKeys: [{ name: 'config', key: TEST_KEY }],
      },
      { id: 'other', name: 'Other', apiKeys: [{ name: 'other', key: OTHER_PROJECT_KEY }] },
    ],
  })
})
after(() => api?.close())

describe('client sessions', () => {
  it('reads the client from the User-Agent product token and failures from the answer', () => {
    assert.deepEqual(clientFromUserAgent('Cline/3.17.0 (darwin; arm64)'), { name: 'Cline', version: '3.17.0' })
    assert.deepEqual(clientFromUserAgent('curl'), { name: 'curl', version: null })
    assert.equal(clientFromUserAgent(undefined), null)
    assert.equal(isFailure('{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"x"}}'), true)
    assert.equal(
      isFailure('{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"\\"error\\""}]}}'),
      false,
    )
    assert.equal(isFailure('{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":true}}'), true)
  })

  it('lists each session with its client, IP, principal and request and failure counts', async () => {
    const client = await api.mcp(TEST_KEY, '/projects/demo/servers/fixture/mcp')
    await client.listTools()
    await client.callTool({ name: 'echo', arguments: { message: 'hi' } })
    await client.callTool({ name: 'fail', arguments: {} })
    // The SDK server answers an unknown tool with an isError result, not a JSON-RPC error; both count as failures.
    await client.callTool({ name: 'no-such-tool', arguments: {} }).catch(() => {})

    // A client that sends no clientInfo is named from its User-Agent.
    const init = await postMcp(
      `${api.gw.url}/projects/demo/servers/fixture/mcp`,
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18' } },
      { ...bearer(TEST_KEY), 'user-agent': 'Cline/3.17.0 (darwin)' },
    )
    assert.equal(init.status, 200)
    await init.text()
    const clineSession = init.headers.get('mcp-session-id')

    const res = await api.call(api.rep, 'GET', '/api/projects/demo/sessions?server=fixture')
    assert.equal(res.status, 200, res.text)
    const sdk = res.body.items.find((s: { clientName: string }) => s.clientName === 'mcpo-test')
    assert.ok(sdk, res.text)
    assert.equal(sdk.transport, 'streamable')
    assert.equal(sdk.server, 'fixture')
    assert.equal(sdk.ip, '127.0.0.1')
    assert.ok(sdk.requests >= 5, `requests ${sdk.requests}`)
    assert.equal(sdk.failures, 2, 'the isError result and the unknown tool')
    assert.equal(sdk.closedAt, null)
    const cline = res.body.items.find((s: { id: string }) => s.id === clineSession)
    assert.equal(cline.clientName, 'Cline')
    assert.equal(cline.clientVersion, '3.17.0')
    assert.equal(cline.userAgent, 'Cline/3.17.0 (darwin)')

    // DELETE ends the session on the gateway (closing the SDK client alone does not).
    await (client.transport as StreamableHTTPClientTransport).terminateSession()
    await new Promise((r) => setTimeout(r, 100))
    const active = await api.call(api.rep, 'GET', '/api/projects/demo/sessions?active=true')
    assert.ok(!active.body.items.some((s: { id: string }) => s.id === sdk.id), 'a closed session is not active')
    assert.equal((await api.call(api.outsider, 'GET', '/api/projects/demo/sessions')).status, 404)
  })
})

describe('server health and logs', () => {
  it("keeps each server's last success and last error", async () => {
    const client = await api.mcp(TEST_KEY, '/projects/demo/servers/everything/mcp')
    await client.callTool({ name: 'echo', arguments: { message: 'ok' } })
    let h = await api.call(api.rep, 'GET', '/api/projects/demo/servers/everything/health')
    assert.equal(h.status, 200, h.text)
    assert.equal(h.body.state, 'running')
    assert.ok(Date.now() - Date.parse(h.body.lastSuccessAt) < 10_000)
    assert.equal(h.body.lastError, null)
    await client.callTool({ name: 'missing-tool', arguments: {} }).catch(() => {})
    h = await api.call(api.rep, 'GET', '/api/projects/demo/servers/everything/health')
    assert.match(h.body.lastError, /missing-tool/)
    assert.ok(Date.parse(h.body.lastErrorAt) >= Date.parse(h.body.lastSuccessAt))
  })

  it('lists gateway events and stderr lines, filtered by level and category', async () => {
    const client = await api.mcp(TEST_KEY, '/projects/demo/servers/fixture/mcp')
    await client.callTool({ name: 'crash', arguments: {} }).catch(() => {})
    const deadline = Date.now() + 10_000
    let warn: { items: { level: string; category: string; message: string }[] } = { items: [] }
    while (Date.now() < deadline) {
      warn = (await api.call(api.rep, 'GET', '/api/projects/demo/servers/fixture/logs?level=warn&category=gateway'))
        .body
      if (warn.items.some((e) => /upstream exited/.test(e.message))) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const exited = warn.items.find((e) => /upstream exited/.test(e.message))
    assert.ok(exited, JSON.stringify(warn))
    assert.equal(exited.level, 'warn')
    assert.ok(warn.items.every((e) => e.category === 'gateway' && (e.level === 'warn' || e.level === 'error')))
    const all = await api.call(api.rep, 'GET', '/api/projects/demo/servers/fixture/logs?level=debug')
    assert.ok(all.body.items.length >= warn.items.length)
    const errorsOnly = await api.call(api.rep, 'GET', '/api/projects/demo/servers/fixture/logs?level=error')
    assert.ok(errorsOnly.body.items.every((e: { level: string }) => e.level === 'error'))
    assert.equal((await api.call(api.rep, 'GET', '/api/projects/demo/servers/nope/logs')).status, 404)
    assert.equal((await api.call(api.rep, 'GET', '/api/projects/demo/servers/fixture/logs?level=loud')).status, 400)
  })
})
