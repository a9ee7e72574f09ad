// A cluster's first start (issue 17 point 2): three nodes started at the same moment on an empty PostgreSQL schema.
// With MCPO_ADMIN_EMAIL and MCPO_ADMIN_PASSWORD all three come up and exactly one admin exists. Without them every
// node prints a set-up link; whichever node printed it, the link works through a round-robin balancer (so on a
// node that did not print it) exactly once, and then no link works. Each case has its own schema, dropped after.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { requirePostgres, type TestPostgres } from '../kit/postgres.ts'
import { type RoundRobinProxy, startProxy } from './round-robin-proxy.ts'
import { ensureStopped, type GatewayProcess, prepareDir, spawnGateway } from './spawn.ts'

const root = join(import.meta.dirname, '../..')
const ADMIN = { email: 'first@cluster-start.test', password: 'first-admin-password' }
const SECRET = randomBytes(32).toString('hex')

const nodes: GatewayProcess[] = []
const dirs: string[] = []
const proxies: RoundRobinProxy[] = []

after(async () => {
  await Promise.all(nodes.map((n) => ensureStopped(n)))
  await Promise.all(proxies.map((p) => p.close()))
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
// After the cleanup above, so that its hook (dropping the schemas) runs once the nodes are stopped.
const pg = await requirePostgres('three nodes started together on an empty database')
const db = (): TestPostgres => {
  if (!pg) throw new Error('PostgreSQL is unreachable')
  return pg
}

/** Three nodes on a schema nobody created yet, all spawned before any is awaited; answers their URLs and output. */
async function startTogether(env: Record<string, string>) {
  const schema = db().schema('mcpo_start')
  const started = await Promise.all(
    ['s1', 's2', 's3'].map(async (id) => {
      const dir =
        await prepareDir(`import { postgresStorage, sessions } from ${JSON.stringify(join(root, 'config/index.ts'))}
export default defineConfig({
  listen: { host: '127.0.0.1' },
  logLevel: 'info',
  storage: postgresStorage({ url: ${JSON.stringify(db().url)}, schema: ${JSON.stringify(schema)} }),
  plugins: [sessions(), apiKeys()],
  cluster: { nodeId: ${JSON.stringify(id)}, heartbeatMs: 500, deadAfterMs: 3000 },
  limits: { shutdownGraceMs: 500 },
})`)
      dirs.push(dir)
      return dir
    }),
  )
  // The directories are ready first, so the three processes really start at once.
  const procs = started.map((dir) => spawnGateway(dir, { MCPO_SECRET_KEY: SECRET, ...env }))
  nodes.push(...procs)
  const urls = await Promise.all(procs.map((p) => p.ready))
  const proxy = await startProxy(urls)
  proxies.push(proxy)
  return { schema, procs, urls, proxy }
}

async function json(url: string, init?: { method?: string; body?: unknown; token?: string }) {
  const r = await fetch(url, {
    method: init?.method ?? 'GET',
    headers: {
      ...(init?.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init?.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
  })
  return { status: r.status, body: (await r.json()) as Record<string, unknown> }
}

/** Which backend answered the proxy's next request. */
async function answeredBy(proxy: RoundRobinProxy, send: () => Promise<unknown>): Promise<string> {
  const before = new Map(proxy.served)
  await send()
  const hit = proxy.backends.filter((b) => (proxy.served.get(b) ?? 0) !== (before.get(b) ?? 0))
  assert.equal(hit.length, 1)
  return hit[0]
}

async function admins(schema: string): Promise<string[]> {
  const { sql } = db()
  const rows = await sql`SELECT email FROM ${sql(schema)}.users WHERE is_admin ORDER BY email`
  return rows.map((r) => String(r.email))
}

if (pg)
  describe('three nodes started together on an empty database', () => {
    it('with MCPO_ADMIN_EMAIL: all three come up, exactly one admin exists, and it signs in on every node', async () => {
      const t0 = Date.now()
      const { schema, procs, proxy } = await startTogether({
        MCPO_ADMIN_EMAIL: ADMIN.email,
        MCPO_ADMIN_PASSWORD: ADMIN.password,
      })
      const booted = Date.now() - t0
      assert.deepEqual(await admins(schema), [ADMIN.email])
      const created = procs.filter((p) => p.stdout().includes('created the admin account from MCPO_ADMIN_EMAIL'))
      assert.equal(created.length, 1, 'one node created the admin; the others found it')
      for (const p of procs) assert.doesNotMatch(p.stdout(), /First-run set-up/)
      for (let i = 0; i < 3; i++) {
        const login = await json(`${proxy.url}/api/auth/login`, { method: 'POST', body: ADMIN })
        assert.equal(login.status, 200)
        assert.equal((await json(`${proxy.url}/api/auth/setup`)).body.needed, false)
      }
      for (const u of proxy.backends) assert.equal(proxy.served.get(u), 2, `${u} answered its share`)
      process.stdout.write(`# with the variables: three nodes listening ${booted} ms after a joint start\n`)
    })

    it('without it: the link any node printed works once, through the balancer, on a node that did not print it', async () => {
      const t0 = Date.now()
      const { schema, procs, urls, proxy } = await startTogether({})
      const booted = Date.now() - t0
      const tokens = await Promise.all(
        procs.map(async (p) => {
          // Printed just after the "listening" line that `ready` waits for.
          const until = Date.now() + 5000
          let m: RegExpExecArray | null = null
          while (!(m = /First-run set-up: open (http:\/\/\S+)\/admin\/setup#token=(\S+) /.exec(p.stdout())))
            if (Date.now() > until) assert.fail(`no set-up link in the output of ${p.url}:\n${p.stdout()}`)
            else await new Promise((r) => setTimeout(r, 50))
          assert.equal(m[1], p.url)
          return m[2]
        }),
      )
      assert.equal(new Set(tokens).size, 3)
      // Every node says set-up is open, whichever printed the link.
      for (let i = 0; i < 3; i++) assert.equal((await json(`${proxy.url}/api/auth/setup`)).body.needed, true)
      assert.deepEqual(await admins(schema), [])

      // The third node's link; round robin sends the next request to the first node.
      const setup = { token: tokens[2], email: ADMIN.email, name: 'First', password: ADMIN.password }
      let first = { status: 0, body: {} as Record<string, unknown> }
      const by = await answeredBy(proxy, async () => {
        first = await json(`${proxy.url}/api/auth/setup`, { method: 'POST', body: setup })
      })
      assert.notEqual(by, urls[2], 'answered by a node that did not print the link')
      assert.equal(first.status, 200, JSON.stringify(first.body))
      assert.equal((first.body.user as { isAdmin: boolean }).isAdmin, true)

      // Once: the same link again (now on another node), and any other node's link, are refused.
      for (const token of [tokens[2], tokens[0], tokens[1], tokens[2]]) {
        const again = await json(`${proxy.url}/api/auth/setup`, {
          method: 'POST',
          body: { ...setup, token, email: `second-${token.slice(0, 6).toLowerCase()}@cluster-start.test` },
        })
        assert.equal(again.status, 403, JSON.stringify(again.body))
      }
      for (let i = 0; i < 3; i++) assert.equal((await json(`${proxy.url}/api/auth/setup`)).body.needed, false)
      assert.deepEqual(await admins(schema), [ADMIN.email])
      const login = await json(`${proxy.url}/api/auth/login`, { method: 'POST', body: ADMIN })
      assert.equal(login.status, 200)
      const { sql } = db()
      const stored = await sql`SELECT count(*)::int AS n FROM ${sql(schema)}.setup_tokens`
      assert.equal(stored[0].n, 0, 'no token is left')
      process.stdout.write(`# without the variables: three nodes listening ${booted} ms after a joint start\n`)
    })
  })
