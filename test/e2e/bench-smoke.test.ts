// The benchmarks' smoke mode: the load generator against a real gateway for a few seconds, checking correctness
// (no misrouted or stray replies, no errors, no leftover processes), never speed.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { runLoad } from '../../benchmarks/load.ts'
import { findProcesses, listDescendants, pidAlive } from '../fixtures/processes.ts'
import { fixtureServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'

let gw: TestGateway
before(async () => {
  gw = await startTestGateway({
    projects: [
      { id: 'bench', name: 'Bench', servers: [fixtureServer('fast')], apiKeys: [{ name: 'b', key: TEST_KEY }] },
    ],
  })
})
after(() => gw?.close())

describe('benchmark smoke', () => {
  for (const transport of ['sse', 'streamable', 'modern'] as const) {
    it(`${transport}: 20 sessions for 2 s, every reply its own`, async () => {
      const result = await runLoad({
        endpoint: {
          origin: gw.url,
          ssePath: '/projects/bench/servers/fast/sse',
          mcpPath: '/projects/bench/servers/fast/mcp',
          headers: { authorization: `Bearer ${TEST_KEY}` },
        },
        transport,
        sessions: 20,
        durationMs: 2000,
        warmupMs: 300,
      })
      assert.equal(result.sessionsOpened, 20, result.setup.failureSamples.join('; '))
      assert.ok(result.calls > 20, `only ${result.calls} calls`)
      assert.equal(result.misrouted, 0)
      assert.equal(result.stray, 0)
      assert.equal(result.errors, 0, result.errorSamples.join('; '))
    })
  }

  it('leaves no upstream process once the gateway stops', async () => {
    // This process's upstreams only (tsx's own esbuild helper is a child too, and outlives the gateway by design).
    const mine = new Set(listDescendants(process.pid))
    const children = findProcesses('fixture-server.ts')
      .map((p) => p.pid)
      .filter((pid) => mine.has(pid))
    assert.ok(children.length > 0)
    await gw.close()
    const left = children.filter((pid) => pidAlive(pid))
    assert.deepEqual(left, [])
  })
})
