// What was refused is audited (issue 16 point 11): invalid MCP keys, failed and throttled sign-ins, refused CSRF and
// 403s on the management API become audit events of no project, aggregated per source and window so that a flood
// leaves a count, not a flood; administrators read them at /api/admin/events, nobody else does.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { audit } from '../../plugins/audit/index.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { type ProjectApi, startProjectApi } from '../api/project-harness.ts'
import { TEST_KEY } from '../harness.ts'
import { bearer, postMcp } from '../kit/mcp-wire.ts'

const WINDOW_MS = 600
let api: ProjectApi
before(async () => {
  api = await startProjectApi({
    plugins: [sessions(), apiKeys({ refreshMs: 200 }), toolPolicies(), audit({ batchMs: 50 })],
    security: { refusalWindowMs: WINDOW_MS },
  })
})
after(() => api?.close())

interface EventView {
  action: string
  actor: { type: string; id: string } | null
  ip: string | null
  target: { type: string; id: string } | null
  after: { count: number; aggregated?: boolean; detail?: string | null; details?: string[] }
}

/** Events of no project with this action, waiting until `until` holds (the audit plugin writes in batches). */
async function events(action: string, until: (e: EventView[]) => boolean, ms = 5000): Promise<EventView[]> {
  const deadline = Date.now() + ms
  for (;;) {
    const r = await api.call(api.admin, 'GET', `/api/admin/events?action=${action}&limit=1000`)
    assert.equal(r.status, 200, r.text)
    const items = r.body.items as EventView[]
    if (until(items) || Date.now() > deadline) return items
    await new Promise((res) => setTimeout(res, 50))
  }
}

const total = (items: EventView[]) => items.reduce((n, e) => n + e.after.count, 0)

describe('refusals in the audit trail', () => {
  it('records invalid MCP keys: the first at once, a flood as one count, never the key', async () => {
    const bogus = `mcp_proj_${'Z'.repeat(43)}`
    const post = () =>
      postMcp(`${api.gw.url}/projects/demo/mcp`, '{"jsonrpc":"2.0","id":1,"method":"ping"}', bearer(bogus)).then(
        (r) => r.status,
      )
    assert.equal(await post(), 401)
    const first = await events('security.mcp_key_invalid', (e) => e.length >= 1)
    assert.equal(first.length, 1)
    assert.equal(first[0].after.count, 1)
    assert.equal(first[0].after.detail, 'POST /projects/demo/mcp')
    assert.ok(first[0].ip)
    for (let i = 0; i < 99; i++) assert.equal(await post(), 401)
    const all = await events('security.mcp_key_invalid', (e) => total(e) >= 100, WINDOW_MS * 4 + 3000)
    assert.equal(total(all), 100)
    assert.ok(all.length <= 4, `100 refusals made ${all.length} events`)
    assert.ok(all.some((e) => e.after.aggregated === true))
    const text = JSON.stringify(await api.call(api.admin, 'GET', '/api/admin/events?limit=1000'))
    assert.ok(!text.includes(bogus.slice(9)), 'the presented key appears in the audit trail')
  })

  it('records failed and throttled sign-ins per address and account, without the password', async () => {
    const login = (password: string) =>
      api.call(null, 'POST', '/api/auth/login', { email: 'owner@example.com', password })
    let throttled = 0
    for (let i = 0; i < 12; i++) {
      const r = await login(`wrong-guess-${i}`)
      assert.ok([401, 429].includes(r.status), r.text)
      if (r.status === 429) throttled++
    }
    assert.ok(throttled > 0, 'the guesses were throttled')
    const failed = await events('security.sign_in_failed', (e) => total(e) >= 12 - throttled, WINDOW_MS * 4 + 3000)
    assert.equal(total(failed), 12 - throttled)
    assert.ok(failed.every((e) => e.target?.id === 'owner@example.com'))
    const slowed = await events('security.sign_in_throttled', (e) => total(e) >= throttled, WINDOW_MS * 4 + 3000)
    assert.equal(total(slowed), throttled)
    const text = JSON.stringify(await api.call(api.admin, 'GET', '/api/admin/events?limit=1000'))
    assert.ok(!text.includes('wrong-guess'), 'a guessed password appears in the audit trail')
  })

  it('records a refused CSRF, a project key on the management API and a 403, with who and where', async () => {
    const csrf = await fetch(`${api.gw.url}/api/projects`, {
      method: 'POST',
      headers: { cookie: `mcpo_session=${api.owner.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Forged' }),
    })
    assert.equal(csrf.status, 403)
    const [forged] = await events('security.csrf_refused', (e) => e.length >= 1)
    assert.equal(forged.after.detail, 'POST /api/projects')

    assert.equal((await api.call(TEST_KEY, 'GET', '/api/auth/me')).status, 401)
    const [keyOnApi] = await events('security.project_key_on_api', (e) => e.length >= 1)
    assert.equal(keyOnApi.after.detail, 'GET /api/auth/me')

    const denied = await api.call(api.rep, 'DELETE', '/api/projects/demo/servers/everything')
    assert.equal(denied.status, 403, denied.text)
    const forbidden = await events('security.api_forbidden', (e) => e.some((x) => x.actor?.id === api.rep.id))
    const mine = forbidden.find((x) => x.actor?.id === api.rep.id)
    assert.equal(mine?.after.detail, 'DELETE /api/projects/:id/servers/:name')
  })

  it('are for administrators only', async () => {
    for (const who of [api.owner, api.dev, api.rep, api.outsider])
      assert.equal((await api.call(who, 'GET', '/api/admin/events')).status, 403)
    assert.equal((await api.call(null, 'GET', '/api/admin/events')).status, 401)
    assert.equal((await api.call(api.admin, 'GET', '/api/admin/events?action=DROP%20TABLE')).status, 400)
  })
})
