// Scenario a: one session, sequential calls (the latency floor), with the fast upstream and with server-everything.
// Run alone: tsx benchmarks/scenarios/a-sequential.ts [--quick] [--seq-duration S]
import type { ScenarioResult } from '../report.ts'
import { ceilingRow, stdioCeiling } from '../stdio-ceiling.ts'
import { Workspace } from '../targets.ts'
import { type Context, standalone } from './common.ts'
import { loadMatrix, loadTables, matrixNotes } from './matrix.ts'

export async function sequential(ctx: Context): Promise<ScenarioResult> {
  const started = Date.now()
  const durationMs = ctx.opts.seqDurationMs
  const m = await loadMatrix(ctx, { sessions: 1, upstreams: ['fast', 'everything'], durationMs, label: 'a' })
  // Each upstream's own round trip over its pipes, one call at a time: the part of mcpo's latency that is the
  // upstream's, which the baseline (its tool runs in-process) never pays.
  ctx.log('a: each upstream alone over stdio, 1 call in flight')
  const ws = new Workspace()
  const alone = { fast: 0, everything: 0 }
  try {
    for (const kind of ['fast', 'everything'] as const) {
      const up = ws.upstream(kind)
      const r = await stdioCeiling(up.command, up.args, { inFlight: 1, durationMs })
      if (r.misrouted) m.problems.push(`${kind} upstream alone: ${r.misrouted} misrouted replies`)
      alone[kind] = r.latencyMs.p50
    }
  } finally {
    ws.cleanup()
  }
  const aloneTable = {
    title: 'a · each upstream alone: driven directly over its pipes, 1 call in flight',
    rows: [
      ceilingRow('fast upstream alone over stdio (no HTTP, no gateway)', 'latency p50 ms', alone.fast, 3),
      ceilingRow('server-everything alone over stdio (no HTTP, no gateway)', 'latency p50 ms', alone.everything, 3),
    ],
  }
  return {
    id: 'a',
    title: '1 session, sequential tools/call echo',
    command: 'tsx benchmarks/scenarios/a-sequential.ts',
    params: { sessions: 1, durationS: durationMs / 1000, transports: ctx.opts.transports },
    tables: [
      loadTables('a · 1 session · fast upstream', m, 'fast', ctx.opts.transports),
      loadTables('a · 1 session · server-everything upstream', m, 'everything', ctx.opts.transports),
      aloneTable,
    ],
    notes: [
      `Closed loop: the next call leaves when the previous reply arrives; ${durationMs / 1000} s measured after a warm-up.`,
      'The last table times each upstream alone, one call at a time over its stdin/stdout: the round trip that peer and mcpo add to every call by relaying to a separate process. The baseline runs its tool in-process and pays none of it.',
      ...matrixNotes(m),
    ],
    problems: m.problems,
    durationS: (Date.now() - started) / 1000,
    raw: m.runs,
  }
}

await standalone(import.meta, 'a-sequential', sequential)
