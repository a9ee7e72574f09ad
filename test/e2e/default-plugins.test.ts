// A config that leaves `plugins` out gets the default set, so the README's client example works end to end: its key
// opens the project and the set-up link makes an admin who is signed in. A config without sessions() offers no set-up
// link and refuses sign-in up front, leaving any set-up link unspent.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { defaultPlugins } from '../../config/default-plugins.ts'
import { hashSetupToken } from '../../gateway/bootstrap-admin.ts'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { everythingServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'

const json = { 'content-type': 'application/json' }
const admin = { email: 'ops@example.com', name: 'Ops', password: 'a long admin password' }

describe('plugins left out: the README client example', () => {
  let gw: TestGateway
  before(async () => {
    // The harness adds plugins unless told otherwise: `undefined` is what a config without the field resolves from.
    gw = await startTestGateway({
      plugins: undefined,
      projects: [{ id: 'demo', name: 'Demo', servers: [everythingServer()], apiKeys: [{ name: 'ci', key: TEST_KEY }] }],
    })
  })
  after(() => gw?.close())

  it('runs the default plugin set', () => {
    // Sorted: the host runs them by enforce tier (rate limits first), then in the listed order.
    assert.deepEqual(
      gw.gateway.plugins.plugins.map((p) => p.name).sort(),
      defaultPlugins({})
        .map((p) => p.name)
        .sort(),
    )
  })

  it('lets the declared key call tools and refuses a wrong one', async () => {
    const url = new URL(`${gw.url}/projects/demo/servers/everything/mcp`)
    const client = new Client({ name: 'readme-example', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${TEST_KEY}` } } }),
    )
    try {
      const reply = await client.callTool({ name: 'echo', arguments: { message: 'hi' } })
      assert.match(JSON.stringify(reply.content), /hi/)
    } finally {
      await client.close()
    }
    const wrong = await fetch(url, {
      method: 'POST',
      headers: { ...json, accept: 'application/json, text/event-stream', authorization: `Bearer ${TEST_KEY}x` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    })
    assert.equal(wrong.status, 401)
  })

  it('offers a set-up link that makes an admin who is signed in', async () => {
    assert.ok(gw.gateway.setupToken)
    const res = await fetch(`${gw.url}/api/auth/setup`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ ...admin, token: gw.gateway.setupToken }),
    })
    assert.equal(res.status, 200, await res.clone().text())
    const { token } = (await res.json()) as { token: string }
    const me = await fetch(`${gw.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })
    assert.equal(me.status, 200)
    assert.equal(((await me.json()) as { email: string }).email, admin.email)
  })
})

describe('plugins without sessions()', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ plugins: [apiKeys()] })
  })
  after(() => gw?.close())

  it('offers no set-up link', async () => {
    assert.equal(gw.gateway.setupToken, null)
    const res = await fetch(`${gw.url}/api/auth/setup`)
    assert.deepEqual(await res.json(), { needed: false })
  })

  it('refuses sign-in naming the fix, and leaves a set-up link unspent', async () => {
    // A link from an earlier start, when the config still had sessions().
    const earlier = 'an-earlier-set-up-token'
    await gw.gateway.store.setup.addToken(hashSetupToken(earlier))
    const setup = await fetch(`${gw.url}/api/auth/setup`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ ...admin, token: earlier }),
    })
    assert.equal(setup.status, 404)
    const { error } = (await setup.json()) as { error: { message: string } }
    assert.match(error.message, /sign-in is off on this gateway: add sessions\(\) to plugins in mcpo.config.ts/)
    assert.equal(await gw.gateway.store.setup.hasToken(), true, 'the link is still there')
    assert.equal(await gw.gateway.store.users.count({ isAdmin: true }), 0, 'no account was made')

    const login = await fetch(`${gw.url}/api/auth/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email: admin.email, password: admin.password }),
    })
    assert.equal(login.status, 404)
    assert.match(((await login.json()) as { error: { message: string } }).error.message, /add sessions\(\)/)
  })

  it('still serves its declared key', async () => {
    const res = await fetch(`${gw.url}/projects/demo/servers/everything/mcp`, {
      method: 'POST',
      headers: { ...json, accept: 'application/json, text/event-stream', ...gw.auth },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } },
      }),
    })
    assert.equal(res.status, 200)
    await res.body?.cancel()
  })
})
