// The authorization server under attack and bad input (issue 20 point 6): Client ID Metadata Documents that are too
// large, slow, redirected, not https or on a blocked network; unknown clients, mismatched redirect URIs, missing or
// plain PKCE, missing resource, replayed codes, wrong verifiers, token-endpoint floods. Each is a clear OAuth error,
// audited, and nothing is half-granted. Also the happy path with a metadata document (CIMD) through the SDK client.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import type { AuditEvent, McpoPlugin } from '../../plugins/contract.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { hashPassword } from '../../plugins/users/password.ts'
import { assertNoLeftovers, everythingServer, startTestGateway, type TestGateway } from '../harness.ts'
import { CookieJar, consent, REDIRECT_URL, TestOAuthProvider } from '../kit/oauth.ts'
import { selfSignedCertificate } from '../kit/tls.ts'

const PASSWORD = 'correct horse battery staple'
const SERVER = '/projects/oa/servers/everything'
const CLIENT_SECRET = 'a-confidential-client-secret-0123456789'
let gw: TestGateway
let docs: Server
let docsOrigin: string
let userToken: string
const audits: AuditEvent[] = []
const recorder: McpoPlugin = { name: 'test:audits', audit: (e) => void audits.push(e) }
const clients: Client[] = []

const document = (clientId: string) => ({
  client_id: clientId,
  client_name: 'Metadata app',
  client_uri: docsOrigin,
  redirect_uris: [REDIRECT_URL],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
})

before(async () => {
  const tls = selfSignedCertificate()
  docs = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const url = new URL(req.url ?? '/', docsOrigin)
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(typeof body === 'string' ? body : JSON.stringify(body))
    }
    if (url.pathname === '/client.json') return send(200, document(`${docsOrigin}/client.json`))
    if (url.pathname === '/big.json') {
      return send(200, { ...document(`${docsOrigin}/big.json`), padding: 'x'.repeat(20_000) })
    }
    if (url.pathname === '/slow.json') {
      const t = setTimeout(() => send(200, document(`${docsOrigin}/slow.json`)), 5000)
      req.on('close', () => clearTimeout(t))
      return
    }
    if (url.pathname === '/redirect.json') return send(302, '', { location: `${docsOrigin}/client.json` })
    if (url.pathname === '/other-id.json') return send(200, document(`${docsOrigin}/client.json`))
    send(404, { error: 'not found' })
  })
  await new Promise<void>((resolve) => docs.listen(0, '127.0.0.1', resolve))
  docsOrigin = `https://127.0.0.1:${(docs.address() as AddressInfo).port}`
  gw = await startTestGateway({
    plugins: [sessions(), apiKeys(), toolPolicies(), recorder],
    oauth: {
      clientMetadataPrivateHosts: [new URL(docsOrigin).host],
      clientMetadataCa: tls.cert,
      requestsPerMinutePerIp: 200,
      clients: [
        { clientId: 'desk-app', clientName: 'Desk App', redirectUris: [REDIRECT_URL] },
        { clientId: 'backend-app', clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URL] },
      ],
    },
    projects: [{ id: 'oa', name: 'OAuth', authMode: 'oauth', servers: [everythingServer()] }],
  })
  const store = gw.gateway.store
  const user = await store.users.create({
    email: 'dev@example.com',
    name: 'Dev',
    passwordHash: await hashPassword(PASSWORD),
    emailVerifiedAt: new Date(),
  })
  await store.projectMembers.add({ projectId: 'oa', userId: user.id, role: 'developer' })
  const login = await fetch(`${gw.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'dev@example.com', password: PASSWORD }),
  })
  userToken = ((await login.json()) as { token: string }).token
})

after(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})))
  await gw?.close()
  docs?.closeAllConnections()
  await new Promise((r) => docs?.close(r))
  await assertNoLeftovers()
})

function pkce() {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

async function registerClient(): Promise<string> {
  const res = await fetch(`${gw.url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Registered app',
      redirect_uris: [REDIRECT_URL],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  })
  assert.equal(res.status, 201, await res.clone().text())
  return ((await res.json()) as { client_id: string }).client_id
}

