// Issue 16 point 5: a signed-out token still answered 200, and renewal extended a session forever. Now signing out,
// changing a password, a disabled account and "sign out everywhere" (one's own, or an administrator's for anyone) end
// sessions, and a session ends at its absolute lifetime however often its tokens are renewed. The same on two nodes:
// session-revocation-cluster.test.ts.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { hashPassword } from '../../plugins/users/password.ts'
import { type ApiHarness, PASSWORD, startApi } from '../api/tenancy-harness.ts'
import { startTestGateway, type TestGateway } from '../harness.ts'

interface Session {
  token: string
  cookie: string
  csrf: string
}

async function signIn(url: string, email: string, password = PASSWORD): Promise<Session> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  })
  assert.equal(res.status, 200, `sign-in of ${email}`)
  const pairs = res.headers.getSetCookie().map((c) => c.split(';')[0])
  const csrf = pairs.find((p) => p.startsWith('mcpo_csrf='))!.slice('mcpo_csrf='.length)
  return { token: ((await res.json()) as { token: string }).token, cookie: pairs.join('; '), csrf }
}

/** A session, or just its token (a harness user). */
type Creds = Pick<Session, 'token'> & Partial<Session>

async function me(url: string, s: Creds, via: 'bearer' | 'cookie' = 'bearer'): Promise<number> {
  const headers: Record<string, string> =
    via === 'bearer' ? { authorization: `Bearer ${s.token}` } : { cookie: s.cookie ?? '' }
  const res = await fetch(`${url}/api/auth/me`, { headers })
  await res.arrayBuffer()
  return res.status
}

