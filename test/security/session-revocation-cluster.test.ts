// Issue 16 point 5 on two nodes: a session ended on node A (sign-out, password change, disabled account, an
// administrator's "sign out everywhere") is refused by node B within a second, although B had just accepted it and
// keeps what it read about sessions for a moment. Two gateways in cluster mode on one PostgreSQL schema, dropped after.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { UserConfig } from '../../config/define-config.ts'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { openPostgresStore } from '../../plugins/storage/postgres.ts'
import { hashPassword } from '../../plugins/users/password.ts'
import { startTestGateway, type TestGateway } from '../harness.ts'
import { requirePostgres, type TestPostgres } from '../kit/postgres.ts'

const PASSWORD = 'correct horse battery staple'
function node(pg: TestPostgres, schema: string, id: string): UserConfig {
  const { url } = pg
  return {
    projects: [],
    plugins: [sessions(), apiKeys()],
    storage: {
      kind: 'postgres',
      options: { url, schema },
      open: (ctx) => openPostgresStore({ url, schema, max: 5, logger: ctx.logger }),
    },
    cluster: { nodeId: id, heartbeatMs: 200, deadAfterMs: 2000, connectTimeoutMs: 500 },
  }
}

async function signIn(url: string, email: string, password = PASSWORD): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  })
  assert.equal(res.status, 200, `sign-in of ${email}`)
  return ((await res.json()) as { token: string }).token
}

async function call(url: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  await res.arrayBuffer()
  return res.status
}

/** Milliseconds until node B refuses the token, polling every 25 ms; fails past two seconds. */
async function refusedWithin(url: string, token: string, since: number): Promise<number> {
  while (Date.now() - since < 2000) {
    if ((await call(url, token, 'GET', '/api/auth/me')) === 401) return Date.now() - since
    await new Promise((r) => setTimeout(r, 25))
  }
  assert.fail('node B still accepts the ended session after 2 s')
}

const pg = await requirePostgres('a session ended on node A is refused by node B within a second')
if (pg) {
  const schema = pg.schema('mcpo_revoke')
  describe('a session ended on node A is refused by node B within a second', () => {
    let a: TestGateway
    let b: TestGateway
    let admin: string
    let seq = 0
    before(async () => {
      a = await startTestGateway(node(pg, schema, 'a'))
      b = await startTestGateway(node(pg, schema, 'b'))
      const setup = await fetch(`${a.url}/api/auth/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: a.gateway.setupToken, email: 'admin@example.com', password: PASSWORD }),
      })
      assert.equal(setup.status, 200)
      admin = ((await setup.json()) as { token: string }).token
    })
    after(async () => {
      await Promise.all([a?.close(), b?.close()])
    })

    /** A fresh user signed in twice on node A, with B having just accepted the session it will watch. */
    async function user() {
      const email = `u${++seq}@example.com`
      const u = await a.gateway.store.users.create({ email, passwordHash: await hashPassword(PASSWORD) })
      const [acting, watched] = [await signIn(a.url, email), await signIn(a.url, email)]
      return { id: u.id, acting, watched }
    }

    const cases: [string, (u: Awaited<ReturnType<typeof user>>) => Promise<number>][] = [
      ['sign-out', (u) => call(a.url, u.watched, 'POST', '/api/auth/logout')],
      [
        'a password change (the other session)',
        (u) =>
          call(a.url, u.acting, 'POST', '/api/auth/password', {
            currentPassword: PASSWORD,
            newPassword: 'another long passphrase',
          }),
      ],
      ['disabling the user', (u) => call(a.url, admin, 'PUT', `/api/users/${u.id}`, { disabled: true })],
      [
        'an administrator’s sign out everywhere',
        (u) => call(a.url, admin, 'POST', `/api/users/${u.id}/sessions/revoke`),
      ],
      ['the user’s own sign out everywhere', (u) => call(a.url, u.acting, 'POST', '/api/auth/sessions/revoke')],
    ]
    for (const [what, end] of cases) {
      it(what, async (t) => {
        const u = await user()
        assert.equal(await call(b.url, u.watched, 'GET', '/api/auth/me'), 200, 'node B accepts the session first')
        const started = Date.now()
        assert.ok((await end(u)) < 300)
        const ms = await refusedWithin(b.url, u.watched, started)
        t.diagnostic(`node B refused it after ${ms} ms`)
        assert.ok(ms < 1000, `node B refused it after ${ms} ms`)
        assert.equal(await call(a.url, u.watched, 'GET', '/api/auth/me'), 401, 'node A at once')
      })
    }
  })
}
