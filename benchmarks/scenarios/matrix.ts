// The closed-loop load runs shared by scenarios a, b, c and g: each target started fresh, warmed up, loaded over
// each transport, stopped; and the tables that put baseline, peer and mcpo side by side.
import { type LoadResult, runLoad } from '../load.ts'
import { callEcho, newSession, type Transport } from '../mcp-client.ts'
import type { Row, Table } from '../report.ts'
import { LOAD_TARGETS, type Target, type TargetKind, type UpstreamKind } from '../targets.ts'
import type { Context } from './common.ts'

export type Runs = Record<TargetKind, Partial<Record<Transport, LoadResult>>>

export interface MatrixResult {
  /** Per upstream: the runs of each target (the baseline's runs are the same object for every upstream). */
  runs: Partial<Record<UpstreamKind, Runs>>
  bootMs: Partial<Record<string, number>>
  problems: string[]
}

/** The 2026-07-28 revision is spoken by mcpo only: the baseline and the peer are 2025-era servers. */
export function speaks(kind: TargetKind, t: Transport): boolean {
  return t !== 'modern' || kind.startsWith('mcpo')
}

/** One session per transport, a few calls: starts lazy upstreams and JIT-warms every path before measuring. */
async function warm(target: Target, transports: Transport[]): Promise<void> {
  for (const t of transports) {
    if (!speaks(target.kind, t)) continue
    const s = newSession(t, target.endpoint())
    try {
      await s.open()
      for (let i = 0; i < 20; i++) await callEcho(s, 'echo', `warm-${i}`)
    } finally {
      await s.close()
    }
  }
}

export async function loadMatrix(
  ctx: Context,
  spec: { sessions: number; upstreams: UpstreamKind[]; durationMs: number; label: string },
): Promise<MatrixResult> {
  const out: MatrixResult = { runs: {}, bootMs: {}, problems: [] }
  const baseline: Partial<Record<Transport, LoadResult>> = {}
  for (const upstream of spec.upstreams) out.runs[upstream] = { baseline, peer: {}, mcpo: {}, 'mcpo-norec': {} }

  // mcpo without recording runs right after mcpo on the same upstream, so the two see the same machine.
  const order: [TargetKind, UpstreamKind][] = [['baseline', spec.upstreams[0]]]
  for (const upstream of spec.upstreams) order.push(['peer', upstream])
  for (const upstream of spec.upstreams)
    for (const kind of LOAD_TARGETS) if (kind.startsWith('mcpo')) order.push([kind, upstream])
  for (const [kind, upstream] of order) {
    const transports = ctx.opts.transports.filter((t) => speaks(kind, t))
    // The baseline does not depend on the upstream; any run with the same parameters earlier in this invocation counts.
    const cacheKey = (t: Transport) =>
      `${kind}:${kind === 'baseline' ? '-' : upstream}:${spec.sessions}:${t}:${spec.durationMs}`
    const name = kind === 'baseline' ? 'baseline' : `${kind}/${upstream}`
    if (transports.every((t) => ctx.cache.has(cacheKey(t)))) {
      for (const t of transports) out.runs[upstream]![kind][t] = ctx.cache.get(cacheKey(t))
      ctx.log(`${spec.label}: ${name} reused from an earlier scenario of this run`)
      continue
    }
    const target = await ctx.target(kind, upstream)
    out.bootMs[name] = target.bootMs
    try {
      await warm(target, transports)
      for (const transport of transports) {
        ctx.log(`${spec.label}: ${name} ${transport}, ${spec.sessions} sessions, ${spec.durationMs / 1000} s`)
        const r = await runLoad({
          endpoint: target.endpoint(),
          transport,
          sessions: spec.sessions,
          durationMs: spec.durationMs,
          serverPid: target.service.pid,
        })
        const runs = out.runs[upstream]![kind]
        runs[transport] = r
        ctx.cache.set(cacheKey(transport), r)
        ctx.log(
          `  ${r.callsPerSec.toFixed(0)} calls/s, p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms, ` +
            `misrouted ${r.misrouted}, stray ${r.stray}, errors ${r.errors}, setup failures ${r.setup.failures}`,
        )
        if (r.misrouted) out.problems.push(`${name} ${transport}: ${r.misrouted} MISROUTED replies`)
        if (r.stray) out.problems.push(`${name} ${transport}: ${r.stray} stray replies`)
        if (r.errors) out.problems.push(`${name} ${transport}: ${r.errors} failed calls: ${r.errorSamples.join('; ')}`)
        if (r.setup.failures)
          out.problems.push(
            `${name} ${transport}: ${r.setup.failures} sessions failed to open: ${r.setup.failureSamples.join('; ')}`,
          )
      }
    } finally {
      for (const w of ctx.newWarnings(target)) out.problems.push(`${name} logged: ${w}`)
    }
  }
  return out
}

