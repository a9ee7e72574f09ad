// Issue-8 observability through a running gateway: one request id per HTTP request in logs, audit entries and tool
// calls; W3C trace context reaching stdio (in _meta) and remote (as a header) upstreams; cancelled tool calls;
// streamed NDJSON/CSV exports of thousands of rows; per-project retention and argument capture with redaction;
// /readyz following plugin health; the config.applied audit event at boot.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { createLogger } from '../../gateway/logger.ts'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { AUDIT_PLUGIN, type AuditPlugin, audit } from '../../plugins/audit/index.ts'
import type { McpoPlugin } from '../../plugins/contract.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { type HttpFixture, startHttpFixture } from '../fixtures/fixture-server.ts'
import { fixtureServer, OTHER_PROJECT_KEY, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { setUpAdmin } from '../kit/first-admin.ts'
import { bearer, postMcp } from '../kit/mcp-wire.ts'
import { rest } from '../kit/rest.ts'

const root = join(import.meta.dirname, '../..')
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
const lines: string[] = []
const sink = new Writable({
  write(chunk, _enc, cb) {
    lines.push(...String(chunk).split('\n').filter(Boolean))
    cb()
  },
})
let healthy = true
const probe: McpoPlugin = {
  name: 'test:probe',
  health: () => (healthy ? { ok: true } : { ok: false, reason: 'backend down' }),
}

let gw: TestGateway
let remote: HttpFixture
let admin: string
let auditPlugin: AuditPlugin

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  rest(gw.url, method, path, { token: admin, body, headers })

async function mcp(path: string, headers: Record<string, string> = {}) {
  const client = new Client({ name: 'obs-test', version: '1.0.0' })
  await client.connect(
    new StreamableHTTPClientTransport(new URL(gw.url + path), {
      requestInit: { headers: { Authorization: `Bearer ${TEST_KEY}`, ...headers } },
    }),
  )
  return client
}

before(async () => {
  remote = await startHttpFixture({ transport: 'streamable-http' })
  gw = await startTestGateway(
    {
      plugins: [sessions(), apiKeys(), toolPolicies(), audit({ batchMs: 50 }), probe],
      projects: [
        {
          id: 'demo',
          name: 'Demo',
          servers: [
            fixtureServer(),
            {
              name: 'meta',
              transport: 'stdio',
              command: process.execPath,
              args: ['--import', 'tsx', join(root, 'test/fixtures/meta-echo.ts')],
              cwd: root,
            },
            { name: 'remote', transport: 'streamable-http', url: remote.url },
          ],
          apiKeys: [{ name: 'test', key: TEST_KEY }],
        },
        { id: 'other', name: 'Other', servers: [fixtureServer()], apiKeys: [{ name: 'o', key: OTHER_PROJECT_KEY }] },
      ],
    },
    { logger: createLogger('debug', sink) },
  )
  auditPlugin = gw.gateway.plugins.plugins.find((p) => p.name === AUDIT_PLUGIN) as AuditPlugin
  admin = (await setUpAdmin(gw, 'correct horse battery staple')).token
})
after(async () => {
  await gw?.close()
  await remote?.close()
})

const logsWith = (id: string) => lines.map((l) => JSON.parse(l)).filter((l) => l.requestId === id)

describe('request ids', () => {
  it('gives each API request one id, in the response, its log lines and its audit entry', async () => {
    const res = await call(
      'PUT',
      '/api/projects/demo/settings/observability',
      { captureArguments: false },
      {
        'x-request-id': 'req-test-000123',
      },
    )
    assert.equal(res.status, 200, res.text)
    assert.equal(res.headers.get('x-request-id'), 'req-test-000123')
    const own = await call('GET', '/api/projects/demo/settings/observability')
    assert.match(own.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, 'generated when the client sends none')
    await auditPlugin.flush()
    const [event] = await gw.gateway.store.audit.list({ projectId: 'demo', action: 'project.observability.update' })
    assert.equal(event.requestId, 'req-test-000123')
    const logged = logsWith('req-test-000123')
    assert.ok(
      logged.some((l) => l.msg === 'api request' && l.status === 200),
      JSON.stringify(logged),
    )
  })

  it('ties a relayed tool call to the id of the request that carried it, in logs and the tool-call log', async () => {
    const client = await mcp('/projects/demo/servers/fixture/mcp', { 'x-request-id': 'mcp-call-4711-abc' })
    try {
      await client.callTool({ name: 'echo', arguments: { message: 'traced' } })
    } finally {
      await client.close()
    }
    await auditPlugin.flush()
    const calls = await call('GET', '/api/projects/demo/activity?kind=tools&tool=echo')
    assert.equal(calls.body.items[0].requestId, 'mcp-call-4711-abc')
    assert.ok(logsWith('mcp-call-4711-abc').some((l) => l.msg === 'tool call' && l.tool === 'echo'))
  })
})

describe('trace context', () => {
  it('passes traceparent to a stdio upstream in _meta and to a remote one as a header', async () => {
    const client = await mcp('/projects/demo/mcp', { traceparent: TRACEPARENT, tracestate: 'vendor=1' })
    try {
      const local = await client.callTool({ name: 'meta__meta', arguments: {} })
      const meta = JSON.parse((local.content as { text: string }[])[0].text)
      assert.equal(meta.traceparent, TRACEPARENT)
      assert.equal(meta.tracestate, 'vendor=1')
      await client.callTool({ name: 'remote__echo', arguments: { message: 'to remote' } })
    } finally {
      await client.close()
    }
    const seen = remote.requests.find((r) => r.body?.includes('"tools/call"') && r.body.includes('to remote'))
    assert.ok(seen, 'the remote fixture saw the call')
    assert.equal(seen.headers.traceparent, TRACEPARENT)
    assert.equal(seen.headers.tracestate, 'vendor=1')
  })

  it('takes _meta.traceparent from the params too, and drops a malformed one', async () => {
    const client = await mcp('/projects/demo/servers/meta/mcp')
    try {
      const other = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00'
      const r = await client.callTool({ name: 'meta', arguments: {}, _meta: { traceparent: other } })
      assert.equal(JSON.parse((r.content as { text: string }[])[0].text).traceparent, other)
    } finally {
      await client.close()
    }
    const bad = await mcp('/projects/demo/servers/remote/mcp', { traceparent: '00-zz-bad' })
    try {
      await bad.callTool({ name: 'echo', arguments: { message: 'untraced' } })
    } finally {
      await bad.close()
    }
    const seen = remote.requests.find((r) => r.body?.includes('untraced'))
    assert.equal(seen?.headers.traceparent, undefined)
  })
})

describe('cancelled tool calls', () => {
  it('records a call the client cancelled as cancelled', async () => {
    const client = await mcp('/projects/demo/servers/fixture/mcp')
    let row: { status: string; errorMessage: string } | undefined
    try {
      const abort = new AbortController()
      const pending = client.callTool({ name: 'hang', arguments: {} }, undefined, { signal: abort.signal })
      await new Promise((r) => setTimeout(r, 300))
      abort.abort('user pressed stop')
      await assert.rejects(pending)
      // The SDK sends notifications/cancelled in the background: keep the client open until it was recorded.
      for (let i = 0; i < 40 && !row; i++) {
        await new Promise((r) => setTimeout(r, 50))
        await auditPlugin.flush()
        row = (await call('GET', '/api/projects/demo/activity?kind=tools&tool=hang')).body.items[0]
      }
    } finally {
      await client.close()
    }
    assert.equal(row?.status, 'cancelled')
    assert.match(row?.errorMessage ?? '', /user pressed stop/)
  })
})

describe('export', () => {
  const N_CALLS = 3000
  const N_EVENTS = 2000
  before(async () => {
    const at = Date.now() - 60_000
    await gw.gateway.store.toolCalls.append(
      Array.from({ length: N_CALLS }, (_, i) => ({
        projectId: 'other',
        serverName: 'fixture',
        toolName: i % 2 ? 'echo' : 'fail',
        status: i % 2 ? ('ok' as const) : ('error' as const),
        errorMessage: i % 2 ? null : '=HYPERLINK("x"), "quoted"\nnext line',
        durationMs: i % 97,
        createdAt: new Date(at + i),
      })),
    )
    await gw.gateway.store.audit.append(
      Array.from({ length: N_EVENTS }, (_, i) => ({
        projectId: 'other',
        actorType: 'system',
        action: `bulk.${i % 5}`,
        after: { i },
        createdAt: new Date(at + i),
      })),
    )
  })

  async function download(path: string) {
    const res = await fetch(gw.url + path, { headers: { authorization: `Bearer ${admin}` } })
    assert.equal(res.status, 200)
    let chunks = 0
    let text = ''
    const decoder = new TextDecoder()
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      chunks++
      text += decoder.decode(chunk, { stream: true })
    }
    return { res, chunks, text }
  }

  it('streams tool calls as NDJSON and CSV, one row per call, newest first', async () => {
    const nd = await download('/api/projects/other/activity/export?kind=tools&format=ndjson')
    assert.equal(nd.res.headers.get('content-type'), 'application/x-ndjson')
    assert.equal(nd.res.headers.get('content-length'), null, 'streamed, not sized up front')
    const rows = nd.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
    assert.equal(rows.length, N_CALLS)
    assert.ok(nd.chunks > 1, `arrived in ${nd.chunks} chunks`)
    assert.ok(rows[0].id > rows[1].id)

    const csv = await download('/api/projects/other/activity/export?kind=tools&format=csv&status=error')
    assert.match(csv.res.headers.get('content-disposition') ?? '', /attachment; filename="other-tools-.*\.csv"/)
    const [header, first] = csv.text.split('\r\n')
    assert.equal(header.split(',')[0], 'id')
    assert.ok(header.includes('errorMessage'))
    // The formula is defused and the field quoted (RFC 4180: quotes doubled, the newline kept inside quotes).
    assert.ok(first.includes(`"'=HYPERLINK(""x""), ""quoted""`), first)
    const records = csv.text.split('\r\n').filter(Boolean).length
    assert.equal(records, 1 + N_CALLS / 2)
  })

  it('streams the audit trail with its hashes, and audits the export itself', async () => {
    const nd = await download('/api/projects/other/activity/export?kind=audit')
    const rows = nd.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
    assert.ok(rows.length >= N_EVENTS)
    assert.ok('hash' in rows[0] && 'prevHash' in rows[0])
    const csv = await download('/api/projects/other/activity/export?kind=audit&format=csv&action=bulk.1')
    assert.equal(csv.text.split('\r\n').filter(Boolean).length, 1 + N_EVENTS / 5)
    await auditPlugin.flush()
    const exports = await gw.gateway.store.audit.list({ projectId: 'other', action: 'activity.export' })
    assert.ok(exports.length >= 4)
    assert.equal((await call('GET', '/api/projects/other/activity/export?format=xml')).status, 400)
  })
})

