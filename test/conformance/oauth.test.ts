// mcpo as the OAuth authorization server of its MCP endpoints (issue 20; protocol.md §7, checklist items 7–9): the MCP
// SDK client's own OAuth support (Dynamic Client Registration, PKCE, resource indicators) completing the flow through
// the consent step against per-server and unified endpoints on both transports, audience binding, the auth modes, and
// refresh-token rotation with reuse detection.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableV2 } from '@modelcontextprotocol/client'
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { importJWK, SignJWT } from 'jose'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import type { AuditEvent, McpoPlugin } from '../../plugins/contract.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { decrypt } from '../../plugins/secrets/cipher.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { hashPassword } from '../../plugins/users/password.ts'
import { type HttpFixture, startHttpFixture } from '../fixtures/fixture-server.ts'
import {
  assertNoLeftovers,
  everythingServer,
  OTHER_PROJECT_KEY,
  startTestGateway,
  TEST_KEY,
  type TestGateway,
} from '../harness.ts'
import { initializeRequest, postMcp } from '../kit/mcp-wire.ts'
import { consent, TestOAuthProvider } from '../kit/oauth.ts'
import { tempDir } from '../kit/temp-dir.ts'
import { within } from '../kit/waiting.ts'

const PASSWORD = 'correct horse battery staple'
let gw: TestGateway
const audits: AuditEvent[] = []
const recorder: McpoPlugin = { name: 'test:audits', audit: (e) => void audits.push(e) }
let member: { id: string; token: string }
let outsider: { id: string; token: string }
let keysOwner: { id: string; token: string }
let upstream: HttpFixture
const clients: Client[] = []

