// Rate limits through the running gateway: MCP calls get a JSON-RPC error, the API answers 429 + Retry-After.
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { rateLimits } from '../../plugins/rate-limit/index.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { startTestGateway, type TestGateway } from '../harness.ts'

let gw: TestGateway
before(async () => {
  gw = await startTestGateway({
    plugins: [
      sessions(),
      apiKeys(),
      rateLimits({ perKey: { tools: { rate: 0.5, burst: 3 } }, perUser: { auth: { rate: 0.1, burst: 2 } } }),
    ],
  })
})
after(() => gw?.close())

it('refuses tools/call over the key budget with a JSON-RPC error carrying retryAfterMs', async () => {
  const client = new Client({ name: 'rl', version: '1' })
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${gw.url}/projects/demo/servers/everything/mcp`), {
      requestInit: { headers: gw.auth },
    }),
  )
  try {
    await client.listTools()
    await client.listTools()
    for (let i = 0; i < 3; i++) {
      const r = await client.callTool({ name: 'echo', arguments: { message: `m${i}` } })
      assert.deepEqual(r.content, [{ type: 'text', text: `Echo: m${i}` }])
    }
    await assert.rejects(
      client.callTool({ name: 'echo', arguments: { message: 'too many' } }),
      (err: Error & { code?: number; data?: { retryAfterMs?: number } }) => {
        assert.equal(err.code, -32015)
        assert.match(err.message, /Rate limited/)
        assert.ok((err.data?.retryAfterMs ?? 0) > 0)
        return true
      },
    )
  } finally {
    await client.close()
  }
})

it('answers 429 with Retry-After on the API once sign-in attempts from an address run out', async () => {
  const attempt = () =>
    fetch(`${gw.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'who@example.com', password: 'not the password' }),
    })
  assert.equal((await attempt()).status, 401)
  assert.equal((await attempt()).status, 401)
  const limited = await attempt()
  assert.equal(limited.status, 429)
  assert.ok(Number(limited.headers.get('retry-after')) >= 1)
  assert.equal(((await limited.json()) as { error: { code: string } }).error.code, 'MCPO_ERR_RATE_LIMITED')
})

it('applies the same key budget to 2026-07-28 stateless calls, one request at a time, and across eras', async () => {
  const own = await startTestGateway({
    plugins: [sessions(), apiKeys(), rateLimits({ perKey: { tools: { rate: 0.5, burst: 3 } } })],
  })
  const url = `${own.url}/projects/demo/servers/everything/mcp`
  const call = async (message: string) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        ...own.auth,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'echo',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: message,
        method: 'tools/call',
        params: {
          name: 'echo',
          arguments: { message },
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      }),
    })
    assert.equal(res.status, 200)
    return (await res.json()) as {
      result?: { content: unknown }
      error?: { code: number; message: string; data?: { retryAfterMs?: number } }
    }
  }
  try {
    for (let i = 0; i < 3; i++)
      assert.deepEqual((await call(`m${i}`)).result?.content, [{ type: 'text', text: `Echo: m${i}` }])
    const refused = await call('too many')
    assert.equal(refused.error?.code, -32015)
    assert.match(refused.error?.message ?? '', /Rate limited/)
    assert.ok((refused.error?.data?.retryAfterMs ?? 0) > 0)
    // The budget is the key's, whatever era its client speaks.
    const legacy = new Client({ name: 'rl', version: '1' })
    await legacy.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: own.auth } }))
    try {
      await assert.rejects(legacy.callTool({ name: 'echo', arguments: { message: 'x' } }), /Rate limited/)
    } finally {
      await legacy.close()
    }
  } finally {
    await own.close()
  }
})
