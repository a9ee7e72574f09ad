// The Docker image, without Docker (issue 17 point 1): the Dockerfile is replayed into a temp dir (image-tree.ts) —
// the deps stage's `npm ci --omit=dev`, the final stage's COPYs and its UI build — and the tree, owned by root, runs
// its CMD as an unprivileged user. One gateway boots from it with an admin from the environment; then deploy/
// compose.yaml's three nodes, with the environment it gives each, start together on one PostgreSQL (a schema of
// their own) behind the round-robin proxy standing in for nginx. Neither run may write a byte into the app tree.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { parse } from 'yaml'
import { freePort } from '../kit/ports.ts'
import { requirePostgres } from '../kit/postgres.ts'
import { assembleImage, type ImageProcess, type ImageTree, runAsImageUser, snapshot, writableBy } from './image-tree.ts'
import { type RoundRobinProxy, startProxy } from './round-robin-proxy.ts'

const repo = join(import.meta.dirname, '../..')
const ADMIN = { email: 'ops@image.test', password: 'image-admin-password' }
// Tests run as root in CI: the image's `node` user becomes nobody, who owns nothing here. Otherwise this process
// runs the gateway itself and the tree loses its write bits instead (an owner could restore them; the gateway won't).
const asRoot = process.getuid?.() === 0
const USER_IDS = asRoot ? { uid: 65534, gid: 65534 } : null

const work = mkdtempSync(join(tmpdir(), 'mcpo-image-'))
chmodSync(work, 0o755)
const processes: ImageProcess[] = []
let tree: ImageTree
let appTree: Map<string, string>
let proxy: RoundRobinProxy | undefined

function start(argv: string[], env: Record<string, string>): ImageProcess {
  const p = runAsImageUser(tree, argv, env)
  processes.push(p)
  return p
}

async function status(url: string, init?: RequestInit): Promise<number> {
  const r = await fetch(url, init)
  await r.arrayBuffer()
  return r.status
}

async function signIn(base: string): Promise<void> {
  const r = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  })
  assert.equal(r.status, 200, `sign-in at ${base}: ${await r.clone().text()}`)
  const { token, user } = (await r.json()) as { token: string; user: { isAdmin: boolean; email: string } }
  assert.deepEqual([user.email, user.isAdmin], [ADMIN.email, true])
  const me = await fetch(`${base}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })
  assert.equal(me.status, 200)
}

/** The app tree is exactly as assembled: no file added, removed or touched. */
function assertUntouched(): void {
  const now = snapshot(join(tree.root, 'app'))
  const changed = [...new Set([...now.keys(), ...appTree.keys()])].filter((k) => now.get(k) !== appTree.get(k))
  assert.deepEqual(changed, [], 'the runtime wrote into the app tree')
}

/** `${VAR}`, `${VAR:-default}` and `${VAR:?message}`, as compose interpolates them. */
function interpolate(value: string, shell: Record<string, string | undefined>): string {
  return value.replace(/\$\{(\w+)(?:(:?[-?])([^}]*))?\}/g, (_, name: string, op: string | undefined, arg: string) => {
    const v = shell[name]
    if (op?.endsWith('?') && !v) throw new Error(`compose: ${name} is required: ${arg}`)
    return v || (op?.endsWith('-') ? arg : '')
  })
}

before(async () => {
  const started = Date.now()
  tree = assembleImage({
    dockerfile: join(repo, 'Dockerfile'),
    context: repo,
    into: work,
    user: { name: 'node', ids: USER_IDS },
  })
  // What node:20-slim itself provides: the node user's home.
  mkdirSync(tree.path('/home/node'), { recursive: true })
  if (USER_IDS) chownSync(tree.path('/home/node'), USER_IDS.uid, USER_IDS.gid)
  else execFileSync('chmod', ['-R', 'a-w', tree.path('/app')])
  appTree = snapshot(join(tree.root, 'app'))
  process.stdout.write(
    `# image assembled in ${Date.now() - started} ms (${JSON.stringify(tree.stageMs)}): ${tree.log.join('; ')}\n`,
  )
})

after(async () => {
  for (const p of processes) p.kill()
  await Promise.all(processes.map((p) => p.exited))
  await proxy?.close()
  if (!asRoot) execFileSync('chmod', ['-R', 'u+w', work])
  rmSync(work, { recursive: true, force: true })
})
// After the cleanup above, so that its hook (dropping the schema) runs once the nodes are stopped.
const pg = await requirePostgres('deploy/compose.yaml: three nodes from the image, started together')

