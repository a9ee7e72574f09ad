// Teams and projects through the REST API: CRUD, team roles, archive/restore, config-owned projects, ownership
// transfer, deletion with confirmation, paging, lost-update versions, and a walk of the role matrix.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { canInProject, canInTeam, type ProjectAction, type Role, type TeamAction } from '../../plugins/rbac/matrix.ts'
import { TEST_KEY } from '../harness.ts'
import { bearer, postMcp } from '../kit/mcp-wire.ts'
import { type ApiHarness, fieldsOf, startApi, type Who } from './tenancy-harness.ts'

let api: ApiHarness
let owner: Who
let dev: Who
let rep: Who
let outsider: Who

before(async () => {
  api = await startApi({
    projects: [
      {
        id: 'cfgproj',
        name: 'From config',
        servers: [{ name: 'remote', transport: 'streamable-http', url: 'http://127.0.0.1:9/mcp' }],
        apiKeys: [{ name: 'ci', key: TEST_KEY }],
      },
    ],
  })
  owner = await api.user('owner')
  dev = await api.user('dev')
  rep = await api.user('rep')
  outsider = await api.user('outsider')
})
after(() => api?.close())

describe('teams', () => {
  let teamId = ''
  let slug = ''

  it('creates a team whose creator is owner, with a unique slug made from the name', async () => {
    const res = await api.call(owner, 'POST', '/api/teams', { name: 'Data Platform', description: 'the data folks' })
    assert.equal(res.status, 201)
    assert.equal(res.body.slug, 'data-platform')
    assert.equal(res.body.role, 'owner')
    teamId = res.body.id
    slug = res.body.slug
    const again = await api.call(dev, 'POST', '/api/teams', { name: 'Data platform!' })
    assert.equal(again.status, 201)
    assert.equal(again.body.slug, 'data-platform-2')
    const taken = await api.call(dev, 'POST', '/api/teams', { name: 'X', slug: 'data-platform' })
    assert.equal(taken.status, 409)
    assert.match(taken.body.error.message, /slug/)
  })

  it('validates bodies with a field list', async () => {
    const bad = await api.call(owner, 'POST', '/api/teams', { name: '', slug: 'Not A Slug' })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.error.code, 'MCPO_ERR_VALIDATION')
    assert.deepEqual(fieldsOf(bad).sort(), ['name', 'slug'])
    assert.equal((await api.call(null, 'POST', '/api/teams', { name: 'anon' })).status, 401)
  })

  it('invites members by email or id with a role; they join on accepting; refuses duplicates and non-owners', async () => {
    const byEmail = await api.call(owner, 'POST', `/api/teams/${teamId}/members`, {
      email: dev.email,
      role: 'developer',
    })
    assert.equal(byEmail.status, 202)
    assert.deepEqual(
      [byEmail.body.invitation.teamId, byEmail.body.invitation.role, byEmail.body.invitation.kind],
      [teamId, 'developer', 'external'],
    )
    assert.equal((await api.call(dev, 'GET', `/api/teams/${teamId}`)).status, 404, 'not a member before accepting')
    const pending = await api.call(owner, 'GET', `/api/teams/${slug}/invitations`)
    assert.deepEqual(
      pending.body.items.map((i: { email: string }) => i.email),
      [dev.email],
    )
    assert.equal((await api.call(dev, 'POST', `/api/invitations/${byEmail.body.invitation.id}/accept`)).status, 200)
    assert.equal((await api.call(dev, 'GET', `/api/teams/${teamId}`)).body.role, 'developer')
    const byId = await api.call(owner, 'POST', `/api/teams/${slug}/members`, { userId: rep.id, role: 'reporter' })
    assert.equal(byId.status, 202)
    assert.equal(byId.body.invitation.kind, 'individual')
    assert.equal(
      (await api.call(owner, 'POST', `/api/teams/${teamId}/members`, { userId: rep.id, role: 'owner' })).status,
      409,
      'already invited',
    )
    assert.equal((await api.call(rep, 'POST', `/api/invitations/${byId.body.invitation.id}/accept`)).status, 200)
    assert.equal(
      (await api.call(owner, 'POST', `/api/teams/${teamId}/members`, { userId: rep.id, role: 'owner' })).status,
      409,
      'already a member',
    )
    // An address without an account gets an invitation like anyone else's: the answer does not tell them apart.
    const unknown = await api.call(owner, 'POST', `/api/teams/${teamId}/members`, {
      email: 'nobody@example.com',
      role: 'reporter',
    })
    assert.equal(unknown.status, 202)
    assert.equal((await api.call(owner, 'DELETE', `/api/invitations/${unknown.body.invitation.id}`)).status, 204)
    const neither = await api.call(owner, 'POST', `/api/teams/${teamId}/members`, { role: 'reporter' })
    assert.equal(neither.status, 400)
    assert.deepEqual(fieldsOf(neither), ['userId'])
    const badRole = await api.call(owner, 'POST', `/api/teams/${teamId}/members`, { userId: outsider.id, role: 'boss' })
    assert.deepEqual(fieldsOf(badRole), ['role'])
    assert.equal(
      (await api.call(dev, 'POST', `/api/teams/${teamId}/members`, { userId: outsider.id, role: 'reporter' })).status,
      403,
    )
    assert.equal(
      (await api.call(outsider, 'POST', `/api/teams/${teamId}/members`, { userId: outsider.id, role: 'owner' })).status,
      404,
    )
    assert.equal((await api.call(outsider, 'GET', `/api/teams/${teamId}/invitations`)).status, 404)
  })

  it('lists my teams; admins list all with ?all=true; members are paged', async () => {
    const mine = await api.call(rep, 'GET', '/api/teams')
    assert.equal(mine.status, 200)
    assert.deepEqual(
      mine.body.items.map((t: { slug: string; role: string }) => [t.slug, t.role]),
      [['data-platform', 'reporter']],
    )
    assert.equal((await api.call(outsider, 'GET', '/api/teams')).body.items.length, 0)
    assert.equal((await api.call(outsider, 'GET', '/api/teams?all=true')).status, 403)
    const all = await api.call(api.admin, 'GET', '/api/teams?all=true')
    assert.equal(all.body.total, 2)
    assert.equal((await api.call(null, 'GET', '/api/teams')).status, 401)
    const page = await api.call(rep, 'GET', `/api/teams/${teamId}/members?limit=2&offset=1`)
    assert.equal(page.status, 200)
    assert.equal(page.body.total, 3)
    assert.equal(page.body.items.length, 2)
    assert.equal(page.body.nextOffset, null)
    const first = await api.call(rep, 'GET', `/api/teams/${teamId}/members?limit=1`)
    assert.equal(first.body.nextOffset, 1)
    const tooMany = await api.call(rep, 'GET', `/api/teams/${teamId}/members?limit=500`)
    assert.equal(tooMany.status, 400)
    assert.deepEqual(fieldsOf(tooMany), ['limit'])
    assert.equal((await api.call(outsider, 'GET', `/api/teams/${teamId}`)).status, 404)
  })

  it('edits a team with an optional version and refuses stale ones', async () => {
    const team = (await api.call(owner, 'GET', `/api/teams/${teamId}`)).body
    assert.equal((await api.call(dev, 'PUT', `/api/teams/${teamId}`, { name: 'Nope' })).status, 403)
    const ok = await api.call(owner, 'PUT', `/api/teams/${teamId}`, { name: 'Data', version: team.updatedAt })
    assert.equal(ok.status, 200)
    assert.equal(ok.body.name, 'Data')
    const stale = await api.call(owner, 'PUT', `/api/teams/${teamId}`, { name: 'Late', version: team.updatedAt })
    assert.equal(stale.status, 409)
    assert.equal(stale.body.error.details.field, 'version')
    assert.equal((await api.call(owner, 'PUT', `/api/teams/${teamId}`, { version: 'yesterday' })).status, 400)
  })

  it('keeps a last owner: no demotion, no removal, no leaving', async () => {
    const demote = await api.call(owner, 'PUT', `/api/teams/${teamId}/members/${owner.id}`, { role: 'developer' })
    assert.equal(demote.status, 409)
    assert.match(demote.body.error.message, /last owner/)
    const leave = await api.call(owner, 'DELETE', `/api/teams/${teamId}/members/${owner.id}`)
    assert.equal(leave.status, 409)
    assert.match(leave.body.error.message, /you are the last owner/)
    // A second owner unlocks it; then roles go back.
    assert.equal(
      (await api.call(owner, 'PUT', `/api/teams/${teamId}/members/${dev.id}`, { role: 'owner' })).status,
      200,
    )
    assert.equal(
      (await api.call(owner, 'PUT', `/api/teams/${teamId}/members/${owner.id}`, { role: 'developer' })).status,
      200,
    )
    assert.equal(
      (await api.call(dev, 'PUT', `/api/teams/${teamId}/members/${owner.id}`, { role: 'owner' })).status,
      200,
    )
    const m = (await api.call(owner, 'GET', `/api/teams/${teamId}/members`)).body.items.find(
      (x: { userId: string }) => x.userId === dev.id,
    )
    const stale = await api.call(owner, 'PUT', `/api/teams/${teamId}/members/${dev.id}`, {
      role: 'developer',
      version: '2000-01-01T00:00:00.000Z',
    })
    assert.equal(stale.status, 409)
    assert.equal(
      (
        await api.call(owner, 'PUT', `/api/teams/${teamId}/members/${dev.id}`, {
          role: 'developer',
          version: m.updatedAt,
        })
      ).status,
      200,
    )
    assert.equal(
      (await api.call(owner, 'PUT', `/api/teams/${teamId}/members/${outsider.id}`, { role: 'developer' })).status,
      404,
    )
  })

  it('lets a member leave and an owner remove; team projects are created by developers, not reporters', async () => {
    const p = await api.call(dev, 'POST', '/api/projects', { name: 'Team Pipeline', teamId: slug })
    assert.equal(p.status, 201)
    assert.equal(p.body.teamId, teamId)
    const refused = await api.call(rep, 'POST', '/api/projects', { name: 'Nope', teamId })
    assert.equal(refused.status, 403)
    assert.equal((await api.call(outsider, 'POST', '/api/projects', { name: 'Nope', teamId })).status, 404)
    const listed = await api.call(rep, 'GET', `/api/teams/${teamId}/projects`)
    assert.deepEqual(
      listed.body.items.map((x: { id: string; role: string }) => [x.id, x.role]),
      [['team-pipeline', 'reporter']],
    )
    // The reporter sees the team project through the team, with the team role.
    assert.equal((await api.call(rep, 'GET', '/api/projects/team-pipeline')).body.role, 'reporter')
    assert.equal((await api.call(rep, 'DELETE', `/api/teams/${teamId}/members/${rep.id}`)).status, 204)
    assert.equal((await api.call(rep, 'GET', '/api/projects/team-pipeline')).status, 404)
    assert.equal((await api.addMember(owner, `/api/teams/${teamId}/members`, rep, 'reporter')).status, 200)
  })

  it('deletes a team (owners only); its projects survive and members keep their access', async () => {
    assert.equal((await api.call(dev, 'DELETE', `/api/teams/${teamId}`)).status, 403)
    assert.equal((await api.call(owner, 'DELETE', `/api/teams/${teamId}`)).status, 204)
    assert.equal((await api.call(owner, 'GET', `/api/teams/${teamId}`)).status, 404)
    const project = await api.call(rep, 'GET', '/api/projects/team-pipeline')
    assert.equal(project.status, 200)
    assert.equal(project.body.teamId, null)
    assert.equal(project.body.role, 'reporter')
    assert.equal((await api.call(owner, 'GET', '/api/projects/team-pipeline')).body.role, 'owner')
    assert.ok(api.audits.some((e) => e.action === 'team.deleted' && e.teamId === teamId))
  })
})

