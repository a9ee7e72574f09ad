// The MCP load generator: N sessions (legacy SSE or Streamable HTTP), closed loop, each call a `tools/call echo`
// carrying a unique string. Reports calls/s, latency percentiles, misrouted and stray replies, session set-up time,
// and the server's RSS, CPU and upstream processes read from /proc.
//
// As a library: `runLoad(options)`. As a CLI, against any running endpoint:
//   tsx benchmarks/load.ts --origin http://127.0.0.1:8080 --sse /projects/p/servers/s/sse --mcp /projects/p/servers/s/mcp \
//     --header 'Authorization: Bearer mcp_proj_…' --transport streamable --sessions 50 --duration 10 [--pid <server pid>]
import { randomBytes } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import {
  type ClientOptions,
  callEcho,
  type Endpoint,
  type McpSession,
  newSession,
  type Transport,
} from './mcp-client.ts'
import { CLK_TCK, type ProcSample, sample, upstreamChildren } from './proc.ts'

export interface LoadOptions {
  endpoint: Endpoint
  transport: Transport
  sessions: number
  durationMs: number
  /** Calls before the measured window (excluded). Default: min(1 s, duration / 5). */
  warmupMs?: number
  /** Sessions set up at once. Default 50. */
  setupConcurrency?: number
  /** Tool name per call (the unified endpoint spreads calls over many servers). Default 'echo'. */
  tool?: string | ((session: number, seq: number) => string)
  /** The server process to watch (gateway, peer or baseline). */
  serverPid?: number
  client?: ClientOptions
}

export interface Percentiles {
  p50: number
  p90: number
  p95: number
  p99: number
  max: number
  mean: number
}

export interface ServerUsage {
  rssStartMb: number
  rssEndMb: number
  rssPeakMb: number
  /** CPU time of the server process over the measured window, in % of one core. */
  cpuPercent: number
  upstreamProcesses: number
  upstreamRssMb: number
  upstreamCpuPercent: number
}

export interface LoadResult {
  transport: Transport
  sessions: number
  sessionsOpened: number
  durationS: number
  calls: number
  callsPerSec: number
  latencyMs: Percentiles
  /** Replies whose text is not the string this call sent: must be 0. */
  misrouted: number
  /** Replies carrying an id nobody waits for. */
  stray: number
  late: number
  errors: number
  errorSamples: string[]
  setup: { totalMs: number; perSessionMs: Percentiles; failures: number; failureSamples: string[] }
  server: ServerUsage | null
  serverRequests: number
  notifications: number
  /** CPU of the load generator itself over the window, % of one core: near 100 means the client was the limit. */
  clientCpuPercent: number
}

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50: 0, p90: 0, p95: 0, p99: 0, max: 0, mean: 0 }
  const v = Float64Array.from(values).sort()
  const at = (q: number) => v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))]
  let sum = 0
  for (const x of v) sum += x
  return { p50: at(0.5), p90: at(0.9), p95: at(0.95), p99: at(0.99), max: v[v.length - 1], mean: sum / v.length }
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i], i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

export interface OpenedSessions {
  sessions: McpSession[]
  setup: LoadResult['setup']
}

/** Opens `count` sessions (GET + initialize + initialized, or initialize + initialized), timing each. */
export async function openSessions(
  endpoint: Endpoint,
  transport: Transport,
  count: number,
  concurrency = 50,
  client?: ClientOptions,
): Promise<OpenedSessions> {
  const started = performance.now()
  const times: number[] = []
  const failures: string[] = []
  const sessions: McpSession[] = []
  await pool(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async () => {
      const s = newSession(transport, endpoint, client)
      const t0 = performance.now()
      try {
        await s.open()
        times.push(performance.now() - t0)
        sessions.push(s)
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err))
        await s.close()
      }
    },
  )
  return {
    sessions,
    setup: {
      totalMs: performance.now() - started,
      perSessionMs: percentiles(times),
      failures: failures.length,
      failureSamples: [...new Set(failures)].slice(0, 5),
    },
  }
}

export async function closeSessions(sessions: McpSession[], concurrency = 200): Promise<void> {
  await pool(sessions, concurrency, (s) => s.close())
}

/** Samples the server process and its upstream children until stopped. */
export class UsageSampler {
  private first: ProcSample | null
  private last: ProcSample | null
  private peakKb = 0
  private readonly t0 = performance.now()
  private readonly childTicks0: number
  private timer: NodeJS.Timeout

  constructor(
    private readonly pid: number,
    everyMs = 500,
  ) {
    this.first = sample(pid)
    this.last = this.first
    this.peakKb = this.first?.rssKb ?? 0
    this.childTicks0 = this.children().ticks
    this.timer = setInterval(() => this.tick(), everyMs)
  }

  private tick(): void {
    const s = sample(this.pid)
    if (!s) return
    this.last = s
    if (s.rssKb > this.peakKb) this.peakKb = s.rssKb
  }

