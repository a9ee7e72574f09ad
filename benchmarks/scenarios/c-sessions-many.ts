// Scenario c: 200 and 1000 concurrent sessions, closed loop, through one shared server-everything (what the target
// names) and through the fast upstream (the gateway's own overhead).
// Run alone: tsx benchmarks/scenarios/c-sessions-many.ts [--quick] [--duration S] [--sessions 200,1000]
import type { ScenarioResult, Table } from '../report.ts'
import { type Context, standalone } from './common.ts'
import { loadMatrix, loadTables, type MatrixResult, matrixNotes } from './matrix.ts'

export async function sessionsMany(ctx: Context): Promise<ScenarioResult> {
  const started = Date.now()
  const durationMs = ctx.opts.loadDurationMs
  const tables: Table[] = []
  const raw: Record<number, MatrixResult['runs']> = {}
  const problems: string[] = []
  const notes: string[] = []
  for (const n of ctx.opts.manySessions) {
    const m = await loadMatrix(ctx, { sessions: n, upstreams: ['everything', 'fast'], durationMs, label: `c/${n}` })
    tables.push(loadTables(`c · ${n} sessions · server-everything upstream`, m, 'everything', ctx.opts.transports))
    tables.push(loadTables(`c · ${n} sessions · fast upstream`, m, 'fast', ctx.opts.transports))
    raw[n] = m.runs
    problems.push(...m.problems)
    notes.push(...matrixNotes(m).map((x) => `${n} sessions: ${x}`))
  }
  return {
    id: 'c',
    title: `${ctx.opts.manySessions.join(' and ')} sessions, closed loop`,
    command: 'tsx benchmarks/scenarios/c-sessions-many.ts',
    params: { sessions: ctx.opts.manySessions, durationS: durationMs / 1000, transports: ctx.opts.transports },
    tables,
    notes: [
      'Sessions are set up 50 at a time before the measured window; with 1000 legacy SSE sessions the load generator holds 2000 connections.',
      'All sessions share one upstream process behind peer and mcpo; the baseline has no upstream (its tool runs in-process), so one baseline run serves both tables.',
      ...notes,
    ],
    problems,
    durationS: (Date.now() - started) / 1000,
    raw,
  }
}

await standalone(import.meta, 'c-sessions-many', sessionsMany)
