// The short fuzz run (issue 11 point 1): 5,000 random requests against both MCP transports and the REST API of
// one gateway; any 5xx, crash, hang or malformed error fails with a shrunk example. The long run is `npm run fuzz`.
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { closeFuzz, type FuzzContext, prepareFuzz, runFuzz } from '../fixtures/fuzz.ts'
import { assertNoLeftovers, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'

let gw: TestGateway
let ctx: FuzzContext | undefined
before(async () => {
  gw = await startTestGateway()
  ctx = await prepareFuzz(gw, TEST_KEY)
})
after(async () => {
  if (ctx) closeFuzz(ctx)
  await gw?.close()
  await assertNoLeftovers()
})

it('answers 5,000 random MCP and REST requests with well-formed errors, never a 5xx', async () => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31)
  const result = await runFuzz(ctx as FuzzContext, { numRuns: 5000, seed })
  assert.equal(result.cases, 5000, `seed ${seed}`)
  assert.equal(result.failures, 0, `seed ${seed}: ${JSON.stringify(result.examples[0])}`)
})
