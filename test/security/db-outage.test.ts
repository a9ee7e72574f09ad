// The database stopped mid-run (issue 11 point 2), on the PostgreSQL adapter: a TCP proxy between the gateway and
// PostgreSQL is cut and restored (the machine's PostgreSQL itself is never touched). During the outage the data
// plane keeps serving known keys from its caches, the control plane and /readyz answer 503, and both recover.
// PostgreSQL through requirePostgres: unreachable, skipped, but a failure under CI=true.
import assert from 'node:assert/strict'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import type { StorageFactory } from '../../plugins/storage/index.ts'
import { openPostgresStore } from '../../plugins/storage/postgres.ts'
import { assertNoLeftovers, fixtureServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { bearer, StreamableClient, textOf } from '../kit/mcp-wire.ts'
import { requirePostgres } from '../kit/postgres.ts'

/** A TCP proxy that can refuse and drop every connection, as a database crash or a network partition would. */
class CuttableProxy {
  private server: Server
  private readonly sockets = new Set<Socket>()
  private cut = false
  port = 0

  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => {
      if (this.cut) return void client.destroy()
      const upstream = connect(this.target.port, this.target.host)
      for (const s of [client, upstream]) {
        this.sockets.add(s)
        s.on('error', () => {})
        s.on('close', () => {
          this.sockets.delete(s)
          client.destroy()
          upstream.destroy()
        })
      }
      client.pipe(upstream)
      upstream.pipe(client)
    })
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.port = (this.server.address() as { port: number }).port
  }

  stop(): void {
    this.cut = true
    for (const s of this.sockets) s.destroy()
  }

  restore(): void {
    this.cut = false
  }

  async close(): Promise<void> {
    this.stop()
    await new Promise((r) => this.server.close(r))
  }
}

const pg = await requirePostgres('database outage (PostgreSQL behind a cuttable proxy)')
// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
type Json = any
let proxy: CuttableProxy
let gw: TestGateway
let adminToken = ''

if (pg)
  describe('database outage (PostgreSQL behind a cuttable proxy)', () => {
    const url = new URL(pg.url)
    const schema = pg.schema('mcpo_outage')
    before(async () => {
      proxy = new CuttableProxy({ host: url.hostname, port: Number(url.port || 5432) })
      await proxy.start()
      const proxied = new URL(url.href)
      proxied.hostname = '127.0.0.1'
      proxied.port = String(proxy.port)
      const storage: StorageFactory = {
        kind: 'postgres',
        options: { url: proxied.href },
        open: (ctx) => openPostgresStore({ url: proxied.href, schema, max: 4, connectTimeoutS: 2, logger: ctx.logger }),
      }
      gw = await startTestGateway({
        storage,
        projects: [{ id: 'demo', name: 'Demo', servers: [fixtureServer()], apiKeys: [{ name: 'k', key: TEST_KEY }] }],
      })
      const setup = await fetch(`${gw.url}/api/auth/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          token: gw.gateway.setupToken,
          email: 'a@example.com',
          password: 'outage outage outage',
        }),
      })
      assert.equal(setup.status, 200)
      adminToken = ((await setup.json()) as { token: string }).token
    })
    after(async () => {
      proxy?.restore()
      await gw?.close()
      await proxy?.close()
      await assertNoLeftovers()
    })

    const api = async (path: string) => {
      const res = await fetch(gw.url + path, {
        headers: { authorization: `Bearer ${adminToken}` },
        // A request caught by the reconnect can wait on a dead pool connection: the poll below bounds each try.
        signal: AbortSignal.timeout(5000),
      }).catch((err: Error) => new Response(JSON.stringify({ error: { code: err.name } }), { status: 599 }))
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Json }
    }
    const ready = async () => (await fetch(`${gw.url}/readyz`)).status

    it('keeps the data plane up from its caches, answers 503 on the control plane, and recovers', async () => {
      const before = new StreamableClient(`${gw.url}/projects/demo/servers/fixture/mcp`, bearer(TEST_KEY))
      const init = await before.initialize()
      assert.ok(before.sessionId, init.text)
      assert.equal((await api('/api/projects')).status, 200)
      proxy.stop()
      // The control plane fails fast with a clear 503 and Retry-After, not a hang or a 500.
      const t = performance.now()
      let outage = await api('/api/projects')
      for (let i = 0; i < 50 && outage.status !== 503; i++) {
        await new Promise((r) => setTimeout(r, 200))
        outage = await api('/api/projects')
      }
      assert.equal(outage.status, 503, JSON.stringify(outage.body))
      assert.match(outage.body.error.code, /^MCPO_ERR_STORAGE_/)
      assert.ok(outage.retryAfter, JSON.stringify(outage))
      assert.ok(performance.now() - t < 15_000)
      let readiness = await ready()
      for (let i = 0; i < 30 && readiness !== 503; i++) {
        await new Promise((r) => setTimeout(r, 200))
        readiness = await ready()
      }
      assert.equal(readiness, 503, '/readyz reports the outage')
      // Data plane: the open session, and a new one with the known key, both work while the database is gone.
      const echo = await before.call(1, 'echo', { message: 'during the outage' })
      assert.equal(textOf(echo.final?.result), 'Echo: during the outage')
      const fresh = new StreamableClient(`${gw.url}/projects/demo/servers/fixture/mcp`, bearer(TEST_KEY))
      await fresh.initialize()
      assert.ok(fresh.sessionId, 'a new session opens with a cached key')
      assert.equal(textOf((await fresh.call(2, 'echo', { message: 'new' })).final?.result), 'Echo: new')
      // Past the API-key cache's refresh period the key still works: a failed refresh keeps the cached keys.
      await new Promise((r) => setTimeout(r, 1500))
      assert.equal(textOf((await fresh.call(3, 'echo', { message: 'later' })).final?.result), 'Echo: later')
      proxy.restore()
      const t0 = Date.now()
      let back = await api('/api/projects/demo')
      while (back.status !== 200 && Date.now() - t0 < 30_000) {
        await new Promise((r) => setTimeout(r, 200))
        back = await api('/api/projects/demo')
      }
      assert.equal(back.status, 200, `the control plane recovers on its own (${JSON.stringify(back.body)})`)
      assert.equal(back.body.id, 'demo')
      assert.ok(await waitForAsync(async () => (await ready()) === 200, 10_000), '/readyz recovers')
      assert.equal(textOf((await before.call(4, 'echo', { message: 'after' })).final?.result), 'Echo: after')
      await Promise.all([before.close(), fresh.close()])
    })
  })

async function waitForAsync(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 200))
  }
  return false
}
