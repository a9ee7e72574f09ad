// The three things every scenario measures, started fresh by the benchmark on 127.0.0.1:
//   baseline  an MCP SDK server served directly over HTTP (benchmarks/baseline-server.ts), no gateway;
//   peer      mcp-proxy (punkpeye) in front of a stdio upstream;
//   mcpo      the gateway (gateway/main.ts) with the shipped mcpo.config.ts plugin set in front of the same stdio
//             upstream(s);
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Endpoint } from './mcp-client.ts'
import { freePort, hardNoFile, type Service, startService, waitHttp } from './proc.ts'

export const ROOT = join(import.meta.dirname, '..')
const require = createRequire(import.meta.url)

//   mcpo-norec  the same gateway and config without the tool-call record (audit) and metrics: what recording costs.
export type TargetKind = 'baseline' | 'peer' | 'mcpo' | 'mcpo-norec'
export const TARGETS: TargetKind[] = ['baseline', 'peer', 'mcpo']
/** The load scenarios (a, b, c, g) also run mcpo without recording, right after mcpo. */
export const LOAD_TARGETS: TargetKind[] = [...TARGETS, 'mcpo-norec']
export type UpstreamKind = 'fast' | 'everything'

export const MCPO_KEY = 'mcp_proj_benchAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA01'
const PEER_KEY = 'bench-peer-key-0123456789'
const SECRET = 'b'.repeat(64)
/** The admin account every benchmark gateway gets (as a deployment would); scenario f signs in with it. */
export const MCPO_ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password-0123' }

export interface Target {
  kind: TargetKind
  service: Service
  origin: string
  /** ms from spawn to the first 2xx health answer. */
  bootMs: number
  /** The endpoint of one server (mcpo: /projects/bench/servers/<name>/…). */
  endpoint(server?: string): Endpoint
  /** mcpo only: /projects/bench/sse and /projects/bench/mcp. */
  unified(): Endpoint
  healthPath: string
  readyPath: string | null
  stop(): Promise<void>
}

/** Temp files shared by one benchmark invocation: the fast upstream as .mjs and a migrated mcpo data dir. */
export class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'mcpo-bench-'))
  readonly fastUpstream = join(this.dir, 'fast-upstream.mjs')
  readonly everything = require.resolve('@modelcontextprotocol/server-everything/dist/index.js')
  private template: Promise<string> | null = null
  private seq = 0

  constructor() {
    copyFileSync(join(import.meta.dirname, 'fast-upstream.ts'), this.fastUpstream)
  }

  upstream(kind: UpstreamKind): { command: string; args: string[] } {
    return kind === 'fast'
      ? { command: process.execPath, args: [this.fastUpstream] }
      : { command: process.execPath, args: [this.everything, 'stdio'] }
  }

  newDir(prefix: string): string {
    const d = join(this.dir, `${prefix}-${++this.seq}`)
    mkdirSync(d, { recursive: true })
    return d
  }

  /** A data dir migrated once (first boot runs PGlite's initdb, 6–10 s) and copied for every later gateway. */
  mcpoTemplate(): Promise<string> {
    this.template ??= (async () => {
      const t = await startMcpo(this, { servers: [] }, join(this.dir, 'template-data'))
      await t.stop()
      return join(this.dir, 'template-data')
    })()
    return this.template
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }
}

function baseEnv(home: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: process.env.LANG ?? 'C.UTF-8' }
}

async function finish(
  kind: TargetKind,
  service: Service,
  origin: string,
  healthPath: string,
  readyPath: string | null,
  endpoint: (server?: string) => Endpoint,
  unified: () => Endpoint,
): Promise<Target> {
  try {
    // mcpo answers /healthz while it boots (503 elsewhere): readiness is what says it serves.
    const bootMs = await waitHttp(origin + (readyPath ?? healthPath), service, 120_000)
    return { kind, service, origin, bootMs, endpoint, unified, healthPath, readyPath, stop: () => service.stop() }
  } catch (err) {
    await service.stop()
    throw err
  }
}

export interface StartOptions {
  /** Extra node flags (scenario d adds --inspect=127.0.0.1:0 to force GCs before reading RSS). */
  nodeArgs?: string[]
}

