// Sign-in for the admin UI and API clients: first-run set-up, login, cookie + CSRF, bearer JWTs, throttling.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startTestGateway, type TestGateway } from '../harness.ts'

let gw: TestGateway
before(async () => {
  gw = await startTestGateway({ projects: [] })
})
after(() => gw?.close())

const json = { 'content-type': 'application/json' }
const admin = { email: 'admin@example.com', password: 'correct horse battery staple', name: 'Ada' }

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(gw.url + path, {
    method,
    headers: { ...json, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null }
}

function cookieHeader(setCookies: string[]): { cookie: string; csrf: string } {
  const pairs = setCookies.map((c) => c.split(';')[0])
  const csrf = pairs.find((p) => p.startsWith('mcpo_csrf='))?.slice('mcpo_csrf='.length) ?? ''
  return { cookie: pairs.join('; '), csrf }
}

describe('auth API', () => {
  let token = ''
  let session: { cookie: string; csrf: string }

  it('creates the first admin only with the one-time set-up token', async () => {
    assert.deepEqual((await call('GET', '/api/auth/setup')).body, { needed: true })
    const wrong = await call('POST', '/api/auth/setup', { ...admin, token: 'guess' })
    assert.equal(wrong.status, 403)
    const weak = await call('POST', '/api/auth/setup', { ...admin, password: 'short', token: gw.gateway.setupToken })
    assert.equal(weak.status, 400)
    assert.equal(weak.body.error.code, 'MCPO_ERR_VALIDATION')
    assert.deepEqual(
      weak.body.error.details.fields.map((f: { field: string }) => f.field),
      ['password'],
    )
    const ok = await call('POST', '/api/auth/setup', { ...admin, token: gw.gateway.setupToken })
    assert.equal(ok.status, 200)
    assert.equal(ok.body.user.isAdmin, true)
    assert.equal(ok.body.user.passwordHash, undefined)
    const again = await call('POST', '/api/auth/setup', {
      ...admin,
      email: 'x@example.com',
      token: gw.gateway.setupToken,
    })
    assert.equal(again.status, 403, 'the link works once')
    assert.deepEqual((await call('GET', '/api/auth/setup')).body, { needed: false })
  })

  it('signs in: a bearer token and HttpOnly SameSite cookies', async () => {
    const res = await call('POST', '/api/auth/login', { email: 'ADMIN@example.com', password: admin.password })
    assert.equal(res.status, 200)
    token = res.body.token
    const cookies = res.headers.getSetCookie()
    assert.ok(cookies.some((c) => /^mcpo_session=.+; Path=\/; HttpOnly; SameSite=Strict/.test(c)))
    assert.ok(cookies.some((c) => /^mcpo_csrf=/.test(c) && !/HttpOnly/.test(c)))
    session = cookieHeader(cookies)
    const me = await call('GET', '/api/auth/me', undefined, { authorization: `Bearer ${token}` })
    assert.equal(me.status, 200)
    assert.equal(me.body.email, admin.email)
    assert.equal((await call('GET', '/api/auth/me', undefined, { cookie: session.cookie })).body.email, admin.email)
  })

  it('refuses unsigned and foreign tokens', async () => {
    const [h, p] = token.split('.')
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`
    assert.equal((await call('GET', '/api/auth/me', undefined, { authorization: `Bearer ${none}` })).status, 401)
    const tampered = `${h}.${Buffer.from(JSON.stringify({ sub: 'someone-else', iss: 'mcpo', aud: 'mcpo:api', exp: 9e9 })).toString('base64url')}.${token.split('.')[2]}`
    assert.equal((await call('GET', '/api/auth/me', undefined, { authorization: `Bearer ${tampered}` })).status, 401)
    assert.equal((await call('GET', '/api/auth/me')).status, 401)
  })

  it('requires the CSRF header for state changes made with the cookie, not with a bearer token', async () => {
    const body = { currentPassword: admin.password, newPassword: 'another long passphrase' }
    const noCsrf = await call('POST', '/api/auth/password', body, { cookie: session.cookie })
    assert.equal(noCsrf.status, 403)
    assert.match(noCsrf.body.error.message, /x-csrf-token/)
    const withCsrf = await call('POST', '/api/auth/password', body, {
      cookie: session.cookie,
      'x-csrf-token': session.csrf,
    })
    assert.equal(withCsrf.status, 204)
    const back = await call(
      'POST',
      '/api/auth/password',
      { currentPassword: body.newPassword, newPassword: admin.password },
      { authorization: `Bearer ${token}` },
    )
    assert.equal(back.status, 204)
    const changedAgain = await call('POST', '/api/auth/password', body, { authorization: `Bearer ${token}` })
    assert.equal(changedAgain.status, 204, 'the current password is admin.password again')
    assert.equal(
      (await call('POST', '/api/auth/login', { email: admin.email, password: body.newPassword })).status,
      200,
    )
  })

  it('throttles failed sign-ins per account with 429 and Retry-After, without revealing which emails exist', async () => {
    const unknown = await call('POST', '/api/auth/login', {
      email: 'nobody@example.com',
      password: 'whatever-whatever',
    })
    const bad = await call('POST', '/api/auth/login', { email: admin.email, password: 'wrong password here' })
    assert.equal(unknown.status, 401)
    assert.equal(bad.status, 401)
    assert.equal(unknown.body.error.message, bad.body.error.message)
    for (let i = 0; i < 4; i++)
      await call('POST', '/api/auth/login', { email: admin.email, password: 'wrong password here' })
    const limited = await call('POST', '/api/auth/login', { email: admin.email, password: 'another long passphrase' })
    assert.equal(limited.status, 429)
    assert.ok(Number(limited.headers.get('retry-after')) > 0)
  })

  it('signs out by clearing the cookies', async () => {
    const res = await call('POST', '/api/auth/logout')
    assert.equal(res.status, 204)
    assert.ok(res.headers.getSetCookie().every((c) => /Max-Age=0/.test(c)))
  })

  it('documents every route in /api/openapi.json', async () => {
    const doc = (await call('GET', '/api/openapi.json')).body
    assert.equal(doc.openapi, '3.1.0')
    for (const [path, method] of [
      ['/api/auth/login', 'post'],
      ['/api/auth/me', 'get'],
      ['/api/auth/setup', 'post'],
      ['/api/auth/password', 'post'],
    ]) {
      assert.ok(doc.paths[path]?.[method], `${method} ${path} documented`)
    }
    assert.deepEqual(doc.paths['/api/auth/login'].post.requestBody.content['application/json'].schema.required, [
      'email',
      'password',
    ])
  })
})
