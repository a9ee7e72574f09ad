// Issue 22: mcpo as the OAuth client of a protected remote MCP server. The protected server is another mcpo (gateway B)
// whose project is in `oauth` mode: a certified authorization server (oidc-provider) with PRM discovery from the 401,
// Dynamic Client Registration, PKCE, resource indicators, RFC 9207 `iss`, rotating refresh tokens and revocation, and
// a resource server that checks audience and grant. Gateway A holds the tokens: the project's (an Owner connects once)
// and, for a per-user server, each member's own. Every step a browser takes is played with fetch and cookies.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { encrypt } from '../../plugins/secrets/cipher.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { hashPassword } from '../../plugins/users/password.ts'
import { assertNoLeftovers, fixtureServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { consent } from '../kit/oauth.ts'

const PASSWORD = 'correct horse battery staple 22'
let a: TestGateway
let b: TestGateway
const clients: Client[] = []
/** Signed-in users: on B the people who consent at the provider, on A the Owner and two members. */
const users: Record<string, { id: string; token: string }> = {}

async function signIn(gw: TestGateway, email: string, memberships: [string, 'owner' | 'developer'][]) {
  const store = gw.gateway.store
  const user = await store.users.create({
    email,
    name: email,
    passwordHash: await hashPassword(PASSWORD),
    emailVerifiedAt: new Date(),
  })
  for (const [projectId, role] of memberships) await store.projectMembers.add({ projectId, userId: user.id, role })
  const res = await fetch(`${gw.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  })
  assert.equal(res.status, 200)
  return { id: user.id, token: ((await res.json()) as { token: string }).token }
}

before(async () => {
  const plugins = [sessions(), apiKeys(), toolPolicies()]
  b = await startTestGateway({
    plugins,
    projects: [{ id: 'up', name: 'Upstream', authMode: 'oauth', servers: [fixtureServer('tools')] }],
  })
  const protectedUrl = `${b.url}/projects/up/servers/tools/mcp`
  a = await startTestGateway({
    plugins: [sessions(), apiKeys(), toolPolicies()],
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        apiKeys: [{ name: 'k', key: TEST_KEY }],
        servers: [
          {
            name: 'team',
            transport: 'streamable-http',
            url: protectedUrl,
            auth: { type: 'oauth', credentials: 'project' },
          },
          {
            name: 'mine',
            transport: 'streamable-http',
            url: protectedUrl,
            auth: { type: 'oauth', credentials: 'user' },
          },
          // Asks the provider for more than mcp:tools.
          {
            name: 'wide',
            transport: 'streamable-http',
            url: protectedUrl,
            auth: { type: 'oauth', credentials: 'project', scopes: ['openid', 'offline_access', 'mcp:tools'] },
          },
        ],
      },
    ],
  })
  users.bAlice = await signIn(b, 'alice@provider.example', [['up', 'developer']])
  users.bBob = await signIn(b, 'bob@provider.example', [['up', 'developer']])
  users.owner = await signIn(a, 'owner@mcpo.example', [['demo', 'owner']])
  users.dev = await signIn(a, 'dev@mcpo.example', [['demo', 'developer']])
  users.other = await signIn(a, 'other@mcpo.example', [['demo', 'developer']])
})

after(async () => {
  for (const c of clients) await c.close().catch(() => {})
  await a?.close()
  await b?.close()
  await assertNoLeftovers()
})

/** An MCP client on A's per-server endpoint, as a user (their sign-in token) or with the project key. */
async function mcp(server: string, token = TEST_KEY): Promise<Client> {
  const client = new Client({ name: 'upstream-oauth-test', version: '1' })
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${a.url}/projects/demo/servers/${server}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  )
  clients.push(client)
  return client
}

/** A call through a new session: refused until the server is connected for the caller. */
const call = async (server: string, token = TEST_KEY) => echo(await mcp(server, token), 'ping')

const echo = async (client: Client, message: string) => {
  const out = (await client.callTool({ name: 'echo', arguments: { message } })) as { content: { text: string }[] }
  return out.content[0].text
}

/**
 * The browser's round trip: A's connect link (as `as` on A) → B's authorization and consent (as `consentAs` on B) →
 * A's callback with the state cookie. Answers A's callback response.
 */
async function connect(
  server: string,
  as: string,
  consentAs: string,
  opts: { forMe?: boolean; callbackAs?: string } = {},
) {
  const start = await fetch(
    `${a.url}/api/projects/demo/servers/${server}/oauth/connect${opts.forMe ? '?for=me' : ''}`,
    {
      headers: { authorization: `Bearer ${users[as].token}` },
      redirect: 'manual',
    },
  )
  assert.equal(start.status, 302, await start.text())
  const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0]
  const authorization = new URL(start.headers.get('location') ?? '')
  assert.equal(authorization.origin, b.url, 'the browser goes to the server’s own authorization server')
  assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256')
  assert.equal(authorization.searchParams.get('resource'), `${b.url}/projects/up/servers/tools`, 'the PRM resource')
  const result = await consent(authorization, { userToken: users[consentAs].token })
  assert.ok(result.code, `the provider sent a code back: ${result.redirect}`)
  assert.equal(result.redirect.origin + result.redirect.pathname, `${a.url}/oauth/upstream/callback`)
  return fetch(result.redirect, {
    headers: { authorization: `Bearer ${users[opts.callbackAs ?? as].token}`, cookie },
    redirect: 'manual',
  })
}

describe('project credentials: an Owner connects once, every caller of the project uses them', () => {
  it('before any connection a call is refused with where to connect', async () => {
    await assert.rejects(call('team'), /needs authorization: a project Owner must connect it at .*\/oauth\/connect/)
  })

  it('a Developer may not connect or disconnect the project’s credentials', async () => {
    const res = await fetch(`${a.url}/api/projects/demo/servers/team/oauth/connect`, {
      headers: { authorization: `Bearer ${users.dev.token}` },
      redirect: 'manual',
    })
    assert.equal(res.status, 403)
    const gone = await fetch(`${a.url}/api/projects/demo/servers/team/oauth`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${users.dev.token}` },
    })
    assert.equal(gone.status, 403)
  })

  it('the Owner connects through the provider’s consent; calls then work with the project key', async () => {
    const done = await connect('team', 'owner', 'bAlice')
    assert.equal(done.status, 302, await done.text())
    assert.equal(done.headers.get('location'), '/projects/demo')
    const client = await mcp('team')
    assert.equal(await echo(client, 'hello upstream'), 'Echo: hello upstream')
    const status = await (
      await fetch(`${a.url}/api/projects/demo/servers/team/oauth`, {
        headers: { authorization: `Bearer ${users.dev.token}` },
      })
    ).json()
    assert.equal(status.connected, true)
    assert.equal(status.issuer, b.url)
  })

  it('no token appears in the server’s API answer', async () => {
    const cred = await a.gateway.store.upstreamOAuth.credential('demo', 'team', null)
    assert.ok(cred)
    const res = await fetch(`${a.url}/api/projects/demo/servers/team`, {
      headers: { authorization: `Bearer ${users.owner.token}` },
    })
    const text = await res.text()
    assert.ok(!text.includes(cred.accessToken) && !/eyJ[\w-]+\.eyJ/.test(text), 'neither sealed nor plain tokens')
  })

  it('a token about to expire is refreshed (the refresh token rotates) before a new connection uses it', async () => {
    const store = a.gateway.store.upstreamOAuth
    const before = await store.credential('demo', 'team', null)
    assert.ok(before?.refreshToken, 'the provider issued a refresh token')
    await store.saveCredential({ ...before, expiresAt: new Date(Date.now() + 5_000) })
    const client = await mcp('team')
    assert.equal(await echo(client, 'after refresh'), 'Echo: after refresh')
    const after = await store.credential('demo', 'team', null)
    assert.notEqual(after?.accessToken, before.accessToken, 'a new access token')
    assert.notEqual(after?.refreshToken, before.refreshToken, 'the rotated refresh token was kept')
    assert.ok((after?.expiresAt?.getTime() ?? 0) > Date.now() + 60_000)
  })

  it('a callback without the cookie of the browser that started the flow is refused', async () => {
    const start = await fetch(`${a.url}/api/projects/demo/servers/team/oauth/connect`, {
      headers: { authorization: `Bearer ${users.owner.token}` },
      redirect: 'manual',
    })
    const result = await consent(new URL(start.headers.get('location') ?? ''), { userToken: users.bBob.token })
    const res = await fetch(result.redirect, {
      headers: { authorization: `Bearer ${users.owner.token}` },
      redirect: 'manual',
    })
    assert.equal(res.status, 403)
    assert.match(await res.text(), /started in another browser/)
  })

  it('a token the server refuses marks the credential for re-authorization; connecting again restores it', async () => {
    const store = a.gateway.store.upstreamOAuth
    const cred = await store.credential('demo', 'team', null)
    assert.ok(cred)
    // A token the provider never issued, sealed where the real one was: the server answers 401.
    const forged = encrypt(a.gateway.keyring, 'eyJhbGciOiJub25lIn0.e30.', 'upstream-oauth:demo/:access')
    await store.saveCredential({ ...cred, accessToken: forged, expiresAt: new Date(Date.now() + 3_600_000) })
    await assert.rejects(mcp('team'))
    assert.equal((await store.credential('demo', 'team', null))?.status, 'needs-reauth')
    await assert.rejects(call('team'), /needs authorization: a project Owner must connect it/)
    const done = await connect('team', 'owner', 'bAlice')
    assert.equal(done.status, 302)
    assert.equal(await echo(await mcp('team'), 'reconnected'), 'Echo: reconnected')
  })

  it('Disconnect revokes at the provider and deletes the tokens: calls need a connection again', async () => {
    const cred = await a.gateway.store.upstreamOAuth.credential('demo', 'team', null)
    assert.ok(cred)
    const res = await fetch(`${a.url}/api/projects/demo/servers/team/oauth`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${users.owner.token}` },
    })
    assert.equal(res.status, 204, await res.text())
    assert.equal(await a.gateway.store.upstreamOAuth.credential('demo', 'team', null), null)
    const grants = await b.gateway.store.oauth.grants({ accountId: users.bAlice.id })
    assert.deepEqual(grants, [], 'the provider dropped the grant with its revoked refresh token')
    await assert.rejects(call('team'), /needs authorization/)
  })
})

/** A project key the user makes for themselves: on a per-user server it acts as that user. */
async function keyOf(user: string): Promise<string> {
  const res = await fetch(`${a.url}/api/projects/demo/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${users[user].token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `${user}'s key` }),
  })
  assert.equal(res.status, 201)
  return ((await res.json()) as { key: string }).key
}