describe('retention and argument capture', () => {
  it('captures redacted arguments only for projects that opt in', async () => {
    const bad = await call('PUT', '/api/projects/demo/settings/observability', { retentionDays: -1 })
    assert.equal(bad.status, 400)
    const set = await call('PUT', '/api/projects/demo/settings/observability', {
      retentionDays: 1,
      captureArguments: true,
      redactKeys: ['customer*'],
    })
    assert.equal(set.status, 200, set.text)
    const client = await mcp('/projects/demo/servers/fixture/mcp')
    try {
      await client.callTool({
        name: 'echo',
        arguments: { message: 'kept', customerEmail: 'a@b.c', nested: { password: 'p4ss', note: 'n' } },
      })
    } finally {
      await client.close()
    }
    const otherClient = new Client({ name: 'obs-test', version: '1.0.0' })
    await otherClient.connect(
      new StreamableHTTPClientTransport(new URL(`${gw.url}/projects/other/servers/fixture/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${OTHER_PROJECT_KEY}` } },
      }),
    )
    try {
      await otherClient.callTool({ name: 'echo', arguments: { message: 'not kept' } })
    } finally {
      await otherClient.close()
    }
    await auditPlugin.flush()
    const [mine] = (await call('GET', '/api/projects/demo/activity?kind=tools&tool=echo')).body.items
    assert.deepEqual(mine.arguments, {
      message: 'kept',
      customerEmail: '[redacted]',
      nested: { password: '[redacted]', note: 'n' },
    })
    const [theirs] = (await call('GET', '/api/projects/other/activity?kind=tools&tool=echo&text=obs-test')).body.items
    assert.equal(theirs.arguments, null)
  })

  it("purges each project by its own retention, the others by the plugin's", async () => {
    const old = new Date(Date.now() - 3 * 86_400_000)
    const row = (projectId: string) => ({
      projectId,
      serverName: 'fixture',
      toolName: 'old',
      status: 'ok' as const,
      createdAt: old,
    })
    await gw.gateway.store.toolCalls.append([row('demo'), row('other')])
    await gw.gateway.store.audit.append([
      { projectId: 'demo', actorType: 'system', action: 'old.event', createdAt: old },
      { projectId: 'other', actorType: 'system', action: 'old.event', createdAt: old },
    ])
    const purged = await auditPlugin.purge()
    assert.deepEqual(purged, { auditEvents: 1, toolCalls: 1 })
    assert.equal((await gw.gateway.store.toolCalls.list({ projectId: 'demo', toolName: 'old' })).length, 0)
    assert.equal((await gw.gateway.store.toolCalls.list({ projectId: 'other', toolName: 'old' })).length, 1)
    assert.equal((await gw.gateway.store.audit.list({ projectId: 'other', action: 'old.event' })).length, 1)
  })
})

