// Scenario i (issue 21): 50 Streamable HTTP sessions through mcpo to a remote upstream spoken to in the 2026-07-28
// revision (stateless POSTs, the _meta envelope, per-request headers), next to the same upstream program spoken to in
// the 2025 era, for two programs: a minimal one (fast-http-upstream.ts: what is left is the gateway's cost) and the
// SDK v2 server (sdk2-upstream.ts: what a real server adds). One gateway holds all four servers.
// Run alone: tsx benchmarks/scenarios/i-modern-upstream.ts [--quick] [--duration S]
import { join } from 'node:path'
import { LEGACY_UPSTREAM_ROW, MODERN_UPSTREAM_ROW, MODERN_UPSTREAM_TITLE, SDK_UPSTREAM_TITLE } from '../goals.ts'
import { type LoadResult, runLoad } from '../load.ts'
import { callEcho, newSession } from '../mcp-client.ts'
import { CLK_TCK, freePort, hardNoFile, type Service, sample, startService, waitHttp } from '../proc.ts'
import type { Row, ScenarioResult } from '../report.ts'
import { ROOT, startMcpo, type Target, warnings } from '../targets.ts'
import { type Context, standalone } from './common.ts'

type Era = 'legacy' | 'modern'
const ERAS: Era[] = ['legacy', 'modern']
type Program = 'fast' | 'sdk'
const PROGRAMS: Record<Program, string> = { fast: 'fast-http-upstream.ts', sdk: 'sdk2-upstream.ts' }
const SESSIONS = 50

interface EraRuns {
  runs: LoadResult[]
  /** CPU of the upstream process over each whole run (set-up and warm-up included), % of one core. */
  upstreamCpu: number[]
}

async function startUpstream(program: Program, era: Era): Promise<{ service: Service; url: string }> {
  const port = await freePort()
  const args = ['--import', 'tsx', join(import.meta.dirname, '..', PROGRAMS[program]), '--era', era, '--port']
  const service = startService(`${program}-${era}`, process.execPath, [...args, String(port)], {
    cwd: ROOT,
    noFile: hardNoFile(),
  })
  const origin = `http://127.0.0.1:${port}`
  try {
    await waitHttp(`${origin}/healthz`, service, 60_000)
  } catch (err) {
    await service.stop()
    throw err
  }
  return { service, url: `${origin}/mcp` }
}

/** One session, a few calls: opens the upstream connection and JIT-warms both processes' paths. */
async function warm(target: Target, server: string): Promise<void> {
  const s = newSession('streamable', target.endpoint(server))
  try {
    await s.open()
    for (let i = 0; i < 50; i++) await callEcho(s, 'echo', `warm-${i}`)
  } finally {
    await s.close()
  }
}

