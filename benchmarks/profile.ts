// Profiles the gateway under load: starts mcpo (the shipped plugin set, as the benchmarks run it) with the inspector,
// loads it (one REST path with autocannon, or MCP echo calls over legacy SSE or Streamable HTTP with the load
// generator) while V8's CPU profiler runs in its main thread, and prints the top frames by self time, grouped by
// package, as a share of all samples and of the busy ones (idle left out). This is how the hot paths in
// benchmarks/README.md were found.
// Run: tsx benchmarks/profile.ts [--load rest|sse|streamable] [--path /api/projects] [--connections 100]
//      [--sessions 50] [--upstream fast|everything] [--duration 10] [--recording on|off] [--out DIR]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { INSPECT_ARG, startCpuProfile } from './inspector.ts'
import { runLoad } from './load.ts'
import { MCPO_ADMIN, startMcpo, type UpstreamKind, Workspace } from './targets.ts'

const { values } = parseArgs({
  options: {
    load: { type: 'string', default: 'rest' },
    path: { type: 'string', default: '/api/projects' },
    sessions: { type: 'string', default: '50' },
    upstream: { type: 'string', default: 'fast' },
    connections: { type: 'string', default: '100' },
    duration: { type: 'string', default: '10' },
    recording: { type: 'string', default: 'on' },
    out: { type: 'string' },
  },
})

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount: number
}

function where(url: string): string {
  const nm = url.lastIndexOf('node_modules/')
  if (nm !== -1) {
    const rest = url.slice(nm + 13).split('/')
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
  }
  if (url.startsWith('node:')) return url
  const root =
    url.indexOf('/gateway/') !== -1 ? url.slice(url.indexOf('/gateway/') + 1) : url.split('/').slice(-2).join('/')
  return root || '(native)'
}

export interface Top {
  samples: number
  /** Share of the samples that were not (idle), in %. */
  busyPercent: number
  /** [name, % of all samples, % of busy samples] */
  byPackage: [string, number, number][]
  byFrame: [string, number, number][]
}

const IDLE = new Set(['(idle)'])

export function topFrames(file: string, n = 25): Top {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[] }
  const total = profile.nodes.reduce((s, x) => s + x.hitCount, 0)
  const idle = profile.nodes.filter((x) => IDLE.has(x.callFrame.functionName)).reduce((s, x) => s + x.hitCount, 0)
  const busy = total - idle
  const pkg = new Map<string, number>()
  const frame = new Map<string, number>()
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame
    if (IDLE.has(functionName)) continue
    const p = where(url)
    pkg.set(p, (pkg.get(p) ?? 0) + node.hitCount)
    const f = `${functionName || '(anonymous)'} ${p}:${lineNumber + 1}`
    frame.set(f, (frame.get(f) ?? 0) + node.hitCount)
  }
  const r1 = (x: number) => Math.round(x * 10) / 10
  const pct = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => [k, r1((v / total) * 100), r1((v / busy) * 100)] as [string, number, number])
  return { samples: total, busyPercent: r1((busy / total) * 100), byPackage: pct(pkg), byFrame: pct(frame) }
}

const ws = new Workspace()
const profDir = values.out ?? join(tmpdir(), 'mcpo-profiles')
mkdirSync(profDir, { recursive: true })
const upstream = values.upstream as UpstreamKind
const mcp = values.load === 'sse' || values.load === 'streamable'
const load0 = loadavg()
const target = await startMcpo(ws, {
  servers: mcp ? [{ name: upstream, upstream }] : [],
  recording: values.recording !== 'off',
  nodeArgs: [INSPECT_ARG],
})
const file = join(profDir, `mcpo-${values.load}-${Date.now()}.cpuprofile`)
try {
  const stop = await startCpuProfile(target.service)
  if (mcp) {
    const r = await runLoad({
      endpoint: target.endpoint(),
      transport: values.load as 'sse' | 'streamable',
      sessions: Number(values.sessions),
      durationMs: Number(values.duration) * 1000,
      serverPid: target.service.pid,
    })
    console.log(
      `${values.load}: ${JSON.stringify({ callsPerSec: Math.round(r.callsPerSec), p50: r.latencyMs.p50, misrouted: r.misrouted, serverCpuPercent: r.server?.cpuPercent })}`,
    )
  } else await rest()
  writeFileSync(file, JSON.stringify(await stop()))
} finally {
  await target.stop()
  ws.cleanup()
}
console.log(
  `load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
)

async function rest() {
  const login = await fetch(`${target.origin}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(MCPO_ADMIN),
  })
  const { token } = (await login.json()) as { token: string }
  const opts = {
    url: target.origin + values.path,
    headers: { authorization: `Bearer ${token}` },
    connections: Number(values.connections),
  }
  await autocannon({ ...opts, duration: 2 })
  const r = await autocannon({ ...opts, duration: Number(values.duration) })
  console.log(
    `${values.path}: ${Math.round(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non2xx ${r.non2xx}`,
  )
}
const top = topFrames(file)
console.log(`\n${top.samples} samples, ${top.busyPercent} % busy (not idle)`)
console.log('\nself time by package (% of all samples / % of busy samples):')
for (const [k, a, b] of top.byPackage) console.log(`  ${String(a).padStart(5)} ${String(b).padStart(5)}  ${k}`)
console.log('\ntop frames by self time (% of all samples / % of busy samples):')
for (const [k, a, b] of top.byFrame) console.log(`  ${String(a).padStart(5)} ${String(b).padStart(5)}  ${k}`)
console.log(`\nprofile: ${file}`)
