// Scenario e: the unified endpoint (/projects/{p}/mcp and /sse) over a project of 100 stdio servers (the fast
// upstream): tools/list and tools/call latency, then 50 sessions in a closed loop spreading calls over every server.
// The baseline is one SDK server exposing the same 100 tool names (s000__echo …). If memory allows, the same project
// is tried with 100 × server-everything. Run alone: tsx benchmarks/scenarios/e-unified-100.ts [--quick] [--unified-servers N]
import { freemem } from 'node:os'
import { type LoadResult, type Percentiles, percentiles, runLoad, UsageSampler } from '../load.ts'
import { callEcho, type Endpoint, newSession, type Transport } from '../mcp-client.ts'
import { sample, upstreamChildren } from '../proc.ts'
import type { Row, ScenarioResult, Table } from '../report.ts'
import { startBaseline, startMcpo, type Target, type UpstreamKind, warnings } from '../targets.ts'
import { type Context, standalone } from './common.ts'

const name = (i: number) => `s${String(i).padStart(3, '0')}`

interface Probe {
  setupMs: number
  firstListMs: number
  toolsListed: number
  upstreamsAfterFirstList: number
  listMs: Percentiles
  callMs: Percentiles
  misrouted: number
  errors: string[]
}

async function probe(
  endpoint: Endpoint,
  transport: Transport,
  pid: number,
  servers: number,
  lists: number,
  calls: number,
  warmLists: number,
): Promise<Probe> {
  const s = newSession(transport, endpoint, { callTimeoutMs: 300_000 })
  const errors: string[] = []
  let t0 = performance.now()
  await s.open()
  const setupMs = performance.now() - t0
  try {
    t0 = performance.now()
    const first = (await s.request('tools/list', {})) as { tools: { name: string }[] }
    const firstListMs = performance.now() - t0
    const upstreamsAfterFirstList = upstreamChildren(pid).length
    // "Once warm": upstreams that have just started answer their first lists with cold JITs; those are not measured.
    for (let i = 0; i < warmLists; i++) await s.request('tools/list', {})
    const listTimes: number[] = []
    for (let i = 0; i < lists; i++) {
      t0 = performance.now()
      await s.request('tools/list', {})
      listTimes.push(performance.now() - t0)
    }
    const callTimes: number[] = []
    let misrouted = 0
    for (let i = 0; i < calls; i++) {
      t0 = performance.now()
      try {
        if (!(await callEcho(s, `${name(i % servers)}__echo`, `probe-${i}-${Math.random()}`))) misrouted++
        callTimes.push(performance.now() - t0)
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err))
      }
    }
    return {
      setupMs,
      firstListMs,
      toolsListed: first.tools.length,
      upstreamsAfterFirstList,
      listMs: percentiles(listTimes),
      callMs: percentiles(callTimes),
      misrouted,
      errors: [...new Set(errors)].slice(0, 5),
    }
  } finally {
    await s.close()
  }
}

interface TargetRun {
  probes: Partial<Record<Transport, Probe>>
  loops: Partial<Record<Transport, LoadResult>>
  rssMb: number
  upstreams: number
  upstreamRssMb: number
}

async function measure(ctx: Context, target: Target, servers: number, loop: boolean): Promise<TargetRun> {
  const { opts } = ctx
  const lists = opts.quick ? 5 : 100
  const warmLists = opts.quick ? 2 : 20
  const calls = opts.quick ? 50 : 200
  const run: TargetRun = { probes: {}, loops: {}, rssMb: 0, upstreams: 0, upstreamRssMb: 0 }
  // The baseline is a 2025-era server: the 2026-07-28 rows of the other scenarios cover mcpo's modern path.
  const transports = opts.transports.filter((t) => t !== 'modern')
  for (const t of transports) {
    ctx.log(`e: ${target.kind} ${t}: tools/list ×${1 + warmLists + lists}, tools/call ×${calls}`)
    run.probes[t] = await probe(target.unified(), t, target.service.pid, servers, lists, calls, warmLists)
  }
  if (loop) {
    for (const t of transports) {
      ctx.log(
        `e: ${target.kind} ${t}: 50 sessions, calls spread over ${servers} servers, ${opts.loadDurationMs / 1000} s`,
      )
      run.loops[t] = await runLoad({
        endpoint: target.unified(),
        transport: t,
        sessions: 50,
        durationMs: opts.loadDurationMs,
        tool: (session, seq) => `${name((session * 7 + seq) % servers)}__echo`,
        serverPid: target.service.pid,
      })
    }
  }
  const u = new UsageSampler(target.service.pid).stop()
  run.rssMb = (sample(target.service.pid)?.rssKb ?? 0) / 1024
  run.upstreams = u?.upstreamProcesses ?? 0
  run.upstreamRssMb = u?.upstreamRssMb ?? 0
  return run
}

