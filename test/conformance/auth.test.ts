// Conformance, auth and general HTTP: protocol.md §9 items 1–13 (§7 auth discovery, §8 transport-level errors).
// One gateway for the file, with log capture, two projects, three keys of `demo` and two remote upstream fixtures
// that record what reaches them.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { displayParts, hashApiKey } from '../../plugins/api-keys/keys.ts'
import type { AuditEvent, McpoPlugin } from '../../plugins/contract.ts'
import { type HttpFixture, startHttpFixture } from '../fixtures/fixture-server.ts'
import { everythingServer, OTHER_KEY, OTHER_PROJECT_KEY, TEST_KEY } from '../harness.ts'
import { type CapturingGateway, startCapturingGateway } from '../kit/capturing-gateway.ts'
import {
  deleteSession,
  initializeRequest,
  LegacyClient,
  openSse,
  openStreamable,
  postMcp,
  readRpc,
} from '../kit/mcp-wire.ts'

const REVOKE_KEY = 'mcp_proj_testkeyDDDDDDDDDDDDDDDDDDDDDDDDDDDD04'
const WRONG_KEY = 'mcp_proj_wrongwrongwrongwrongwrongwrong99'
const UPSTREAM_SECRET = 'Bearer upstream-secret-of-the-fixture'
const ALLOWED_ORIGIN = 'https://good.example'

let gw: CapturingGateway
let sseFixture: HttpFixture
let httpFixture: HttpFixture
const keys = apiKeys()
const audits: AuditEvent[] = []
const auditCapture: McpoPlugin = { name: 'test:audit-capture', audit: (e) => void audits.push(e) }

