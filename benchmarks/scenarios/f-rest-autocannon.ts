// Scenario f: HTTP endpoints under autocannon at 1000 connections: /healthz, /readyz, an authenticated MCP `ping`
// POST over Streamable HTTP (one session, answered by the server itself), and, on mcpo only, the management REST API
// (GET /api/projects, …/servers, …/activity) if it answers; rows say "pending" where it does not (yet).
// Run alone: tsx benchmarks/scenarios/f-rest-autocannon.ts [--quick] [--rest-connections N] [--rest-duration S]
import autocannon from 'autocannon'
import { type Percentiles, percentiles, UsageSampler } from '../load.ts'
import { callEcho, StreamableSession } from '../mcp-client.ts'
import { type PacedResult, paced } from '../paced.ts'
import type { Row, ScenarioResult } from '../report.ts'
import { MCPO_ADMIN, TARGETS, type TargetKind } from '../targets.ts'
import { type Context, standalone } from './common.ts'

interface Shot {
  reqPerSec: number
  p50: number
  p99: number
  max: number
  ok: number
  non2xx: number
  errors: number
  timeouts: number
  cpuPercent: number | null
  rssPeakMb: number | null
  clientCpuPercent: number
}

type EndpointId = 'health' | 'ready' | 'ping'
const LABEL: Record<EndpointId, string> = {
  health: 'GET health (/healthz; mcp-proxy: /ping)',
  ready: 'GET /readyz',
  ping: 'POST MCP ping (Streamable HTTP, authenticated)',
}

/** One autocannon run after a 1 s warm-up, with the server's CPU and RSS over the measured window. */
async function shoot(
  options: Parameters<typeof autocannon>[0],
  connections: number,
  durationMs: number,
  pid: number,
  settle: () => Promise<unknown>,
): Promise<Shot> {
  await autocannon({ ...options, connections, duration: 1, timeout: 10 })
  // Requests of the warm-up still queued in the server would eat the measured window: wait for them.
  await settle().catch(() => {})
  const sampler = new UsageSampler(pid)
  const cpu0 = process.cpuUsage()
  const r = await autocannon({ ...options, connections, duration: durationMs / 1000, timeout: 10 })
  const cpu = process.cpuUsage(cpu0)
  const usage = sampler.stop()
  return {
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    cpuPercent: usage?.cpuPercent ?? null,
    rssPeakMb: usage?.rssPeakMb ?? null,
    clientCpuPercent: ((cpu.user + cpu.system) / 1e6 / r.duration) * 100,
  }
}

function check(label: string, shot: Shot, durationMs: number, problems: string[]): void {
  if (shot.ok === 0)
    problems.push(
      `${label}: not one answer within the ${durationMs / 1000} s window (${shot.errors} errors, ${shot.timeouts} timeouts)`,
    )
  if (shot.non2xx || shot.errors)
    problems.push(
      `${label}: ${shot.non2xx} non-2xx answers, ${shot.errors} errors (${shot.timeouts} timeouts) out of ${shot.ok + shot.non2xx} answers`,
    )
}

const API_PATHS = ['/api/projects', '/api/projects/bench/servers', '/api/projects/bench/activity']
type ApiShot = { path: string; shot?: Shot; open?: PacedResult; pending?: string }
/** Latency of one sequential MCP session on mcpo: idle, under /healthz load, under REST API load. */
type Stalls = { idle?: Percentiles; health?: Percentiles; api?: Percentiles }

/**
 * The management REST API (design.md §3), on mcpo only and only if it answers: sign in as the configured admin,
 * check each endpoint once, then autocannon. Anything missing is reported as pending with what the gateway answered.
 */
