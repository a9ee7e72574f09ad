// Tenant isolation (issue 11 point 4): project A's key and outsiders learn nothing about project B (the same answer
// as for a project that does not exist), archived projects refuse, a reporter can change nothing (every mutating
// project route of the OpenAPI document), hostile names are refused, and SQL injection strings are stored literally.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type ProjectApi, startProjectApi } from '../api/project-harness.ts'
import { TEST_KEY } from '../harness.ts'

let api: ProjectApi
before(async () => {
  api = await startProjectApi()
})
after(() => api?.close())

const MCP_ROUTES: [string, string][] = [
  ['GET', '/sse'],
  ['POST', '/messages?sessionId=00000000-0000-4000-8000-000000000000'],
  ['POST', '/mcp'],
  ['GET', '/mcp'],
  ['DELETE', '/mcp'],
]

async function raw(method: string, path: string, key: string) {
  const res = await fetch(api.gw.url + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: method === 'POST' ? JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) : undefined,
    signal: AbortSignal.timeout(5000),
  })
  return { status: res.status, body: await res.text() }
}

describe('tenant isolation', () => {
  it("project A's key gets the same answer on project B's MCP endpoints as on a project that does not exist", async () => {
    for (const base of ['/projects/{p}', '/projects/{p}/servers/everything']) {
      for (const [method, suffix] of MCP_ROUTES) {
        const existing = await raw(method, base.replace('{p}', 'other') + suffix, TEST_KEY)
        const missing = await raw(method, base.replace('{p}', 'no-such-project') + suffix, TEST_KEY)
        assert.ok([401, 403, 404].includes(existing.status), `${method} ${base}${suffix}: ${existing.status}`)
        assert.deepEqual(existing, missing, `${method} ${base}${suffix} tells B apart from nothing`)
      }
    }
  })

  it('tells a key used on another project where it works, in the same words whatever that project is', async () => {
    const r = await raw('POST', '/projects/other/mcp', TEST_KEY)
    assert.equal(r.status, 404)
    assert.match(
      JSON.parse(r.body).error.message,
      /this key belongs to project "demo"; use the endpoints under \/projects\/demo\//,
    )
    assert.deepEqual(await raw('POST', '/projects/no-such-project/mcp', TEST_KEY), r)
  })

  it("project A's key and an outsider get the same answer on B's REST API as on a project that does not exist", async () => {
    const doc = (await api.call(api.admin, 'GET', '/api/openapi.json')).body
    const paths = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .filter(([p]) => /^\/(api\/)?projects\/\{id\}/.test(p))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => [m.toUpperCase(), p] as const))
    assert.ok(paths.length > 20)
    for (const as of [TEST_KEY, api.outsider]) {
      for (const [method, template] of paths) {
        const path = (id: string) =>
          template.replace('{id}', id).replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000')
        const body = method === 'GET' || method === 'DELETE' ? undefined : {}
        const existing = await api.call(as, method, path('other'), body)
        const missing = await api.call(as, method, path('no-such-project'), body)
        assert.ok(existing.status >= 400 && existing.status < 500, `${method} ${template}: ${existing.status}`)
        assert.deepEqual(
          { status: existing.status, body: existing.body },
          { status: missing.status, body: missing.body },
          `${method} ${template} tells B apart from nothing`,
        )
      }
    }
  })

  it('an archived project refuses its keys on every endpoint', async () => {
    const created = await api.call(api.owner, 'POST', '/api/projects', { name: 'Soon Archived' })
    assert.equal(created.status, 201)
    const id = created.body.id
    const key = (await api.call(api.owner, 'POST', `/api/projects/${id}/api-keys`, { name: 'k' })).body.key
    assert.match(key, /^mcp_proj_/)
    await new Promise((r) => setTimeout(r, 400)) // the key cache reloads every 200 ms in this harness
    assert.equal((await raw('POST', `/projects/${id}/mcp`, key)).status < 500, true)
    assert.equal((await api.call(api.owner, 'POST', `/api/projects/${id}/archive`)).status, 200)
    await new Promise((r) => setTimeout(r, 500))
    for (const [method, suffix] of MCP_ROUTES) {
      const r = await raw(method, `/projects/${id}${suffix}`, key)
      assert.ok([401, 403, 404].includes(r.status), `${method} ${suffix}: ${r.status}`)
    }
    const viaKey = await api.call(key, 'GET', `/api/projects/${id}`)
    assert.ok([401, 403, 404].includes(viaKey.status), `REST with the key: ${viaKey.status}`)
  })
})