function authorizeUrl(params: Record<string, string | undefined>): URL {
  const url = new URL(`${gw.url}/oauth/authorize`)
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v)
  return url
}

const goodParams = (clientId: string, challenge: string) => ({
  client_id: clientId,
  response_type: 'code',
  redirect_uri: REDIRECT_URL,
  scope: 'mcp:tools',
  state: 'st',
  code_challenge: challenge,
  code_challenge_method: 'S256',
  resource: `${gw.url}${SERVER}`,
})

/** An authorization request's answer when the provider refuses it without redirecting (bad client or redirect). */
async function refusedHere(url: URL): Promise<{ status: number; error: string }> {
  const res = await fetch(url, { redirect: 'manual' })
  const body = (await res.json()) as { error: string }
  return { status: res.status, error: body.error }
}

/** An authorization request's answer sent back to the client's redirect URI with an error. */
async function refusedToClient(url: URL): Promise<string | null> {
  const res = await fetch(url, { redirect: 'manual' })
  await res.arrayBuffer()
  const location = res.headers.get('location')
  assert.ok(location?.startsWith(REDIRECT_URL), `redirected to the client: ${res.status} ${location}`)
  const back = new URL(location as string)
  assert.equal(back.searchParams.get('code'), null, 'no code')
  assert.equal(back.searchParams.get('iss'), gw.url)
  return back.searchParams.get('error')
}

/** Code for a fresh grant through the consent step, with its verifier. */
async function codeFor(clientId: string): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkce()
  const result = await consent(authorizeUrl(goodParams(clientId, challenge)), { userToken, jar: new CookieJar() })
  assert.ok(result.code, JSON.stringify(result.decision))
  return { code: result.code as string, verifier }
}

const token = (body: Record<string, string>) =>
  fetch(`${gw.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
  })

describe('Client ID Metadata Documents', () => {
  it('the SDK client connects with an https client_id and no registration; consent says it was verified', async () => {
    const provider = new TestOAuthProvider({ clientMetadataUrl: `${docsOrigin}/client.json` })
    const url = new URL(gw.url + `${SERVER}/mcp`)
    await assert.rejects(
      new Client({ name: 'cimd', version: '1' }).connect(
        new StreamableHTTPClientTransport(url, { authProvider: provider }),
      ),
      UnauthorizedError,
    )
    assert.equal(provider.authorizationUrl?.searchParams.get('client_id'), `${docsOrigin}/client.json`)
    let details: { client: { name: string; registration: string } } | null = null
    const result = await consent(provider.authorizationUrl as URL, {
      userToken,
      onDetails: (d) => {
        details = d
      },
    })
    assert.ok(result.code)
    const seen = details as unknown as { client: { name: string; registration: string } }
    assert.equal(seen.client.name, 'Metadata app')
    assert.equal(seen.client.registration, 'metadata-document')
    await new StreamableHTTPClientTransport(url, { authProvider: provider }).finishAuth(result.code as string)
    const client = new Client({ name: 'cimd', version: '1' })
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }))
    clients.push(client)
    assert.ok((await client.listTools()).tools.length > 0)
  })

  for (const [what, path, host] of [
    ['larger than 5 KB', '/big.json', null],
    ['slower than the fetch limit', '/slow.json', null],
    ['a redirect', '/redirect.json', null],
    ['naming another client_id', '/other-id.json', null],
    ['on a blocked network (localhost resolves to loopback)', '/client.json', 'localhost'],
  ] as const) {
    it(`a metadata document ${what} is refused with invalid_client`, async () => {
      const origin = host ? docsOrigin.replace('127.0.0.1', host) : docsOrigin
      const { challenge } = pkce()
      const before = audits.length
      const r = await refusedHere(authorizeUrl(goodParams(`${origin}${path}`, challenge)))
      assert.equal(r.status, 400)
      assert.match(r.error, /^invalid_client(?:_metadata)?$/)
      assert.ok(audits.slice(before).some((a) => a.action === 'oauth.authorization.refused'))
    })
  }

  it('a client_id over http is not a metadata document: unknown client', async () => {
    const { challenge } = pkce()
    const r = await refusedHere(authorizeUrl(goodParams(`http://127.0.0.1:9/client.json`, challenge)))
    assert.equal(r.error, 'invalid_client')
  })
})