describe('the Docker image (Dockerfile replayed)', () => {
  it('holds the UI bundle built at image build time, in an app tree its user cannot write', (t) => {
    // The base image's Node is stood in for by this one: say so when their majors differ.
    const major = /^node:(\d+)/.exec(tree.image)?.[1]
    if (major !== process.versions.node.split('.')[0])
      t.diagnostic(`the image is ${tree.image}, this test runs Node ${process.versions.node}`)
    const manifest = JSON.parse(readFileSync(tree.path('/app/admin-ui/dist/manifest.json'), 'utf8'))
    assert.ok(existsSync(tree.path(`/app/admin-ui/dist/assets/${manifest.entry.script}`)))
    assert.equal(existsSync(tree.path('/app/test')), false, '.dockerignore keeps the tests out')
    assert.equal(existsSync(tree.path('/app/node_modules/typescript')), false, 'production dependencies only')
    assert.ok(existsSync(tree.path('/app/node_modules/tsx')), 'tsx runs the sources')
    assert.equal(tree.env.MCPO_DATA_DIR, '/data')
    if (USER_IDS) {
      assert.deepEqual(writableBy(tree.path('/app'), USER_IDS), [], 'nothing under /app is writable by the image user')
      assert.deepEqual(
        writableBy(tree.path('/data'), USER_IDS).map((p) => p.slice(tree.root.length)),
        ['/data'],
        'the data dir is',
      )
    }
  })

  it('boots as its user with an admin from the environment: /healthz, /readyz, /admin, sign-in, health check, drain', async () => {
    const t0 = Date.now()
    const port = await freePort()
    const env = { PORT: String(port), MCPO_ADMIN_EMAIL: ADMIN.email, MCPO_ADMIN_PASSWORD: ADMIN.password }
    const gw = start(tree.cmd, env)
    const url = await gw.ready
    assert.equal(url, `http://127.0.0.1:${port}`)
    const booted = Date.now() - t0
    assert.equal(await status(`${url}/healthz`), 200)
    assert.equal(await status(`${url}/readyz`), 200)
    const admin = await fetch(`${url}/admin`)
    assert.equal(admin.status, 200, gw.output())
    assert.match(await admin.text(), /<mcpo-app>/)
    assert.equal(await status(`${url}/admin/setup`), 200)
    await signIn(url)
    assert.doesNotMatch(gw.output(), /First-run set-up|built the admin UI|read-only: serving it as built/)
    // The image's HEALTHCHECK command, run as Docker would: inside the container, with its environment.
    assert.ok(tree.healthcheck, 'the image has a HEALTHCHECK')
    const probe = start(tree.healthcheck!, env)
    assert.deepEqual(await probe.exited, { code: 0, signal: null }, probe.output())
    // `docker stop` sends the STOPSIGNAL: the gateway drains and exits 0.
    gw.child.kill(tree.stopSignal)
    assert.deepEqual(await gw.exited, { code: 0, signal: null }, gw.output())
    // The embedded database and key file went to /data, owned by the image user; nothing went into /app.
    const data = readdirSync(tree.path('/data'), { recursive: true }) as string[]
    assert.ok(data.length > 0, 'the data dir holds the embedded database')
    if (USER_IDS) for (const f of data) assert.equal(lstatSync(join(tree.path('/data'), f)).uid, USER_IDS.uid, f)
    assertUntouched()
    process.stdout.write(`# single node: listening ${booted} ms after start, checks done at ${Date.now() - t0} ms\n`)
  })

  it('never writes the app tree: without its bundle, the UI fails with the build step to run, and /app refuses writes', async () => {
    const script = `
      import { writeFileSync } from 'node:fs'
      import { ensureAdminUi } from './admin-ui/build.ts'
      try { writeFileSync('admin-ui/dist/probe', 'x'); console.log('wrote') } catch (err) { console.log(err.code) }
      try { await ensureAdminUi({ dist: 'admin-ui/dist-missing' }); console.log('built') } catch (err) { console.log(err.message) }`
    const p = start(['node', '--import', 'tsx', '--input-type=module', '-e', script], {})
    assert.deepEqual(await p.exited, { code: 0, signal: null }, p.output())
    assert.match(p.output(), /^EACCES$/m)
    assert.match(p.output(), /dist-missing holds no admin UI bundle .*read-only app tree.*npm run build:ui/)
    assertUntouched()
  })

  if (pg)
    describe('deploy/compose.yaml: three nodes from the image, started together', () => {
      it('come up healthy on one PostgreSQL behind round robin, with one admin from the environment', async () => {
        const { sql } = pg
        const schema = pg.schema('mcpo_image')
        const composePath = join(repo, 'deploy/compose.yaml')
        const compose = parse(readFileSync(composePath, 'utf8'), { merge: true }) as {
          services: Record<
            string,
            {
              build?: { context: string; dockerfile: string }
              environment?: Record<string, string>
              volumes?: string[]
            }
          >
        }
        const nodes = Object.entries(compose.services).filter(([, s]) => s.build)
        assert.deepEqual(
          nodes.map(([name]) => name),
          ['node1', 'node2', 'node3'],
        )
        const shell = {
          POSTGRES_PASSWORD: 'unused-the-test-database-trusts-127.0.0.1',
          MCPO_SECRET_KEY: randomBytes(32).toString('hex'),
          MCPO_ADMIN_EMAIL: ADMIN.email,
          MCPO_ADMIN_PASSWORD: ADMIN.password,
        }
        await sql`CREATE SCHEMA ${sql(schema)}`
        const database = new URL(pg.url)
        // The test database's role is this process's (postgres.js's default), not the gateway user's.
        database.username ||= userInfo().username
        database.searchParams.set('search_path', schema)
        const ports = await Promise.all(nodes.map(() => freePort()))
        const envs = nodes.map(([name, service], i) => {
          // Built from this Dockerfile, with its context the repository: the tree replayed above.
          const build = service.build!
          assert.equal(resolve(dirname(composePath), build.context, build.dockerfile), join(repo, 'Dockerfile'))
          // Volumes are bind mounts of files beside the compose file, read-only: copied in as root-owned files.
          for (const volume of service.volumes ?? []) {
            const [from, to, mode] = volume.split(':')
            assert.equal(mode, 'ro', `${name}: ${volume} is mounted read-only`)
            cpSync(resolve(dirname(composePath), from), tree.path(to))
          }
          const env = Object.fromEntries(
            Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), shell)]),
          )
          // Compose's network gives each node a host name and port 8080; here they share 127.0.0.1.
          assert.match(env.DATABASE_URL, /@postgres:5432\//)
          env.DATABASE_URL = database.href
          const internal = new URL(env.MCPO_CLUSTER_INTERNAL_URL)
          assert.equal(internal.hostname, name)
          env.MCPO_CLUSTER_INTERNAL_URL = `http://127.0.0.1:${ports[i]}`
          env.PORT = String(ports[i])
          return env
        })
        // The mounted config is part of each container's view of /app: the snapshot starts from it.
        appTree = snapshot(join(tree.root, 'app'))

        const t0 = Date.now()
        // As compose starts them once PostgreSQL is healthy: all at the same moment.
        const gws = envs.map((env) => start(tree.cmd, env))
        const urls = await Promise.all(gws.map((g) => g.ready))
        const booted = Date.now() - t0
        proxy = await startProxy(urls)
        for (const u of urls) {
          assert.equal(await status(`${u}/healthz`), 200)
          assert.equal(await status(`${u}/readyz`), 200)
        }
        for (let i = 0; i < 3; i++) {
          assert.equal(await status(`${proxy.url}/readyz`), 200)
          assert.equal(await status(`${proxy.url}/admin`), 200)
          await signIn(proxy.url)
        }
        for (const u of urls) assert.ok((proxy.served.get(u) ?? 0) > 0, `${u} served through the proxy`)
        const registered = await sql`SELECT id FROM ${sql(schema)}.nodes ORDER BY id`
        assert.deepEqual(
          registered.map((r) => r.id),
          ['node1', 'node2', 'node3'],
        )
        const admins = await sql`SELECT email FROM ${sql(schema)}.users WHERE is_admin`
        assert.deepEqual(
          admins.map((r) => r.email),
          [ADMIN.email],
        )
        for (const g of gws) assert.doesNotMatch(g.output(), /First-run set-up/)
        for (const g of gws) g.child.kill(tree.stopSignal)
        for (const g of gws) assert.deepEqual(await g.exited, { code: 0, signal: null }, g.output())
        assertUntouched()
        process.stdout.write(
          `# three nodes: all listening ${booted} ms after a joint start, done at ${Date.now() - t0} ms\n`,
        )
      })
    })
})