async function signIn(email: string, projectRole: 'developer' | 'owner' | null, projects = ['oa', 'both']) {
  const store = gw.gateway.store
  const user = await store.users.create({
    email,
    name: email,
    passwordHash: await hashPassword(PASSWORD),
    emailVerifiedAt: new Date(),
  })
  if (projectRole) {
    for (const projectId of projects) await store.projectMembers.add({ projectId, userId: user.id, role: projectRole })
  }
  const res = await fetch(`${gw.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  })
  assert.equal(res.status, 200)
  return { id: user.id, token: ((await res.json()) as { token: string }).token }
}

before(async () => {
  upstream = await startHttpFixture({ transport: 'streamable-http' })
  gw = await startTestGateway({
    plugins: [sessions(), apiKeys(), toolPolicies(), recorder],
    projects: [
      {
        id: 'oa',
        name: 'OAuth only',
        authMode: 'oauth',
        servers: [everythingServer(), { name: 'remote', transport: 'streamable-http', url: upstream.url }],
        apiKeys: [{ name: 'k', key: TEST_KEY }],
      },
      {
        id: 'both',
        name: 'Both',
        authMode: 'both',
        servers: [everythingServer()],
        apiKeys: [{ name: 'k', key: OTHER_PROJECT_KEY }],
      },
      { id: 'keys', name: 'Keys', servers: [everythingServer()] },
    ],
  })
  member = await signIn('member@example.com', 'developer')
  outsider = await signIn('outsider@example.com', null)
  // Config-owned projects are edited in the config file; this one is the UI's.
  await gw.gateway.store.projects.create({ id: 'ui', name: 'UI project', source: 'ui' })
  keysOwner = await signIn('owner@example.com', 'owner', ['ui'])
})

const api = (token: string, method: string, path: string, body?: unknown) =>
  fetch(gw.url + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
const initialize = (token: string, path: string) =>
  postMcp(gw.url + path, initializeRequest(1, '2025-06-18'), { authorization: `Bearer ${token}` })

after(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})))
  await gw?.close()
  await upstream?.close()
  await assertNoLeftovers()
})

type Transport = 'streamable' | 'sse'
const transportFor = (kind: Transport, url: URL, provider: TestOAuthProvider, headers?: Record<string, string>) =>
  kind === 'streamable'
    ? new StreamableHTTPClientTransport(url, { authProvider: provider, requestInit: headers ? { headers } : undefined })
    : new SSEClientTransport(url, { authProvider: provider, requestInit: headers ? { headers } : undefined })

/** Connects with OAuth as a real client does: 401, registration, browser consent, code exchange, connect again. */
async function connectWithOAuth(path: string, kind: Transport, provider = new TestOAuthProvider()) {
  const url = new URL(gw.url + path)
  const first = new Client({ name: 'oauth-test', version: '1.0.0' })
  await assert.rejects(first.connect(transportFor(kind, url, provider)), UnauthorizedError)
  assert.ok(provider.authorizationUrl, 'the SDK was sent to the authorization endpoint')
  const result = await consent(provider.authorizationUrl, { userToken: member.token })
  assert.ok(result.code, `a code came back: ${result.redirect} ${JSON.stringify(result.decision)}`)
  assert.equal(result.redirect.searchParams.get('iss'), gw.url, 'RFC 9207 iss in the authorization response')
  const finishing = transportFor(kind, url, provider)
  await finishing.finishAuth(result.code)
  const client = new Client({ name: 'oauth-test', version: '1.0.0' })
  await client.connect(transportFor(kind, url, provider))
  clients.push(client)
  return { client, provider }
}

describe('OAuth mode, the SDK client through consent (DCR)', () => {
  for (const [kind, path] of [
    ['streamable', '/projects/oa/servers/everything/mcp'],
    ['sse', '/projects/oa/servers/everything/sse'],
    ['streamable', '/projects/oa/mcp'],
    ['sse', '/projects/oa/sse'],
  ] as const) {
    it(`${kind} ${path}: registers, consents, calls a tool with no key anywhere`, async () => {
      const { client, provider } = await connectWithOAuth(path, kind)
      const tools = await client.listTools()
      assert.ok(tools.tools.length > 0)
      const name = tools.tools.find((t) => t.name.endsWith('echo'))?.name ?? 'echo'
      const out = await client.callTool({ name, arguments: { message: 'hi' } })
      assert.match(JSON.stringify(out.content), /hi/)
      assert.ok(provider.saved?.refresh_token, 'a refresh token was issued')
      assert.ok(!JSON.stringify(provider.saved).includes('offline_access'))
    })
  }
})

describe('resource server', () => {
  it('serves Protected Resource Metadata per endpoint; the 401 names it (checklist 8)', async () => {
    const res = await fetch(`${gw.url}/projects/oa/servers/everything/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{}',
    })
    assert.equal(res.status, 401)
    const challenge = res.headers.get('www-authenticate') ?? ''
    const url = /resource_metadata="([^"]+)"/.exec(challenge)?.[1]
    assert.equal(url, `${gw.url}/.well-known/oauth-protected-resource/projects/oa/servers/everything/mcp`)
    assert.match(challenge, /scope="mcp:tools"/)
    const prm = await fetch(url as string)
    assert.equal(prm.status, 200)
    const doc = (await prm.json()) as Record<string, unknown>
    assert.equal(doc.resource, `${gw.url}/projects/oa/servers/everything`)
    assert.deepEqual(doc.authorization_servers, [gw.url])
    assert.ok(!(doc.scopes_supported as string[]).includes('offline_access'))
    for (const p of ['/projects/oa/servers/nope/mcp', '/projects/nope/mcp', '/projects/oa/servers/everything/x']) {
      const r = await fetch(`${gw.url}/.well-known/oauth-protected-resource${p}`)
      assert.equal(r.status, 404, p)
      await r.arrayBuffer()
    }
    for (const p of ['/projects/oa/servers/everything/sse', '/projects/oa/mcp', '/projects/oa/sse']) {
      const r = await fetch(`${gw.url}/.well-known/oauth-protected-resource${p}`)
      assert.equal(r.status, 200, p)
      assert.ok(`${gw.url}${p}`.startsWith((await r.json()).resource), 'resource is a path prefix of the endpoint')
    }
    const as = await fetch(`${gw.url}/.well-known/oauth-authorization-server`)
    const meta = (await as.json()) as Record<string, unknown>
    assert.equal(meta.issuer, gw.url)
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256'])
    assert.equal(meta.client_id_metadata_document_supported, true)
    assert.equal(meta.authorization_response_iss_parameter_supported, true)
    assert.ok(meta.registration_endpoint)
  })

  it('a token is bound to its endpoint: refused at another server, the unified endpoint and another project', async () => {
    const { provider } = await connectWithOAuth('/projects/oa/servers/everything/mcp', 'streamable')
    const token = provider.saved?.access_token as string
    const post = (path: string) =>
      postMcp(gw.url + path, { jsonrpc: '2.0', id: 1, method: 'ping' }, { authorization: `Bearer ${token}` })
    for (const path of ['/projects/oa/mcp', '/projects/both/servers/everything/mcp', '/projects/both/mcp']) {
      const res = await post(path)
      assert.equal(res.status, 401, path)
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/)
    }
    const keysProject = await post('/projects/keys/servers/everything/mcp')
    assert.equal(keysProject.status, 401)
    assert.doesNotMatch(keysProject.headers.get('www-authenticate') ?? '', /resource_metadata/)
  })

  it('keys mode: no metadata, no OAuth challenge (checklist 7)', async () => {
    const prm = await fetch(`${gw.url}/.well-known/oauth-protected-resource/projects/keys/servers/everything/mcp`)
    assert.equal(prm.status, 404)
    const res = await fetch(`${gw.url}/projects/keys/servers/everything/mcp`, { method: 'POST', body: '{}' })
    assert.equal(res.status, 401)
    assert.doesNotMatch(res.headers.get('www-authenticate') ?? '', /resource_metadata/)
  })

  it('oauth mode refuses project keys; both mode takes a key without ever mentioning OAuth', async () => {
    const keyed = (path: string, key: string) =>
      postMcp(gw.url + path, initializeRequest(1, '2025-06-18'), { authorization: `Bearer ${key}` })
    const refused = await keyed('/projects/oa/servers/everything/mcp', TEST_KEY)
    assert.equal(refused.status, 401)
    assert.match(refused.headers.get('www-authenticate') ?? '', /resource_metadata=/)
    const keyClient = new Client({ name: 'key', version: '1' })
    await keyClient.connect(
      new StreamableHTTPClientTransport(new URL(`${gw.url}/projects/both/servers/everything/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${OTHER_PROJECT_KEY}` } },
      }),
    )
    clients.push(keyClient)
    assert.ok((await keyClient.listTools()).tools.length > 0)
    const anonymous = await fetch(`${gw.url}/projects/both/servers/everything/mcp`, { method: 'POST', body: '{}' })
    assert.equal(anonymous.status, 401)
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /resource_metadata=/)
  })
})

