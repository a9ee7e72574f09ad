// Scenario a: one session, sequential calls (the latency floor), with the fast upstream and with server-everything.
// Run alone: tsx benchmarks/scenarios/a-sequential.ts [--quick] [--seq-duration S]
import type { ScenarioResult } from '../report.ts'
import { type Context, standalone } from './common.ts'
import { loadMatrix, loadTables, matrixNotes } from './matrix.ts'

export async function sequential(ctx: Context): Promise<ScenarioResult> {
  const started = Date.now()
  const durationMs = ctx.opts.seqDurationMs
  const m = await loadMatrix(ctx, { sessions: 1, upstreams: ['fast', 'everything'], durationMs, label: 'a' })
  return {
    id: 'a',
    title: '1 session, sequential tools/call echo',
    command: 'tsx benchmarks/scenarios/a-sequential.ts',
    params: { sessions: 1, durationS: durationMs / 1000, transports: ctx.opts.transports },
    tables: [
      loadTables('a · 1 session · fast upstream', m, 'fast', ctx.opts.transports),
      loadTables('a · 1 session · server-everything upstream', m, 'everything', ctx.opts.transports),
    ],
    notes: [
      `Closed loop: the next call leaves when the previous reply arrives; ${durationMs / 1000} s measured after a warm-up.`,
      ...matrixNotes(m),
    ],
    problems: m.problems,
    durationS: (Date.now() - started) / 1000,
    raw: m.runs,
  }
}

await standalone(import.meta, 'a-sequential', sequential)
