// Scenario b: 50 concurrent sessions, closed loop, fast upstream (g has the same load with server-everything).
// Run alone: tsx benchmarks/scenarios/b-sessions-50.ts [--quick] [--duration S]
import type { ScenarioResult } from '../report.ts'
import { type Context, standalone } from './common.ts'
import { loadMatrix, loadTables, matrixNotes } from './matrix.ts'

export async function sessions50(ctx: Context): Promise<ScenarioResult> {
  const started = Date.now()
  const durationMs = ctx.opts.loadDurationMs
  const m = await loadMatrix(ctx, { sessions: 50, upstreams: ['fast'], durationMs, label: 'b' })
  return {
    id: 'b',
    title: '50 sessions, closed loop',
    command: 'tsx benchmarks/scenarios/b-sessions-50.ts',
    params: { sessions: 50, durationS: durationMs / 1000, transports: ctx.opts.transports },
    tables: [loadTables('b · 50 sessions · fast upstream', m, 'fast', ctx.opts.transports)],
    notes: [
      'Each session has its own keep-alive connection (legacy SSE: one for the stream, one for POSTs); all 50 share one upstream process behind peer and mcpo.',
      ...matrixNotes(m),
    ],
    problems: m.problems,
    durationS: (Date.now() - started) / 1000,
    raw: m.runs,
  }
}

await standalone(import.meta, 'b-sessions-50', sessions50)
