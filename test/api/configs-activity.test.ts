// biome-ignore-all lint/suspicious/noTemplateCurlyInString: client configs hold ${env:…} placeholders literally.
// Client configs (protocol.md §6) with the key as a placeholder, discovery, the PRD's cline-config, activity with
// cursor paging and filters, tool-call metrics, and the OpenAPI document listing these routes.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { OTHER_PROJECT_KEY, TEST_KEY } from '../harness.ts'
import { fieldsOf, type ProjectApi, startProjectApi } from './project-harness.ts'

let api: ProjectApi
let base = ''
const C = '/api/projects/demo/client-config'

before(async () => {
  api = await startProjectApi()
  base = `${api.gw.url}/projects/demo`
})
after(() => api?.close())

describe('client configs', () => {
  it('72 C: Cline: explicit type, a valid url whose suffix matches the transport, timeout in 1–3600 s, the key from ${env:…}', async () => {
    const r = await api.call(api.rep, 'GET', `${C}?client=cline`)
    assert.equal(r.status, 200, r.text)
    const entry = r.body.config.mcpServers.everything
    assert.deepEqual(entry, {
      type: 'streamableHttp',
      url: `${base}/servers/everything/mcp`,
      headers: { Authorization: 'Bearer ${env:MCPO_DEMO_KEY}' },
      disabled: false,
      autoApprove: [],
      timeout: 300,
    })
    assert.equal(r.body.keyVariable, 'MCPO_DEMO_KEY')
    assert.ok(!r.text.includes('mcp_proj_test'), 'never a real key')
    const sse = await api.call(api.rep, 'GET', `${C}?client=cline&transport=sse&server=unified`)
    assert.deepEqual(Object.keys(sse.body.config.mcpServers), ['demo'])
    assert.equal(sse.body.config.mcpServers.demo.type, 'sse')
    assert.equal(sse.body.config.mcpServers.demo.url, `${base}/sse`)
  })

  it('Claude Desktop goes through mcp-remote with the key in env', async () => {
    const r = await api.call(api.rep, 'GET', `${C}?client=claude-desktop&server=everything`)
    const entry = r.body.config.mcpServers.everything
    assert.equal(entry.command, 'npx')
    assert.deepEqual(entry.args, [
      '-y',
      'mcp-remote@0.15.1',
      `${base}/servers/everything/mcp`,
      '--transport',
      'http-only',
      '--header',
      'Authorization:${MCPO_AUTH}',
    ])
    assert.match(entry.env.MCPO_AUTH, /^Bearer </)
    const sse = await api.call(api.rep, 'GET', `${C}?client=claude-desktop&transport=sse`)
    assert.ok(sse.body.config.mcpServers.everything.args.includes('sse-only'))
  })

  it('VS Code uses the servers key and an input; Cursor and Claude Code their own shapes', async () => {
    const vs = await api.call(api.rep, 'GET', `${C}?client=vscode&server=unified`)
    assert.equal(vs.body.config.mcpServers, undefined)
    assert.deepEqual(vs.body.config.servers.demo, {
      type: 'http',
      url: `${base}/mcp`,
      headers: { Authorization: 'Bearer ${input:mcpo-demo-key}' },
    })
    assert.equal(vs.body.config.inputs[0].id, 'mcpo-demo-key')
    assert.equal(vs.body.config.inputs[0].password, true)
    const cursor = await api.call(api.rep, 'GET', `${C}?client=cursor`)
    assert.deepEqual(cursor.body.config.mcpServers.everything, {
      url: `${base}/servers/everything/mcp`,
      headers: { Authorization: 'Bearer ${env:MCPO_DEMO_KEY}' },
    })
    assert.equal(cursor.body.nameBudgets.everything, 59 - 'everything'.length)
    const cc = await api.call(api.rep, 'GET', `${C}?client=claude-code&transport=sse`)
    assert.equal(
      cc.body.command,
      `claude mcp add --transport sse --header "Authorization: Bearer $MCPO_DEMO_KEY" everything '${base}/servers/everything/sse'`,
    )
    assert.equal(cc.body.config.mcpServers.everything.type, 'sse')
  })

  it('answers 400, 401 and 404 where it should', async () => {
    assert.deepEqual(fieldsOf(await api.call(api.rep, 'GET', `${C}?client=emacs`)), ['client'])
    assert.equal((await api.call(api.rep, 'GET', `${C}?client=cline&server=nope`)).status, 404)
    assert.equal((await api.call(null, 'GET', `${C}?client=cline`)).status, 401)
    assert.equal((await api.call(api.outsider, 'GET', `${C}?client=cline`)).status, 404)
  })

  it('serves the PRD cline-config and discovery, authenticated, to members and the project’s keys', async () => {
    const cline = await api.call(TEST_KEY, 'GET', '/projects/demo/cline-config')
    assert.equal(cline.status, 200, cline.text)
    assert.deepEqual(Object.keys(cline.body), ['mcpServers'])
    assert.equal(cline.body.mcpServers.everything.type, 'sse')
    assert.equal(cline.body.mcpServers.everything.url, `${base}/servers/everything/sse`)
    assert.equal(cline.body.mcpServers.everything.headers.Authorization, 'Bearer ${env:MCPO_DEMO_KEY}')
    const wk = await api.call(api.rep, 'GET', '/projects/demo/.well-known/mcp-servers')
    assert.equal(wk.status, 200)
    assert.deepEqual(wk.body.servers[0].endpoints, {
      sse: `${base}/servers/everything/sse`,
      messages: `${base}/servers/everything/messages`,
      mcp: `${base}/servers/everything/mcp`,
    })
    assert.equal(wk.body.unified.endpoints.mcp, `${base}/mcp`)
    assert.equal((await api.call(TEST_KEY, 'GET', '/projects/demo/.well-known/mcp-servers')).status, 200)
    assert.equal((await api.call(null, 'GET', '/projects/demo/.well-known/mcp-servers')).status, 401)
    assert.equal((await api.call(OTHER_PROJECT_KEY, 'GET', '/projects/demo/.well-known/mcp-servers')).status, 404)
    assert.equal((await api.call(OTHER_PROJECT_KEY, 'GET', '/projects/demo/cline-config')).status, 404)
  })
})

