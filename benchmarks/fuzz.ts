// The long fuzz run (issue 11 point 1): `npm run fuzz [-- --cases 100000 --seed 42]`. Same properties as the short
// run in test/security/fuzz.test.ts, but every failure is counted instead of stopping at the first; prints the
// figures recorded in the README and exits 1 if anything failed.
import { parseArgs } from 'node:util'
import { closeFuzz, type FuzzResult, prepareFuzz, runFuzz } from '../test/fixtures/fuzz.ts'
import { startTestGateway, TEST_KEY } from '../test/harness.ts'

const { values } = parseArgs({
  options: { cases: { type: 'string', default: '100000' }, seed: { type: 'string' } },
})
const total = Number(values.cases)
const seed = Number(values.seed ?? Date.now() % 2 ** 31)
const chunk = 10_000

const gw = await startTestGateway()
const ctx = await prepareFuzz(gw, TEST_KEY)
const all: FuzzResult = { cases: 0, failures: 0, examples: [], ms: 0 }
const started = performance.now()
try {
  // Chunks with consecutive seeds: progress is visible and any chunk can be replayed alone with its seed.
  for (let i = 0; all.cases < total; i++) {
    const r = await runFuzz(ctx, { numRuns: Math.min(chunk, total - all.cases), seed: seed + i, survey: true })
    all.cases += r.cases
    all.failures += r.failures
    all.examples.push(...r.examples.slice(0, 20 - all.examples.length))
    const rss = Math.round(process.memoryUsage().rss / 2 ** 20)
    console.log(
      `chunk seed ${seed + i}: ${r.cases} cases, ${r.failures} failures, ${Math.round(r.ms)} ms, rss ${rss} MB`,
    )
  }
} finally {
  closeFuzz(ctx)
  await gw.close()
}
all.ms = performance.now() - started
for (const e of all.examples) console.log(`FAIL ${e.problem}: ${JSON.stringify(e.case).slice(0, 500)}`)
console.log(
  `fuzz: ${all.cases} cases in ${(all.ms / 1000).toFixed(1)} s (${Math.round(all.cases / (all.ms / 1000))}/s), ` +
    `${all.failures} failures, first seed ${seed}`,
)
process.exit(all.failures === 0 ? 0 : 1)
