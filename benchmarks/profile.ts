// Profiles the gateway under load: starts mcpo with --cpu-prof, loads it (one REST path with autocannon, or MCP echo
// calls over legacy SSE or Streamable HTTP with the load generator), stops it (SIGTERM writes the profile) and prints
// the top frames by self time, grouped by package. This is how the hot paths in benchmarks/README.md were found.
// Run: tsx benchmarks/profile.ts [--load rest|sse|streamable] [--path /api/projects] [--connections 100]
//      [--sessions 50] [--upstream fast|everything] [--duration 10] [--out DIR]
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
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

export function topFrames(file: string, n = 25): { byPackage: [string, number][]; byFrame: [string, number][] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[] }
  const total = profile.nodes.reduce((s, x) => s + x.hitCount, 0)
  const pkg = new Map<string, number>()
  const frame = new Map<string, number>()
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame
    const p = where(url)
    pkg.set(p, (pkg.get(p) ?? 0) + node.hitCount)
    const f = `${functionName || '(anonymous)'} ${p}:${lineNumber + 1}`
    frame.set(f, (frame.get(f) ?? 0) + node.hitCount)
  }
  const pct = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => [k, Math.round((v / total) * 1000) / 10] as [string, number])
  return { byPackage: pct(pkg), byFrame: pct(frame) }
}

const ws = new Workspace()
const profDir = values.out ?? ws.newDir('prof')
const upstream = values.upstream as UpstreamKind
const mcp = values.load === 'sse' || values.load === 'streamable'
const target = await startMcpo(ws, {
  servers: mcp ? [{ name: upstream, upstream }] : [],
  nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`],
})
try {
  if (mcp) {
    const r = await runLoad({
      endpoint: target.endpoint(),
      transport: values.load as 'sse' | 'streamable',
      sessions: Number(values.sessions),
      durationMs: Number(values.duration) * 1000,
    })
    console.log(
      `${values.load}: ${JSON.stringify({ callsPerSec: r.callsPerSec, p50: r.latencyMs.p50, misrouted: r.misrouted })}`,
    )
  } else await rest()
} finally {
  await target.stop()
}

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
const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))
if (!file) throw new Error(`no profile written in ${profDir}`)
const { byPackage, byFrame } = topFrames(join(profDir, file))
console.log('\nself time by package (%):')
for (const [k, v] of byPackage) console.log(`  ${String(v).padStart(5)}  ${k}`)
console.log('\ntop frames by self time (%):')
for (const [k, v] of byFrame) console.log(`  ${String(v).padStart(5)}  ${k}`)
console.log(`\nprofile: ${join(profDir, file)}`)