describe('activity', () => {
  before(async () => {
    const store = api.gw.gateway.store
    const t = (min: number) => new Date(Date.now() - min * 60_000)
    await store.audit.append([
      {
        projectId: 'demo',
        actorType: 'user',
        actorId: api.owner.id,
        action: 'server.create',
        targetType: 'server',
        targetId: 'a',
        createdAt: t(30),
      },
      {
        projectId: 'demo',
        actorType: 'user',
        actorId: api.dev.id,
        action: 'server.update',
        targetType: 'server',
        targetId: 'a',
        createdAt: t(20),
      },
      {
        projectId: 'demo',
        actorType: 'user',
        actorId: api.dev.id,
        action: 'policy.create',
        targetType: 'policy',
        targetId: 'p',
        createdAt: t(10),
      },
      { projectId: 'other', actorType: 'user', actorId: api.dev.id, action: 'server.create', createdAt: t(5) },
    ])
    const calls = [10, 20, 30, 40, 50, 60, 70, 80, 90, 1000].map((ms, i) => ({
      projectId: 'demo',
      serverName: i % 2 ? 'everything' : 'github',
      toolName: i % 2 ? 'echo' : 'create_issue',
      status: (i === 9 ? 'error' : 'ok') as 'ok' | 'error',
      errorMessage: i === 9 ? 'upstream exploded' : null,
      durationMs: ms,
      createdAt: t(50 - i),
    }))
    await store.toolCalls.append([...calls, { projectId: 'other', serverName: 'x', toolName: 'y', status: 'ok' }])
  })

  it('pages the audit trail newest first with a cursor', async () => {
    const A = '/api/projects/demo/activity'
    const first = await api.call(api.rep, 'GET', `${A}?limit=2`)
    assert.equal(first.status, 200, first.text)
    assert.deepEqual(
      first.body.items.map((e: { action: string }) => e.action),
      ['policy.create', 'server.update'],
    )
    assert.ok(first.body.nextCursor)
    const second = await api.call(api.rep, 'GET', `${A}?limit=2&cursor=${first.body.nextCursor}`)
    assert.deepEqual(
      second.body.items.map((e: { action: string }) => e.action),
      ['server.create'],
    )
    assert.equal(second.body.nextCursor, null)
    const byDev = await api.call(api.rep, 'GET', `${A}?actor=${api.dev.id}`)
    assert.equal(byDev.body.items.length, 2)
    const byServer = await api.call(api.rep, 'GET', `${A}?server=a`)
    assert.equal(byServer.body.items.length, 2)
    assert.deepEqual(byServer.body.items[0].target, { type: 'server', id: 'a' })
  })

  it('filters tool calls by server, tool, status and time', async () => {
    const A = '/api/projects/demo/activity?kind=tools'
    const all = await api.call(api.rep, 'GET', A)
    assert.equal(all.body.items.length, 10, 'only this project’s calls')
    const errors = await api.call(api.rep, 'GET', `${A}&status=error`)
    assert.deepEqual(
      errors.body.items.map((c: { errorMessage: string }) => c.errorMessage),
      ['upstream exploded'],
    )
    assert.equal((await api.call(api.rep, 'GET', `${A}&server=github&tool=create_issue`)).body.items.length, 5)
    const since = new Date(Date.now() - 45.5 * 60_000).toISOString()
    assert.equal((await api.call(api.rep, 'GET', `${A}&since=${encodeURIComponent(since)}`)).body.items.length, 5)
    const paged = await api.call(api.rep, 'GET', `${A}&limit=4`)
    const rest = await api.call(api.rep, 'GET', `${A}&limit=4&cursor=${paged.body.nextCursor}`)
    assert.equal(rest.body.items[0].id, paged.body.items[3].id - 1)
  })

  it('computes success rate, latency percentiles and calls per minute', async () => {
    const r = await api.call(api.rep, 'GET', '/api/projects/demo/tool-calls/stats')
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.total, 10)
    assert.equal(r.body.successRate, 0.9)
    assert.equal(r.body.avgMs, 145)
    assert.ok(r.body.p50Ms >= 50 && r.body.p50Ms <= 60)
    assert.ok(r.body.p95Ms >= 90)
    assert.equal(r.body.callsPerMinute, Math.round((10 / 60) * 1000) / 1000)
    const echo = await api.call(api.rep, 'GET', '/api/projects/demo/tool-calls/stats?tool=echo')
    assert.equal(echo.body.total, 5)
    assert.equal(echo.body.errors, 1)
  })

  it('answers 400, 401 and 404 where it should', async () => {
    const A = '/api/projects/demo/activity'
    assert.deepEqual(fieldsOf(await api.call(api.rep, 'GET', `${A}?kind=gossip`)), ['kind'])
    assert.deepEqual(fieldsOf(await api.call(api.rep, 'GET', `${A}?cursor=abc`)), ['cursor'])
    assert.deepEqual(fieldsOf(await api.call(api.rep, 'GET', `${A}?since=yesterday`)), ['since'])
    assert.equal(
      (await api.call(api.rep, 'GET', `${A}?since=2030-01-01T00:00:00Z&until=2020-01-01T00:00:00Z`)).status,
      400,
    )
    assert.equal((await api.call(null, 'GET', A)).status, 401)
    assert.equal((await api.call(api.outsider, 'GET', A)).status, 404)
    assert.equal((await api.call(api.dev, 'GET', '/api/projects/other/tool-calls/stats')).status, 404)
  })
})

describe('OpenAPI', () => {
  it('documents these routes', async () => {
    const r = await api.call(null, 'GET', '/api/openapi.json')
    assert.equal(r.status, 200)
    for (const path of [
      '/api/projects/{id}/servers',
      '/api/projects/{id}/servers/{name}/tools/{tool}',
      '/api/projects/{id}/policies/explain',
      '/api/projects/{id}/api-keys',
      '/api/projects/{id}/activity',
      '/api/projects/{id}/client-config',
      '/api/templates',
      '/projects/{id}/cline-config',
    ]) {
      assert.ok(r.body.paths[path], `${path} is documented`)
    }
  })
})