const T_LABEL: Record<Transport, string> = {
  sse: 'legacy SSE',
  streamable: 'Streamable HTTP',
  modern: '2026-07-28 stateless (mcpo only)',
}

/** CPU time of server + upstream per call, in µs (the efficiency of the relay path). */
function cpuPerCall(r: LoadResult | undefined): number | null {
  if (!r?.server || r.calls === 0) return null
  const cpuS = ((r.server.cpuPercent + r.server.upstreamCpuPercent) / 100) * r.durationS
  return (cpuS / r.calls) * 1e6
}

export function loadRows(runs: Runs, transport: Transport): Row[] {
  const b = runs.baseline[transport]
  const p = runs.peer[transport]
  const m = runs.mcpo[transport]
  const n = runs['mcpo-norec'][transport]
  const row = (metric: string, f: (r: LoadResult) => number | string | null, digits = 1, ratio = true): Row => ({
    metric: `${T_LABEL[transport]}: ${metric}`,
    baseline: b ? f(b) : null,
    peer: p ? f(p) : null,
    mcpo: m ? f(m) : null,
    mcpoNoRecording: n ? f(n) : null,
    digits,
    ratio,
  })
  return [
    row('calls/s', (r) => r.callsPerSec, 0),
    row('latency p50 ms', (r) => r.latencyMs.p50, 2),
    row('latency p99 ms', (r) => r.latencyMs.p99, 2),
    row('latency max ms', (r) => r.latencyMs.max, 1),
    row('misrouted replies', (r) => r.misrouted, 0, false),
    row('stray replies', (r) => r.stray, 0, false),
    row('failed calls / sessions not opened', (r) => `${r.errors} / ${r.setup.failures}`, 0, false),
    row('session set-up p50 ms', (r) => r.setup.perSessionMs.p50, 1),
    row('session set-up p99 ms', (r) => r.setup.perSessionMs.p99, 1),
    row('all sessions set up, s', (r) => r.setup.totalMs / 1000, 2),
    row('server RSS peak MB', (r) => r.server?.rssPeakMb ?? null, 0),
    row('server CPU % (of one core)', (r) => r.server?.cpuPercent ?? null, 0),
    row('server + upstream CPU µs/call', cpuPerCall, 0),
    row('load generator CPU % (near 100: client-bound)', (r) => r.clientCpuPercent, 0, false),
    row('upstream processes', (r) => r.server?.upstreamProcesses ?? null, 0, false),
  ]
}

export function loadTables(title: string, m: MatrixResult, upstream: UpstreamKind, transports: Transport[]): Table {
  const runs = m.runs[upstream]!
  return {
    title,
    rows: transports.flatMap((t) => loadRows(runs, t)),
    note: `${
      upstream === 'fast'
        ? "Upstream for peer and mcpo: benchmarks/fast-upstream.ts over stdio (the gateway's own overhead). The baseline runs the same tool in-process."
        : 'Upstream for peer and mcpo: @modelcontextprotocol/server-everything over stdio. The baseline runs the same tool in-process.'
    } "mcpo without recording" is the same gateway and config without audit() and metrics(), run right after mcpo: mcpo/without recording is what recording keeps of the throughput.`,
  }
}

export function matrixNotes(m: MatrixResult): string[] {
  const boots = Object.entries(m.bootMs).map(([k, v]) => `${k} ${((v ?? 0) / 1000).toFixed(1)} s`)
  return boots.length
    ? [
        `Start-up until ready: ${boots.join(', ')}. Servers are started once per invocation and reused by later scenarios, as a long-running gateway would be: RSS includes what earlier scenarios left.`,
      ]
    : []
}
