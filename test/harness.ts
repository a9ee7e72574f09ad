// Starts a real gateway in this process for cross-module tests: temp data dir, port 0, a project key, silent logs.
import { createHash, randomBytes } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import postgres from 'postgres'
import type { UserConfig } from '../config/define-config.ts'
import { resolveConfig } from '../config/resolve.ts'
import { createGateway, type Gateway } from '../gateway/gateway.ts'
import { createLogger } from '../gateway/logger.ts'
import { apiKeys } from '../plugins/api-keys/index.ts'
import type { Logger } from '../plugins/contract.ts'
import { toolPolicies } from '../plugins/rbac/policies.ts'
import { sessions } from '../plugins/sessions/index.ts'
import { openEmbeddedStore } from '../plugins/storage/embedded.ts'
import type { StorageFactory } from '../plugins/storage/index.ts'
import { loadMigrations } from '../plugins/storage/migrate.ts'
import { openPostgresStore } from '../plugins/storage/postgres.ts'
import { listDescendants, waitFor } from './fixtures/processes.ts'
import { requirePostgres, TEST_DATABASE_URL } from './kit/postgres.ts'

const require = createRequire(import.meta.url)
const root = join(import.meta.dirname, '..')

export const TEST_KEY = 'mcp_proj_testkeyAAAAAAAAAAAAAAAAAAAAAAAAAAAA01'
export const OTHER_KEY = 'mcp_proj_testkeyBBBBBBBBBBBBBBBBBBBBBBBBBBBB02'
export const OTHER_PROJECT_KEY = 'mcp_proj_testkeyCCCCCCCCCCCCCCCCCCCCCCCCCCCC03'

/** server-everything over stdio, the reference upstream. */
export function everythingServer(name = 'everything') {
  return {
    name,
    transport: 'stdio' as const,
    command: process.execPath,
    args: [require.resolve('@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'],
  }
}

/** The test fixture (echo, slow, fail, crash, hang, …) over stdio. */
export function fixtureServer(name = 'fixture', extraArgs: string[] = []) {
  return {
    name,
    transport: 'stdio' as const,
    command: process.execPath,
    args: ['--import', 'tsx', join(root, 'test/fixtures/fixture-server.ts'), ...extraArgs],
    cwd: root,
  }
}

export interface TestGateway {
  gateway: Gateway
  url: string
  port: number
  dataDir: string
  /** Authorization header of the demo project's key. */
  auth: Record<string, string>
  close(): Promise<void>
}

/**
 * A migrated empty database, made once per machine and copied for each gateway: creating a PGlite cluster takes
 * seconds, copying one takes milliseconds.
 */
export async function templateDataDir(): Promise<string> {
  // Named by the migrations it holds: a template made before a new migration is never used after it.
  const migrations = (await loadMigrations()).map((m) => m.name).join(',')
  const version = createHash('sha256').update(migrations).digest('hex').slice(0, 12)
  const dir = join(tmpdir(), `mcpo-test-template-${process.getuid?.() ?? 0}`, version)
  if (existsSync(join(dir, 'ready'))) return dir
  mkdirSync(dirname(dir), { recursive: true })
  const building = mkdtempSync(join(dirname(dir), 'building-'))
  const store = await openEmbeddedStore({ dir: building })
  await store.migrate()
  await store.close()
  mkdirSync(join(building, 'ready'))
  try {
    renameSync(building, dir)
  } catch {
    // Another test file won the race; its template is as good as ours.
    rmSync(building, { recursive: true, force: true })
  }
  return dir
}

/**
 * PostgreSQL in a schema of its own, dropped by `drop()`: what the gateway uses when MCPO_TEST_STORAGE=postgres, so
 * one API test file runs unchanged on both adapters.
 */
export function postgresTestStorage(): { storage: StorageFactory; drop(): Promise<void> } {
  const schema = `mcpo_api_${randomBytes(6).toString('hex')}`
  return {
    storage: {
      kind: 'postgres',
      options: { url: TEST_DATABASE_URL },
      open: (ctx) => openPostgresStore({ url: TEST_DATABASE_URL, schema, max: 5, logger: ctx.logger }),
    },
    async drop() {
      const admin = postgres(TEST_DATABASE_URL, { max: 1, connect_timeout: 3, onnotice: () => {} })
      try {
        await admin`DROP SCHEMA IF EXISTS ${admin(schema)} CASCADE`
      } finally {
        await admin.end({ timeout: 5 })
      }
    },
  }
}

/**
 * Runs API test files against PostgreSQL (in a schema per gateway) by importing them with MCPO_TEST_STORAGE set.
 * Unreachable PostgreSQL: one skipped test, or one failing test under CI=true (requirePostgres).
 */
export async function onPostgres(files: string[]): Promise<void> {
  if (!(await requirePostgres('API tests on PostgreSQL'))) return
  process.env.MCPO_TEST_STORAGE = 'postgres'
  for (const f of files) await import(f)
}

/** `logger` replaces the silent one, e.g. to capture log lines. */
export async function startTestGateway(user: UserConfig = {}, opts: { logger?: Logger } = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mcpo-gw-'))
  cpSync(await templateDataDir(), dataDir, { recursive: true })
  const pg = process.env.MCPO_TEST_STORAGE === 'postgres' && !user.storage ? postgresTestStorage() : null
  const config = resolveConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      dataDir,
      logLevel: 'silent',
      ...(pg ? { storage: pg.storage } : {}),
      plugins: [sessions(), apiKeys(), toolPolicies()],
      ...user,
      limits: { shutdownGraceMs: 1000, ...(user.limits ?? {}) },
      projects: user.projects ?? [
        { id: 'demo', name: 'Demo', servers: [everythingServer()], apiKeys: [{ name: 'test', key: TEST_KEY }] },
      ],
    },
    { env: { MCPO_SECRET_KEY: 'a'.repeat(64) }, cwd: root },
  )
  const logger = opts.logger ?? createLogger((process.env.MCPO_TEST_LOG as 'debug') ?? 'silent')
  const gateway = await createGateway(config, { logger }).catch(async (err) => {
    await pg?.drop()
    throw err
  })
  const { port } = await gateway.listen()
  const url = `http://127.0.0.1:${port}`
  return {
    gateway,
    url,
    port,
    dataDir,
    auth: { Authorization: `Bearer ${TEST_KEY}` },
    async close() {
      try {
        await gateway.close()
      } finally {
        rmSync(dataDir, { recursive: true, force: true })
        await pg?.drop()
      }
    },
  }
}

/**
 * Resource hygiene: call in a test file's last `after` hook, once its gateways and fixtures are closed. Fails when a
 * child process of this test process (an upstream, a fixture, a spawned gateway, their children) is still alive after
 * `graceMs`, and names what is left so the leak can be found.
 * @example after(async () => { await gw.close(); await assertNoLeftovers() })
 */
export async function assertNoLeftovers(graceMs = 5000): Promise<void> {
  const cmdline = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
    } catch {
      return ''
    }
  }
  // tsx compiles through one esbuild service child that lives as long as the test process: not a leak.
  const leftovers = () => listDescendants(process.pid).filter((pid) => !/esbuild --service/.test(cmdline(pid)))
  if (await waitFor(() => leftovers().length === 0, graceMs, 50)) return
  const left = leftovers().map((pid) => `${pid} ${cmdline(pid).slice(0, 200)}`)
  throw new Error(`left behind: ${left.length} child process(es) ${JSON.stringify(left)}`)
}