export interface McpoOptions extends StartOptions {
  servers: McpoServer[]
  /** With the tool-call record (audit) and metrics, as shipped. Default true. */
  recording?: boolean
  /** A PostgreSQL URL instead of the embedded store (the database should be empty or hold an earlier mcpo's schema). */
  databaseUrl?: string
  /** No project in the config at all (the shipped config's empty project list). */
  noProjects?: boolean
}

export async function startBaseline(ws: Workspace, options: StartOptions & { servers?: number } = {}): Promise<Target> {
  const port = await freePort()
  const args = [
    ...(options.nodeArgs ?? []),
    '--import',
    'tsx',
    join(import.meta.dirname, 'baseline-server.ts'),
    '--port',
    String(port),
  ]
  if (options.servers) args.push('--servers', String(options.servers))
  const service = startService('baseline', process.execPath, args, {
    cwd: ROOT,
    env: baseEnv(ws.dir),
    noFile: hardNoFile(),
  })
  const origin = `http://127.0.0.1:${port}`
  const endpoint = () => ({ origin, ssePath: '/sse', mcpPath: '/mcp', headers: {} })
  return finish('baseline', service, origin, '/healthz', '/readyz', endpoint, endpoint)
}

export async function startPeer(ws: Workspace, upstream: UpstreamKind, options: StartOptions = {}): Promise<Target> {
  const port = await freePort()
  const up = ws.upstream(upstream)
  const bin = join(ROOT, 'node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs')
  // Defaults otherwise; --apiKey so that, like mcpo, every request is authenticated.
  const args = [
    ...(options.nodeArgs ?? []),
    bin,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--apiKey',
    PEER_KEY,
    '--',
    up.command,
    ...up.args,
  ]
  const service = startService('mcp-proxy', process.execPath, args, {
    cwd: ws.dir,
    env: baseEnv(ws.dir),
    noFile: hardNoFile(),
  })
  const origin = `http://127.0.0.1:${port}`
  const endpoint = () => ({ origin, ssePath: '/sse', mcpPath: '/mcp', headers: { 'x-api-key': PEER_KEY } })
  return finish('peer', service, origin, '/ping', null, endpoint, endpoint)
}

/**
 * The plugins of the shipped mcpo.config.ts, in its order: every one stays, rate limits are raised through their
 * options (one key drives every session, far above a deployment's per-key budget). `recording: false` is the same set
 * without the tool-call record (audit) and metrics, so a run can show what recording costs.
 */
export const SHIPPED_PLUGINS = [
  'mcpo:sessions',
  'mcpo:api-keys',
  'mcpo:tool-policies',
  'mcpo:rate-limits',
  'mcpo:audit',
  'mcpo:metrics',
] as const

function pluginsSource(recording: boolean): string {
  const raised = '{ rate: 1e9, burst: 1e9 }'
  const classes = `{ tools: ${raised}, api: ${raised}, auth: ${raised} }`
  return [
    'sessions()',
    'apiKeys()',
    'toolPolicies()',
    `rateLimits({ perKey: ${classes}, perUser: ${classes}, perProject: ${classes} })`,
    ...(recording ? ['audit()', 'metrics()'] : []),
  ].join(', ')
}

/** Fails when the shipped mcpo.config.ts no longer has the plugin set the benchmarks run. */
export async function checkShippedPlugins(): Promise<void> {
  const shipped = (await import(join(ROOT, 'mcpo.config.ts'))).default as { plugins?: { name: string }[] }
  const names = (shipped.plugins ?? []).map((p) => p.name)
  if (names.join() !== SHIPPED_PLUGINS.join())
    throw new Error(
      `mcpo.config.ts has the plugins ${names.join(', ')}; benchmarks/targets.ts runs ${SHIPPED_PLUGINS.join(', ')}: update SHIPPED_PLUGINS and pluginsSource`,
    )
}

