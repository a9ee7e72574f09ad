// Web security (issue 11 point 6): security headers and CSP, Secure cookies behind a trusted proxy only, CSRF for
// cookie sessions (same-origin browser fetches pass), CORS off unless an origin is allowed by name.
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { sendJson } from '../../gateway/http.ts'
import { createLogger } from '../../gateway/logger.ts'
import { type RunningServer, startServer } from '../../gateway/server.ts'
import { securityHeaders } from '../../gateway/web-security.ts'
import { type ApiHarness, PASSWORD, startApi } from '../api/tenancy-harness.ts'
import { TEST_KEY } from '../harness.ts'
import { bearer, postMcp } from '../kit/mcp-wire.ts'

const APP = 'https://app.example.com'
let plain: ApiHarness
let proxied: ApiHarness
before(async () => {
  ;[plain, proxied] = await Promise.all([
    startApi(),
    startApi({
      security: { trustProxy: true, corsOrigins: [APP], frameAncestors: ["'self'", 'https://portal.example.com'] },
      projects: [{ id: 'demo', name: 'Demo', apiKeys: [{ name: 'k', key: TEST_KEY }] }],
    }),
  ])
})
after(async () => {
  await Promise.all([plain?.close(), proxied?.close()])
})

async function login(h: ApiHarness, headers: Record<string, string> = {}) {
  const res = await fetch(`${h.gw.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ email: 'admin@example.com', password: PASSWORD }),
  })
  assert.equal(res.status, 200)
  const set = res.headers.getSetCookie()
  return { set, cookie: set.map((c) => c.split(';')[0]).join('; ') }
}

describe('security headers', () => {
  it('every response says nosniff and no-referrer, errors and 404s included', async () => {
    for (const path of ['/healthz', '/api/projects', '/no/such/route', '/projects/demo/mcp']) {
      const res = await fetch(plain.gw.url + path)
      await res.arrayBuffer()
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path)
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer', path)
    }
    const injected = await plain.gw.gateway.inject({ url: '/healthz' })
    assert.equal(injected.headers['x-content-type-options'], 'nosniff', 'inject() shows what the edge adds')
  })

  it("HTML gets a CSP with default-src 'self' and frame-ancestors from the config (default 'none')", async () => {
    const logger = createLogger('silent')
    const servers: RunningServer[] = []
    try {
      for (const [sources, expected] of [
        [["'none'"], "frame-ancestors 'none'"],
        [["'self'", 'https://portal.example.com'], "frame-ancestors 'self' https://portal.example.com"],
      ] as const) {
        const server = await startServer({
          host: '127.0.0.1',
          port: 0,
          maxBodyBytes: 1024,
          outboundBufferBytes: 65536,
          logger,
          securityHeaders: securityHeaders({ frameAncestors: sources }),
          handler: (req, res) =>
            req.path === '/page'
              ? res.send(200, { 'content-type': 'text/html; charset=utf-8' }, '<!doctype html><p>hi')
              : sendJson(res, 200, {}),
        })
        servers.push(server)
        const page = await fetch(`http://127.0.0.1:${server.port}/page`)
        const csp = page.headers.get('content-security-policy') ?? ''
        assert.match(csp, /default-src 'self'/)
        assert.match(csp, /script-src 'self'(;|$)/, 'no unsafe-inline scripts')
        assert.ok(csp.includes(expected), csp)
        assert.equal(page.headers.get('x-frame-options'), sources.length === 1 ? 'DENY' : null)
        const json = await fetch(`http://127.0.0.1:${server.port}/data`)
        assert.equal(json.headers.get('content-security-policy'), null, 'CSP is for documents')
        assert.equal(json.headers.get('x-content-type-options'), 'nosniff')
      }
    } finally {
      for (const s of servers) {
        s.closeAll()
        s.stopListening()
      }
    }
  })
})