async function post(url: string, path: string, s: Creds, body?: unknown, via: 'bearer' | 'cookie' = 'bearer') {
  const headers: Record<string, string> =
    via === 'bearer'
      ? { authorization: `Bearer ${s.token}` }
      : { cookie: s.cookie ?? '', 'x-csrf-token': s.csrf ?? '', 'sec-fetch-site': 'same-origin' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(url + path, {
    method: 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers }
}

describe('ending sessions', () => {
  let h: ApiHarness
  let url: string
  before(async () => {
    h = await startApi()
    url = h.gw.url
  })
  after(() => h?.close())

  it('sign-out ends the session: its token and its cookie are refused afterwards', async () => {
    const u = await h.user('leaver')
    const s = await signIn(url, u.email)
    assert.equal(await me(url, s), 200)
    const out = await post(url, '/api/auth/logout', s, undefined, 'cookie')
    assert.equal(out.status, 204)
    assert.ok(out.headers.getSetCookie().every((c) => /Max-Age=0/.test(c)))
    assert.equal(await me(url, s, 'bearer'), 401, 'the token of the signed-out session')
    assert.equal(await me(url, s, 'cookie'), 401, 'the cookie, if the browser kept it')
    assert.equal(await me(url, u), 200, 'another sign-in of the same user is untouched')
    const bearerOut = await post(url, '/api/auth/logout', u)
    assert.equal(bearerOut.status, 204)
    assert.equal(await me(url, u), 401, 'signing out with a bearer token ends that session too')
    assert.ok(h.audits.some((e) => e.action === 'auth.sign_out' && e.target?.id === u.id))
  })

  it('a cross-site request cannot sign someone out', async () => {
    const u = await h.user('stays')
    const s = await signIn(url, u.email)
    const res = await fetch(`${url}/api/auth/logout`, {
      method: 'POST',
      headers: { cookie: s.cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    })
    assert.equal(res.status, 403)
    assert.equal(await me(url, s), 200)
  })

  it('a password change ends every other session; the one that changed it stays', async () => {
    const u = await h.user('changer')
    const [a, b] = [await signIn(url, u.email), await signIn(url, u.email)]
    const changed = await post(url, '/api/auth/password', a, {
      currentPassword: PASSWORD,
      newPassword: 'a new long passphrase',
    })
    assert.equal(changed.status, 204)
    assert.equal(await me(url, b), 401, 'the other sign-in')
    assert.equal(await me(url, u), 401, 'the first sign-in of the harness')
    assert.equal(await me(url, a), 200, 'the session that changed it')
  })

  it('disabling a user ends their sessions, and enabling them again does not revive them', async () => {
    const u = await h.user('disabled')
    assert.equal(await me(url, u), 200)
    assert.equal((await h.call(h.admin, 'PUT', `/api/users/${u.id}`, { disabled: true })).status, 200)
    assert.equal(await me(url, u), 401)
    assert.equal((await h.call(h.admin, 'PUT', `/api/users/${u.id}`, { disabled: false })).status, 200)
    assert.equal(await me(url, u), 401)
  })

  it('"sign out everywhere" ends every session of the caller, this one included', async () => {
    const u = await h.user('everywhere')
    const [a, b] = [await signIn(url, u.email), await signIn(url, u.email)]
    const out = await post(url, '/api/auth/sessions/revoke', a, undefined, 'cookie')
    assert.equal(out.status, 200)
    assert.deepEqual(out.body, { revoked: 3 })
    assert.ok(out.headers.getSetCookie().every((c) => /Max-Age=0/.test(c)))
    for (const s of [a, b, u]) assert.equal(await me(url, s), 401)
    assert.equal(await me(url, await signIn(url, u.email)), 200, 'signing in again works')
  })

  it('an administrator signs anyone out everywhere; nobody else may', async () => {
    const u = await h.user('target')
    const other = await h.user('bystander')
    const s = await signIn(url, u.email)
    assert.equal((await h.call(other, 'POST', `/api/users/${u.id}/sessions/revoke`)).status, 403)
    assert.equal(await me(url, s), 200)
    const out = await h.call(h.admin, 'POST', `/api/users/${u.id}/sessions/revoke`)
    assert.equal(out.status, 200)
    assert.deepEqual(out.body, { revoked: 2 })
    assert.equal(await me(url, s), 401)
    assert.equal(await me(url, u), 401)
    assert.equal(await me(url, other), 200)
    assert.equal(
      (await h.call(h.admin, 'POST', '/api/users/00000000-0000-4000-8000-000000000000/sessions/revoke')).status,
      404,
    )
    assert.ok(h.audits.some((e) => e.action === 'user.sessions_revoked' && e.target?.id === u.id))
  })

  it('documents the new routes', async () => {
    const doc = (await h.call(null, 'GET', '/api/openapi.json')).body
    assert.ok(doc.paths['/api/auth/sessions/revoke']?.post)
    assert.ok(doc.paths['/api/users/{id}/sessions/revoke']?.post)
  })
})

describe('absolute session lifetime', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({
      projects: [],
      plugins: [sessions({ ttlSeconds: 4, maxLifetimeSeconds: 6 }), apiKeys()],
    })
    await gw.gateway.store.users.create({ email: 'long@example.com', passwordHash: await hashPassword(PASSWORD) })
  })
  after(() => gw?.close())

  it('renewal keeps a session going only until its absolute end', async () => {
    const started = Date.now()
    const first = await signIn(gw.url, 'long@example.com')
    const at = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, started + ms - Date.now())))
    // JWT times are whole seconds: each step keeps a second of margin.
    await at(2500)
    const renewing = await fetch(`${gw.url}/api/auth/me`, { headers: { authorization: `Bearer ${first.token}` } })
    assert.equal(renewing.status, 200)
    const renewed = renewing.headers.get('x-mcpo-token')
    assert.ok(renewed, 'past half its life, the token is renewed')
    const claims = JSON.parse(Buffer.from(renewed.split('.')[1], 'base64url').toString())
    assert.ok(
      claims.exp - claims.auth_time <= 6,
      `renewed up to the absolute end, not past it: ${JSON.stringify(claims)}`,
    )
    await at(4300)
    assert.equal(await me(gw.url, { ...first, token: renewed }), 200, 'the renewed token outlives the first one')
    assert.equal(await me(gw.url, first), 401)
    await at(6300)
    assert.equal(await me(gw.url, { ...first, token: renewed }), 401, 'past the absolute lifetime')
  })
})