describe('a reporter cannot change anything', () => {
  it('gets 403 on every mutating project route of the OpenAPI document (own keys and leaving excepted)', async () => {
    const owner = api.owner
    const policy = await api.call(owner, 'POST', '/api/projects/demo/policies', { effect: 'deny', toolPattern: 'x' })
    assert.equal(policy.status, 201, policy.text)
    const ownerKey = await api.call(owner, 'POST', '/api/projects/demo/api-keys', { name: 'owner-key' })
    const remote = { name: 'remote', transport: 'streamable-http', url: 'http://127.0.0.1:9/mcp' }
    // A body that passes validation for each route, so the answer shows the role check and not a 400.
    const bodies: Record<string, unknown> = {
      'PUT /api/projects/{id}': { name: 'Renamed' },
      'POST /api/projects/{id}/transfer': { userId: api.dev.id },
      'POST /api/projects/{id}/members': { userId: api.outsider.id, role: 'reporter' },
      'POST /api/projects/{id}/members/team': { teamId: 'no-team', role: 'reporter' },
      'PUT /api/projects/{id}/members/{userId}': { role: 'owner' },
      'POST /api/projects/{id}/invitations': { kind: 'individual', email: 'x@example.com', role: 'owner' },
      'POST /api/projects/{id}/servers/import': { mcpServers: { r: { type: 'http', url: 'http://127.0.0.1:9/mcp' } } },
      'POST /api/projects/{id}/servers/test': remote,
      'POST /api/projects/{id}/servers': remote,
      'POST /api/projects/{id}/servers/from-template': {
        templateId: '00000000-0000-4000-8000-000000000000',
        name: 'tpl',
      },
      'PUT /api/projects/{id}/servers/{name}': { description: 'changed' },
      'PUT /api/projects/{id}/servers/{name}/tools/{tool}': { enabled: false },
      'PUT /api/projects/{id}/servers/{name}/tools': { tools: { echo: false } },
      'POST /api/projects/{id}/policies': { effect: 'allow' },
      'PUT /api/projects/{id}/policies/{policyId}': { effect: 'allow' },
      'PUT /api/projects/{id}/api-keys/{keyId}': { name: 'stolen' },
      'PUT /projects/{id}/api-keys/{keyId}': { name: 'stolen' },
    }
    // What product.md §2 lets every member do: create their own keys and call tools (the admin UI's test runner calls
    // through the same tool policies as an MCP client), disconnect the apps they connected (another member's is
    // 403: oauth.test.ts), and disconnect their own account from a per-user OAuth server (a server's project
    // credentials are the Owners': upstream-oauth.test.ts).
    const allowed = new Set([
      'POST /api/projects/{id}/api-keys',
      'POST /projects/{id}/api-keys',
      'POST /api/projects/{id}/servers/{name}/tools/{tool}/call',
      'DELETE /api/projects/{id}/connected-apps/{grantId}',
      'DELETE /api/projects/{id}/servers/{name}/oauth',
    ])
    const params: Record<string, string> = {
      id: 'demo',
      userId: owner.id,
      name: 'everything',
      tool: 'echo',
      policyId: policy.body.id,
      keyId: ownerKey.body.id,
    }
    const doc = (await api.call(api.admin, 'GET', '/api/openapi.json')).body
    let checked = 0
    for (const [template, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      if (!/^\/(api\/)?projects\/\{id\}/.test(template)) continue
      for (const m of Object.keys(ops)) {
        const method = m.toUpperCase()
        const key = `${method} ${template}`
        if (method === 'GET' || allowed.has(key)) continue
        const path =
          template.replace(/\{([^}]+)\}/g, (_, p: string) => params[p] ?? 'x') +
          (key === 'DELETE /api/projects/{id}' ? '?confirm=demo' : '')
        const r = await api.call(api.rep, method, path, bodies[key] ?? (method === 'DELETE' ? undefined : {}))
        assert.equal(r.status, 403, `${key} as a reporter: ${r.status} ${r.text}`)
        checked++
      }
    }
    assert.ok(checked >= 20, `only ${checked} routes checked`)
    // Nothing changed: the project, its servers, members and the owner's key are as they were.
    const project = await api.call(owner, 'GET', '/api/projects/demo')
    assert.equal(project.body.name, 'Demo')
    const servers = await api.call(owner, 'GET', '/api/projects/demo/servers')
    assert.deepEqual(
      (servers.body.items ?? servers.body).map((s: { name: string }) => s.name),
      ['everything'],
    )
  })
})

