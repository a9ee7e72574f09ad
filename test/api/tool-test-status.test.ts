// The server view's test runner calls a real upstream tool (server-everything) as the signed-in user, through the
// same policies and tool-call log as MCP clients; and the admin system status shows this node, storage and servers.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { TEST_CLIENT_NAME } from '../../gateway/api/tool-test.ts'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { AUDIT_PLUGIN, type AuditPlugin, audit } from '../../plugins/audit/index.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { fieldsOf, type ProjectApi, startProjectApi } from './project-harness.ts'

const S = '/api/projects/demo/servers/everything'
let api: ProjectApi

before(async () => {
  api = await startProjectApi({ plugins: [sessions(), apiKeys({ refreshMs: 200 }), toolPolicies(), audit()] })
})
after(() => api?.close())

async function flushAudit(): Promise<void> {
  const plugin = api.gw.gateway.plugins.plugins.find((p) => p.name === AUDIT_PLUGIN) as AuditPlugin
  await plugin.flush()
}

describe('tool test runner', () => {
  it('calls a tool as a reporter and answers the result unchanged', async () => {
    const r = await api.call(api.rep, 'POST', `${S}/tools/echo/call`, { arguments: { message: 'hello runner' } })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.ok, true)
    assert.deepEqual(r.body.result.content, [{ type: 'text', text: 'Echo: hello runner' }])
    assert.ok(r.body.durationMs >= 0)
  })

  it('records the call in the tool-call log under the caller, with the runner as client', async () => {
    await flushAudit()
    const r = await api.call(api.rep, 'GET', '/api/projects/demo/activity?kind=tools&tool=echo')
    assert.equal(r.status, 200, r.text)
    const call = r.body.items[0]
    assert.deepEqual(
      [call.server, call.tool, call.status, call.principalId, call.clientName],
      ['everything', 'echo', 'ok', api.rep.id, TEST_CLIENT_NAME],
    )
  })

  it('passes upstream errors through as ok: false', async () => {
    const r = await api.call(api.dev, 'POST', `${S}/tools/get-sum/call`, { arguments: { a: 'x' } })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.ok, false)
    assert.ok(r.body.error || r.body.result?.isError, r.text)
  })

  it('obeys tool toggles and deny policies, like an MCP client', async () => {
    assert.equal((await api.call(api.dev, 'PUT', `${S}/tools/echo`, { enabled: false })).status, 200)
    const off = await api.call(api.owner, 'POST', `${S}/tools/echo/call`, { arguments: { message: 'x' } })
    assert.equal(off.body.ok, false)
    assert.match(off.body.error.message, /disabled/)
    assert.equal((await api.call(api.dev, 'PUT', `${S}/tools/echo`, { enabled: true })).status, 200)

    const deny = await api.call(api.owner, 'POST', '/api/projects/demo/policies', {
      effect: 'deny',
      toolPattern: 'get-sum',
      roles: ['reporter'],
    })
    assert.equal(deny.status, 201, deny.text)
    const denied = await api.call(api.rep, 'POST', `${S}/tools/get-sum/call`, { arguments: { a: 1, b: 2 } })
    assert.equal(denied.body.ok, false)
    assert.equal(denied.body.error.code, -32602)
    const allowed = await api.call(api.dev, 'POST', `${S}/tools/get-sum/call`, { arguments: { a: 1, b: 2 } })
    assert.equal(allowed.body.ok, true, allowed.text)
    assert.match(JSON.stringify(allowed.body.result.content), /3/)
  })

  it('refuses outsiders, anonymous callers, bad bodies and disabled servers', async () => {
    const body = { arguments: { message: 'x' } }
    assert.equal((await api.call(api.outsider, 'POST', `${S}/tools/echo/call`, body)).status, 404)
    assert.equal((await api.call(null, 'POST', `${S}/tools/echo/call`, body)).status, 401)
    const bad = await api.call(api.rep, 'POST', `${S}/tools/echo/call`, { arguments: 'nope' })
    assert.equal(bad.status, 400)
    assert.deepEqual(fieldsOf(bad), ['arguments'])
    assert.equal((await api.call(api.rep, 'POST', '/api/projects/demo/servers/nope/tools/echo/call', body)).status, 404)
    assert.equal((await api.call(api.dev, 'POST', `${S}/disable`)).status, 200)
    const disabled = await api.call(api.rep, 'POST', `${S}/tools/echo/call`, body)
    assert.equal(disabled.status, 409)
    assert.equal((await api.call(api.dev, 'POST', `${S}/enable`)).status, 200)
  })
})

describe('system status', () => {
  it('shows this node, reachable migrated storage, sessions and the loaded servers', async () => {
    // Re-enabled above, the server starts again on first use.
    await api.call(api.rep, 'POST', `${S}/tools/echo/call`, { arguments: { message: 'wake up' } })
    const r = await api.call(api.admin, 'GET', '/api/admin/status')
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.node.pid, process.pid)
    assert.ok(r.body.node.uptimeS >= 0 && r.body.node.rssBytes > 0)
    assert.deepEqual([r.body.storage.kind, r.body.storage.reachable, r.body.storage.migrated], ['embedded', true, true])
    assert.ok(Array.isArray(r.body.nodes))
    assert.equal(typeof r.body.sessions.total, 'number')
    const everything = r.body.servers.find((s: { projectId: string; name: string }) => s.name === 'everything')
    assert.equal(everything.projectId, 'demo')
    assert.equal(everything.transport, 'stdio')
    assert.equal(everything.state, 'running')
    assert.equal(everything.pids.length, 1)
    assert.ok(r.body.processes.running >= 1)
  })

  it('is for administrators only', async () => {
    assert.equal((await api.call(api.owner, 'GET', '/api/admin/status')).status, 403)
    assert.equal((await api.call(null, 'GET', '/api/admin/status')).status, 401)
  })
})