function rows(runs: { baseline: TargetRun | null; mcpo: TargetRun | null }, transports: Transport[]): Row[] {
  const out: Row[] = []
  const row = (metric: string, f: (r: TargetRun) => number | string | null | undefined, digits = 1, ratio = true) =>
    out.push({
      metric,
      baseline: runs.baseline ? (f(runs.baseline) ?? null) : null,
      peer: null,
      mcpo: runs.mcpo ? (f(runs.mcpo) ?? null) : null,
      digits,
      ratio,
    })
  for (const t of transports) {
    const T = t === 'sse' ? 'legacy SSE' : 'Streamable HTTP'
    row(`${T}: session set-up ms`, (r) => r.probes[t]?.setupMs, 1)
    row(`${T}: first tools/list ms (mcpo: starts the upstreams)`, (r) => r.probes[t]?.firstListMs, 1)
    row(`${T}: tools listed`, (r) => r.probes[t]?.toolsListed, 0, false)
    row(`${T}: tools/list p50 ms`, (r) => r.probes[t]?.listMs.p50, 2)
    row(`${T}: tools/list p95 ms`, (r) => r.probes[t]?.listMs.p95, 2)
    row(`${T}: tools/list p99 ms`, (r) => r.probes[t]?.listMs.p99, 2)
    row(`${T}: tools/call p50 ms (1 session, sequential)`, (r) => r.probes[t]?.callMs.p50, 2)
    row(`${T}: tools/call p99 ms (1 session, sequential)`, (r) => r.probes[t]?.callMs.p99, 2)
    if (runs.mcpo?.loops[t] || runs.baseline?.loops[t]) {
      row(`${T}: 50 sessions calls/s`, (r) => r.loops[t]?.callsPerSec, 0)
      row(`${T}: 50 sessions p50 ms`, (r) => r.loops[t]?.latencyMs.p50, 2)
      row(`${T}: 50 sessions p99 ms`, (r) => r.loops[t]?.latencyMs.p99, 2)
    }
    row(
      `${T}: misrouted / stray / failed`,
      (r) => {
        const p = r.probes[t]
        const l = r.loops[t]
        return `${(p?.misrouted ?? 0) + (l?.misrouted ?? 0)} / ${l?.stray ?? 0} / ${(p?.errors.length ?? 0) + (l?.errors ?? 0)}`
      },
      0,
      false,
    )
  }
  row('server RSS at the end, MB', (r) => r.rssMb, 0)
  row('upstream processes', (r) => r.upstreams, 0, false)
  row('upstream RSS total, MB', (r) => r.upstreamRssMb, 0, false)
  return out
}

async function withTarget<T>(
  start: () => Promise<Target>,
  problems: string[],
  fn: (t: Target) => Promise<T>,
): Promise<T> {
  const target = await start()
  try {
    return await fn(target)
  } finally {
    for (const w of warnings(target.service)) problems.push(`${target.kind} logged: ${w}`)
    await target.stop()
  }
}