describe('per-user credentials: each member acts as themselves upstream', () => {
  const keys: Record<string, string> = {}

  it('a member without a connection is told to connect their own account', async () => {
    keys.dev = await keyOf('dev')
    keys.other = await keyOf('other')
    await assert.rejects(call('mine', keys.dev), /needs authorization: connect your account at .*\?for=me/)
  })

  it('a client that declared URL-mode elicitation is given the connect link as a URL elicitation', async () => {
    const client = new Client({ name: 'url-elicitation', version: '1' }, { capabilities: { elicitation: { url: {} } } })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${a.url}/projects/demo/servers/mine/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${keys.dev}` } },
      }),
    )
    clients.push(client)
    await assert.rejects(client.callTool({ name: 'echo', arguments: { message: 'x' } }), (err: unknown) => {
      const e = err as { code?: number; elicitations?: { mode: string; url: string; elicitationId: string }[] }
      assert.equal(e.code, -32042, String(err))
      assert.equal(e.elicitations?.[0]?.mode, 'url')
      assert.equal(e.elicitations?.[0]?.url, `${a.url}/api/projects/demo/servers/mine/oauth/connect?for=me`)
      assert.ok(e.elicitations?.[0]?.elicitationId)
      return true
    })
  })

  it('a key from the config file has no member to act as', async () => {
    await assert.rejects(mcp('mine'), /a key made by the config file has no member to act as/)
  })

  it('a member connects their account; their calls work, another member’s still do not', async () => {
    const grantsBefore = (await b.gateway.store.oauth.grants({ accountId: users.bBob.id })).length
    const done = await connect('mine', 'dev', 'bBob', { forMe: true })
    assert.equal(done.status, 302, await done.text())
    assert.equal(await echo(await mcp('mine', keys.dev), 'as dev'), 'Echo: as dev')
    await assert.rejects(call('mine', keys.other), /connect your account/)
    const grantsAfter = (await b.gateway.store.oauth.grants({ accountId: users.bBob.id })).length
    assert.equal(grantsAfter, grantsBefore + 1, "the member's own grant at the provider")
  })

  it('a session opened before its member connected works once they have, without reconnecting', async () => {
    const client = await mcp('mine', keys.other)
    assert.match(client.getInstructions() ?? '', /connect your account at .*\?for=me/)
    await assert.rejects(echo(client, 'too early'), /connect your account/)
    const done = await connect('mine', 'other', 'bAlice', { forMe: true })
    assert.equal(done.status, 302)
    assert.equal(await echo(client, 'same session'), 'Echo: same session')
  })

  it('another user cannot complete a member’s flow, even in the same browser', async () => {
    const res = await connect('mine', 'other', 'bAlice', { forMe: true, callbackAs: 'dev' })
    assert.equal(res.status, 403)
    assert.match(await res.text(), /started by another user/)
  })

  it('a member who leaves the project loses their upstream tokens, revoked at the provider too', async () => {
    assert.ok(await a.gateway.store.upstreamOAuth.credential('demo', 'mine', users.dev.id))
    const res = await fetch(`${a.url}/api/projects/demo/members/${users.dev.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${users.owner.token}` },
    })
    assert.equal(res.status, 204, await res.text())
    assert.equal(await a.gateway.store.upstreamOAuth.credential('demo', 'mine', users.dev.id), null)
    // The revocation at the provider runs in the background.
    for (let i = 0; i < 50 && (await b.gateway.store.oauth.grants({ accountId: users.bBob.id })).length > 1; i++) {
      await new Promise((r) => setTimeout(r, 100))
    }
    const left = await b.gateway.store.oauth.grants({ accountId: users.bBob.id })
    assert.equal(left.length, 1, 'only the grant of the flow refused earlier is left at the provider')
  })
})

describe('configured scopes', () => {
  it('a consent that asks for openid and offline_access besides mcp:tools is given once, not asked again', async () => {
    const done = await connect('wide', 'owner', 'bAlice')
    assert.equal(done.status, 302, await done.text())
    assert.equal(await echo(await mcp('wide'), 'wide'), 'Echo: wide')
    const cred = await a.gateway.store.upstreamOAuth.credential('demo', 'wide', null)
    // The access token is for the server's resource, so it carries the resource's scope only (RFC 8707).
    assert.equal(cred?.scope, 'mcp:tools')
  })
})