export function mcpoConfig(servers: object[] | null, recording = true): string {
  const projects =
    servers === null
      ? ''
      : `
  projects: [{
    id: 'bench',
    name: 'Bench',
    servers: ${JSON.stringify(servers)},
    apiKeys: [{ name: 'bench', key: ${JSON.stringify(MCPO_KEY)} }],
  }],`
  return `import { apiKeys, audit, defineConfig, metrics, rateLimits, sessions, toolPolicies } from ${JSON.stringify(join(ROOT, 'config/index.ts'))}
export default defineConfig({
  listen: { host: '127.0.0.1', port: 0 },
  plugins: [${pluginsSource(recording)}],
  // The session caps' defaults (200 per key, 2000 per project) are below what the scenarios open; a first start on a
  // busy machine can take longer than the default storage timeout.
  limits: { sessionsPerKey: 100000, sessionsPerProject: 100000, sessionsTotal: 100000, storageOpenTimeoutMs: 120000 },
  upstreams: { maxProcessesPerProject: 1000, maxProcessesTotal: 1000 },${projects}
})
`
}

/** A stdio upstream of the benchmarks, or a remote Streamable HTTP one spoken to in the given protocol era. */
export type McpoServer =
  | { name: string; upstream: UpstreamKind }
  | { name: string; url: string; protocol: 'auto' | 'legacy' | 'modern' }

/** Starts the gateway with one project `bench` holding `servers` (shared isolation: the default). */
export async function startMcpo(ws: Workspace, options: McpoOptions, dataDir?: string): Promise<Target> {
  const dir = ws.newDir('mcpo')
  const data = dataDir ?? join(dir, 'data')
  if (!dataDir && !options.databaseUrl) cpSync(await ws.mcpoTemplate(), data, { recursive: true })
  const servers = options.servers.map((s) =>
    'url' in s
      ? { name: s.name, transport: 'streamable-http', url: s.url, protocol: s.protocol }
      : { name: s.name, transport: 'stdio', ...ws.upstream(s.upstream) },
  )
  const config = join(dir, 'mcpo.config.ts')
  writeFileSync(config, mcpoConfig(options.noProjects ? null : servers, options.recording ?? true))
  const port = await freePort()
  const args = [...(options.nodeArgs ?? []), '--import', 'tsx', join(ROOT, 'gateway/main.ts')]
  const service = startService('mcpo', process.execPath, args, {
    cwd: ROOT,
    env: {
      ...baseEnv(dir),
      MCPO_CONFIG: config,
      MCPO_DATA_DIR: data,
      PORT: String(port),
      MCPO_SECRET_KEY: SECRET,
      MCPO_ADMIN_EMAIL: MCPO_ADMIN.email,
      MCPO_ADMIN_PASSWORD: MCPO_ADMIN.password,
      LOG_LEVEL: 'warn',
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    },
    noFile: hardNoFile(),
  })
  const origin = `http://127.0.0.1:${port}`
  const headers = { authorization: `Bearer ${MCPO_KEY}` }
  const endpoint = (server = options.servers[0]?.name ?? 'fast') => ({
    origin,
    ssePath: `/projects/bench/servers/${server}/sse`,
    mcpPath: `/projects/bench/servers/${server}/mcp`,
    headers,
  })
  const unified = () => ({ origin, ssePath: '/projects/bench/sse', mcpPath: '/projects/bench/mcp', headers })
  return finish(
    options.recording === false ? 'mcpo-norec' : 'mcpo',
    service,
    origin,
    '/healthz',
    '/readyz',
    endpoint,
    unified,
  )
}

/** Starts one target in front of `upstream` (the baseline has none: its tools run in-process). */
export function startTarget(ws: Workspace, kind: TargetKind, upstream: UpstreamKind): Promise<Target> {
  if (kind === 'baseline') return startBaseline(ws)
  if (kind === 'peer') return startPeer(ws, upstream)
  return startMcpo(ws, { servers: [{ name: upstream, upstream }], recording: kind === 'mcpo' })
}

/** Log lines at warn or above that a service printed (pino JSON with a numeric level ≥ 40, or plain text). */
export function warnings(service: Service): string[] {
  const lines = `${service.stdout()}\n${service.stderr()}`.split('\n').filter((l) => l.trim() !== '')
  return lines.filter((l) => {
    let j: unknown
    try {
      j = JSON.parse(l)
    } catch {
      return /error|warn|exception|fail/i.test(l)
    }
    const level = (j as { level?: unknown } | null)?.level
    return typeof level === 'number' && level >= 40
  })
}
