// Scenario h: what the gateway holds in memory on each store. mcpo with the shipped plugin set and no project (the
// shipped config's empty list) starts on an empty embedded data directory (a newcomer's first `npm start`) and on an
// empty PostgreSQL database; its RSS is read once it has been idle, then again after the REST load of scenario f
// (signed in as the admin, one project created, autocannon on the project list, its servers and its activity).
// Run alone: tsx benchmarks/scenarios/h-memory.ts [--quick] [--rest-connections N] [--rest-duration S] [--pg-url URL]
import autocannon from 'autocannon'
import postgres from 'postgres'
import { IDLE_EMBEDDED, LOADED_EMBEDDED } from '../goals.ts'
import { UsageSampler } from '../load.ts'
import { sample } from '../proc.ts'
import type { Row, ScenarioResult } from '../report.ts'
import { ceilingRow } from '../stdio-ceiling.ts'
import { MCPO_ADMIN, startMcpo, type Target } from '../targets.ts'
import { type Context, standalone } from './common.ts'

const IDLE_MS = 10_000
const SETTLE_MS = 5_000
const PATHS = ['/api/projects', '/api/projects/bench/servers', '/api/projects/bench/activity']

type Store = 'embedded' | 'postgres'

interface Measured {
  idleMb: number | null
  peakMb: number | null
  afterMb: number | null
  requests: number
  non2xx: number
  errors: number
  timeouts: number
  bootMs: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const rssMb = (pid: number) => {
  const s = sample(pid)
  return s ? s.rssKb / 1024 : null
}

async function json(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text()
  if (!res.ok) throw new Error(`${res.url} answered ${res.status} ${text.slice(0, 200)}`)
  return text ? (JSON.parse(text) as Record<string, unknown>) : {}
}

async function measure(ctx: Context, target: Target, store: Store): Promise<Measured> {
  const pid = target.service.pid
  ctx.log(`h: ${store}: ready after ${(target.bootMs / 1000).toFixed(1)} s, idle ${IDLE_MS / 1000} s`)
  await sleep(IDLE_MS)
  const idleMb = rssMb(pid)
  const { token } = (await json(
    await fetch(`${target.origin}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(MCPO_ADMIN),
    }),
  )) as { token: string }
  const headers = { authorization: `Bearer ${token}` }
  await json(
    await fetch(`${target.origin}/api/projects`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'bench', name: 'Bench' }),
    }),
  )
  const { restConnections: connections, restDurationMs } = ctx.opts
  const sampler = new UsageSampler(pid)
  let requests = 0
  let non2xx = 0
  let errors = 0
  let timeouts = 0
  for (const path of PATHS) {
    ctx.log(`h: ${store}: GET ${path}, ${connections} connections, ${restDurationMs / 1000} s`)
    const options = { url: target.origin + path, headers, connections, timeout: 10 }
    await autocannon({ ...options, duration: 1 })
    const r = await autocannon({ ...options, duration: restDurationMs / 1000 })
    requests += r['2xx'] + r.non2xx
    non2xx += r.non2xx
    errors += r.errors
    timeouts += r.timeouts
  }
  const usage = sampler.stop()
  await sleep(SETTLE_MS)
  return {
    idleMb,
    peakMb: usage?.rssPeakMb ?? null,
    afterMb: rssMb(pid),
    requests,
    non2xx,
    errors,
    timeouts,
    bootMs: target.bootMs,
  }
}

/** A database of its own on the PostgreSQL server, dropped afterwards. */
async function withDatabase<T>(adminUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `mcpo_bench_${process.pid}_${Date.now()}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 })
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`)
    const url = new URL(adminUrl)
    url.pathname = `/${name}`
    try {
      return await fn(url.toString())
    } finally {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {})
    }
  } finally {
    await admin.end({ timeout: 5 })
  }
}

export async function memory(ctx: Context): Promise<ScenarioResult> {
  const started = Date.now()
  const problems: string[] = []
  const results: Partial<Record<Store, Measured>> = {}
  for (const store of ['embedded', 'postgres'] as const) {
    try {
      const run = async (databaseUrl?: string) => {
        ctx.log(`h: starting mcpo on the ${store} store (shipped plugins, no project, empty store)`)
        const target = await startMcpo(
          ctx.ws,
          { servers: [], noProjects: true, databaseUrl },
          databaseUrl ? undefined : ctx.ws.newDir('h-empty-data'),
        )
        try {
          results[store] = await measure(ctx, target, store)
        } finally {
          for (const w of ctx.newWarnings(target)) problems.push(`mcpo (${store}) logged: ${w}`)
          await target.stop()
        }
      }
      if (store === 'postgres') await withDatabase(ctx.opts.pgUrl, run)
      else await run()
      const m = results[store]
      if (m?.non2xx || m?.errors || m?.timeouts)
        problems.push(
          `${store}: ${m.non2xx} non-2xx answers, ${m.errors} errors and ${m.timeouts} timeouts; ${m.requests} REST requests answered`,
        )
    } catch (err) {
      problems.push(`${store} store not measured: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  const label = (store: Store) => `${store} store`
  const rows: Row[] = []
  for (const store of ['embedded', 'postgres'] as const) {
    const m = results[store]
    const metric = (what: string) => `${label(store)}: ${what}`
    rows.push(
      {
        ...ceilingRow(label(store), 'RSS idle after the first start, MB', m?.idleMb ?? null, 0),
        metric: store === 'embedded' ? IDLE_EMBEDDED : metric('RSS idle after the first start, MB'),
      },
      ceilingRow(label(store), 'RSS peak during the REST load, MB', m?.peakMb ?? null, 0),
      {
        ...ceilingRow(label(store), 'RSS after the REST load, MB', m?.afterMb ?? null, 0),
        metric: store === 'embedded' ? LOADED_EMBEDDED : metric('RSS after the REST load, MB'),
      },
      ceilingRow(label(store), 'REST requests answered', m?.requests ?? null, 0),
      ceilingRow(label(store), 'start-up until ready, s', m ? m.bootMs / 1000 : null, 1),
    )
  }
  return {
    id: 'h',
    title: 'gateway memory by store: idle and after the REST load',
    command: 'tsx benchmarks/scenarios/h-memory.ts',
    params: {
      idleS: IDLE_MS / 1000,
      restConnections: ctx.opts.restConnections,
      restDurationS: ctx.opts.restDurationMs / 1000,
      paths: PATHS,
    },
    tables: [{ title: 'h · gateway memory by store', rows }],
    notes: [
      `mcpo with the shipped plugin set, no project in its config, started on an empty store: the embedded one creates its database on this first start. "Idle" is read ${IDLE_MS / 1000} s after it is ready; then the admin signs in, creates one project and GETs ${PATHS.join(', ')} with autocannon (${ctx.opts.restConnections} connections, 1 s warm-up and ${ctx.opts.restDurationMs / 1000} s each); "after" is read ${SETTLE_MS / 1000} s after the last request. RSS is the gateway process's (VmRSS), the embedded database's thread included.`,
      `PostgreSQL: a database of its own on ${new URL(ctx.opts.pgUrl).host}, dropped afterwards; the server's own memory is not counted.`,
    ],
    problems,
    durationS: (Date.now() - started) / 1000,
    raw: results,
  }
}

await standalone(import.meta, 'h-memory', memory)
