// Scenario g: the load of b (50 sessions) with @modelcontextprotocol/server-everything over stdio as the upstream,
// next to b's fast upstream: how much of the cost is the upstream's rather than the gateway's.
// Run alone: tsx benchmarks/scenarios/g-upstreams.ts [--quick] [--duration S]
import type { ScenarioResult } from '../report.ts'
import { type Context, standalone } from './common.ts'
import { loadMatrix, loadTables, matrixNotes } from './matrix.ts'

export async function upstreams(ctx: Context): Promise<ScenarioResult> {
  const started = Date.now()
  const durationMs = ctx.opts.loadDurationMs
  const m = await loadMatrix(ctx, { sessions: 50, upstreams: ['fast', 'everything'], durationMs, label: 'g' })
  return {
    id: 'g',
    title: '50 sessions: server-everything vs the minimal fast upstream',
    command: 'tsx benchmarks/scenarios/g-upstreams.ts',
    params: { sessions: 50, durationS: durationMs / 1000, transports: ctx.opts.transports },
    tables: [
      loadTables('g · 50 sessions · server-everything upstream', m, 'everything', ctx.opts.transports),
      loadTables('g · 50 sessions · fast upstream', m, 'fast', ctx.opts.transports),
    ],
    notes: [
      'The baseline has no upstream (the tool runs in the SDK server itself). The fast-upstream rows are the runs of b when b ran earlier in the same invocation.',
      ...matrixNotes(m),
    ],
    problems: m.problems,
    durationS: (Date.now() - started) / 1000,
    raw: m.runs,
  }
}

await standalone(import.meta, 'g-upstreams', upstreams)
