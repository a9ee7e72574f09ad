// Audit and activity through a running gateway: batched, hash-chained audit events, tamper detection by
// `mcpo audit verify`, tool-call outcomes in the activity API, and planted secrets kept out of logs and the trail.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { PGlite } from '@electric-sql/pglite'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { createLogger } from '../../gateway/logger.ts'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { AUDIT_PLUGIN, type AuditPlugin, audit } from '../../plugins/audit/index.ts'
import type { McpoPlugin } from '../../plugins/contract.ts'
import { metrics } from '../../plugins/metrics/index.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { openEmbeddedStore } from '../../plugins/storage/embedded.ts'
import { everythingServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { setUpAdmin } from '../kit/first-admin.ts'
import { rest } from '../kit/rest.ts'

const run = promisify(execFile)
const root = join(import.meta.dirname, '../..')
const SECRET = 'sk-planted-Zq8vX3tLw9NrY2'
const lines: string[] = []
const sinkStream = new Writable({
  write(chunk, _enc, cb) {
    lines.push(...String(chunk).split('\n').filter(Boolean))
    cb()
  },
})
const deny: McpoPlugin = {
  name: 'test:deny',
  authorize: (_ex, t) => (t.toolName === 'forbidden' ? { allow: false, reason: 'test policy' } : { allow: true }),
}

let gw: TestGateway
let admin: string
let auditPlugin: AuditPlugin

const call = (method: string, path: string, body?: unknown, token = admin) =>
  rest(gw.url, method, path, { token, body })

before(async () => {
  gw = await startTestGateway(
    {
      plugins: [sessions(), apiKeys(), toolPolicies(), deny, audit({ batchMs: 50, batchSize: 3 }), metrics()],
      projects: [
        {
          id: 'demo',
          name: 'Demo',
          servers: [
            { ...everythingServer(), env: { PLANTED_TOKEN: SECRET } },
            {
              name: 'remote',
              transport: 'streamable-http',
              url: 'http://127.0.0.1:9/mcp',
              headers: { 'x-api-key': SECRET },
            },
          ],
          apiKeys: [{ name: 'test', key: TEST_KEY }],
        },
      ],
    },
    { logger: createLogger('debug', sinkStream) },
  )
  auditPlugin = gw.gateway.plugins.plugins.find((p) => p.name === AUDIT_PLUGIN) as AuditPlugin
  admin = (await setUpAdmin(gw, 'correct horse battery staple')).token
})
after(async () => {
  await gw?.close()
})

describe('audit plugin', () => {
  it('writes audit events in batches, hash-chained per project, with secrets redacted', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await call('POST', '/api/projects/demo/servers', {
        name: `s${i}`,
        transport: 'stdio',
        command: process.execPath,
        args: ['-e', '0'],
        env: { API_TOKEN: SECRET, PLAIN: SECRET },
        enabled: false,
      })
      assert.equal(res.status, 201, res.text)
    }
    const upd = await call('PUT', '/api/projects/demo/servers/s0', {
      transport: 'stdio',
      command: process.execPath,
      args: ['-e', '1'],
      env: { API_TOKEN: `${SECRET}-2` },
      enabled: false,
    })
    assert.equal(upd.status, 200, upd.text)
    await auditPlugin.flush()
    const rows = (await gw.gateway.store.audit.list({ projectId: 'demo' })).reverse()
    const mine = rows.filter((r) => r.action.startsWith('server.'))
    assert.ok(mine.length >= 5, `expected 5 server events, got ${rows.map((r) => r.action)}`)
    for (let i = 1; i < rows.length; i++) assert.equal(rows[i].prevHash, rows[i - 1].hash, `link ${rows[i].id}`)
    for (const r of rows) assert.match(r.hash ?? '', /^[0-9a-f]{64}$/)
    assert.ok(!JSON.stringify(await gw.gateway.store.audit.list({})).includes(SECRET), 'no secret in the audit table')
    assert.equal(auditPlugin.stats().dropped, 0)
  })

  it('records tool calls with status and duration in the activity API', async () => {
    const client = new Client({ name: 'audit-test', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gw.url}/projects/demo/servers/everything/mcp`), {
        requestInit: { headers: gw.auth },
      }),
    )
    try {
      const ok = await client.callTool({ name: 'echo', arguments: { message: 'hello' } })
      assert.deepEqual(ok.content, [{ type: 'text', text: 'Echo: hello' }])
      await assert.rejects(client.callTool({ name: 'forbidden', arguments: {} }))
      await client.callTool({ name: 'no-such-tool', arguments: {} }).catch(() => null)
    } finally {
      await client.close()
    }
    await auditPlugin.flush()
    const res = await call('GET', '/api/projects/demo/activity?kind=tools')
    assert.equal(res.status, 200, res.text)
    const byTool = new Map(res.body.items.map((c: { tool: string }) => [c.tool, c]))
    const echo = byTool.get('echo') as Record<string, unknown>
    assert.equal(echo.status, 'ok')
    assert.equal(echo.server, 'everything')
    assert.equal(typeof echo.durationMs, 'number')
    assert.equal(echo.argsSize, JSON.stringify({ message: 'hello' }).length)
    assert.equal(echo.clientName, 'audit-test')
    assert.equal((byTool.get('forbidden') as Record<string, unknown>).status, 'denied')
    assert.equal((byTool.get('no-such-tool') as Record<string, unknown>).status, 'error')
  })

  it('keeps planted secrets out of log lines and metrics', async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text()
    assert.ok(!text.includes(SECRET))
    // A call to the unreachable remote server logs its failure; the header value must not be in it.
    await call('POST', '/api/projects/demo/servers/remote/restart').catch(() => null)
    assert.ok(lines.length > 0, 'logs were captured')
    const leaking = lines.filter((l) => l.includes(SECRET))
    assert.deepEqual(leaking, [])
  })

  it('audit verify reports the first altered event and passes an intact chain', async () => {
    const { dataDir } = gw
    const ids = (await gw.gateway.store.audit.list({ projectId: 'demo' })).map((r) => r.id).sort((a, b) => a - b)
    await gw.gateway.close()
    const env = { PATH: process.env.PATH ?? '', MCPO_DATA_DIR: dataDir, MCPO_SECRET_KEY: 'a'.repeat(64) }
    const mcpo = (args: string[]) =>
      run(process.execPath, ['--import', import.meta.resolve('tsx'), join(root, 'bin/mcpo.ts'), ...args], {
        cwd: root,
        env,
      }).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
      )
    const ok = await mcpo(['audit', 'verify', '--project', 'demo'])
    assert.equal(ok.code, 0, ok.stdout)
    assert.match(ok.stdout, /audit chain OK/)

    // Retention purges the start of a chain: what remains still verifies, trusting the first prev_hash.
    const pg = new PGlite(dataDir)
    await pg.query('DELETE FROM audit_events WHERE id = $1', [ids[0]])
    const victim = ids[2]
    await pg.query(`UPDATE audit_events SET after = '{"name":"tampered"}'::jsonb WHERE id = $1`, [victim])
    await pg.close()
    const bad = await mcpo(['audit', 'verify'])
    assert.equal(bad.code, 1, bad.stdout)
    assert.match(bad.stdout, new RegExp(`BROKEN at event ${victim}\\b`))

    const store = await openEmbeddedStore({ dir: dataDir })
    try {
      const { verifyAuditChain } = await import('../../plugins/audit/chain.ts')
      const r = await verifyAuditChain(store, 'demo')
      assert.equal(r.broken?.id, victim)
    } finally {
      await store.close()
    }
  })
})