describe('authorization requests', () => {
  it('unknown client and mismatched redirect URI are refused on the server, never redirected', async () => {
    const { challenge } = pkce()
    assert.equal((await refusedHere(authorizeUrl(goodParams('no-such-client', challenge)))).error, 'invalid_client')
    const clientId = await registerClient()
    const wrong = { ...goodParams(clientId, challenge), redirect_uri: 'https://attacker.example/cb' }
    const r = await refusedHere(authorizeUrl(wrong))
    assert.equal(r.status, 400)
    assert.equal(r.error, 'invalid_redirect_uri')
  })

  it('a loopback redirect URI may use any port (RFC 8252), nothing else may differ', async () => {
    const clientId = await registerClient()
    const { challenge } = pkce()
    const otherPort = { ...goodParams(clientId, challenge), redirect_uri: 'http://127.0.0.1:40001/callback' }
    const res = await fetch(authorizeUrl(otherPort), { redirect: 'manual' })
    await res.arrayBuffer()
    assert.equal(res.status, 303)
    assert.match(res.headers.get('location') ?? '', /^\/oauth\/interaction\//)
    const otherPath = { ...goodParams(clientId, challenge), redirect_uri: 'http://127.0.0.1:53682/other' }
    assert.equal((await refusedHere(authorizeUrl(otherPath))).error, 'invalid_redirect_uri')
  })

  it('missing PKCE, plain PKCE, a missing resource and a foreign resource are sent back as errors', async () => {
    const clientId = await registerClient()
    const { challenge } = pkce()
    const good = goodParams(clientId, challenge)
    assert.equal(await refusedToClient(authorizeUrl({ ...good, code_challenge: undefined })), 'invalid_request')
    assert.equal(
      await refusedToClient(authorizeUrl({ ...good, code_challenge_method: 'plain', code_challenge: 'x'.repeat(43) })),
      'invalid_request',
    )
    assert.equal(await refusedToClient(authorizeUrl({ ...good, resource: undefined })), 'invalid_target')
    for (const resource of [`${gw.url}/projects/nope`, 'https://elsewhere.example/projects/oa', `${gw.url}/admin`]) {
      assert.equal(await refusedToClient(authorizeUrl({ ...good, resource })), 'invalid_target', resource)
    }
  })
})

describe('token endpoint', () => {
  it('a replayed code is refused and nothing it issued survives; a wrong verifier is refused', async () => {
    const clientId = await registerClient()
    const { code, verifier } = await codeFor(clientId)
    const wrong = await token({
      grant_type: 'authorization_code',
      code,
      code_verifier: pkce().verifier,
      redirect_uri: REDIRECT_URL,
      client_id: clientId,
    })
    assert.equal(wrong.status, 400)
    assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_grant')
    const { code: code2, verifier: verifier2 } = await codeFor(clientId)
    const exchange = () =>
      token({
        grant_type: 'authorization_code',
        code: code2,
        code_verifier: verifier2,
        redirect_uri: REDIRECT_URL,
        client_id: clientId,
      })
    const first = await exchange()
    assert.equal(first.status, 200)
    const issued = (await first.json()) as { access_token: string; refresh_token: string }
    const replay = await exchange()
    assert.equal(replay.status, 400)
    assert.equal(((await replay.json()) as { error: string }).error, 'invalid_grant')
    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: issued.refresh_token,
      client_id: clientId,
    })
    assert.equal(refreshed.status, 400, 'the replay revoked the grant the code made')
    assert.ok(verifier)
    assert.ok(audits.some((a) => a.action === 'oauth.token.refused'))
  })

  it('the access token says who, for what, until when (a JWT bound to the endpoint), and is never sent upstream', async () => {
    const clientId = await registerClient()
    const { code, verifier } = await codeFor(clientId)
    const res = await token({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT_URL,
      client_id: clientId,
    })
    const body = (await res.json()) as { access_token: string; expires_in: number; token_type: string; scope: string }
    assert.equal(body.token_type, 'Bearer')
    assert.ok(body.expires_in <= 600)
    assert.equal(body.scope, 'mcp:tools')
    const [header, payload] = body.access_token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()))
    assert.equal(header.typ, 'at+jwt')
    assert.equal(header.alg, 'ES256')
    assert.equal(payload.aud, `${gw.url}${SERVER}`)
    assert.equal(payload.iss, gw.url)
    assert.equal(payload.client_id, clientId)
    const jwks = (await (await fetch(`${gw.url}/oauth/jwks`)).json()) as { keys: { kid: string; d?: string }[] }
    assert.ok(jwks.keys.some((k) => k.kid === header.kid))
    assert.ok(
      jwks.keys.every((k) => k.d === undefined),
      'no private key material is published',
    )
  })
})