describe('projects', () => {
  it('creates a project in well under a second; the id is a unique slug of the name', async () => {
    const started = performance.now()
    const res = await api.call(owner, 'POST', '/api/projects', { name: 'Payments API', description: 'card flows' })
    const times = [performance.now() - started]
    assert.equal(res.status, 201)
    // The median of a few, so one scheduling hiccup on a busy CI machine does not fail the run.
    for (let i = 0; i < 4; i++) {
      const t = performance.now()
      assert.equal((await api.call(dev, 'POST', '/api/projects', { name: `Speed ${i}` })).status, 201)
      times.push(performance.now() - t)
    }
    const median = times.sort((a, b) => a - b)[2]
    assert.ok(median < 500, `creating a project took ${median.toFixed(0)} ms (median of 5)`)
    assert.equal(res.body.id, 'payments-api')
    assert.equal(res.body.role, 'owner')
    assert.equal(res.body.source, 'ui')
    const second = await api.call(dev, 'POST', '/api/projects', { name: 'Payments API' })
    assert.equal(second.body.id, 'payments-api-2')
    const explicit = await api.call(owner, 'POST', '/api/projects', { id: 'payments-api', name: 'Clash' })
    assert.equal(explicit.status, 409)
    const bad = await api.call(owner, 'POST', '/api/projects', { id: '-bad id', name: 'x', teamId: 5 })
    assert.equal(bad.status, 400)
    assert.deepEqual(fieldsOf(bad).sort(), ['id', 'teamId'])
    assert.equal((await api.call(null, 'POST', '/api/projects', { name: 'anon' })).status, 401)
  })

  it('shows a project only to those with a role in it (404 otherwise) and lists mine with my role', async () => {
    await api.addMember(owner, '/api/projects/payments-api/members', dev, 'developer')
    await api.addMember(owner, '/api/projects/payments-api/members', rep, 'reporter')
    assert.equal((await api.call(outsider, 'GET', '/api/projects/payments-api')).status, 404)
    assert.equal((await api.call(outsider, 'GET', '/api/projects/no-such-project')).status, 404)
    assert.equal((await api.call(null, 'GET', '/api/projects/payments-api')).status, 401)
    const mine = await api.call(dev, 'GET', '/api/projects')
    const roles = Object.fromEntries(mine.body.items.map((p: { id: string; role: string }) => [p.id, p.role]))
    assert.equal(roles['payments-api'], 'developer')
    assert.equal(roles['payments-api-2'], 'owner')
    const adminView = await api.call(api.admin, 'GET', '/api/projects/payments-api')
    assert.equal(adminView.status, 200)
    assert.equal(adminView.body.role, null)
    assert.equal((await api.call(dev, 'GET', '/api/projects?all=true')).status, 403)
    const all = await api.call(api.admin, 'GET', '/api/projects?all=true&limit=200')
    assert.ok(all.body.items.some((p: { id: string }) => p.id === 'cfgproj'))
  })

  it('edits name, description and settings (merged; null removes a key) with a lost-update guard', async () => {
    const p = (await api.call(owner, 'GET', '/api/projects/payments-api')).body
    assert.equal((await api.call(dev, 'PUT', '/api/projects/payments-api', { name: 'x' })).status, 403)
    const one = await api.call(owner, 'PUT', '/api/projects/payments-api', {
      name: 'Payments',
      settings: { syncIntervalS: 60, theme: 'dark' },
      version: p.updatedAt,
    })
    assert.equal(one.status, 200)
    assert.deepEqual(one.body.settings, { syncIntervalS: 60, theme: 'dark' })
    const two = await api.call(owner, 'PUT', '/api/projects/payments-api', { settings: { theme: null } })
    assert.deepEqual(two.body.settings, { syncIntervalS: 60 })
    const stale = await api.call(owner, 'PUT', '/api/projects/payments-api', { name: 'Lost', version: p.updatedAt })
    assert.equal(stale.status, 409)
    assert.equal(stale.body.error.details.current, two.body.updatedAt)
    assert.equal((await api.call(owner, 'GET', '/api/projects/payments-api')).body.name, 'Payments')
  })

  it('archives: the project drops out of lists, refuses writes with 409, and restores', async () => {
    assert.equal((await api.call(dev, 'POST', '/api/projects/payments-api/archive')).status, 403)
    const archived = await api.call(owner, 'POST', '/api/projects/payments-api/archive')
    assert.equal(archived.status, 200)
    assert.equal(archived.body.archived, true)
    const list = await api.call(owner, 'GET', '/api/projects')
    assert.ok(!list.body.items.some((p: { id: string }) => p.id === 'payments-api'))
    const withArchived = await api.call(owner, 'GET', '/api/projects?includeArchived=true')
    assert.ok(withArchived.body.items.some((p: { id: string }) => p.id === 'payments-api'))
    assert.equal((await api.call(rep, 'GET', '/api/projects/payments-api')).status, 200, 'still readable')
    for (const [method, path, body] of [
      ['PUT', '/api/projects/payments-api', { name: 'x' }],
      ['POST', '/api/projects/payments-api/members', { userId: outsider.id, role: 'reporter' }],
      ['PUT', `/api/projects/payments-api/members/${dev.id}`, { role: 'reporter' }],
      ['DELETE', `/api/projects/payments-api/members/${rep.id}`, undefined],
      [
        'POST',
        '/api/projects/payments-api/invitations',
        { kind: 'individual', email: outsider.email, role: 'reporter' },
      ],
      ['POST', '/api/projects/payments-api/transfer', { userId: dev.id }],
    ] as const) {
      const res = await api.call(owner, method, path, body)
      assert.equal(res.status, 409, `${method} ${path}`)
      assert.match(res.body.error.message, /project is archived/)
    }
    const restored = await api.call(owner, 'POST', '/api/projects/payments-api/restore')
    assert.equal(restored.status, 200)
    assert.equal(restored.body.archived, false)
    assert.equal((await api.call(owner, 'PUT', '/api/projects/payments-api', { name: 'Payments again' })).status, 200)
  })

  it('keeps config-file projects read-only except archive and restore, which stop and resume serving', async () => {
    const relay = api.gw.gateway.relay
    assert.ok(relay.runtime('cfgproj', 'remote'))
    for (const [method, path, body] of [
      ['PUT', '/api/projects/cfgproj', { name: 'Renamed' }],
      ['DELETE', '/api/projects/cfgproj?confirm=cfgproj', undefined],
    ] as const) {
      const res = await api.call(api.admin, method, path, body)
      assert.equal(res.status, 409, `${method} ${path}`)
      assert.match(res.body.error.message, /managed by mcpo\.config\.ts/)
    }
    const archived = await api.call(api.admin, 'POST', '/api/projects/cfgproj/archive')
    assert.equal(archived.status, 200)
    assert.equal(relay.runtime('cfgproj', 'remote'), undefined)
    const mcp = await postMcp(
      `${api.gw.url}/projects/cfgproj/servers/remote/mcp`,
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      bearer(TEST_KEY),
    )
    // Archiving reloads the key cache at once: the project's keys stop authenticating.
    assert.equal(mcp.status, 401, 'an archived project serves nothing')
    await mcp.body?.cancel()
    assert.equal((await api.call(api.admin, 'POST', '/api/projects/cfgproj/restore')).status, 200)
    assert.ok(relay.runtime('cfgproj', 'remote'))
  })

  it('refuses API keys, even on their own project: they are for MCP endpoints (test/security/key-scope.test.ts)', async () => {
    const key = { id: 'key', email: '', token: TEST_KEY }
    assert.equal((await api.call(key, 'GET', '/api/projects/cfgproj')).status, 401)
    assert.equal((await api.call(key, 'GET', '/api/projects/payments-api')).status, 401)
    assert.equal((await api.call(key, 'GET', '/api/projects')).status, 401)
    assert.equal((await api.call(key, 'PUT', '/api/projects/cfgproj', { name: 'x' })).status, 401)
  })

  it('transfers ownership to a member; the old owner becomes developer', async () => {
    assert.equal((await api.call(dev, 'POST', '/api/projects/payments-api/transfer', { userId: dev.id })).status, 403)
    const nonMember = await api.call(owner, 'POST', '/api/projects/payments-api/transfer', { userId: outsider.id })
    assert.equal(nonMember.status, 409)
    assert.match(nonMember.body.error.message, /not a member/)
    const self = await api.call(owner, 'POST', '/api/projects/payments-api/transfer', { userId: owner.id })
    assert.deepEqual(fieldsOf(self), ['userId'])
    const done = await api.call(owner, 'POST', '/api/projects/payments-api/transfer', { userId: dev.id })
    assert.equal(done.status, 200)
    assert.equal(done.body.role, 'developer')
    assert.equal((await api.call(dev, 'GET', '/api/projects/payments-api')).body.role, 'owner')
    assert.equal((await api.call(owner, 'PUT', '/api/projects/payments-api', { name: 'x' })).status, 403)
    assert.ok(api.audits.some((e) => e.action === 'project.ownership_transferred' && e.projectId === 'payments-api'))
  })

  it('deletes only with ?confirm=<id>, only for owners; the project is gone afterwards', async () => {
    const missing = await api.call(dev, 'DELETE', '/api/projects/payments-api')
    assert.equal(missing.status, 400)
    assert.deepEqual(fieldsOf(missing), ['confirm'])
    const wrong = await api.call(dev, 'DELETE', '/api/projects/payments-api?confirm=payments')
    assert.equal(wrong.status, 400)
    assert.deepEqual(fieldsOf(wrong), ['confirm'])
    assert.equal((await api.call(owner, 'DELETE', '/api/projects/payments-api?confirm=payments-api')).status, 403)
    assert.equal((await api.call(outsider, 'DELETE', '/api/projects/payments-api?confirm=payments-api')).status, 404)
    assert.equal((await api.call(dev, 'DELETE', '/api/projects/payments-api?confirm=payments-api')).status, 204)
    assert.equal((await api.call(dev, 'GET', '/api/projects/payments-api')).status, 404)
    assert.ok(api.audits.some((e) => e.action === 'project.deleted' && e.projectId === 'payments-api'))
  })

  it('runs a whole lifecycle through the API alone: create, populate, archive, restore, delete', async () => {
    const created = await api.call(outsider, 'POST', '/api/projects', { id: 'lifecycle', name: 'Lifecycle' })
    assert.equal(created.status, 201)
    const byEmail = await api.call(outsider, 'POST', '/api/projects/lifecycle/members', {
      email: dev.email,
      role: 'developer',
    })
    assert.equal(byEmail.status, 202)
    assert.equal((await api.call(dev, 'POST', `/api/invitations/${byEmail.body.invitation.id}/accept`)).status, 200)
    assert.equal((await api.addMember(outsider, '/api/projects/lifecycle/members', rep, 'reporter')).status, 200)
    const members = await api.call(rep, 'GET', '/api/projects/lifecycle/members')
    assert.deepEqual(
      members.body.items.map((m: { email: string; role: string }) => [m.email, m.role]),
      [
        [dev.email, 'developer'],
        [outsider.email, 'owner'],
        [rep.email, 'reporter'],
      ],
    )
    assert.equal((await api.call(outsider, 'POST', '/api/projects/lifecycle/archive')).body.archived, true)
    assert.equal((await api.call(outsider, 'POST', '/api/projects/lifecycle/restore')).body.archived, false)
    assert.equal((await api.call(outsider, 'DELETE', '/api/projects/lifecycle?confirm=lifecycle')).status, 204)
    assert.equal((await api.call(outsider, 'GET', '/api/projects/lifecycle')).status, 404)
  })
})

