// Issue 16 point 3: a project key (mcp_proj_…) is for MCP endpoints only. Made by a project owner, it once worked on
// the management API as that owner (read /api/auth/me, members and activity, create and delete servers, invite an
// owner who stays after the key is revoked). Every route of the OpenAPI document now refuses it with 401, except the
// two read-only discovery documents an MCP client fetches for its own project, which are listed here by name.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type ProjectApi, startProjectApi } from '../api/project-harness.ts'

/** The only routes a key may read: what an MCP client needs to find its project's endpoints (README, "Clients"). */
const KEY_READABLE = new Set(['GET /projects/{id}/cline-config', 'GET /projects/{id}/.well-known/mcp-servers'])

let api: ProjectApi
let ownerKey: string
before(async () => {
  api = await startProjectApi()
  const made = await api.call(api.owner, 'POST', '/api/projects/demo/api-keys', { name: 'owner key' })
  assert.equal(made.status, 201, made.text)
  ownerKey = made.body.key
  // The harness reloads the key cache every 200 ms.
  await new Promise((r) => setTimeout(r, 400))
  const mcp = await api.call(ownerKey, 'GET', '/projects/demo/.well-known/mcp-servers')
  assert.equal(mcp.status, 200, 'the key works where keys belong')
})
after(() => api?.close())

describe('project keys on the management API', () => {
  it('are refused on the attack path of the report, and nothing changes', async () => {
    const attempts: [string, string, unknown?][] = [
      ['GET', '/api/auth/me'],
      ['GET', '/api/projects/demo/members'],
      ['GET', '/api/projects/demo/activity'],
      [
        'POST',
        '/api/projects/demo/servers',
        { name: 'planted', transport: 'streamable-http', url: 'http://127.0.0.1:9/mcp' },
      ],
      ['DELETE', '/api/projects/demo/servers/everything'],
      ['POST', '/api/projects/demo/invitations', { kind: 'individual', email: 'outsider@example.com', role: 'owner' }],
      ['POST', '/api/projects/demo/members', { userId: api.outsider.id, role: 'owner' }],
      ['POST', '/api/projects/demo/api-keys', { name: 'another' }],
      ['POST', '/projects/demo/api-keys', { name: 'another' }],
    ]
    for (const [method, path, body] of attempts) {
      const r = await api.call(ownerKey, method, path, body)
      assert.equal(r.status, 401, `${method} ${path}: ${r.status} ${r.text}`)
      assert.equal(r.body.error.code, 'MCPO_ERR_UNAUTHENTICATED')
      assert.match(r.body.error.message, /MCP endpoints only/)
    }
    const servers = await api.call(api.owner, 'GET', '/api/projects/demo/servers')
    assert.deepEqual(
      (servers.body.items ?? servers.body).map((s: { name: string }) => s.name),
      ['everything'],
    )
    const members = await api.call(api.owner, 'GET', '/api/projects/demo/members')
    assert.ok(!members.body.items.some((m: { userId: string }) => m.userId === api.outsider.id))
    const keys = await api.call(api.owner, 'GET', '/api/projects/demo/api-keys')
    assert.ok(!(keys.body.items ?? keys.body).some((k: { name: string }) => k.name === 'another'))
  })

  it('get no 2xx from any route of the OpenAPI document, public ones included', async () => {
    const doc = (await api.call(api.admin, 'GET', '/api/openapi.json')).body
    const params: Record<string, string> = {
      id: 'demo',
      projectId: 'demo',
      userId: api.owner.id,
      name: 'everything',
      tool: 'echo',
    }
    let checked = 0
    for (const [template, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const m of Object.keys(ops)) {
        const method = m.toUpperCase()
        const path = template.replace(
          /\{([^}]+)\}/g,
          (_, p: string) => params[p] ?? '00000000-0000-4000-8000-000000000000',
        )
        const body = method === 'GET' || method === 'DELETE' ? undefined : {}
        const r = await api.call(ownerKey, method, path, body)
        checked++
        if (KEY_READABLE.has(`${method} ${template}`)) {
          assert.equal(r.status, 200, `${method} ${template} is listed as key-readable: ${r.text}`)
          continue
        }
        assert.equal(r.status, 401, `${method} ${template}: ${r.status} ${r.text.slice(0, 200)}`)
      }
    }
    assert.ok(checked > 60, `only ${checked} operations checked`)
  })

  it('are refused even when not valid, and with a session cookie beside them', async () => {
    const forged = await api.call('mcp_proj_notarealkeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'GET', '/api/auth/setup')
    assert.equal(forged.status, 401)
    const login = await fetch(`${api.gw.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'owner@example.com', password: 'correct horse battery staple' }),
    })
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    const both = await fetch(`${api.gw.url}/api/auth/me`, { headers: { cookie, authorization: `Bearer ${ownerKey}` } })
    assert.equal(both.status, 401)
  })

  it('still open their own project’s MCP endpoints, and document where they are accepted', async () => {
    const client = await api.mcp(ownerKey, '/projects/demo/mcp')
    assert.ok((await client.listTools()).tools.length > 0)
    const doc = (await api.call(api.admin, 'GET', '/api/openapi.json')).body
    for (const op of KEY_READABLE) {
      const [method, path] = op.split(' ')
      assert.deepEqual(doc.paths[path][method.toLowerCase()].security, [
        { bearer: [] },
        { cookie: [] },
        { projectKey: [] },
      ])
    }
    assert.deepEqual(doc.paths['/api/auth/me'].get.security, [{ bearer: [] }, { cookie: [] }])
  })
})