export async function modernUpstream(ctx: Context): Promise<ScenarioResult> {
  const started = Date.now()
  const durationMs = ctx.opts.loadDurationMs
  // Per program, rounds in the order legacy, modern, modern, legacy: a machine that speeds up or slows down over the
  // scenario weighs on both rows alike. --quick runs one of each.
  const rounds = ctx.opts.quick ? 1 : 2
  const order: Era[] = []
  for (let r = 0; r < rounds; r++) order.push(...(r % 2 === 0 ? ERAS : [...ERAS].reverse()))
  const problems: string[] = []
  const upstreams = new Map<string, { service: Service; url: string }>()
  const empty = (): Record<Era, EraRuns> => ({
    legacy: { runs: [], upstreamCpu: [] },
    modern: { runs: [], upstreamCpu: [] },
  })
  const results: Record<Program, Record<Era, EraRuns>> = { fast: empty(), sdk: empty() }
  const programs = Object.keys(PROGRAMS) as Program[]
  let gateway: Target | undefined
  try {
    for (const program of programs)
      for (const era of ERAS) {
        const up = await startUpstream(program, era)
        upstreams.set(`${program}-${era}`, up)
        ctx.log(`i: ${PROGRAMS[program]} --era ${era} at ${up.url} (pid ${up.service.pid})`)
      }
    gateway = await startMcpo(ctx.ws, {
      servers: programs.flatMap((program) =>
        ERAS.map((era) => ({ name: `${program}-${era}`, url: upstreams.get(`${program}-${era}`)!.url, protocol: era })),
      ),
    })
    ctx.log(`i: mcpo ready after ${(gateway.bootMs / 1000).toFixed(1)} s (pid ${gateway.service.pid})`)
    for (const name of upstreams.keys()) await warm(gateway, name)
    for (const program of programs)
      for (const era of order) {
        const name = `${program}-${era}`
        ctx.log(`i: mcpo → ${name}, Streamable HTTP, ${SESSIONS} sessions, ${durationMs / 1000} s`)
        const upPid = upstreams.get(name)!.service.pid
        const t0 = performance.now()
        const ticks0 = sample(upPid)?.cpuTicks ?? 0
        const r = await runLoad({
          endpoint: gateway.endpoint(name),
          transport: 'streamable',
          sessions: SESSIONS,
          durationMs,
          serverPid: gateway.service.pid,
        })
        const seconds = (performance.now() - t0) / 1000
        const upCpu = (((sample(upPid)?.cpuTicks ?? ticks0) - ticks0) / CLK_TCK / seconds) * 100
        results[program][era].runs.push(r)
        results[program][era].upstreamCpu.push(upCpu)
        ctx.log(
          `  ${r.callsPerSec.toFixed(0)} calls/s, p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms, ` +
            `misrouted ${r.misrouted}, errors ${r.errors}, mcpo CPU ${r.server?.cpuPercent.toFixed(0)} %, upstream CPU ${upCpu.toFixed(0)} %`,
        )
        if (r.misrouted) problems.push(`${name}: ${r.misrouted} MISROUTED replies`)
        if (r.stray) problems.push(`${name}: ${r.stray} stray replies`)
        if (r.errors) problems.push(`${name}: ${r.errors} failed calls: ${r.errorSamples.join('; ')}`)
        if (r.setup.failures)
          problems.push(`${name}: ${r.setup.failures} sessions failed to open: ${r.setup.failureSamples.join('; ')}`)
      }
  } finally {
    if (gateway) {
      for (const w of warnings(gateway.service)) problems.push(`mcpo logged: ${w}`)
      await gateway.stop()
    }
    for (const [name, { service }] of upstreams) {
      if (service.stderr().trim()) problems.push(`${name}: ${service.stderr().trim().slice(0, 400)}`)
      await service.stop()
    }
  }
  const runs = `${rounds} measured run${rounds > 1 ? 's' : ''} of ${durationMs / 1000} s per server, in the order ${order.join(', ')}; calls/s is over all of them, latencies and CPU are the mean of the runs'.`
  return {
    id: 'i',
    title: '50 sessions: a 2026-07-28 remote upstream vs the same upstream in the 2025 era',
    command: 'tsx benchmarks/scenarios/i-modern-upstream.ts',
    params: { sessions: SESSIONS, durationS: durationMs / 1000, rounds, order },
    tables: [
      {
        title: MODERN_UPSTREAM_TITLE,
        rows: rows(results.fast),
        note: `Upstream: benchmarks/fast-http-upstream.ts (no SDK, one JSON body per answer, one process per era). ${runs}`,
      },
      {
        title: SDK_UPSTREAM_TITLE,
        rows: rows(results.sdk),
        note: `Upstream: benchmarks/sdk2-upstream.ts (the SDK v2 server's createMcpHandler; --era modern refuses 2025-era requests, --era legacy is its stateless 2025 serving), one process per era. ${runs}`,
      },
    ],
    notes: [
      "Clients: 2025-era Streamable HTTP sessions on mcpo's per-server endpoints /projects/bench/servers/<program>-<era>/mcp. One mcpo (shipped plugin set) holds the four servers as remote Streamable HTTP upstreams (shared isolation) with protocol 'legacy' or 'modern'.",
      "The minimal upstream keeps a 2025-era session (Mcp-Session-Id, no GET stream) and answers both eras with one JSON body, so its two rows differ only in mcpo's wire: per call, the legacy connection POSTs the request as the client sent it with Mcp-Session-Id and MCP-Protocol-Version; the modern one adds the _meta envelope and MCP-Protocol-Version, Mcp-Method and Mcp-Name.",
      'The SDK v2 server answers a 2026-07-28 call as one JSON body and a 2025-era call (its stateless serving: no session) as an SSE stream, and builds one McpServer per request in both eras: its upstream CPU rows show what that costs it.',
    ],
    problems,
    durationS: (Date.now() - started) / 1000,
    raw: results,
  }
}

function rows(results: Record<Era, EraRuns>): Row[] {
  const out: Row[] = []
  const row = (metric: string, value: number | string | null, digits = 1): Row => ({
    metric,
    baseline: null,
    peer: null,
    mcpo: value,
    digits,
    ratio: false,
  })
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null)
  const rate = (e: EraRuns) => {
    const calls = e.runs.reduce((a, r) => a + r.calls, 0)
    const seconds = e.runs.reduce((a, r) => a + r.durationS, 0)
    return seconds > 0 ? calls / seconds : null
  }
  for (const era of ERAS) {
    const e = results[era]
    const label = era === 'modern' ? 'modern upstream (2026-07-28)' : 'legacy upstream (2025-11-25)'
    const cpuPerCall = e.runs.map((r) =>
      r.server && r.calls ? (((r.server.cpuPercent / 100) * r.durationS) / r.calls) * 1e6 : Number.NaN,
    )
    out.push(
      row(era === 'modern' ? MODERN_UPSTREAM_ROW : LEGACY_UPSTREAM_ROW, rate(e), 0),
      row(`${label}: latency p50 ms`, mean(e.runs.map((r) => r.latencyMs.p50)), 2),
      row(`${label}: latency p99 ms`, mean(e.runs.map((r) => r.latencyMs.p99)), 2),
      row(`${label}: misrouted replies`, e.runs.length ? e.runs.reduce((a, r) => a + r.misrouted, 0) : null, 0),
      row(
        `${label}: failed calls / sessions not opened`,
        e.runs.length
          ? `${e.runs.reduce((a, r) => a + r.errors, 0)} / ${e.runs.reduce((a, r) => a + r.setup.failures, 0)}`
          : null,
      ),
      row(`${label}: mcpo CPU µs/call`, mean(cpuPerCall), 0),
      row(`${label}: mcpo CPU % (of one core)`, mean(e.runs.map((r) => r.server?.cpuPercent ?? Number.NaN)), 0),
      row(`${label}: upstream CPU % (of one core, whole run)`, mean(e.upstreamCpu), 0),
      row(`${label}: load generator CPU %`, mean(e.runs.map((r) => r.clientCpuPercent)), 0),
    )
  }
  const m = rate(results.modern)
  const l = rate(results.legacy)
  out.push(row('modern / legacy calls/s', m !== null && l ? `${(m / l).toFixed(2)}×` : null))
  return out
}

await standalone(import.meta, 'i-modern-upstream', modernUpstream)
