// Project templates through the REST API: admins define them from the approved server catalog, with policies and
// members; a user creates a project from one in one request and gets working servers, policies, members, settings.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { MASK } from '../../plugins/secrets/cipher.ts'
import { fixtureServer } from '../harness.ts'
import { type ApiHarness, fieldsOf, startApi, type Who } from './tenancy-harness.ts'

let api: ApiHarness
let alice: Who
let catalogId = ''
let unapprovedId = ''
let templateId = ''

before(async () => {
  api = await startApi()
  alice = await api.user('alice')
  await api.user('bob')
  const fixture = fixtureServer()
  const cat = await api.call(api.admin, 'POST', '/api/templates', {
    name: 'Fixture',
    transport: 'stdio',
    command: fixture.command,
    args: fixture.args,
    envTemplate: { FIXTURE_TOKEN: 'a token for the fixture' },
  })
  assert.equal(cat.status, 201, JSON.stringify(cat.body))
  catalogId = cat.body.id
  const draft = await api.call(api.admin, 'POST', '/api/templates', {
    name: 'Draft',
    transport: 'streamable-http',
    url: 'http://127.0.0.1:9/mcp',
    approved: false,
  })
  unapprovedId = draft.body.id
})
after(() => api?.close())

describe('project templates', () => {
  it('admins define one from approved catalog servers, with policies, roles and settings', async () => {
    const body = {
      name: 'Starter',
      description: 'fixture server, no crash tool, bob as reporter',
      servers: [{ name: 'tools', templateId: catalogId, timeoutMs: 20_000 }],
      policies: [{ effect: 'deny', toolPattern: 'crash', description: 'nobody crashes it' }],
      roles: [
        { email: 'bob@example.com', role: 'reporter' },
        { email: 'nobody@example.com', role: 'developer' },
      ],
      settings: { color: 'teal' },
    }
    assert.equal((await api.call(alice, 'POST', '/api/project-templates', body)).status, 403)
    const bad = await api.call(api.admin, 'POST', '/api/project-templates', {
      ...body,
      servers: [...body.servers, { name: 'draft', templateId: unapprovedId }],
    })
    assert.equal(bad.status, 400)
    assert.deepEqual(fieldsOf(bad), ['servers.1.templateId'])
    const res = await api.call(api.admin, 'POST', '/api/project-templates', body)
    assert.equal(res.status, 201, JSON.stringify(res.body))
    templateId = res.body.id
    assert.equal(res.body.servers[0].enabled, true)
    assert.equal(res.body.policies[0].serverPattern, '*')
    const listed = await api.call(alice, 'GET', '/api/project-templates')
    assert.deepEqual(
      listed.body.map((t: { name: string }) => t.name),
      ['Starter'],
    )
    assert.equal((await api.call(alice, 'GET', '/api/project-templates/Starter')).body.id, templateId)
    assert.ok(api.audits.some((e) => e.action === 'project-template.create' && e.target?.id === templateId))
  })

  it('refuses variables the template does not declare, and leaves no half-made project', async () => {
    const r = await api.call(alice, 'POST', '/api/projects', {
      id: 'half',
      name: 'Half',
      templateId,
      variables: { tools: { env: { LD_PRELOAD: '/tmp/x.so' } } },
    })
    assert.equal(r.status, 400)
    assert.deepEqual(fieldsOf(r), ['variables.tools.env.LD_PRELOAD'])
    const other = await api.call(alice, 'POST', '/api/projects', { name: 'Half', templateId, variables: { nope: {} } })
    assert.deepEqual(fieldsOf(other), ['variables.nope'])
    assert.equal((await api.call(alice, 'GET', '/api/projects/half')).status, 404)
    assert.equal((await api.call(alice, 'POST', '/api/projects', { name: 'X', templateId: 'missing' })).status, 400)
  })

  it('creates a project from a template in one request, with working servers, policies and members', async () => {
    const started = performance.now()
    const r = await api.call(alice, 'POST', '/api/projects', {
      id: 'from-tpl',
      name: 'From template',
      templateId: 'Starter',
      variables: { tools: { env: { FIXTURE_TOKEN: 'tok-123' } } },
    })
    const ms = performance.now() - started
    assert.equal(r.status, 201, JSON.stringify(r.body))
    assert.ok(ms < 1000, `creating from a template took ${ms} ms`)
    assert.deepEqual(r.body.fromTemplate, {
      templateId,
      servers: ['tools'],
      policies: 1,
      members: 1,
      skipped: ['nobody@example.com'],
    })
    assert.equal(r.body.role, 'owner')
    assert.equal(r.body.settings.color, 'teal')

    const servers = await api.call(alice, 'GET', '/api/projects/from-tpl/servers')
    assert.equal(servers.body.length, 1)
    assert.equal(servers.body[0].transport, 'stdio')
    assert.deepEqual(servers.body[0].env, { FIXTURE_TOKEN: MASK })
    assert.equal(servers.body[0].timeoutMs, 20_000)
    const policies = await api.call(alice, 'GET', '/api/projects/from-tpl/policies')
    assert.equal(policies.body.length, 1)
    assert.equal(policies.body[0].effect, 'deny')
    const members = await api.call(alice, 'GET', '/api/projects/from-tpl/members')
    const roles = Object.fromEntries(
      (members.body.items ?? members.body).map((m: { email: string; role: string }) => [m.email, m.role]),
    )
    assert.deepEqual(roles, { 'alice@example.com': 'owner', 'bob@example.com': 'reporter' })

    // The server runs and the template's policy applies: crash is not listed.
    const key = await api.call(alice, 'POST', '/api/projects/from-tpl/api-keys', { name: 'try' })
    assert.equal(key.status, 201, JSON.stringify(key.body))
    const client = new Client({ name: 'tpl-test', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${api.gw.url}/projects/from-tpl/servers/tools/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${key.body.key}` } },
      }),
    )
    try {
      const names = (await client.listTools()).tools.map((t) => t.name)
      assert.ok(names.includes('echo'))
      assert.ok(!names.includes('crash'))
    } finally {
      await client.close()
    }
    const created = api.audits.find((e) => e.action === 'project.created' && e.projectId === 'from-tpl')
    const after = (created?.after ?? {}) as { fromTemplate?: { templateId: string } }
    assert.equal(after.fromTemplate?.templateId, templateId)
  })

  it('admins change and delete templates; projects made from them stay', async () => {
    const put = await api.call(api.admin, 'PUT', `/api/project-templates/${templateId}`, { description: 'v2' })
    assert.equal(put.body.description, 'v2')
    assert.equal((await api.call(alice, 'DELETE', `/api/project-templates/${templateId}`)).status, 403)
    assert.equal((await api.call(api.admin, 'DELETE', `/api/project-templates/${templateId}`)).status, 204)
    assert.equal((await api.call(alice, 'GET', `/api/project-templates/${templateId}`)).status, 404)
    assert.equal((await api.call(alice, 'GET', '/api/projects/from-tpl/servers')).body.length, 1)
  })
})