async function apiShots(ctx: Context, problems: string[], stalls: Stalls): Promise<ApiShot[]> {
  const target = await ctx.target('mcpo', 'fast')
  const { restConnections: connections, restDurationMs, restRate } = ctx.opts
  let token: string
  try {
    const res = await fetch(`${target.origin}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(MCPO_ADMIN),
    })
    const text = await res.text()
    const body = (() => {
      try {
        return JSON.parse(text) as { token?: string }
      } catch {
        return {}
      }
    })()
    if (!res.ok || !body.token) throw new Error(`POST /api/auth/login answered ${res.status} ${text.slice(0, 160)}`)
    token = body.token
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    problems.push(`mcpo REST API not measured: ${why}`)
    for (const w of ctx.newWarnings(target)) problems.push(`mcpo logged: ${w}`)
    return API_PATHS.map((path) => ({ path, pending: why.replace(/\|/g, '/') }))
  }
  const headers = { authorization: `Bearer ${token}` }
  const out: ApiShot[] = []
  for (const path of API_PATHS) {
    const res = await fetch(target.origin + path, { headers })
    await res.arrayBuffer()
    if (res.status !== 200) {
      out.push({ path, pending: `GET answered ${res.status}` })
      continue
    }
    ctx.log(`f: mcpo REST GET ${path}: ${connections} connections, ${restDurationMs / 1000} s`)
    const settle = () => fetch(target.origin + path, { headers }).then((r) => r.arrayBuffer())
    const shot = await shoot(
      { url: target.origin + path, headers },
      connections,
      restDurationMs,
      target.service.pid,
      settle,
    )
    ctx.log(`  ${shot.reqPerSec.toFixed(0)} req/s, p50 ${shot.p50} ms, p99 ${shot.p99} ms, non-2xx ${shot.non2xx}`)
    check(`mcpo REST GET ${path}`, shot, restDurationMs, problems)
    ctx.log(
      `f: mcpo REST GET ${path}: ${restRate} req/s offered over ${connections} connections, ${restDurationMs / 1000} s`,
    )
    const open = await paced({
      origin: target.origin,
      path,
      headers,
      connections,
      rate: restRate,
      durationMs: restDurationMs,
    })
    const l = open.latency
    ctx.log(
      `  answered ${open.answeredPerSec.toFixed(0)} req/s, p50 ${l.p50.toFixed(1)} ms, p95 ${l.p95.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms`,
    )
    if (open.non2xx || open.errors)
      problems.push(`mcpo REST GET ${path} (open loop): ${open.non2xx} non-2xx, ${open.errors} errors`)
    out.push({ path, shot, open })
  }
  if (out[0]?.shot) {
    // PGlite runs in the gateway's own thread (design.md §7): does REST load stall the data plane? One MCP session
    // calls echo sequentially while the server is idle, while /healthz is loaded (the control: same client load, no
    // database) and while GET /api/projects is loaded.
    const url = target.origin + API_PATHS[0]
    const during = async (label: string, load: () => Promise<unknown>) => {
      ctx.log(`f: mcpo data plane while ${label}`)
      const s = new StreamableSession(target.endpoint())
      await s.open()
      const times: number[] = []
      let stop = false
      const loop = (async () => {
        for (let i = 0; !stop; i++) {
          const t0 = performance.now()
          if (!(await callEcho(s, 'echo', `stall-${i}-${Math.random()}`)))
            problems.push('mcpo: MISROUTED reply (stall probe)')
          times.push(performance.now() - t0)
        }
      })()
      try {
        await load()
      } finally {
        stop = true
        await loop.catch((err) => problems.push(`mcpo stall probe failed: ${err.message}`))
        await s.close()
      }
      return percentiles(times)
    }
    const seconds = restDurationMs / 1000
    stalls.idle = await during('idle', () => new Promise((r) => setTimeout(r, restDurationMs)))
    stalls.health = await during(`GET /healthz is loaded (${connections} connections)`, () =>
      autocannon({ url: target.origin + target.healthPath, connections, duration: seconds, timeout: 10 }),
    )
    stalls.api = await during(`GET /api/projects is loaded (${connections} connections)`, () =>
      autocannon({ url, headers, connections, duration: seconds, timeout: 10 }),
    )
  }
  for (const w of ctx.newWarnings(target)) problems.push(`mcpo logged: ${w}`)
  return out
}

export async function rest(ctx: Context): Promise<ScenarioResult> {
  const started = Date.now()
  const { restConnections: connections, restDurationMs } = ctx.opts
  const problems: string[] = []
  const shots: Record<EndpointId, Partial<Record<TargetKind, Shot>>> = { health: {}, ready: {}, ping: {} }
  for (const kind of TARGETS) {
    const target = await ctx.target(kind, 'fast')
    try {
      const endpoint = target.endpoint()
      const session = new StreamableSession(endpoint)
      await session.open()
      const requests: [EndpointId, Parameters<typeof autocannon>[0] | null][] = [
        ['health', { url: target.origin + target.healthPath }],
        ['ready', target.readyPath ? { url: target.origin + target.readyPath } : null],
        [
          'ping',
          {
            url: target.origin + endpoint.mcpPath,
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
              'mcp-session-id': session.sessionId ?? '',
              'mcp-protocol-version': '2025-06-18',
              ...endpoint.headers,
            },
            // A unique id per request: the SDK maps replies to streams by id within a session.
            body: '{"jsonrpc":"2.0","id":"[<id>]","method":"ping"}',
            idReplacement: true,
          },
        ],
      ]
      for (const [id, options] of requests) {
        if (!options) continue
        ctx.log(`f: ${kind} ${LABEL[id]}: ${connections} connections, ${restDurationMs / 1000} s`)
        const shot = await shoot(options, connections, restDurationMs, target.service.pid, () =>
          session.request('ping', {}),
        )
        shots[id][kind] = shot
        ctx.log(`  ${shot.reqPerSec.toFixed(0)} req/s, p50 ${shot.p50} ms, p99 ${shot.p99} ms, non-2xx ${shot.non2xx}`)
        check(`${kind} ${LABEL[id]}`, shot, restDurationMs, problems)
        // Still serving afterwards?
        await session
          .request('ping', {})
          .catch((err) => problems.push(`${kind}: ping after ${id} failed: ${err.message}`))
      }
      await session.close()
    } finally {
      for (const w of ctx.newWarnings(target)) problems.push(`${kind} logged: ${w}`)
    }
  }
  const rows: Row[] = []
  for (const id of ['health', 'ready', 'ping'] as EndpointId[]) {
    const s = shots[id]
    const row = (metric: string, f: (x: Shot) => number | string | null, digits = 1, ratio = true) =>
      rows.push({
        metric: `${LABEL[id]}: ${metric}`,
        baseline: s.baseline ? f(s.baseline) : null,
        peer: s.peer ? f(s.peer) : null,
        mcpo: s.mcpo ? f(s.mcpo) : null,
        digits,
        ratio,
      })
    row('req/s', (x) => x.reqPerSec, 0)
    row('latency p50 ms', (x) => x.p50, 1)
    row('latency p99 ms', (x) => x.p99, 1)
    row('non-2xx / errors (timeouts)', (x) => `${x.non2xx} / ${x.errors} (${x.timeouts})`, 0, false)
    row('server CPU %', (x) => x.cpuPercent, 0)
    row('server RSS peak MB', (x) => x.rssPeakMb, 0)
    row('autocannon CPU %', (x) => x.clientCpuPercent, 0, false)
  }
  const stalls: Stalls = {}
  const api = await apiShots(ctx, problems, stalls)
  for (const { path, shot, open, pending } of api) {
    const row = (metric: string, v: number | string | null, digits = 1): Row => ({
      metric: `REST GET ${path}${metric}`,
      baseline: 'n/a',
      peer: 'n/a',
      mcpo: v,
      digits,
      ratio: false,
    })
    if (!shot) {
      rows.push(row('', `pending (${pending})`))
      continue
    }
    rows.push(
      row(': req/s', shot.reqPerSec, 0),
      row(': latency p50 ms', shot.p50),
      row(': latency p99 ms', shot.p99),
      row(': non-2xx / errors (timeouts)', `${shot.non2xx} / ${shot.errors} (${shot.timeouts})`),
      row(': server CPU %', shot.cpuPercent, 0),
    )
    if (open) {
      const at = `, ${open.offeredPerSec} req/s offered over ${connections} connections (open loop)`
      rows.push(
        row(`${at}: answered req/s`, open.answeredPerSec, 0),
        row(`${at}: latency p50 ms`, open.latency.p50),
        row(`${at}: latency p95 ms`, open.latency.p95),
        row(`${at}: latency p99 ms`, open.latency.p99),
      )
    }
  }
  for (const [key, label] of [
    ['idle', 'while the gateway is otherwise idle'],
    ['health', `while GET /healthz takes ${connections} connections (control)`],
    ['api', `while GET /api/projects takes ${connections} connections`],
  ] as const) {
    const p = stalls[key]
    if (!p) continue
    const row = (metric: string, v: number): Row => ({
      metric: `MCP tools/call, 1 session, sequential, ${label}: ${metric}`,
      baseline: 'n/a',
      peer: 'n/a',
      mcpo: v,
      digits: 1,
      ratio: false,
    })
    rows.push(row('p50 ms', p.p50), row('p99 ms', p.p99), row('max ms', p.max))
  }
  return {
    id: 'f',
    title: `HTTP endpoints under autocannon, ${connections} connections`,
    command: 'tsx benchmarks/scenarios/f-rest-autocannon.ts',
    params: { connections, durationS: restDurationMs / 1000, restRate: ctx.opts.restRate },
    tables: [{ title: `f · autocannon, ${connections} connections, ${restDurationMs / 1000} s per endpoint`, rows }],
    notes: [
      'The baseline answers /healthz and /readyz with a constant from plain node:http (the floor of a Node HTTP server); mcp-proxy has /ping and no readiness endpoint.',
      'MCP ping: every connection posts to one initialized session; each server answers ping itself (no upstream involved), after authenticating the key (mcpo: Bearer, mcp-proxy: X-API-Key, baseline: none).',
      'REST rows, mcpo only (the baseline and mcp-proxy have no management API): the benchmark signs in as the configured admin (POST /api/auth/login) and loads GET /api/projects, /api/projects/bench/servers and /api/projects/bench/activity with the token; "pending" says what the gateway answered when an endpoint is not there (yet).',
      "REST closed loop vs open loop: autocannon keeps every connection busy, so its latency is connections ÷ throughput (Little's law: at 1000 connections even a constant /healthz answer waits tens of ms). The open-loop rows (benchmarks/paced.ts) hold the same connections open and offer a fixed rate (--rest-rate), counting latency from each request's scheduled time: how fast a request is served while 1000 clients are connected.",
      'Data plane under REST load (mcpo only): the embedded database runs in its own worker thread (design.md §7), so one MCP session calls echo sequentially while the gateway is idle, while /healthz takes the same autocannon load (the control: same client-side load, no database), and while GET /api/projects does. The difference between the last two is what REST work costs the data plane.',
      'Each endpoint gets a 1 s warm-up first; autocannon runs inside the benchmark process and shares the 2 cores with the server it measures.',
    ],
    problems,
    durationS: (Date.now() - started) / 1000,
    raw: { shots, api, dataPlaneDuringRestLoad: stalls },
  }
}

await standalone(import.meta, 'f-rest-autocannon', rest)