describe('cookies behind TLS', () => {
  it('are Secure when a trusted proxy says https, and not when the proxy is not trusted', async () => {
    const viaProxy = await login(proxied, { 'x-forwarded-proto': 'https' })
    assert.ok(viaProxy.set.length >= 2)
    for (const c of viaProxy.set) assert.match(c, /; Secure/, c)
    const forged = await login(plain, { 'x-forwarded-proto': 'https' })
    for (const c of forged.set) assert.doesNotMatch(c, /Secure/, 'X-Forwarded-Proto is ignored without trustProxy')
    const direct = await login(proxied)
    for (const c of direct.set) assert.doesNotMatch(c, /Secure/, 'plain http without the proxy header')
  })

  it('X-Forwarded-For names the client only when the proxy is trusted', async () => {
    for (const [h, expected] of [
      [proxied, '203.0.113.7'],
      [plain, '127.0.0.1'],
    ] as const) {
      const res = await fetch(`${h.gw.url}/api/teams`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${h.admin.token}`,
          'content-type': 'application/json',
          'x-forwarded-for': '198.51.100.1, 203.0.113.7',
        },
        body: JSON.stringify({ name: `Team ${expected}` }),
      })
      assert.equal(res.status, 201)
      const event = h.audits.findLast((e) => e.action?.startsWith('team.'))
      assert.ok(event)
      assert.match(String(event.ip), new RegExp(`^(::ffff:)?${expected.replace(/\./g, '\\.')}$`))
    }
  })
})

describe('CSRF for cookie sessions', () => {
  async function post(headers: Record<string, string>, name: string) {
    const res = await fetch(`${plain.gw.url}/api/teams`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ name }),
    })
    const body = (await res.json()) as { error?: { code: string } }
    return { status: res.status, code: body.error?.code }
  }

  it('refuses cross-site and unproven requests, lets same-origin browser fetches and bearer tokens through', async () => {
    const { cookie } = await login(plain)
    const own = plain.gw.url
    assert.deepEqual(await post({ cookie }, 'csrf-a'), { status: 403, code: 'MCPO_ERR_FORBIDDEN' })
    assert.equal((await post({ cookie, origin: 'https://evil.example' }, 'csrf-b')).status, 403)
    assert.equal(
      (await post({ cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, 'csrf-c')).status,
      403,
    )
    assert.equal((await post({ cookie, origin: own, 'sec-fetch-site': 'same-site' }, 'csrf-d')).status, 403)
    // What the admin UI's fetch sends from its own pages.
    assert.equal((await post({ cookie, origin: own, 'sec-fetch-site': 'same-origin' }, 'csrf-e')).status, 201)
    assert.equal((await post({ cookie, origin: own }, 'csrf-f')).status, 201, 'older browsers: Origin only')
    const bearer = { authorization: `Bearer ${plain.admin.token}`, origin: 'https://evil.example' }
    assert.equal((await post(bearer, 'csrf-g')).status, 201, 'a bearer token is never sent by the browser itself')
    // Reads are not state changes.
    const read = await fetch(`${own}/api/teams`, { headers: { cookie, origin: 'https://evil.example' } })
    assert.equal(read.status, 200)
  })
})

describe('CORS', () => {
  it('is off by default: no Access-Control headers, preflights are not approved', async () => {
    const pre = await fetch(`${plain.gw.url}/api/teams`, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST' },
    })
    await pre.arrayBuffer()
    assert.ok(pre.status >= 400, `preflight status ${pre.status}`)
    assert.equal(pre.headers.get('access-control-allow-origin'), null)
    const get = await fetch(`${plain.gw.url}/api/auth/providers`, { headers: { origin: APP } })
    await get.arrayBuffer()
    assert.equal(get.headers.get('access-control-allow-origin'), null)
  })

  it('answers preflights and requests of an origin allowed by name, and only that one', async () => {
    const pre = await fetch(`${proxied.gw.url}/api/teams`, {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    })
    assert.equal(pre.status, 204)
    assert.equal(pre.headers.get('access-control-allow-origin'), APP)
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/)
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /authorization/)
    assert.equal(pre.headers.get('access-control-allow-credentials'), null, 'no cookies cross-origin')
    const evil = await fetch(`${proxied.gw.url}/api/teams`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    })
    await evil.arrayBuffer()
    assert.equal(evil.status, 403)
    assert.equal(evil.headers.get('access-control-allow-origin'), null)

    const get = await fetch(`${proxied.gw.url}/api/teams`, {
      headers: { origin: APP, authorization: `Bearer ${proxied.admin.token}` },
    })
    assert.equal(get.status, 200)
    assert.equal(get.headers.get('access-control-allow-origin'), APP)
    assert.match(get.headers.get('vary') ?? '', /Origin/)
    // The MCP endpoints accept the allowed origin (and still refuse others).
    const mcp = (origin: string) =>
      postMcp(
        `${proxied.gw.url}/projects/demo/mcp`,
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { ...bearer(TEST_KEY), origin },
      )
    const allowed = await mcp(APP)
    await allowed.arrayBuffer()
    assert.notEqual(allowed.status, 403)
    assert.equal(allowed.headers.get('access-control-allow-origin'), APP)
    const refused = await mcp('https://evil.example')
    await refused.arrayBuffer()
    assert.equal(refused.status, 403)
  })

  it('approves the MCP 2026-07-28 request headers in a preflight: Mcp-Method, Mcp-Name and the Mcp-Param-* it asks for', async () => {
    const pre = await fetch(`${proxied.gw.url}/projects/demo/mcp`, {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, mcp-method, mcp-name, mcp-param-region, Mcp-Param-Tenant-Id',
      },
    })
    assert.equal(pre.status, 204)
    const allowed = new Set((pre.headers.get('access-control-allow-headers') ?? '').split(/,\s*/))
    for (const h of ['authorization', 'mcp-method', 'mcp-name', 'mcp-param-region', 'mcp-param-tenant-id'])
      assert.ok(allowed.has(h), `${h} is allowed: ${[...allowed].join(', ')}`)
    assert.ok(![...allowed].some((h) => h.includes('evil')), 'only what was asked')
  })
})

describe("the MCP endpoints and the gateway's own origin", () => {
  const ping = (url: string, headers: Record<string, string>) =>
    postMcp(url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { ...bearer(TEST_KEY), ...headers })

  it('accept a page of the gateway itself (Origin = the loopback address it was reached at, or publicBaseUrl)', async () => {
    const url = `${proxied.gw.url}/projects/demo/mcp`
    const own = await ping(url, { origin: proxied.gw.url })
    await own.arrayBuffer()
    assert.notEqual(own.status, 403, 'same origin on 127.0.0.1')
    const port = new URL(proxied.gw.url).port
    const local = await ping(url.replace('127.0.0.1', 'localhost'), { origin: `http://localhost:${port}` })
    await local.arrayBuffer()
    assert.notEqual(local.status, 403, 'same origin on localhost')
    const other = await ping(url, { origin: `http://127.0.0.1:${Number(port) + 1}` })
    await other.arrayBuffer()
    assert.equal(other.status, 403, 'another port is another origin')
  })

  it("refuse a DNS-rebinding page: its Origin matches its Host, but the Host is not the gateway's", async () => {
    const url = `${proxied.gw.url}/projects/demo/mcp`
    const port = new URL(proxied.gw.url).port
    // fetch cannot set Host: the request goes out by hand, as a browser on a rebound name would send it.
    const status = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })
      const req = request(
        url,
        {
          method: 'POST',
          headers: {
            host: `rebound.example:${port}`,
            origin: `http://rebound.example:${port}`,
            authorization: `Bearer ${TEST_KEY}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end(body)
    })
    assert.equal(status, 403)
  })
})