describe('clients pre-registered in the config', () => {
  it('a public client uses PKCE alone; the consent page says the administrator registered it', async () => {
    const { verifier, challenge } = pkce()
    let kind = ''
    const result = await consent(authorizeUrl(goodParams('desk-app', challenge)), {
      userToken,
      onDetails: (d) => {
        kind = d.client.registration
      },
    })
    assert.equal(kind, 'preregistered')
    const res = await token({
      grant_type: 'authorization_code',
      code: result.code as string,
      code_verifier: verifier,
      redirect_uri: REDIRECT_URL,
      client_id: 'desk-app',
    })
    assert.equal(res.status, 200)
    const apps = await (
      await fetch(`${gw.url}/api/me/connected-apps`, { headers: { authorization: `Bearer ${userToken}` } })
    ).json()
    const app = apps.items.find((i: { clientId: string }) => i.clientId === 'desk-app')
    assert.equal(app.clientName, 'Desk App')
    assert.equal(app.registration, 'preregistered')
  })

  it('a confidential client must authenticate at the token endpoint', async () => {
    const exchange = async (headers: Record<string, string>, extra: Record<string, string>) => {
      const { verifier, challenge } = pkce()
      const result = await consent(authorizeUrl(goodParams('backend-app', challenge)), { userToken })
      return fetch(`${gw.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: result.code as string,
          code_verifier: verifier,
          redirect_uri: REDIRECT_URL,
          ...extra,
        }),
      })
    }
    const anonymous = await exchange({}, { client_id: 'backend-app' })
    assert.equal(anonymous.status, 401)
    assert.equal(((await anonymous.json()) as { error: string }).error, 'invalid_client')
    const basic = `Basic ${Buffer.from(`backend-app:${CLIENT_SECRET}`).toString('base64')}`
    const ok = await exchange({ authorization: basic }, {})
    assert.equal(ok.status, 200)
  })
})

describe('browser-based clients', () => {
  it('a public client may call the token endpoint from its redirect URI origin; another origin gets no CORS grant', async () => {
    const clientId = await registerClient()
    const call = (origin: string) =>
      fetch(`${gw.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'nope', client_id: clientId }),
      })
    const own = await call(new URL(REDIRECT_URL).origin)
    assert.equal(own.headers.get('access-control-allow-origin'), new URL(REDIRECT_URL).origin)
    await own.arrayBuffer()
    const other = await call('https://attacker.example')
    assert.equal(other.headers.get('access-control-allow-origin'), null)
    await other.arrayBuffer()
  })
})

// Last: it spends this address's budget on the token endpoint, which every test above needs.
describe('floods', () => {
  it('floods of the token endpoint from one address get 429 with Retry-After', async () => {
    let limited: Response | null = null
    for (let i = 0; i < 250 && !limited; i++) {
      const res = await token({ grant_type: 'refresh_token', refresh_token: 'nope', client_id: 'nope' })
      if (res.status === 429) limited = res
      else await res.arrayBuffer()
    }
    assert.ok(limited, 'limited within the configured 200 a minute')
    assert.ok(Number(limited.headers.get('retry-after')) >= 1)
    assert.equal(((await limited.json()) as { error: string }).error, 'slow_down')
  })
})