export async function unified(ctx: Context): Promise<ScenarioResult> {
  const started = Date.now()
  const n = ctx.opts.unifiedServers
  const problems: string[] = []
  const notes: string[] = []
  const servers = (u: UpstreamKind) => Array.from({ length: n }, (_, i) => ({ name: name(i), upstream: u }))

  ctx.log(`e: baseline with ${n} tools`)
  const baseline = await withTarget(
    () => startBaseline(ctx.ws, { servers: n }),
    problems,
    (t) => measure(ctx, t, n, true),
  )
  ctx.log(`e: mcpo with ${n} fast upstreams`)
  let bootMs = 0
  const mcpo = await withTarget(
    () => startMcpo(ctx.ws, { servers: servers('fast') }),
    problems,
    (t) => {
      bootMs = t.bootMs
      return measure(ctx, t, n, true)
    },
  )
  notes.push(`mcpo with ${n} servers was ready ${(bootMs / 1000).toFixed(1)} s after start.`)
  const tables: Table[] = [
    {
      title: `e · unified endpoint, ${n} servers · fast upstream`,
      rows: rows(
        { baseline, mcpo },
        ctx.opts.transports.filter((t) => t !== 'modern'),
      ),
    },
  ]
  for (const [label, r] of [
    ['baseline', baseline],
    ['mcpo', mcpo],
  ] as const) {
    for (const t of ctx.opts.transports.filter((t) => t !== 'modern')) {
      const p = r.probes[t]
      if (p && p.toolsListed !== n)
        problems.push(`${label} ${t}: tools/list returned ${p.toolsListed} tools, expected ${n}`)
      if (p?.misrouted) problems.push(`${label} ${t}: ${p.misrouted} MISROUTED replies`)
      if (p?.errors.length) problems.push(`${label} ${t}: failed calls: ${p.errors.join('; ')}`)
      const l = r.loops[t]
      if (l?.misrouted) problems.push(`${label} ${t} loop: ${l.misrouted} MISROUTED replies`)
      if (l?.errors) problems.push(`${label} ${t} loop: ${l.errors} failed calls: ${l.errorSamples.join('; ')}`)
    }
  }

  let everything: TargetRun | null = null
  const freeGiB = freemem() / 2 ** 30
  const needGiB = (n * 100) / 1024 + 2
  if (!ctx.opts.unifiedEverything)
    notes.push(`The attempt with ${n} × server-everything was skipped (--quick or --no-everything-100).`)
  else if (freeGiB < needGiB) {
    notes.push(
      `Skipped ${n} × server-everything: ${freeGiB.toFixed(1)} GiB free, about ${needGiB.toFixed(1)} GiB needed.`,
    )
  } else {
    ctx.log(`e: mcpo with ${n} × server-everything`)
    try {
      everything = await withTarget(
        () => startMcpo(ctx.ws, { servers: servers('everything') }),
        problems,
        (t) => measure(ctx, t, n, false),
      )
      tables.push({
        title: `e · unified endpoint, ${n} servers · server-everything upstream (mcpo only)`,
        rows: rows(
          { baseline: null, mcpo: everything },
          ctx.opts.transports.filter((t) => t !== 'modern'),
        ),
        note: 'No baseline or peer column: the baseline serves echo tools only, and mcp-proxy has no aggregation.',
      })
    } catch (err) {
      problems.push(`${n} × server-everything failed: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  return {
    id: 'e',
    title: `Unified endpoint over a project of ${n} stdio servers`,
    command: 'tsx benchmarks/scenarios/e-unified-100.ts',
    params: {
      servers: n,
      transports: ctx.opts.transports,
      loopSessions: 50,
      durationS: ctx.opts.loadDurationMs / 1000,
    },
    tables,
    notes: [
      'Peer column empty: mcp-proxy fronts exactly one stdio server per process and has no aggregation, so there is nothing to compare.',
      'mcpo starts stdio upstreams lazily; the first tools/list on a fresh gateway includes starting them (the sse probe runs first); then 20 unmeasured lists warm the upstreams, and 100 lists are measured.',
      'tools/call goes round-robin over s000__echo … and the 50-session loop spreads calls over every server.',
      ...notes,
    ],
    problems,
    durationS: (Date.now() - started) / 1000,
    raw: { baseline, mcpo, everything },
  }
}

await standalone(import.meta, 'e-unified-100', unified)