const SERVER = '/projects/demo/servers/everything'
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` })
let auth: Record<string, string>

before(async () => {
  sseFixture = await startHttpFixture({ transport: 'sse' })
  httpFixture = await startHttpFixture({ transport: 'streamable-http' })
  gw = await startCapturingGateway({
    listen: { host: '127.0.0.1', port: 0, allowedOrigins: [ALLOWED_ORIGIN] },
    plugins: [keys, auditCapture],
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        servers: [
          { ...everythingServer(), autoStart: true },
          { name: 'remote-sse', transport: 'sse', url: sseFixture.url, headers: { Authorization: UPSTREAM_SECRET } },
          {
            name: 'remote-http',
            transport: 'streamable-http',
            url: httpFixture.url,
            headers: { Authorization: UPSTREAM_SECRET },
          },
        ],
        apiKeys: [
          { name: 'test', key: TEST_KEY },
          { name: 'other', key: OTHER_KEY },
          { name: 'revokable', key: REVOKE_KEY },
        ],
      },
      { id: 'other', name: 'Other', servers: [everythingServer()], apiKeys: [{ name: 'k', key: OTHER_PROJECT_KEY }] },
    ],
  })
  auth = gw.auth
})

after(async () => {
  await gw?.close()
  await sseFixture?.close()
  await httpFixture?.close()
})

function wwwAuthenticate(res: Response): string {
  return res.headers.get('www-authenticate') ?? ''
}

describe('conformance A: auth and general HTTP (protocol.md §7, §8)', () => {
  it('1 A: GET …/sse without Authorization → 401 with WWW-Authenticate: Bearer, no SSE body, no session', async () => {
    const before = gw.gateway.sessions.size
    const { res, reader, text } = await openSse(gw.url + `${SERVER}/sse`)
    reader?.close()
    assert.equal(res.status, 401)
    assert.match(wwwAuthenticate(res), /^Bearer\b/)
    assert.equal(reader, null, 'a 401 must not open an event stream')
    assert.doesNotMatch(res.headers.get('content-type') ?? '', /text\/event-stream/)
    assert.doesNotMatch(text ?? '', /event:|sessionId/)
    assert.equal(gw.gateway.sessions.size, before, 'no session may be created')
  })

  it('2 A: POST …/messages?sessionId=<live> without Authorization → 401', async () => {
    const s = await LegacyClient.open(gw.url + `${SERVER}/sse`, auth)
    try {
      const res = await fetch(s.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      })
      assert.equal(res.status, 401)
      assert.match(wwwAuthenticate(res), /^Bearer\b/)
      await res.arrayBuffer()
      // The live session is untouched: its owner can still use it.
      const ok = await s.post({ jsonrpc: '2.0', id: 2, method: 'ping' })
      assert.equal(ok.status, 202)
      assert.deepEqual((await s.stream.response(2)).result, {})
      assert.equal(
        s.stream.messages.filter((m) => m.id === 1).length,
        0,
        'the unauthenticated ping must not be answered',
      )
    } finally {
      s.close()
    }
  })

  it('3 A: POST …/mcp initialize with a wrong key → 401 with error="invalid_token"', async () => {
    const res = await postMcp(gw.url + `${SERVER}/mcp`, initializeRequest(), bearer(WRONG_KEY))
    assert.equal(res.status, 401)
    assert.match(wwwAuthenticate(res), /^Bearer\b/)
    assert.match(wwwAuthenticate(res), /error="invalid_token"/)
    assert.equal(res.headers.get('mcp-session-id'), null)
    await res.arrayBuffer()
  })

  it('4 A: a valid key of project A on /projects/B/… → 403 or 404, revealing nothing about B', async () => {
    const probes: [string, string][] = [
      ['GET', '/servers/everything/sse'],
      ['POST', '/servers/everything/mcp'],
      ['POST', '/servers/everything/messages?sessionId=00000000-0000-4000-8000-000000000000'],
      ['GET', '/sse'],
      ['POST', '/mcp'],
    ]
    for (const [method, rest] of probes) {
      const answers: { status: number; body: string }[] = []
      // `other` exists (with a server of the same name); `nope` does not: a caller must not tell them apart.
      for (const project of ['other', 'nope']) {
        const res =
          method === 'GET'
            ? await fetch(`${gw.url}/projects/${project}${rest}`, { headers: { ...auth, accept: 'text/event-stream' } })
            : await postMcp(`${gw.url}/projects/${project}${rest}`, initializeRequest(), auth)
        answers.push({ status: res.status, body: await res.text() })
      }
      const [other, nope] = answers
      assert.ok(other.status === 403 || other.status === 404, `${method} ${rest}: got ${other.status}`)
      assert.deepEqual(other, nope, `${method} ${rest}: an existing foreign project must look like a missing one`)
      assert.doesNotMatch(other.body, /other|Other|everything/, 'the body must not name the project or its servers')
    }
  })

  it('5 A: a session opened with key K1 and used with K2 (same project) → 404 on both transports', async () => {
    // Legacy: the stream belongs to K1; K2 posting to it gets 404, and nothing reaches the stream.
    const s = await LegacyClient.open(gw.url + `${SERVER}/sse`, auth)
    try {
      const res = await s.post({ jsonrpc: '2.0', id: 5, method: 'ping' }, bearer(OTHER_KEY))
      assert.equal(res.status, 404)
      await res.arrayBuffer()
      const ok = await s.post({ jsonrpc: '2.0', id: 6, method: 'ping' })
      assert.equal(ok.status, 202)
      await s.stream.response(6)
      assert.equal(s.stream.messages.filter((m) => m.id === 5).length, 0)
    } finally {
      s.close()
    }
    // Streamable: POST, GET and DELETE with K2 on K1's session are all 404, and the session survives them.
    const url = gw.url + `${SERVER}/mcp`
    const id = await openStreamable(url, auth)
    try {
      const k2 = { ...bearer(OTHER_KEY), 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' }
      const post = await postMcp(url, { jsonrpc: '2.0', id: 1, method: 'ping' }, k2)
      assert.equal(post.status, 404)
      await post.arrayBuffer()
      const get = await fetch(url, { headers: { ...k2, accept: 'text/event-stream' } })
      assert.equal(get.status, 404)
      await get.arrayBuffer()
      const del = await fetch(url, { method: 'DELETE', headers: k2 })
      assert.equal(del.status, 404)
      await del.arrayBuffer()
      const mine = await postMcp(url, { jsonrpc: '2.0', id: 2, method: 'ping' }, { ...auth, 'mcp-session-id': id })
      assert.equal(mine.status, 200)
      assert.deepEqual((await readRpc(mine, 2)).result, {})
    } finally {
      await deleteSession(url, auth, id)
    }
  })

  async function revokeKey(): Promise<void> {
    const row = (await gw.gateway.store.apiKeys.list('demo')).find((k) => k.name === 'revokable')
    assert.ok(row, 'the revokable key is stored')
    await gw.gateway.store.apiKeys.revoke(row.id)
    await keys.refresh()
  }

  it('6 A: a revoked key → the next POST is 401 (and its streams close within 1 s, see the todo below)', async () => {
    const key = bearer(REVOKE_KEY)
    const s = await LegacyClient.open(gw.url + `${SERVER}/sse`, key)
    const url = gw.url + `${SERVER}/mcp`
    const id = await openStreamable(url, key)
    try {
      await revokeKey()
      const legacy = await s.post({ jsonrpc: '2.0', id: 1, method: 'ping' })
      assert.equal(legacy.status, 401)
      assert.match(wwwAuthenticate(legacy), /error="invalid_token"/)
      await legacy.arrayBuffer()
      const streamable = await postMcp(url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { ...key, 'mcp-session-id': id })
      assert.equal(streamable.status, 401)
      await streamable.arrayBuffer()
      const fresh = await openSse(gw.url + `${SERVER}/sse`, key)
      fresh.reader?.close()
      assert.equal(fresh.res.status, 401, 'a revoked key opens no new stream')
    } finally {
      s.close()
      const sess = gw.gateway.sessions.get(id)
      sess?.close('test cleanup')
    }
  })

  it("6 A: a revoked key's open SSE streams close within 1 s", async () => {
    const key = 'mcp_proj_testkeyEEEEEEEEEEEEEEEEEEEEEEEEEEEE05'
    // A key created at run time (as the UI would), so revoking it leaves the config keys alone.
    const row = await gw.gateway.store.apiKeys.create({
      projectId: 'demo',
      name: 'runtime',
      keyHash: hashApiKey(key),
      ...displayParts(key),
    })
    await keys.refresh()
    const s = await LegacyClient.open(gw.url + `${SERVER}/sse`, bearer(key))
    const url = gw.url + `${SERVER}/mcp`
    const id = await openStreamable(url, bearer(key))
    const get = await openSse(url, { ...bearer(key), 'mcp-session-id': id })
    try {
      assert.ok(get.reader, 'the Streamable GET stream opened')
      // No explicit refresh: the key cache's own reload must notice the revocation and close both streams.
      await gw.gateway.store.apiKeys.revoke(row.id)
      await s.stream.ended(1000)
      await get.reader.ended(1000)
    } finally {
      s.close()
      get.reader?.close()
      gw.gateway.sessions.get(id)?.close('test cleanup')
    }
  })

  it('7 A: API-key mode: well-known OAuth paths → 404, POST /register → 4xx JSON error_description, 401 without resource_metadata', async () => {
    const wellKnown = [
      '/.well-known/oauth-protected-resource',
      `/.well-known/oauth-protected-resource${SERVER}/mcp`,
      `/.well-known/oauth-protected-resource${SERVER}/sse`,
      '/.well-known/oauth-protected-resource/projects/demo/mcp',
      '/.well-known/oauth-authorization-server',
      `/.well-known/oauth-authorization-server${SERVER}/mcp`,
      '/.well-known/openid-configuration',
      `/.well-known/openid-configuration${SERVER}/mcp`,
      `${SERVER}/mcp/.well-known/openid-configuration`,
    ]
    // Clients probe both without credentials (mcp-remote) and with the static key (Cline's authProvider).
    for (const headers of [{}, auth]) {
      for (const path of wellKnown) {
        const res = await fetch(gw.url + path, { headers })
        assert.equal(res.status, 404, `${path} must be 404 in API-key mode`)
        await res.arrayBuffer()
      }
      const reg = await fetch(`${gw.url}/register`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'Cline', redirect_uris: ['http://127.0.0.1:1/cb'] }),
      })
      assert.ok(reg.status >= 400 && reg.status < 500, `POST /register answered ${reg.status}`)
      assert.match(reg.headers.get('content-type') ?? '', /application\/json/)
      const body = (await reg.json()) as { error?: string; error_description?: string }
      assert.equal(typeof body.error, 'string')
      assert.match(body.error_description ?? '', /API key/i)
    }
    for (const headers of [{}, bearer(WRONG_KEY)]) {
      for (const path of [`${SERVER}/sse`, `${SERVER}/mcp`, '/projects/demo/mcp']) {
        const res = path.endsWith('/sse')
          ? await fetch(gw.url + path, { headers })
          : await postMcp(gw.url + path, initializeRequest(), headers)
        assert.equal(res.status, 401)
        assert.match(wwwAuthenticate(res), /^Bearer realm="mcpo"/)
        assert.doesNotMatch(wwwAuthenticate(res), /resource_metadata/)
        await res.arrayBuffer()
      }
    }
  })

  it.todo(
    '8 A: OAuth mode: PRM for …/mcp and …/sse served unauthenticated, resource a path prefix of both, authorization_servers non-empty; the 401 resource_metadata URL answers 200 — expected failure: OAuth mode is not implemented yet (issue 6)',
  )

  it.todo(
    '9 A: OAuth mode: a token with another aud → 401; a token lacking scope → 403 error="insufficient_scope" with scope= — expected failure: OAuth mode is not implemented yet (issue 6)',
  )

  it("10 A: the client's Authorization never reaches the upstream; the fixture sees only its configured credential", async () => {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js')
    const { SSEClientTransport } = await import('@modelcontextprotocol/sdk/client/sse.js')
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js')
    for (const [server, fixture] of [
      ['remote-sse', sseFixture],
      ['remote-http', httpFixture],
    ] as const) {
      for (const kind of ['sse', 'mcp'] as const) {
        const url = new URL(`${gw.url}/projects/demo/servers/${server}/${kind}`)
        const transport =
          kind === 'sse'
            ? new SSEClientTransport(url, { requestInit: { headers: auth } })
            : new StreamableHTTPClientTransport(url, { requestInit: { headers: auth } })
        const client = new Client({ name: 'conformance', version: '1.0.0' })
        try {
          await client.connect(transport)
          const result = await client.callTool({ name: 'echo', arguments: { message: 'hi' } })
          assert.deepEqual(result.content, [{ type: 'text', text: 'Echo: hi' }])
        } finally {
          await client.close()
        }
      }
      assert.ok(fixture.requests.length > 0, `${server}: the fixture saw the relayed traffic`)
      for (const r of fixture.requests) {
        assert.equal(
          r.headers.authorization,
          UPSTREAM_SECRET,
          `${server}: ${r.method} ${r.url} carried another credential`,
        )
        const everything = JSON.stringify(r)
        assert.ok(!everything.includes(TEST_KEY), `${server}: the client's key leaked upstream in ${r.method} ${r.url}`)
        assert.equal(r.headers.cookie, undefined)
      }
    }
  })

  it('11 A: ?access_token= in the query string → 401', async () => {
    const q = `access_token=${TEST_KEY}`
    const get = await openSse(`${gw.url}${SERVER}/sse?${q}`)
    get.reader?.close()
    assert.equal(get.res.status, 401)
    // Even together with a valid header: a token in a URL is refused, not ignored.
    const getWithHeader = await openSse(`${gw.url}${SERVER}/sse?${q}`, auth)
    getWithHeader.reader?.close()
    assert.equal(getWithHeader.res.status, 401)
    const post = await postMcp(`${gw.url}${SERVER}/mcp?${q}`, initializeRequest())
    assert.equal(post.status, 401)
    assert.equal(post.headers.get('mcp-session-id'), null)
    await post.arrayBuffer()
    const s = await LegacyClient.open(gw.url + `${SERVER}/sse`, auth)
    try {
      const res = await fetch(`${s.endpoint}&${q}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      })
      assert.equal(res.status, 401)
      await res.arrayBuffer()
    } finally {
      s.close()
    }
  })

  it('12 A: after 401s, /register and well-known probes carrying a key, the key appears in no log or audit record', async () => {
    const secretOf = (key: string) => key.slice('mcp_proj_'.length)
    const probes: [string, string, Record<string, string>][] = [
      ['POST', `${SERVER}/mcp`, bearer(WRONG_KEY)],
      ['GET', `${SERVER}/sse`, bearer(WRONG_KEY)],
      ['POST', '/register', auth],
      ['POST', '/token', auth],
      ['GET', '/authorize', auth],
      ['GET', '/.well-known/oauth-protected-resource', auth],
      ['GET', `/.well-known/oauth-protected-resource${SERVER}/mcp`, auth],
      ['GET', '/.well-known/oauth-authorization-server', auth],
      ['GET', '/.well-known/openid-configuration', auth],
      ['GET', `${SERVER}/sse?access_token=${TEST_KEY}`, {}],
    ]
    for (const [method, path, headers] of probes) {
      const res = await fetch(gw.url + path, {
        method,
        headers: { ...headers, 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify(initializeRequest()) : undefined,
      })
      assert.ok(res.status >= 400, `${method} ${path} answered ${res.status}`)
      await res.arrayBuffer()
    }
    // A successful session too, so request logging (if any) has run with the key in the header.
    const url = gw.url + `${SERVER}/mcp`
    const id = await openStreamable(url, auth)
    await deleteSession(url, auth, id)
    await new Promise((r) => setTimeout(r, 100))

    assert.ok(gw.logs.length > 0, 'the capturing logger received log lines')
    const stored = await gw.gateway.store.audit.list()
    const records = [...gw.logs, ...audits.map((a) => JSON.stringify(a)), ...stored.map((a) => JSON.stringify(a))]
    for (const key of [TEST_KEY, WRONG_KEY, OTHER_KEY]) {
      const leaked = records.filter((r) => r.includes(secretOf(key)))
      assert.deepEqual(leaked, [], `the key ${key.slice(0, 14)}… appears in logs or audit records`)
    }
  })

  it('13 A: Origin: https://evil.example → 403 on /sse, /messages and /mcp; no Origin (or an allowed one) → accepted', async () => {
    const evil = { ...auth, origin: 'https://evil.example' }
    const sse = await openSse(gw.url + `${SERVER}/sse`, evil)
    sse.reader?.close()
    assert.equal(sse.res.status, 403)

    const s = await LegacyClient.open(gw.url + `${SERVER}/sse`, auth)
    try {
      const msg = await s.post({ jsonrpc: '2.0', id: 13, method: 'ping' }, { origin: 'https://evil.example' })
      assert.equal(msg.status, 403)
      await msg.arrayBuffer()
      const ok = await s.post({ jsonrpc: '2.0', id: 14, method: 'ping' })
      assert.equal(ok.status, 202)
      await s.stream.response(14)
      assert.equal(s.stream.messages.filter((m) => m.id === 13).length, 0)
    } finally {
      s.close()
    }

    const url = gw.url + `${SERVER}/mcp`
    const mcp = await postMcp(url, initializeRequest(), evil)
    assert.equal(mcp.status, 403)
    assert.equal(mcp.headers.get('mcp-session-id'), null)
    await mcp.arrayBuffer()
    const mcpGet = await fetch(url, { headers: { ...evil, accept: 'text/event-stream' } })
    assert.equal(mcpGet.status, 403)
    await mcpGet.arrayBuffer()

    for (const headers of [auth, { ...auth, origin: ALLOWED_ORIGIN }]) {
      const res = await postMcp(url, initializeRequest(), headers)
      assert.equal(res.status, 200, `initialize with ${JSON.stringify(headers.origin ?? 'no origin')} must pass`)
      const id = res.headers.get('mcp-session-id')
      assert.ok(id)
      assert.equal((await readRpc(res, 0)).id, 0)
      await deleteSession(url, auth, id)
      const stream = await openSse(gw.url + `${SERVER}/sse`, headers)
      stream.reader?.close()
      assert.equal(stream.res.status, 200)
    }
  })
})
