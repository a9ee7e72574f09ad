// Tool toggles and policies through real HTTP, checked on the data plane with the MCP SDK: a disabled tool leaves a
// live session's tools/list (after list_changed) and tools/call fails; a deny policy blocks a call and explain names
// the rule; role and key scoped rules; field errors, 403 and 404; explain on a gateway without toolPolicies().
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { TEST_KEY } from '../harness.ts'
import { fieldsOf, type ProjectApi, startProjectApi } from './project-harness.ts'

const S = '/api/projects/demo/servers/everything'
const P = '/api/projects/demo/policies'
let api: ProjectApi
let session: Client
let unified: Client
let listChanged = 0
let configKeyId = ''

before(async () => {
  api = await startProjectApi()
  session = await api.mcp(TEST_KEY, '/projects/demo/servers/everything/mcp')
  session.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    listChanged++
  })
  unified = await api.mcp(TEST_KEY, '/projects/demo/mcp')
  configKeyId = (await api.gw.gateway.store.apiKeys.list('demo'))[0].id
})
after(() => api?.close())

async function waitFor(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function toolNames(c: Client): Promise<string[]> {
  return (await c.listTools()).tools.map((t) => t.name)
}

describe('tool toggles', () => {
  it('lists a server’s live tools with enabled flags and unified names', async () => {
    const r = await api.call(api.rep, 'GET', `${S}/tools`)
    assert.equal(r.status, 200, r.text)
    const echo = r.body.tools.find((t: { name: string }) => t.name === 'echo')
    assert.deepEqual([echo.enabled, echo.exposedName], [true, 'everything__echo'])
    assert.ok(echo.inputSchema)
    assert.equal((await api.call(api.outsider, 'GET', `${S}/tools`)).status, 404)
    assert.equal((await api.call(null, 'GET', `${S}/tools`)).status, 401)
    assert.equal((await api.call(api.rep, 'GET', '/api/projects/demo/servers/nope/tools')).status, 404)
  })

  it('takes a disabled tool out of live sessions (list_changed) and refuses calls to it', async () => {
    assert.ok((await toolNames(session)).includes('echo'))
    assert.ok((await toolNames(unified)).includes('everything__echo'))
    assert.equal((await api.call(api.rep, 'PUT', `${S}/tools/echo`, { enabled: false })).status, 403)
    const before = listChanged
    const r = await api.call(api.dev, 'PUT', `${S}/tools/echo`, { enabled: false })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(r.body.toolToggles, { echo: false })
    await waitFor(() => listChanged > before, 'tools/list_changed')
    assert.ok(!(await toolNames(session)).includes('echo'))
    assert.ok(!(await toolNames(unified)).includes('everything__echo'))
    await assert.rejects(
      session.callTool({ name: 'echo', arguments: { message: 'hi' } }),
      (err: Error & { code?: number }) => {
        assert.equal(err.code, -32602)
        assert.match(err.message, /disabled/)
        return true
      },
    )
    await assert.rejects(unified.callTool({ name: 'everything__echo', arguments: { message: 'hi' } }))
    const listed = await api.call(api.rep, 'GET', `${S}/tools`)
    assert.equal(listed.body.tools.find((t: { name: string }) => t.name === 'echo').enabled, false)
  })

  it('toggles many tools at once and shows every tool of the project', async () => {
    const r = await api.call(api.dev, 'PUT', `${S}/tools`, { tools: { echo: true, 'get-sum': false } })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(r.body.toolToggles, { 'get-sum': false })
    const result = await session.callTool({ name: 'echo', arguments: { message: 'back' } })
    assert.match(JSON.stringify(result.content), /back/)
    const all = await api.call(api.rep, 'GET', '/api/projects/demo/tools')
    assert.equal(all.status, 200)
    const sum = all.body.tools.find((t: { exposedName: string }) => t.exposedName === 'everything__get-sum')
    assert.equal(sum.enabled, false)
    assert.deepEqual(all.body.servers, [
      { name: 'everything', enabled: true, toolCount: all.body.tools.length, error: null },
    ])
    assert.equal((await api.call(api.dev, 'PUT', `${S}/tools`, { tools: { '': true } })).status, 400)
    assert.equal((await api.call(api.dev, 'PUT', `${S}/tools`, { tools: { echo: 'yes' } })).status, 400)
    await api.call(api.dev, 'PUT', `${S}/tools`, { tools: { 'get-sum': true } })
  })
})

describe('tool policies', () => {
  let denyId = ''

  it('edits policies only as owner, with field errors', async () => {
    const body = { effect: 'deny', serverPattern: 'every*', toolPattern: 'get-tiny-*', description: 'no images' }
    assert.equal((await api.call(api.dev, 'POST', P, body)).status, 403)
    assert.equal((await api.call(api.outsider, 'POST', P, body)).status, 404)
    const bad = await api.call(api.owner, 'POST', P, { effect: 'maybe', serverPattern: 'a b', roles: ['king'] })
    assert.equal(bad.status, 400)
    assert.deepEqual(fieldsOf(bad).sort(), ['effect', 'roles.0', 'serverPattern'])
    const otherKey = (await api.gw.gateway.store.apiKeys.list('other'))[0]
    const foreign = await api.call(api.owner, 'POST', P, { effect: 'deny', keyIds: [otherKey.id] })
    assert.deepEqual(fieldsOf(foreign), ['keyIds.0'])
    const r = await api.call(api.owner, 'POST', P, body)
    assert.equal(r.status, 201, r.text)
    denyId = r.body.id
    assert.deepEqual([r.body.roles, r.body.keyIds], [[], []])
    assert.equal((await api.call(api.rep, 'GET', P)).body.length, 1)
  })

  it('blocks a denied call on MCP, and explain names the rule', async () => {
    await assert.rejects(session.callTool({ name: 'get-tiny-image', arguments: {} }), /no images/)
    assert.ok(!(await toolNames(session)).includes('get-tiny-image'))
    const why = await api.call(
      api.rep,
      'GET',
      `${P}/explain?server=everything&tool=get-tiny-image&keyId=${configKeyId}`,
    )
    assert.equal(why.status, 200, why.text)
    assert.equal(why.body.allowed, false)
    assert.equal(why.body.rule.kind, 'policy')
    assert.equal(why.body.rule.policy.id, denyId)
    assert.equal(why.body.subject.keyId, configKeyId)
    const ok = await api.call(api.rep, 'GET', `${P}/explain?server=everything&tool=echo&keyId=${configKeyId}`)
    assert.deepEqual([ok.body.allowed, ok.body.rule.kind], [true, 'default'])
    assert.equal((await api.call(api.rep, 'GET', `${P}/explain?server=everything`)).status, 400)
    assert.equal((await api.call(api.outsider, 'GET', `${P}/explain?server=everything&tool=echo`)).status, 404)
  })

  it('scopes rules to roles and keys: a key acts with its creator’s role', async () => {
    const devKey = await api.call(api.dev, 'POST', '/api/projects/demo/api-keys', { name: 'dev' })
    const ownerKey = await api.call(api.owner, 'POST', '/api/projects/demo/api-keys', { name: 'owner' })
    const devOnly = await api.call(api.owner, 'POST', P, {
      effect: 'deny',
      toolPattern: 'get-sum',
      roles: ['developer'],
      priority: 5,
    })
    assert.equal(devOnly.status, 201)
    const asDev = await api.mcp(devKey.body.key, '/projects/demo/servers/everything/mcp')
    const asOwner = await api.mcp(ownerKey.body.key, '/projects/demo/servers/everything/mcp')
    await assert.rejects(asDev.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } }))
    const sum = await asOwner.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } })
    assert.match(JSON.stringify(sum.content), /3/)
    const byUser = await api.call(api.owner, 'GET', `${P}/explain?server=everything&tool=get-sum&userId=${api.dev.id}`)
    assert.deepEqual(
      [byUser.body.allowed, byUser.body.rule.policy.id, byUser.body.subject.role],
      [false, devOnly.body.id, 'developer'],
    )
    const byRole = await api.call(api.owner, 'GET', `${P}/explain?server=everything&tool=get-sum&role=owner`)
    assert.equal(byRole.body.allowed, true)

    // Now the owner's key only, by id; then an allow rule that restricts echo to owners.
    const put = await api.call(api.owner, 'PUT', `${P}/${devOnly.body.id}`, { roles: [], keyIds: [ownerKey.body.id] })
    assert.equal(put.status, 200, put.text)
    assert.deepEqual(put.body.keyIds, [ownerKey.body.id])
    assert.match(JSON.stringify((await asDev.callTool({ name: 'get-sum', arguments: { a: 2, b: 2 } })).content), /4/)
    await assert.rejects(asOwner.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } }))
    const ownersOnly = await api.call(api.owner, 'POST', P, { effect: 'allow', toolPattern: 'echo', roles: ['owner'] })
    assert.equal(ownersOnly.status, 201)
    assert.ok(!(await toolNames(asDev)).includes('echo'))
    assert.ok((await toolNames(asOwner)).includes('echo'))
    const why = await api.call(api.dev, 'GET', `${P}/explain?server=everything&tool=echo`)
    assert.deepEqual(
      [why.body.allowed, why.body.rule.policy.id],
      [false, ownersOnly.body.id],
      'explains for the caller',
    )
    for (const id of [devOnly.body.id, ownersOnly.body.id]) {
      assert.equal((await api.call(api.owner, 'DELETE', `${P}/${id}`)).status, 204)
    }
  })

  it('lifts a deleted policy at once; unknown ids are 404', async () => {
    assert.equal((await api.call(api.dev, 'DELETE', `${P}/${denyId}`)).status, 403)
    assert.equal((await api.call(api.owner, 'DELETE', `${P}/${denyId}`)).status, 204)
    assert.equal((await api.call(api.owner, 'DELETE', `${P}/${denyId}`)).status, 404)
    assert.equal((await api.call(api.owner, 'PUT', `${P}/not-a-uuid`, { priority: 1 })).status, 404)
    assert.equal(
      (await api.call(api.admin, 'PUT', `/api/projects/other/policies/${denyId}`, { priority: 1 })).status,
      404,
    )
    const image = await session.callTool({ name: 'get-tiny-image', arguments: {} })
    assert.ok((image.content as unknown[]).length > 0)
  })
})

describe('explain without toolPolicies()', () => {
  let bare: ProjectApi
  before(async () => {
    bare = await startProjectApi({ plugins: [sessions(), apiKeys()] })
  })
  after(() => bare?.close())

  it('is a 404 naming the plugin to add, not a 500', async () => {
    const r = await bare.call(bare.owner, 'GET', `${P}/explain?server=everything&tool=echo`)
    assert.equal(r.status, 404, r.text)
    assert.equal(r.body.error.code, 'MCPO_ERR_NOT_FOUND')
    assert.match(r.body.error.message, /add toolPolicies\(\) to plugins in mcpo\.config\.ts/)
  })
})
