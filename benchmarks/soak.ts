// The soak run (issue 11 point 7): `npm run soak [-- --minutes 10 --sessions 20]`. One gateway in this process with
// server-everything over stdio; clients call echo on Streamable HTTP sessions without pause, a quarter of them close
// and reopen their session every few calls (session churn), and a REST reader polls the API. RSS and heap are
// sampled every 5 s after a warm-up; the memory slope (MB/min, least squares) says whether something leaks.
import { parseArgs } from 'node:util'
import { startTestGateway, TEST_KEY } from '../test/harness.ts'
import { callEcho, type Endpoint, StreamableSession } from './mcp-client.ts'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    sessions: { type: 'string', default: '20' },
    'warmup-s': { type: 'string', default: '30' },
  },
})
const minutes = Number(values.minutes)
const sessionCount = Number(values.sessions)
const warmupMs = Number(values['warmup-s']) * 1000

const gw = await startTestGateway({ limits: { sessionsPerKey: 10_000 } })
const endpoint: Endpoint = {
  origin: gw.url,
  ssePath: '/projects/demo/servers/everything/sse',
  mcpPath: '/projects/demo/servers/everything/mcp',
  headers: { authorization: `Bearer ${TEST_KEY}` },
}
const stopAt = Date.now() + warmupMs + minutes * 60_000
let calls = 0
let errors = 0
let reopened = 0

async function client(i: number): Promise<void> {
  const churn = i % 4 === 0
  let c = new StreamableSession(endpoint)
  await c.open()
  for (let n = 0; Date.now() < stopAt; n++) {
    // A failed call counts as a wrong reply and the client goes on: the soak measures memory over the whole run.
    const ok = await callEcho(c, 'echo', `c${i}-${n}`).catch(() => false)
    calls++
    if (!ok) errors++
    if (churn && n % 20 === 19) {
      await c.close()
      c = new StreamableSession(endpoint)
      await c.open()
      reopened++
    }
  }
  await c.close()
}

async function restReader(): Promise<void> {
  while (Date.now() < stopAt) {
    const res = await fetch(`${gw.url}/readyz`)
    await res.arrayBuffer()
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length
  const mx = points.reduce((s, p) => s + p[0], 0) / n
  const my = points.reduce((s, p) => s + p[1], 0) / n
  let num = 0
  let den = 0
  for (const [x, y] of points) {
    num += (x - mx) * (y - my)
    den += (x - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

const started = Date.now()
const rss: [number, number][] = []
const heap: [number, number][] = []
const sampler = setInterval(() => {
  const t = Date.now() - started
  if (t < warmupMs) return
  const m = process.memoryUsage()
  const min = (t - warmupMs) / 60_000
  rss.push([min, m.rss / 2 ** 20])
  heap.push([min, m.heapUsed / 2 ** 20])
  if (rss.length % 12 === 0) {
    console.log(
      `${min.toFixed(1)} min: rss ${(m.rss / 2 ** 20).toFixed(0)} MB, heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MB, ` +
        `${calls} calls, ${errors} errors, ${gw.gateway.sessions.size} sessions`,
    )
  }
}, 5000)

try {
  await Promise.all([...Array.from({ length: sessionCount }, (_, i) => client(i)), restReader()])
} finally {
  clearInterval(sampler)
  await gw.close()
}
const seconds = (Date.now() - started - warmupMs) / 1000
const first = rss[0]?.[1] ?? 0
const last = rss.at(-1)?.[1] ?? 0
console.log(
  `soak: ${minutes} min measured after ${warmupMs / 1000} s warm-up, ${sessionCount} sessions, ${calls} calls ` +
    `(${Math.round(calls / (seconds + warmupMs / 1000))}/s), ${errors} wrong or failed replies, ${reopened} sessions reopened\n` +
    `rss ${first.toFixed(0)} → ${last.toFixed(0)} MB, slope ${slope(rss).toFixed(2)} MB/min; ` +
    `heap slope ${slope(heap).toFixed(2)} MB/min (${rss.length} samples)`,
)
process.exit(errors === 0 ? 0 : 1)