describe('hostile input', () => {
  const INJECTIONS = [
    "'; DROP TABLE projects; --",
    "Robert'); DELETE FROM users WHERE ('1'='1",
    '" OR ""="',
    "1' UNION SELECT key_hash FROM api_keys --",
    '$$; TRUNCATE audit_events; $$',
    '\\x00\\\\; SELECT pg_sleep(5)',
  ]

  it('refuses names with path traversal or injection where names become URLs or identifiers', async () => {
    const bad = ['../etc', '..', 'a/b', 'a\\b', '%2e%2e', 'a b', '<script>', "x'--", '\u0000', 'a'.repeat(65)]
    for (const name of [...bad, 'UPPER']) {
      const server = await api.call(api.owner, 'POST', '/api/projects/demo/servers', {
        name,
        transport: 'streamable-http',
        url: 'http://127.0.0.1:9/mcp',
      })
      assert.equal(server.status, 400, `server name ${JSON.stringify(name)}: ${server.status}`)
      // Project ids may hold capitals (UUIDs, slugs); everything else here is refused for them too.
      if (name === 'UPPER') continue
      const project = await api.call(api.owner, 'POST', '/api/projects', { id: name, name: 'P' })
      assert.equal(project.status, 400, `project id ${JSON.stringify(name)}: ${project.status}`)
    }
  })

  it('stores SQL injection strings literally in every text field, and the tables stay intact', async () => {
    const store = api.gw.gateway.store
    const before = (await store.projects.list({ includeArchived: true })).length
    for (const s of INJECTIONS) {
      const project = await api.call(api.owner, 'POST', '/api/projects', { name: s, description: s })
      assert.equal(project.status, 201, project.text)
      assert.equal(project.body.name, s)
      assert.equal(project.body.description, s)
      const id = project.body.id
      const key = await api.call(api.owner, 'POST', `/api/projects/${id}/api-keys`, { name: s, description: s })
      assert.equal(key.status, 201, key.text)
      const team = await api.call(api.owner, 'POST', '/api/teams', { name: s, description: s })
      assert.equal(team.status, 201, team.text)
      assert.equal(team.body.name, s)
      const server = await api.call(api.owner, 'POST', `/api/projects/${id}/servers`, {
        name: 'remote',
        description: s,
        transport: 'streamable-http',
        url: 'http://127.0.0.1:9/mcp',
        headers: { 'x-probe': s },
      })
      assert.equal(server.status, 201, server.text)
      const read = await api.call(api.owner, 'GET', `/api/projects/${id}`)
      assert.equal(read.body.name, s)
      // Search and filter parameters go through the same parameterized queries.
      const search = await api.call(api.admin, 'GET', `/api/users?q=${encodeURIComponent(s)}`)
      assert.equal(search.status, 200, search.text)
    }
    assert.equal((await store.projects.list({ includeArchived: true })).length, before + INJECTIONS.length)
    assert.ok(await store.projects.get('demo'), 'the projects table is intact')
    assert.ok((await store.users.list({})).length >= 5, 'the users table is intact')
  })
})