describe('openapi', () => {
  it('documents every route of these modules', async () => {
    const doc = await api.call(null, 'GET', '/api/openapi.json')
    assert.equal(doc.status, 200)
    for (const path of [
      '/api/teams/{id}/members/{userId}',
      '/api/projects/{id}/transfer',
      '/api/projects/{id}/members/team',
      '/api/invitations/accept-link',
      '/api/users/bulk',
      '/api/me/favorites/{projectId}',
    ]) {
      assert.ok(doc.body.paths[path], path)
    }
    assert.ok(doc.body.paths['/api/projects'].get.parameters.some((p: { name: string }) => p.name === 'limit'))
  })
})

describe('role matrix', () => {
  // Each route the project and team modules serve, with the action that guards it and the status of success.
  const projectCases: {
    action: ProjectAction
    method: string
    path: (p: string) => string
    body?: () => unknown
    ok: number
  }[] = [
    { action: 'project.view', method: 'GET', path: (p) => `/api/projects/${p}`, ok: 200 },
    { action: 'project.view', method: 'GET', path: (p) => `/api/projects/${p}/members`, ok: 200 },
    { action: 'project.view', method: 'GET', path: (p) => `/api/projects/${p}/invitations`, ok: 200 },
    {
      action: 'project.settings',
      method: 'PUT',
      path: (p) => `/api/projects/${p}`,
      body: () => ({ description: 'm' }),
      ok: 200,
    },
    { action: 'project.settings', method: 'POST', path: (p) => `/api/projects/${p}/archive`, ok: 200 },
    { action: 'project.settings', method: 'POST', path: (p) => `/api/projects/${p}/restore`, ok: 200 },
    {
      action: 'members.manage',
      method: 'POST',
      path: (p) => `/api/projects/${p}/members`,
      body: () => ({ userId: spare(), role: 'reporter' }),
      ok: 202,
    },
    {
      action: 'members.manage',
      method: 'POST',
      path: (p) => `/api/projects/${p}/invitations`,
      body: () => ({ kind: 'external', email: `guest${++n}@example.org`, role: 'reporter' }),
      ok: 201,
    },
  ]
  const spares: string[] = []
  let n = 0
  const spare = () => spares.shift() as string

  it('project routes follow the matrix for owner, developer, reporter, non-member and admin', async () => {
    for (let i = 0; i < 12; i++)
      spares.push((await api.gw.gateway.store.users.create({ email: `spare${i}@example.com` })).id)
    const o = await api.user('m-owner')
    const d = await api.user('m-dev')
    const r = await api.user('m-rep')
    const x = await api.user('m-none')
    await api.call(o, 'POST', '/api/projects', { id: 'matrix', name: 'Matrix' })
    await api.addMember(o, '/api/projects/matrix/members', d, 'developer')
    await api.addMember(o, '/api/projects/matrix/members', r, 'reporter')
    const actors: [string, Who, Role | null, boolean][] = [
      ['owner', o, 'owner', false],
      ['developer', d, 'developer', false],
      ['reporter', r, 'reporter', false],
      ['non-member', x, null, false],
      ['admin', api.admin, null, true],
    ]
    for (const c of projectCases) {
      for (const [label, who, role, isAdmin] of actors) {
        const expected = !isAdmin && role === null ? 404 : canInProject({ isAdmin, role }, c.action) ? c.ok : 403
        const res = await api.call(who, c.method, c.path('matrix'), c.body?.())
        assert.equal(res.status, expected, `${label} ${c.method} ${c.path('matrix')}: ${JSON.stringify(res.body)}`)
      }
    }
    // Delete last: owner-only, and it ends the project.
    for (const [label, who, role, isAdmin] of actors.slice(1, 4)) {
      const expected = role === null ? 404 : canInProject({ isAdmin, role }, 'project.settings') ? 204 : 403
      assert.equal((await api.call(who, 'DELETE', '/api/projects/matrix?confirm=matrix')).status, expected, label)
    }
    assert.equal((await api.call(o, 'DELETE', '/api/projects/matrix?confirm=matrix')).status, 204)
  })

  it('team routes follow the matrix for owner, developer, reporter, non-member and admin', async () => {
    const o = await api.user('t-owner')
    const d = await api.user('t-dev')
    const r = await api.user('t-rep')
    const x = await api.user('t-none')
    const team = (await api.call(o, 'POST', '/api/teams', { name: 'Matrix team' })).body
    await api.addMember(o, `/api/teams/${team.id}/members`, d, 'developer')
    await api.addMember(o, `/api/teams/${team.id}/members`, r, 'reporter')
    const cases: { action: TeamAction; method: string; path: string; body?: () => unknown; ok: number }[] = [
      { action: 'team.view', method: 'GET', path: `/api/teams/${team.id}`, ok: 200 },
      { action: 'team.view', method: 'GET', path: `/api/teams/${team.id}/members`, ok: 200 },
      { action: 'team.view', method: 'GET', path: `/api/teams/${team.id}/projects`, ok: 200 },
      {
        action: 'team.createProject',
        method: 'POST',
        path: '/api/projects',
        body: () => ({ name: 'In team', teamId: team.id }),
        ok: 201,
      },
      {
        action: 'team.manage',
        method: 'PUT',
        path: `/api/teams/${team.id}`,
        body: () => ({ description: 'x' }),
        ok: 200,
      },
      {
        action: 'team.manage',
        method: 'POST',
        path: `/api/teams/${team.id}/members`,
        body: () => ({ userId: spare(), role: 'reporter' }),
        ok: 202,
      },
    ]
    const actors: [string, Who, Role | null, boolean][] = [
      ['owner', o, 'owner', false],
      ['developer', d, 'developer', false],
      ['reporter', r, 'reporter', false],
      ['non-member', x, null, false],
      ['admin', api.admin, null, true],
    ]
    for (const c of cases) {
      for (const [label, who, role, isAdmin] of actors) {
        const expected = !isAdmin && role === null ? 404 : canInTeam({ isAdmin, role }, c.action) ? c.ok : 403
        const res = await api.call(who, c.method, c.path, c.body?.())
        assert.equal(res.status, expected, `${label} ${c.method} ${c.path}: ${JSON.stringify(res.body)}`)
      }
    }
    assert.equal((await api.call(d, 'DELETE', `/api/teams/${team.id}`)).status, 403)
    assert.equal((await api.call(x, 'DELETE', `/api/teams/${team.id}`)).status, 404)
    assert.equal((await api.call(api.admin, 'DELETE', `/api/teams/${team.id}`)).status, 204)
  })
})
