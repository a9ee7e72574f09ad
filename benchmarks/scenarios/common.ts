// What every scenario shares: options (flags or BENCH_* env), the context, and running one scenario on its own.
import { loadavg } from 'node:os'
import { relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { LoadResult } from '../load.ts'
import type { Transport } from '../mcp-client.ts'
import { machine, type ScenarioResult, writeResults } from '../report.ts'
import { ROOT, startTarget, type Target, type TargetKind, type UpstreamKind, Workspace, warnings } from '../targets.ts'

export interface BenchOptions {
  quick: boolean
  /** Measured window of each load run (b, c, g), after a warm-up. */
  loadDurationMs: number
  /** Measured window of the sequential runs (a). */
  seqDurationMs: number
  transports: Transport[]
  /** Session counts of scenario c. */
  manySessions: number[]
  /** Idle SSE sessions of scenario d, each level held for `idleHoldMs`. */
  idleSessions: number[]
  idleHoldMs: number
  /** autocannon per endpoint and target (f). */
  restDurationMs: number
  restConnections: number
  restRate: number
  /** Servers in the unified project (e); and whether to try the same with server-everything. */
  unifiedServers: number
  unifiedEverything: boolean
  /** A PostgreSQL server where scenario h may create (and drop) a database of its own. */
  pgUrl: string
  only: string[] | null
}

const HELP = `Options (flags, or the BENCH_* environment variable in brackets):
  --quick                 a few seconds per scenario, fewer sessions (development)            [BENCH_QUICK=1]
  --only a,b,…            run only these scenarios (a–i)                                      [BENCH_ONLY]
  --duration S            measured seconds per load run in b, c, e, g, i (default 8)            [BENCH_DURATION]
  --seq-duration S        measured seconds per sequential run in a (default 3)                [BENCH_SEQ_DURATION]
  --transports sse,streamable,modern                                                               [BENCH_TRANSPORTS]
  --sessions 200,1000     session counts of c                                                 [BENCH_SESSIONS]
  --idle-sessions 1000,10000   idle SSE sessions of d                                         [BENCH_IDLE_SESSIONS]
  --idle-hold S           seconds each idle level is held (default 60)                        [BENCH_IDLE_HOLD]
  --rest-duration S       autocannon seconds per endpoint and target in f (default 4)         [BENCH_REST_DURATION]
  --rest-connections N    autocannon connections in f (default 1000)                          [BENCH_REST_CONNECTIONS]
  --rest-rate R           offered req/s over those connections for REST latency (default 500)  [BENCH_REST_RATE]
  --unified-servers N     servers behind the unified endpoint in e (default 100)              [BENCH_UNIFIED_SERVERS]
  --no-everything-100     skip e's attempt with server-everything as every upstream           [BENCH_NO_EVERYTHING_100=1]
  --pg-url URL            PostgreSQL for h's second store (default postgres://postgres@127.0.0.1:5432/test) [BENCH_PG_URL]`

export function parseOptions(argv: string[] = process.argv.slice(2), env = process.env): BenchOptions {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${HELP}\n`)
    process.exit(0)
  }
  const flag = (name: string, envName: string): string | undefined => {
    const i = argv.indexOf(`--${name}`)
    if (i !== -1 && argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) return argv[i + 1]
    const eq = argv.find((a) => a.startsWith(`--${name}=`))
    if (eq) return eq.slice(name.length + 3)
    return env[envName] || undefined
  }
  const num = (name: string, envName: string, d: number) => {
    const v = flag(name, envName)
    const n = v === undefined ? d : Number(v)
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number (got ${v})`)
    return n
  }
  const list = (name: string, envName: string, d: number[]) => {
    const v = flag(name, envName)
    return v === undefined ? d : v.split(',').map(Number)
  }
  const quick = argv.includes('--quick') || env.BENCH_QUICK === '1'
  const only = flag('only', 'BENCH_ONLY')
  const transports = (flag('transports', 'BENCH_TRANSPORTS') ?? 'sse,streamable,modern').split(',') as Transport[]
  for (const t of transports)
    if (t !== 'sse' && t !== 'streamable' && t !== 'modern') throw new Error(`--transports: unknown ${t}`)
  return {
    quick,
    loadDurationMs: num('duration', 'BENCH_DURATION', quick ? 3 : 8) * 1000,
    seqDurationMs: num('seq-duration', 'BENCH_SEQ_DURATION', quick ? 2 : 3) * 1000,
    transports,
    manySessions: list('sessions', 'BENCH_SESSIONS', quick ? [100, 300] : [200, 1000]),
    idleSessions: list('idle-sessions', 'BENCH_IDLE_SESSIONS', quick ? [200, 1000] : [1000, 10_000]),
    idleHoldMs: num('idle-hold', 'BENCH_IDLE_HOLD', quick ? 5 : 60) * 1000,
    restDurationMs: num('rest-duration', 'BENCH_REST_DURATION', quick ? 2 : 4) * 1000,
    restConnections: num('rest-connections', 'BENCH_REST_CONNECTIONS', quick ? 200 : 1000),
    restRate: num('rest-rate', 'BENCH_REST_RATE', 500),
    unifiedServers: num('unified-servers', 'BENCH_UNIFIED_SERVERS', quick ? 20 : 100),
    unifiedEverything: !(argv.includes('--no-everything-100') || env.BENCH_NO_EVERYTHING_100 === '1' || quick),
    pgUrl: flag('pg-url', 'BENCH_PG_URL') ?? 'postgres://postgres@127.0.0.1:5432/test',
    only: only ? only.split(',').map((s) => s.trim().toLowerCase()) : null,
  }
}

