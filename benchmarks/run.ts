// `npm run bench`: every scenario (a–i) in one invocation on this machine, each with the no-gateway baseline, the
// peer (mcp-proxy) and mcpo side by side. A full run (not --quick, not --only) writes benchmarks/results/latest.json
// and latest.md and the results block of benchmarks/README.md; any other run writes results/partial.json and .md.
// `npm run bench -- --help` lists the flags.
import { loadavg } from 'node:os'
import { machine, type ScenarioResult, updateReadme, writeResults } from './report.ts'
import { sequential } from './scenarios/a-sequential.ts'
import { sessions50 } from './scenarios/b-sessions-50.ts'
import { sessionsMany } from './scenarios/c-sessions-many.ts'
import { type Context, newContext, parseOptions, type Scenario } from './scenarios/common.ts'
import { idleSessions } from './scenarios/d-idle-sse.ts'
import { unified } from './scenarios/e-unified-100.ts'
import { rest } from './scenarios/f-rest-autocannon.ts'
import { upstreams } from './scenarios/g-upstreams.ts'
import { memory } from './scenarios/h-memory.ts'
import { modernUpstream } from './scenarios/i-modern-upstream.ts'
import { checkShippedPlugins } from './targets.ts'

// b runs before g so g reuses b's fast-upstream runs instead of repeating them.
const SCENARIOS: [string, string, Scenario][] = [
  ['a', '1 session, sequential', sequential],
  ['b', '50 sessions', sessions50],
  ['g', 'server-everything vs fast upstream', upstreams],
  ['i', 'modern vs legacy remote upstream', modernUpstream],
  ['c', '200 and 1000 sessions', sessionsMany],
  ['e', 'unified endpoint, 100 servers', unified],
  ['f', 'HTTP endpoints under autocannon', rest],
  ['d', 'idle SSE sessions', idleSessions],
  ['h', 'gateway memory by store', memory],
]

async function main(): Promise<void> {
  const opts = parseOptions()
  await checkShippedPlugins()
  const ctx: Context = newContext(opts)
  const m = machine()
  const date = new Date().toISOString()
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
  const results: ScenarioResult[] = []
  const started = Date.now()
  ctx.log(`${command}: ${m.cores} cores, load average ${m.loadAvgStart.join(' ')}`)
  try {
    for (const [id, title, scenario] of SCENARIOS) {
      if (opts.only && !opts.only.includes(id)) continue
      ctx.log(`scenario ${id}: ${title}`)
      const t0 = Date.now()
      try {
        results.push(await scenario(ctx))
      } catch (err) {
        // One broken scenario must not hide the others: it is reported as a problem and the run goes on.
        const message = err instanceof Error ? (err.stack ?? err.message) : String(err)
        ctx.log(`scenario ${id} FAILED: ${message}`)
        results.push({
          id,
          title: `${title} (FAILED)`,
          command: '',
          params: {},
          tables: [],
          notes: [],
          problems: [`the scenario failed: ${message}`],
          durationS: (Date.now() - t0) / 1000,
          raw: null,
        })
      }
    }
  } finally {
    await ctx.stopTargets()
    ctx.ws.cleanup()
  }
  results.sort((a, b) => a.id.localeCompare(b.id))
  m.loadAvgEnd = loadavg().map((x) => Math.round(x * 100) / 100)
  const full = !opts.quick && !opts.only
  // The committed latest.* always match the README's results: a quick or partial run does not replace them.
  const out = writeResults(full ? 'latest' : 'partial', { machine: m, command, date, scenarios: results })
  const readme = full && updateReadme(out.markdown)
  process.stdout.write(`${out.markdown}\n`)
  ctx.log(
    `done in ${((Date.now() - started) / 1000).toFixed(0)} s; written ${out.json} and ${out.md}${readme ? ' and benchmarks/README.md' : ''}`,
  )
  if (results.some((r) => r.problems.some((p) => /MISROUTED/.test(p)))) {
    ctx.log('MISROUTED REPLIES WERE SEEN: see the problems of each scenario')
    process.exitCode = 2
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
  process.exitCode = 1
})
