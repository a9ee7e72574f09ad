// The API client without a browser: requests it sends (CSRF, bearer, query, JSON) and how it reads error answers,
// against a real HTTP server on 127.0.0.1 so fetch, headers and aborts behave as they do in the page.
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { ApiClient, ApiError, buildQuery, csrfFromCookie, errorFrom, isAbort, isApiError } from './api-client.ts'

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

/** The error a request failed with; a request that succeeds fails the test. */
function failure(p: Promise<unknown>): Promise<ApiError> {
  return p.then(
    () => assert.fail('expected the request to fail'),
    (e: ApiError) => e,
  )
}

let server: Server
let base = ''
const seen: Seen[] = []

before(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      const path = (req.url ?? '').split('?')[0]
      if (path === '/api/ok') {
        res.writeHead(200, { 'content-type': 'application/json', 'x-mcpo-token': 'renewed-token' })
        res.end(JSON.stringify({ hello: 'world' }))
      } else if (path === '/api/empty') {
        res.writeHead(204)
        res.end()
      } else if (path === '/api/invalid') {
        res.writeHead(400, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({
            error: {
              code: 'MCPO_ERR_VALIDATION',
              message: 'invalid body: url: Invalid URL; env.TOKEN: too long',
              details: {
                fields: [
                  { field: 'url', message: 'Invalid URL' },
                  { field: 'env.TOKEN', message: 'too long' },
                ],
              },
            },
          }),
        )
      } else if (path === '/api/limited') {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' })
        res.end(JSON.stringify({ error: { code: 'MCPO_ERR_RATE_LIMITED', message: 'slow down' } }))
      } else if (path === '/api/private') {
        res.writeHead(401, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: { code: 'MCPO_ERR_UNAUTHENTICATED', message: 'sign in first' } }))
      } else if (path === '/api/html') {
        res.writeHead(502, { 'content-type': 'text/html' })
        res.end('<html>bad gateway</html>')
      } else if (path === '/api/slow') {
        setTimeout(() => res.end('{}'), 2000)
      } else {
        res.writeHead(404)
        res.end()
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(() => new Promise<void>((r) => server.close(() => r())))

describe('ApiClient requests', () => {
  it('sends JSON with the CSRF header on state changes of a cookie session, and query parameters', async () => {
    const api = new ApiClient({ baseUrl: base, csrfToken: () => 'csrf-123' })
    const out = await api.post<{ hello: string }>(
      '/api/ok',
      { name: 'x' },
      { query: { a: 1, b: '', c: null, d: 'x y' } },
    )
    assert.deepEqual(out, { hello: 'world' })
    const req = seen.at(-1)!
    assert.equal(req.method, 'POST')
    assert.equal(req.url, '/api/ok?a=1&d=x+y')
    assert.equal(req.headers['content-type'], 'application/json')
    assert.equal(req.headers['x-csrf-token'], 'csrf-123')
    assert.equal(req.headers.authorization, undefined)
    assert.deepEqual(JSON.parse(req.body), { name: 'x' })
    await api.get('/api/ok')
    assert.equal(seen.at(-1)!.headers['x-csrf-token'], undefined, 'GET needs no CSRF header')
  })

  it('uses a bearer token instead of cookies and keeps the renewed token the gateway sends', async () => {
    const api = new ApiClient({ baseUrl: base, token: 'first-token', csrfToken: () => 'csrf' })
    await api.put('/api/ok', {})
    assert.equal(seen.at(-1)!.headers.authorization, 'Bearer first-token')
    assert.equal(seen.at(-1)!.headers['x-csrf-token'], undefined)
    await api.get('/api/ok')
    assert.equal(seen.at(-1)!.headers.authorization, 'Bearer renewed-token')
  })

  it('answers undefined for 204', async () => {
    const api = new ApiClient({ baseUrl: base })
    assert.equal(await api.delete('/api/empty'), undefined)
  })
})

describe('ApiClient errors', () => {
  it('a 400 carries status, code and the field errors, nested paths included', async () => {
    const api = new ApiClient({ baseUrl: base })
    const err = await failure(api.post('/api/invalid', {}))
    assert.ok(isApiError(err, 400))
    assert.equal(err.code, 'MCPO_ERR_VALIDATION')
    assert.deepEqual(err.fields, { url: 'Invalid URL', 'env.TOKEN': 'too long' })
    assert.equal(err.fieldError('url'), 'Invalid URL')
    assert.equal(err.fieldError('env'), 'too long')
    assert.equal(err.fieldError('name'), null)
  })

  it('429 keeps retry-after; 401 calls onUnauthenticated; a non-JSON error still becomes an ApiError', async () => {
    let signedOut = 0
    const api = new ApiClient({ baseUrl: base, onUnauthenticated: () => signedOut++ })
    const limited = await failure(api.get('/api/limited'))
    assert.equal(limited.status, 429)
    assert.equal(limited.retryAfterS, 7)
    const denied = await failure(api.get('/api/private'))
    assert.equal(denied.status, 401)
    assert.equal(denied.message, 'sign in first')
    assert.equal(signedOut, 1)
    const html = await failure(api.get('/api/html'))
    assert.ok(html instanceof ApiError)
    assert.equal(html.status, 502)
    assert.equal(html.code, 'HTTP_502')
  })

  it('an aborted request rejects with an AbortError, not an ApiError; an unreachable gateway is status 0', async () => {
    const api = new ApiClient({ baseUrl: base })
    const controller = new AbortController()
    const pending = api.get('/api/slow', { signal: controller.signal })
    controller.abort()
    const err = await failure(pending)
    assert.ok(isAbort(err))
    assert.ok(!(err instanceof ApiError))
    const down = new ApiClient({ baseUrl: 'http://127.0.0.1:1' })
    const net = await failure(down.get('/api/ok'))
    assert.ok(isApiError(net, 0))
    assert.equal(net.code, 'MCPO_ERR_NETWORK')
  })

  it('errorFrom reads a single `details.field` and retryAfterS from the body', () => {
    const e = errorFrom(404, {
      error: { code: 'MCPO_ERR_NOT_FOUND', message: 'no account uses a@b.c', details: { field: 'email' } },
    })
    assert.equal(e.fieldError('email'), 'no account uses a@b.c')
    const r = errorFrom(429, { error: { code: 'MCPO_ERR_RATE_LIMITED', message: 'x', details: { retryAfterS: 3 } } })
    assert.equal(r.retryAfterS, 3)
  })

  it("errorFrom reads OAuth's error answers (the consent page's calls)", () => {
    const e = errorFrom(400, { error: 'invalid_request', error_description: 'this authorization request has expired' })
    assert.equal(e.code, 'invalid_request')
    assert.equal(e.message, 'this authorization request has expired')
    assert.equal(errorFrom(401, { error: 'login_required' }).code, 'login_required')
  })
})

describe('helpers', () => {
  it('csrfFromCookie and buildQuery', () => {
    assert.equal(csrfFromCookie('a=1; mcpo_csrf=abc%20d; b=2'), 'abc d')
    assert.equal(csrfFromCookie('a=1'), null)
    assert.equal(buildQuery({}), '')
    assert.equal(buildQuery({ x: true, y: 0 }), '?x=true&y=0')
  })
})