export interface Context {
  ws: Workspace
  opts: BenchOptions
  /** Runs shared between scenarios of one invocation (the baseline does not depend on the upstream). */
  cache: Map<string, LoadResult>
  log(message: string): void
  /**
   * The server of `kind` in front of `upstream`, started on first use and kept for the rest of the invocation, as a
   * long-running gateway would be (a, b, c, f and g share them; d and e start their own with other settings).
   */
  target(kind: TargetKind, upstream: UpstreamKind): Promise<Target>
  /** Warnings a target logged since the previous call. */
  newWarnings(target: Target): string[]
  stopTargets(): Promise<void>
}

export function newContext(opts: BenchOptions): Context {
  const started = Date.now()
  const ws = new Workspace()
  const targets = new Map<string, Promise<Target>>()
  const seen = new Map<Target, number>()
  const log = (m: string) =>
    process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}\n`)
  return {
    ws,
    opts,
    cache: new Map(),
    log,
    target(kind, upstream) {
      const key = kind === 'baseline' ? kind : `${kind}/${upstream}`
      let t = targets.get(key)
      if (!t) {
        log(`starting ${key}`)
        t = startTarget(ws, kind, upstream)
        t.then((x) => log(`${key} ready after ${(x.bootMs / 1000).toFixed(1)} s (pid ${x.service.pid})`)).catch(
          () => {},
        )
        targets.set(key, t)
      }
      return t
    },
    newWarnings(target) {
      const all = warnings(target.service)
      const from = seen.get(target) ?? 0
      seen.set(target, all.length)
      return all.slice(from)
    },
    async stopTargets() {
      const all = [...targets.values()]
      targets.clear()
      await Promise.all(all.map((t) => t.then((x) => x.stop()).catch(() => {})))
    },
  }
}

export type Scenario = (ctx: Context) => Promise<ScenarioResult>

/** `npm`-style command line of this process, for the results. */
export function commandLine(): string {
  const script = relative(ROOT, process.argv[1] ?? '')
  return ['tsx', script, ...process.argv.slice(2)].join(' ')
}

/** When a scenario file is run directly: run it, write results/<id>.json and .md, always clean up. */
export async function standalone(meta: ImportMeta, name: string, scenario: Scenario): Promise<void> {
  if (meta.url !== pathToFileURL(process.argv[1] ?? '').href) return
  const ctx = newContext(parseOptions())
  const m = machine()
  const date = new Date().toISOString()
  try {
    const result = await scenario(ctx)
    m.loadAvgEnd = loadavg().map((x) => Math.round(x * 100) / 100)
    const out = writeResults(name, { machine: m, command: commandLine(), date, scenarios: [result] })
    process.stdout.write(`${out.markdown}\n\nwritten: ${out.json}, ${out.md}\n`)
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
    process.exitCode = 1
  } finally {
    await ctx.stopTargets()
    ctx.ws.cleanup()
  }
}