describe('consent and grants', () => {
  it('only members can grant; the consent page names client, project and redirect host', async () => {
    const provider = new TestOAuthProvider({ clientName: 'Outsider app' })
    const url = new URL(`${gw.url}/projects/oa/servers/everything/mcp`)
    await assert.rejects(new Client({ name: 'x', version: '1' }).connect(transportFor('streamable', url, provider)))
    let seen: Record<string, unknown> | null = null
    const result = await consent(provider.authorizationUrl as URL, {
      userToken: outsider.token,
      onDetails: (d) => {
        seen = d
      },
    })
    assert.equal(result.status, 403)
    assert.equal(result.code, null)
    const details = seen as unknown as {
      client: { name: string; registration: string; redirectHost: string }
      project: { id: string; name: string }
      canGrant: boolean
    }
    assert.equal(details.client.name, 'Outsider app')
    assert.equal(details.client.registration, 'dynamic')
    assert.equal(details.client.redirectHost, '127.0.0.1:53682')
    assert.deepEqual(details.project, { id: 'oa', name: 'OAuth only' })
    assert.equal(details.canGrant, false)
  })

  it('a denial sends the browser back with access_denied and grants nothing', async () => {
    const provider = new TestOAuthProvider()
    const url = new URL(`${gw.url}/projects/oa/servers/everything/mcp`)
    await assert.rejects(new Client({ name: 'x', version: '1' }).connect(transportFor('streamable', url, provider)))
    const result = await consent(provider.authorizationUrl as URL, { userToken: member.token, allow: false })
    assert.equal(result.code, null)
    assert.equal(result.redirect.searchParams.get('error'), 'access_denied')
    assert.ok(audits.some((a) => a.action === 'oauth.consent.denied'))
  })

  it('refresh tokens rotate; replaying a used one revokes the grant and its access token stops working within 1 s', async () => {
    const { provider } = await connectWithOAuth('/projects/oa/servers/everything/mcp', 'streamable')
    const meta = (await (await fetch(`${gw.url}/.well-known/oauth-authorization-server`)).json()) as {
      token_endpoint: string
    }
    const clientId = provider.info?.client_id as string
    const refresh = (token: string) =>
      fetch(meta.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, client_id: clientId }),
      })
    const first = provider.saved?.refresh_token as string
    const rotated = await refresh(first)
    assert.equal(rotated.status, 200)
    const next = (await rotated.json()) as { access_token: string; refresh_token: string }
    assert.notEqual(next.refresh_token, first, 'rotated')
    const ping = () =>
      fetch(`${gw.url}/projects/oa/servers/everything/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${next.access_token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
        }),
      })
    assert.equal((await ping()).status, 200)
    const replay = await refresh(first)
    assert.equal(replay.status, 400)
    assert.equal(((await replay.json()) as { error: string }).error, 'invalid_grant')
    assert.equal((await refresh(next.refresh_token)).status, 400, 'the whole grant is gone')
    await new Promise((r) => setTimeout(r, 600))
    const after = await ping()
    assert.equal(after.status, 401)
    assert.match(after.headers.get('www-authenticate') ?? '', /error="invalid_token"/)
  })
})

describe('connected apps and the auth mode setting', () => {
  it('a user lists and disconnects their apps; the access token is refused within 1 s', async () => {
    const { provider } = await connectWithOAuth(
      '/projects/both/servers/everything/mcp',
      'streamable',
      new TestOAuthProvider({ clientName: 'Listed app' }),
    )
    const token = provider.saved?.access_token as string
    assert.equal((await initialize(token, '/projects/both/servers/everything/mcp')).status, 200)
    const mine = await (await api(member.token, 'GET', '/api/me/connected-apps')).json()
    const app = mine.items.find((i: { clientName: string }) => i.clientName === 'Listed app')
    assert.ok(app, 'the app is listed')
    assert.equal(app.projectId, 'both')
    assert.equal(app.registration, 'dynamic')
    assert.deepEqual(app.resources, [`${gw.url}/projects/both/servers/everything`])
    const inProject = await (await api(member.token, 'GET', '/api/projects/both/connected-apps')).json()
    assert.ok(inProject.items.some((i: { grantId: string }) => i.grantId === app.grantId))
    assert.equal(
      (await api(outsider.token, 'DELETE', `/api/me/connected-apps/${app.grantId}`)).status,
      404,
      'not theirs',
    )
    const other = await signIn('other-member@example.com', 'developer', ['both'])
    const foreign = await api(other.token, 'DELETE', `/api/projects/both/connected-apps/${app.grantId}`)
    assert.equal(foreign.status, 403, "a member may not revoke another member's app")
    const started = Date.now()
    assert.equal((await api(member.token, 'DELETE', `/api/me/connected-apps/${app.grantId}`)).status, 204)
    let status = 200
    while (status === 200 && Date.now() - started < 2000) {
      status = (await initialize(token, '/projects/both/servers/everything/mcp')).status
      if (status === 200) await new Promise((r) => setTimeout(r, 50))
    }
    assert.equal(status, 401)
    assert.ok(Date.now() - started < 1000, `refused after ${Date.now() - started} ms`)
    assert.ok(audits.some((a) => a.action === 'oauth.grant.revoked'))
  })

  it('removing a member deletes the grants they gave in the project', async () => {
    const user = await signIn('leaver@example.com', 'developer', ['oa'])
    const provider = new TestOAuthProvider()
    const url = new URL(`${gw.url}/projects/oa/servers/everything/mcp`)
    await assert.rejects(new Client({ name: 'x', version: '1' }).connect(transportFor('streamable', url, provider)))
    const result = await consent(provider.authorizationUrl as URL, { userToken: user.token })
    assert.ok(result.code)
    assert.equal((await gw.gateway.store.oauth.grants({ accountId: user.id })).length, 1)
    await gw.gateway.store.projectMembers.remove('oa', user.id)
    assert.equal((await api(user.token, 'GET', '/api/me/connected-apps')).status, 200)
    const owner = await signIn('oa-owner@example.com', 'owner', ['oa'])
    await gw.gateway.store.projectMembers.add({ projectId: 'oa', userId: user.id, role: 'developer' })
    assert.equal((await api(owner.token, 'DELETE', `/api/projects/oa/members/${user.id}`)).status, 204)
    assert.equal((await gw.gateway.store.oauth.grants({ accountId: user.id })).length, 0)
  })

  it('an Owner switches a project between modes; a wrong value is a field error', async () => {
    const bad = await api(keysOwner.token, 'PUT', '/api/projects/ui', { settings: { authMode: 'sometimes' } })
    assert.equal(bad.status, 400)
    assert.match(await bad.text(), /authMode/)
    const prm = () => fetch(`${gw.url}/.well-known/oauth-protected-resource/projects/ui/mcp`)
    assert.equal((await prm()).status, 404)
    const put = await api(keysOwner.token, 'PUT', '/api/projects/ui', { settings: { authMode: 'both' } })
    assert.equal(put.status, 200, await put.text())
    assert.equal((await prm()).status, 200)
    assert.equal((await api(keysOwner.token, 'PUT', '/api/projects/ui', { settings: { authMode: null } })).status, 200)
    assert.equal((await prm()).status, 404)
  })
})

describe('mcp-remote (the Claude Desktop bridge) completes its own OAuth flow', () => {
  const MCP_REMOTE = join(import.meta.dirname, '../../node_modules/mcp-remote/dist/proxy.js')
  for (const [kind, path, extra] of [
    ['streamable', '/projects/oa/servers/everything/mcp', ['--transport', 'http-only']],
    ['sse', '/projects/oa/servers/everything/sse', ['--transport', 'sse-only']],
  ] as const) {
    it(`${kind}: its browser step is consent in mcpo, then echo works with no key configured`, async () => {
      const home = tempDir('mcp-remote-home')
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [MCP_REMOTE, gw.url + path, ...extra],
        // No display and no browser: mcp-remote prints the authorization URL, and this test is the browser.
        env: { PATH: '/nonexistent', HOME: home.path },
        stderr: 'pipe',
      })
      let stderr = ''
      let visited = false
      const browser = new Promise<void>((resolve, reject) => {
        transport.stderr?.on('data', (chunk: Buffer) => {
          stderr += chunk
          const m = /Please authorize this client by visiting:\s+(\S+)/.exec(stderr)
          if (!m || visited) return
          visited = true
          consent(new URL(m[1]), { userToken: member.token })
            .then(async (result) => {
              assert.ok(result.code, `mcp-remote got a code: ${result.redirect}`)
              // Back to mcp-remote's own callback listener, as the browser would go.
              const back = await fetch(result.redirect)
              await back.arrayBuffer()
              resolve()
            })
            .catch(reject)
        })
      })
      const client = new Client({ name: 'claude-desktop-like', version: '1.0.0' })
      try {
        await within(Promise.all([client.connect(transport), browser]), 45_000, `mcp-remote ${kind}: ${stderr}`)
        const result = await client.callTool({ name: 'echo', arguments: { message: `remote ${kind}` } })
        assert.deepEqual(result.content, [{ type: 'text', text: `Echo: remote ${kind}` }])
        assert.ok(visited, 'the flow went through the consent step')
      } finally {
        await client.close()
        home.cleanup()
      }
    })
  }
})

describe('both eras, scope, expiry, and tokens that stay at the gateway', () => {
  const V = '2026-07-28'
  const modern = (token: string, path: string, method: string) =>
    postMcp(
      gw.url + path,
      {
        jsonrpc: '2.0',
        id: 1,
        method,
        params: {
          _meta: {
            'io.modelcontextprotocol/protocolVersion': V,
            'io.modelcontextprotocol/clientCapabilities': {},
            'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' },
          },
        },
      },
      { authorization: `Bearer ${token}`, 'mcp-protocol-version': V, 'mcp-method': method },
    )

  /** A token signed with the gateway's own current key, with claims of the test's choosing. */
  async function mint(claims: Record<string, unknown>, expiresIn: string | number = '5m') {
    const [key] = await gw.gateway.store.oauth.signingKeys()
    const jwk = JSON.parse(decrypt(gw.gateway.keyring, key.sealedJwk, 'oauth signing key'))
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: jwk.kid })
      .setIssuer(gw.url)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(await importJWK(jwk, 'ES256'))
  }

  it('a 2026-07-28 stateless request with the token works, and the upstream never sees the token', async () => {
    const { provider } = await connectWithOAuth('/projects/oa/servers/remote/mcp', 'streamable')
    const token = provider.saved?.access_token as string
    const res = await modern(token, '/projects/oa/servers/remote/mcp', 'tools/list')
    assert.equal(res.status, 200)
    assert.match(await res.text(), /"tools"/)
    assert.ok(upstream.requests.length > 0, 'requests reached the upstream')
    for (const r of upstream.requests) assert.ok(!JSON.stringify(r).includes(token.slice(-24)), 'no token upstream')
    const refused = await modern(token, '/projects/oa/mcp', 'tools/list')
    assert.equal(refused.status, 401, 'and its audience is still one endpoint')
  })

  it('a token without mcp:tools gets 403 insufficient_scope with the challenge (checklist 9); an expired one 401', async () => {
    const { provider } = await connectWithOAuth('/projects/oa/servers/everything/mcp', 'streamable')
    const real = provider.saved?.access_token as string
    const claims = JSON.parse(Buffer.from(real.split('.')[1], 'base64url').toString())
    const narrow = await mint({ ...claims, scope: 'profile', exp: undefined, iat: undefined })
    const res = await initialize(narrow, '/projects/oa/servers/everything/mcp')
    assert.equal(res.status, 403)
    const challenge = res.headers.get('www-authenticate') ?? ''
    assert.match(challenge, /error="insufficient_scope"/)
    assert.match(challenge, /scope="mcp:tools"/)
    assert.match(challenge, /resource_metadata="/)
    const expired = await mint({ ...claims, exp: undefined, iat: undefined }, Math.floor(Date.now() / 1000) - 60)
    const old = await initialize(expired, '/projects/oa/servers/everything/mcp')
    assert.equal(old.status, 401)
    assert.match(old.headers.get('www-authenticate') ?? '', /error="invalid_token"/)
    assert.match(await old.text(), /expired/)
    const foreign = await mint({
      ...claims,
      exp: undefined,
      iat: undefined,
      aud: `${gw.url}/projects/both/servers/everything`,
    })
    assert.equal((await initialize(foreign, '/projects/oa/servers/everything/mcp')).status, 401)
  })
})

describe('client configs for OAuth projects (issue 20 point 5)', () => {
  const config = async (project: string, query: string) => {
    const res = await api(member.token, 'GET', `/api/projects/${project}/client-config?${query}`)
    return { status: res.status, body: await res.json() }
  }

  it('header-free configs for every client, the hosted apps by URL, and the discovery document says OAuth', async () => {
    for (const client of ['cline', 'claude-desktop', 'cursor', 'vscode', 'claude-code', 'claude', 'chatgpt']) {
      const { status, body } = await config('oa', `client=${client}&server=everything`)
      assert.equal(status, 200, client)
      assert.equal(body.auth, 'oauth')
      assert.equal(body.keyVariable, null)
      const text = JSON.stringify(body.config) + (body.command ?? '')
      assert.doesNotMatch(text, /Authorization|mcp_proj_|MCPO_AUTH|--header/, client)
      assert.ok(text.includes(`${gw.url}/projects/oa/servers/everything/mcp`), client)
    }
    const cline = await config('oa', 'client=cline&server=everything')
    assert.equal(cline.body.config.mcpServers.everything.type, 'streamableHttp')
    const code = await config('oa', 'client=claude-code&server=everything')
    assert.equal(
      code.body.command,
      `claude mcp add --transport http everything '${gw.url}/projects/oa/servers/everything/mcp'`,
    )
    const connector = await config('oa', 'client=claude&server=unified')
    assert.deepEqual(Object.values(connector.body.config), [{ url: `${gw.url}/projects/oa/mcp` }])
    const discovery = await (await api(member.token, 'GET', '/projects/oa/.well-known/mcp-servers')).json()
    assert.equal(discovery.auth.type, 'oauth')
  })

  it('both mode gives key configs unless asked for OAuth; a keys project refuses OAuth configs with a reason', async () => {
    const key = await config('both', 'client=cursor&server=everything')
    assert.equal(key.body.auth, 'key')
    assert.match(JSON.stringify(key.body.config), /Authorization/)
    const oauth = await config('both', 'client=cursor&server=everything&auth=oauth')
    assert.equal(oauth.body.auth, 'oauth')
    assert.doesNotMatch(JSON.stringify(oauth.body.config), /Authorization/)
    assert.equal((await config('both', 'client=chatgpt&server=everything')).body.auth, 'oauth')
    const keysOnly = await api(keysOwner.token, 'GET', '/api/projects/ui/client-config?client=claude')
    assert.equal(keysOnly.status, 400)
    assert.match(await keysOnly.text(), /takes API keys only/)
    const noKeys = await config('oa', 'client=cursor&auth=key')
    assert.equal(noKeys.status, 400)
  })
})

describe('the SDK v2 client on the 2026-07-28 revision signs in with OAuth', () => {
  for (const path of ['/projects/oa/servers/everything/mcp', '/projects/oa/mcp']) {
    it(`${path}: pinned to 2026-07-28, through consent, then tools/list and a call`, async () => {
      const url = new URL(gw.url + path)
      const provider = new TestOAuthProvider({ clientName: 'SDK v2' })
      const versions: (string | null)[] = []
      const recording: typeof fetch = async (input, init) => {
        if (init?.method === 'POST') versions.push(new Headers(init.headers).get('mcp-protocol-version'))
        return fetch(input, init)
      }
      const options = { versionNegotiation: { mode: { pin: '2026-07-28' } } } as const
      const first = new ClientV2({ name: 'v2', version: '1' }, options)
      await assert.rejects(first.connect(new StreamableV2(url, { authProvider: provider, fetch: recording })))
      assert.ok(provider.authorizationUrl, 'sent to the authorization endpoint')
      const result = await consent(provider.authorizationUrl, { userToken: member.token })
      assert.ok(result.code)
      // The v2 SDK checks the RFC 9207 iss of the authorization response: hand it the whole callback.
      await new StreamableV2(url, { authProvider: provider, fetch: recording }).finishAuth(result.redirect.searchParams)
      const client = new ClientV2({ name: 'v2', version: '1' }, options)
      await client.connect(new StreamableV2(url, { authProvider: provider, fetch: recording }))
      const tools = await client.listTools()
      const echo = tools.tools.find((t) => t.name.endsWith('echo'))?.name as string
      const out = await client.callTool({ name: echo, arguments: { message: 'modern' } })
      assert.match(JSON.stringify(out.content), /modern/)
      await client.close()
      assert.ok(versions.includes('2026-07-28'), `the requests were modern: ${versions.join(', ')}`)
    })
  }
})
