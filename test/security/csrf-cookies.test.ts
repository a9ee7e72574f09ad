// Issue 16 point 4: `Cookie: mcpo_session=<jwt>; mcpo_session=` with `Content-Type: text/plain;
// charset=application/json` and `Sec-Fetch-Site: same-site` created an admin (201). The CSRF check read the last
// cookie (empty: no session, nothing to check), the sessions plugin the first non-empty one (signed in), and the
// JSON check was a substring test. Now one parser serves both, a repeated session or CSRF cookie is refused with 401,
// and a JSON body needs the application/json media type.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type ApiHarness, PASSWORD, startApi } from '../api/tenancy-harness.ts'
import { TEST_KEY } from '../harness.ts'
import { bearer, postMcp } from '../kit/mcp-wire.ts'

let h: ApiHarness
let jwt: string
let csrf: string
before(async () => {
  h = await startApi({ projects: [{ id: 'demo', name: 'Demo', apiKeys: [{ name: 'k', key: TEST_KEY }] }] })
  const res = await fetch(`${h.gw.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@example.com', password: PASSWORD }),
  })
  assert.equal(res.status, 200)
  const pairs = res.headers.getSetCookie().map((c) => c.split(';')[0])
  jwt = pairs.find((p) => p.startsWith('mcpo_session='))!.slice('mcpo_session='.length)
  csrf = pairs.find((p) => p.startsWith('mcpo_csrf='))!.slice('mcpo_csrf='.length)
})
after(() => h?.close())

let n = 0
/** Tries to create an administrator, as the reported page would. */
async function createAdmin(headers: Record<string, string>, contentType = 'application/json') {
  const email = `planted-${++n}@example.com`
  const res = await fetch(`${h.gw.url}/api/users`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body: JSON.stringify({ email, password: 'attacker chosen password', isAdmin: true }),
  })
  const body = (await res.json()) as { error?: { code: string; message: string } }
  const created = (await h.gw.gateway.store.users.getByEmail(email)) !== null
  return { status: res.status, code: body.error?.code, message: body.error?.message ?? '', created }
}

describe('CSRF with a repeated session cookie', () => {
  it('refuses the reported request, and creates no one', async () => {
    const r = await createAdmin(
      { cookie: `mcpo_session=${jwt}; mcpo_session=`, 'sec-fetch-site': 'same-site' },
      'text/plain; charset=application/json',
    )
    assert.equal(r.status, 401)
    assert.equal(r.created, false)
  })

  it('refuses a session cookie sent twice, in any order and with any values, on reads too', async () => {
    for (const cookie of [
      `mcpo_session=${jwt}; mcpo_session=`,
      `mcpo_session=; mcpo_session=${jwt}`,
      `mcpo_session=${jwt}; mcpo_session=${jwt}`,
      `mcpo_session=${jwt}; other=1; mcpo_session=x`,
    ]) {
      const r = await createAdmin({ cookie, 'sec-fetch-site': 'same-site' })
      assert.deepEqual([r.status, r.code, r.created], [401, 'MCPO_ERR_UNAUTHENTICATED', false], cookie)
      assert.match(r.message, /mcpo_session cookie was sent more than once/)
      const me = await fetch(`${h.gw.url}/api/auth/me`, { headers: { cookie } })
      assert.equal(me.status, 401, `GET with ${cookie}`)
    }
  })

  it('refuses a CSRF cookie sent twice, even when the header matches one', async () => {
    const cookie = `mcpo_session=${jwt}; mcpo_csrf=tossed; mcpo_csrf=${csrf}`
    const r = await createAdmin({ cookie, 'x-csrf-token': 'tossed' })
    assert.deepEqual([r.status, r.created], [401, false])
    assert.match(r.message, /mcpo_csrf cookie was sent more than once/)
  })

  it('keeps the checks for one cookie: same-site is not same-origin, the header or same-origin passes', async () => {
    const cookie = `mcpo_session=${jwt}; mcpo_csrf=${csrf}`
    assert.equal((await createAdmin({ cookie, 'sec-fetch-site': 'same-site' })).status, 403)
    assert.equal((await createAdmin({ cookie: `mcpo_session=${jwt}`, 'x-csrf-token': 'guess' })).status, 403)
    const ok = await createAdmin({ cookie, 'x-csrf-token': csrf })
    assert.deepEqual([ok.status, ok.created], [201, true])
  })
})

describe('JSON bodies', () => {
  it('need the application/json media type: a charset parameter naming it is not enough', async () => {
    const cookie = `mcpo_session=${jwt}; mcpo_csrf=${csrf}`
    for (const type of [
      'text/plain; charset=application/json',
      'text/plain;application/json',
      'application/x-www-form-urlencoded; x=application/json',
      'multipart/form-data; boundary=application/json',
      'text/plain, application/json',
    ]) {
      const r = await createAdmin({ cookie, 'x-csrf-token': csrf }, type)
      assert.deepEqual([r.status, r.code, r.created], [415, 'MCPO_ERR_UNSUPPORTED_MEDIA_TYPE', false], type)
    }
  })

  it('accept application/json with parameters', async () => {
    const bearer = { authorization: `Bearer ${h.admin.token}` }
    for (const type of ['application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"']) {
      const r = await createAdmin(bearer, type)
      assert.deepEqual([r.status, r.created], [201, true], type)
    }
  })

  it('on MCP endpoints too', async () => {
    const post = (type: string) =>
      postMcp(
        `${h.gw.url}/projects/demo/mcp`,
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { ...bearer(TEST_KEY), 'content-type': type },
      )
    const refused = await post('text/plain; charset=application/json')
    assert.equal(refused.status, 415)
    await refused.body?.cancel()
    const ok = await post('application/json; charset=utf-8')
    // Past the media type check (a ping before initialize is then refused for its own reason).
    assert.notEqual(ok.status, 415)
    await ok.body?.cancel()
  })
})
