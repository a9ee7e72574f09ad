// Short-lived sessions are renewed while used: past half their life, the next request carries a fresh token.
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { hashPassword } from '../../plugins/users/password.ts'
import { startTestGateway, type TestGateway } from '../harness.ts'

let gw: TestGateway
before(async () => {
  gw = await startTestGateway({ projects: [], plugins: [sessions({ ttlSeconds: 4 }), apiKeys()] })
  await gw.gateway.store.users.create({
    email: 'ren@example.com',
    passwordHash: await hashPassword('renewal password 1'),
  })
})
after(() => gw?.close())

it('renews a bearer token and a session cookie past half their life, and not before', async () => {
  const login = await fetch(`${gw.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ren@example.com', password: 'renewal password 1' }),
  })
  const { token } = (await login.json()) as { token: string }
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ')
  const early = await fetch(`${gw.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })
  assert.equal(early.status, 200)
  assert.equal(early.headers.get('x-mcpo-token'), null, 'a young token is not renewed')
  await new Promise((r) => setTimeout(r, 2500))
  const late = await fetch(`${gw.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })
  const fresh = late.headers.get('x-mcpo-token')
  assert.ok(fresh && fresh !== token)
  const viaCookie = await fetch(`${gw.url}/api/auth/me`, { headers: { cookie } })
  assert.ok(viaCookie.headers.getSetCookie().some((c) => /^mcpo_session=.+HttpOnly/.test(c)))
  await new Promise((r) => setTimeout(r, 2000))
  assert.equal(
    (await fetch(`${gw.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status,
    401,
    'the old token expired',
  )
  assert.equal(
    (await fetch(`${gw.url}/api/auth/me`, { headers: { authorization: `Bearer ${fresh}` } })).status,
    200,
    'the renewed one works',
  )
})