  private children(): { count: number; rssKb: number; ticks: number } {
    let rssKb = 0
    let ticks = 0
    const pids = upstreamChildren(this.pid)
    for (const p of pids) {
      const s = sample(p)
      if (s) {
        rssKb += s.rssKb
        ticks += s.cpuTicks
      }
    }
    return { count: pids.length, rssKb, ticks }
  }

  stop(): ServerUsage | null {
    clearInterval(this.timer)
    this.tick()
    if (!this.first || !this.last) return null
    const seconds = (performance.now() - this.t0) / 1000
    const kids = this.children()
    return {
      rssStartMb: this.first.rssKb / 1024,
      rssEndMb: this.last.rssKb / 1024,
      rssPeakMb: this.peakKb / 1024,
      cpuPercent: ((this.last.cpuTicks - this.first.cpuTicks) / CLK_TCK / seconds) * 100,
      upstreamProcesses: kids.count,
      upstreamRssMb: kids.rssKb / 1024,
      // Children that started during the window count from zero, which is what they used.
      upstreamCpuPercent: (Math.max(0, kids.ticks - this.childTicks0) / CLK_TCK / seconds) * 100,
    }
  }
}

/** One closed-loop run: set up, warm up, measure, tear down. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { endpoint, transport, sessions: n, durationMs } = options
  // Each target is a fresh process: its first second or two runs cold code (a 3 s run measured after 0.6 s of warm-up
  // showed a gateway at half its steady rate), so every target gets the same 2 s before the measured window.
  const warmupMs = options.warmupMs ?? 2000
  const tool = options.tool ?? 'echo'
  const toolFor = typeof tool === 'string' ? () => tool : tool
  const opened = await openSessions(endpoint, transport, n, options.setupConcurrency ?? 50, options.client)
  const latencies: number[] = []
  const errors: string[] = []
  let errorCount = 0
  let misrouted = 0
  let measuring = false
  let stopping = false
  const prefix = randomBytes(4).toString('hex')

  const loop = async (s: McpSession, index: number) => {
    let seq = 0
    while (!stopping && !s.closed) {
      seq++
      const message = `${prefix}-${index}-${seq}-${Math.random().toString(36).slice(2, 10)}`
      const t0 = performance.now()
      try {
        const ok = await callEcho(s, toolFor(index, seq), message)
        if (!ok) misrouted++
        if (measuring) latencies.push(performance.now() - t0)
      } catch (err) {
        // Errors count over the whole run, warm-up included: a failing call is never noise.
        errorCount++
        if (errors.length < 50) errors.push(err instanceof Error ? err.message : String(err))
        // A broken session must not spin: back off a little.
        await new Promise((r) => setTimeout(r, 50))
      }
    }
  }
  const loops = opened.sessions.map((s, i) => loop(s, i))
  await new Promise((r) => setTimeout(r, warmupMs))
  const sampler = options.serverPid ? new UsageSampler(options.serverPid) : null
  measuring = true
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await new Promise((r) => setTimeout(r, durationMs))
  measuring = false
  const elapsed = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const server = sampler?.stop() ?? null
  stopping = true
  await Promise.all(loops)

  const sum = (k: keyof McpSession['counters']) => opened.sessions.reduce((a, s) => a + s.counters[k], 0)
  const result: LoadResult = {
    transport,
    sessions: n,
    sessionsOpened: opened.sessions.length,
    durationS: elapsed,
    calls: latencies.length,
    callsPerSec: latencies.length / elapsed,
    latencyMs: percentiles(latencies),
    misrouted,
    stray: sum('stray'),
    late: sum('late'),
    errors: errorCount,
    errorSamples: [...new Set(errors)].slice(0, 5),
    setup: opened.setup,
    server,
    serverRequests: sum('serverRequests'),
    notifications: sum('notifications'),
    clientCpuPercent: ((cpu.user + cpu.system) / 1e6 / elapsed) * 100,
  }
  await closeSessions(opened.sessions)
  return result
}

function cliArgs(argv: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) continue
    const key = argv[i].slice(2)
    const value = argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : 'true'
    ;(out[key] ??= []).push(value)
  }
  return out
}

async function cli(): Promise<void> {
  const a = cliArgs(process.argv.slice(2))
  const one = (k: string, d: string) => a[k]?.[0] ?? d
  const headers: Record<string, string> = {}
  for (const h of a.header ?? []) {
    const c = h.indexOf(':')
    headers[h.slice(0, c).trim()] = h.slice(c + 1).trim()
  }
  const result = await runLoad({
    endpoint: {
      origin: one('origin', 'http://127.0.0.1:8080'),
      ssePath: one('sse', '/sse'),
      mcpPath: one('mcp', '/mcp'),
      headers,
    },
    transport: one('transport', 'streamable') as Transport,
    sessions: Number(one('sessions', '1')),
    durationMs: Number(one('duration', '10')) * 1000,
    tool: one('tool', 'echo'),
    serverPid: a.pid ? Number(a.pid[0]) : undefined,
  })
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  cli().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(1)
  })
}
