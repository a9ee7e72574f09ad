// Scenario g: the load of b (50 sessions) with @modelcontextprotocol/server-everything over stdio as the upstream,
// next to b's fast upstream: how much of the cost is the upstream's rather than the gateway's.
// Run alone: tsx benchmarks/scenarios/g-upstreams.ts [--quick] [--duration S]
import type { ScenarioResult } from '../report.ts'
import { ceilingRow, stdioCeiling } from '../stdio-ceiling.ts'
import { Workspace } from '../targets.ts'
import { type Context, standalone } from './common.ts'
import { loadMatrix, loadTables, matrixNotes } from './matrix.ts'

export async function upstreams(ctx: Context): Promise<ScenarioResult> {
  const started = Date.now()
  const durationMs = ctx.opts.loadDurationMs
  const m = await loadMatrix(ctx, { sessions: 50, upstreams: ['fast', 'everything'], durationMs, label: 'g' })
  // The same 50 calls in flight straight to server-everything's pipes: what one shared upstream process can do.
  ctx.log('g: server-everything alone over stdio, 50 calls in flight (the upstream ceiling)')
  const ws = new Workspace()
  const up = ws.upstream('everything')
  const ceiling = await stdioCeiling(up.command, up.args, { inFlight: 50, durationMs }).finally(() => ws.cleanup())
  ctx.log(`  ${ceiling.callsPerSec.toFixed(0)} calls/s, upstream CPU ${ceiling.upstreamCpuPercent?.toFixed(0)} %`)
  if (ceiling.misrouted) m.problems.push(`server-everything alone: ${ceiling.misrouted} misrouted replies`)
  const label = 'server-everything alone over stdio, 50 in flight (no HTTP, no gateway)'
  return {
    id: 'g',
    title: '50 sessions: server-everything vs the minimal fast upstream',
    command: 'tsx benchmarks/scenarios/g-upstreams.ts',
    params: { sessions: 50, durationS: durationMs / 1000, transports: ctx.opts.transports },
    tables: [
      loadTables('g · 50 sessions · server-everything upstream', m, 'everything', ctx.opts.transports),
      loadTables('g · 50 sessions · fast upstream', m, 'fast', ctx.opts.transports),
      {
        title: 'g · the upstream ceiling: server-everything driven directly over its pipes',
        rows: [
          ceilingRow(label, 'calls/s', ceiling.callsPerSec, 0),
          ceilingRow(label, 'latency p50 ms', ceiling.latencyMs.p50, 2),
          ceilingRow(label, 'upstream CPU % of one core', ceiling.upstreamCpuPercent, 0),
        ],
      },
    ],
    notes: [
      'The baseline has no upstream (the tool runs in the SDK server itself). The fast-upstream rows are the runs of b when b ran earlier in the same invocation.',
      "The ceiling table drives server-everything over its stdin/stdout with 50 calls always in flight and nothing else: one shared stdio process cannot serve more, whatever sits in front of it. mcpo's calls/s over server-everything divided by this figure is the share of the upstream's capacity the gateway delivers.",
      ...matrixNotes(m),
    ],
    problems: m.problems,
    durationS: (Date.now() - started) / 1000,
    raw: { runs: m.runs, ceiling },
  }
}

await standalone(import.meta, 'g-upstreams', upstreams)