describe('key first use', () => {
  it("audits a key's first use once, with the request's id, IP and user agent", async () => {
    const created = await call('POST', '/api/projects/demo/api-keys', { name: 'fresh' })
    assert.equal(created.status, 201, created.text)
    await new Promise((r) => setTimeout(r, 700)) // the key cache reloads every 500 ms
    for (const id of ['first-use-0001', 'second-use-0002']) {
      const res = await postMcp(
        `${gw.url}/projects/demo/servers/fixture/mcp`,
        { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18' } },
        { ...bearer(created.body.key), 'user-agent': 'first-use-test/1.0', 'x-request-id': id },
      )
      assert.equal(res.status, 200)
      await res.text()
    }
    await auditPlugin.flush()
    const events = await gw.gateway.store.audit.list({ projectId: 'demo', action: 'key.first_used' })
    const mine = events.filter((e) => e.targetId === created.body.id)
    assert.equal(mine.length, 1)
    assert.equal(mine[0].requestId, 'first-use-0001')
    assert.equal(mine[0].userAgent, 'first-use-test/1.0')
    assert.equal(mine[0].ip, '127.0.0.1')
  })
})

describe('readiness and boot', () => {
  it('/readyz reflects plugin health as well as storage', async () => {
    assert.equal((await fetch(`${gw.url}/readyz`)).status, 200)
    healthy = false
    await new Promise((r) => setTimeout(r, 1100))
    const down = await fetch(`${gw.url}/readyz`)
    assert.equal(down.status, 503)
    assert.match((await down.json()).reason, /plugin test:probe: backend down/)
    healthy = true
    await new Promise((r) => setTimeout(r, 1100))
    assert.equal((await fetch(`${gw.url}/readyz`)).status, 200)
    assert.deepEqual(auditPlugin.health?.(), { ok: true })
  })

  it('audits the config file applied at boot', async () => {
    await auditPlugin.flush()
    const [e] = await gw.gateway.store.audit.list({ action: 'config.applied' })
    assert.equal(e.actorId, 'config-file:boot')
    const changes = (e.after as { changes: { kind: string; id: string }[] }).changes
    assert.ok(changes.some((c) => c.kind === 'project' && c.id === 'demo'))
  })
})
