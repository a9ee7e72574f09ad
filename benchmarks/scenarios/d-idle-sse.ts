// Scenario d: 1000, then 10,000 idle legacy SSE sessions (GET + initialize + initialized, then silence), each level
// held for 60 s; memory per session = server RSS delta / sessions, keepalives received, and a ping on every session
// afterwards to prove it is still alive. Run alone: tsx benchmarks/scenarios/d-idle-sse.ts [--quick] [--idle-hold S]
//
// The three targets run at the same time, each driven by its own worker process (benchmarks/idle-worker.ts) so
// that no process needs more than ~10,000 sockets; sessions are opened one target at a time, so set-up times do not
// compete, and then all are held together (an idle session costs memory, not CPU).
import { join } from 'node:path'
import type { CheckReply } from '../idle-worker.ts'
import { collectGarbage, type HeapUsage, INSPECT_ARG } from '../inspector.ts'
import type { OpenedSessions } from '../load.ts'
import { type ServerUsage, UsageSampler } from '../load.ts'
import { hardNoFile, type Service, sample, softNoFile, startService } from '../proc.ts'
import type { Row, ScenarioResult, Table } from '../report.ts'
import {
  ROOT,
  startBaseline,
  startMcpo,
  startPeer,
  TARGETS,
  type Target,
  type TargetKind,
  warnings,
} from '../targets.ts'
import { type Context, standalone } from './common.ts'

class Worker {
  private waiting: ((msg: { op: string }) => void) | null = null
  readonly ready: Promise<unknown>

  constructor(readonly service: Service) {
    this.ready = this.next()
    service.child.on('message', (msg: { op: string }) => {
      const w = this.waiting
      this.waiting = null
      w?.(msg)
    })
  }

  private next(timeoutMs = 600_000): Promise<{ op: string }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.service.name}: no answer in ${timeoutMs} ms`)), timeoutMs)
      this.waiting = (msg) => {
        clearTimeout(timer)
        if (msg.op === 'error') reject(new Error(`${this.service.name}: ${(msg as { message?: string }).message}`))
        else resolve(msg)
      }
      this.service.exited.then(({ code, signal }) =>
        reject(new Error(`${this.service.name} exited (${code ?? signal}): ${this.service.stderr().slice(-2000)}`)),
      )
    })
  }

  async call<T>(msg: unknown): Promise<T> {
    const answer = this.next()
    this.service.child.send(msg as object)
    return (await answer) as T
  }
}

interface Level {
  sessions: number
  setup: Partial<Record<TargetKind, OpenedSessions['setup']>>
  /** After a forced full GC. */
  rssMb: Partial<Record<TargetKind, number>>
  heap: Partial<Record<TargetKind, HeapUsage | null>>
  hold: Partial<Record<TargetKind, ServerUsage | null>>
  check: Partial<Record<TargetKind, CheckReply>>
}

export async function idleSessions(ctx: Context): Promise<ScenarioResult> {
  const started = Date.now()
  const { idleSessions: levels, idleHoldMs } = ctx.opts
  const problems: string[] = []
  const notes: string[] = []
  const hard = hardNoFile()
  const biggest = Math.max(...levels)
  if (biggest + 1000 > hard) {
    problems.push(
      `ulimit -n hard limit is ${hard}: ${biggest} sessions need about ${biggest + 1000} descriptors per process; expect failures at that level`,
    )
  }
  notes.push(
    `Open-files limit: this process soft ${softNoFile()}, hard ${hard}; every server and worker is started with its soft limit raised to the hard limit (\`ulimit -n ${hard}\`).`,
  )

  const targets: Partial<Record<TargetKind, Target>> = {}
  const workers: Partial<Record<TargetKind, Worker>> = {}
  const rss0: Partial<Record<TargetKind, number>> = {}
  const heap0: Partial<Record<TargetKind, HeapUsage | null>> = {}
  const rssClosed: Partial<Record<TargetKind, number>> = {}
  const closeMs: Partial<Record<TargetKind, number>> = {}
  const closed = new Set<TargetKind>()
  const results: Level[] = []
  try {
    ctx.log('d: starting baseline, peer and mcpo (fast upstream)')
    const nodeArgs = [INSPECT_ARG]
    const [b, p, m] = await Promise.allSettled([
      startBaseline(ctx.ws, { nodeArgs }),
      startPeer(ctx.ws, 'fast', { nodeArgs }),
      startMcpo(ctx.ws, { servers: [{ name: 'fast', upstream: 'fast' }], nodeArgs }),
    ])
    for (const [kind, r] of [
      ['baseline', b],
      ['peer', p],
      ['mcpo', m],
    ] as const) {
      if (r.status === 'fulfilled') targets[kind] = r.value
    }
    for (const r of [b, p, m]) if (r.status === 'rejected') throw r.reason
    for (const kind of TARGETS) {
      const svc = startService(
        `idle-worker-${kind}`,
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, '../idle-worker.ts')],
        {
          cwd: ROOT,
          ipc: true,
          noFile: hard,
        },
      )
      workers[kind] = new Worker(svc)
      await workers[kind]!.ready
      // One session first: lazy upstreams start and code paths warm up before the "before" RSS is read.
      await workers[kind]!.call({ op: 'open', endpoint: targets[kind]!.endpoint(), count: 1 })
    }
    for (const kind of TARGETS) {
      heap0[kind] = await collectGarbage(targets[kind]!.service)
      rss0[kind] = (sample(targets[kind]!.service.pid)?.rssKb ?? 0) / 1024
    }
    let open = 1
    for (const level of levels) {
      const l: Level = { sessions: level, setup: {}, rssMb: {}, heap: {}, hold: {}, check: {} }
      for (const kind of TARGETS) {
        ctx.log(`d: ${kind}: opening ${level - open} more idle SSE sessions (to ${level})`)
        const r = await workers[kind]!.call<{ setup: OpenedSessions['setup']; total: number }>({
          op: 'open',
          endpoint: targets[kind]!.endpoint(),
          count: level - open,
        })
        l.setup[kind] = r.setup
        ctx.log(`  ${r.total} open, ${r.setup.failures} failed, ${(r.setup.totalMs / 1000).toFixed(1)} s`)
        if (r.setup.failures)
          problems.push(
            `${kind}: ${r.setup.failures} of ${level - open} sessions failed to open: ${r.setup.failureSamples.join('; ')}`,
          )
      }
      ctx.log(`d: holding ${level} sessions per target for ${idleHoldMs / 1000} s`)
      for (const kind of TARGETS) await workers[kind]!.call({ op: 'mark' })
      const samplers = Object.fromEntries(TARGETS.map((k) => [k, new UsageSampler(targets[k]!.service.pid, 1000)]))
      await new Promise((r) => setTimeout(r, idleHoldMs))
      for (const kind of TARGETS) {
        l.hold[kind] = samplers[kind].stop()
        l.heap[kind] = await collectGarbage(targets[kind]!.service)
        l.rssMb[kind] = (sample(targets[kind]!.service.pid)?.rssKb ?? 0) / 1024
      }
      // Every worker pings its own target; the three run at once.
      const checks = await Promise.all(TARGETS.map((k) => workers[k]!.call<CheckReply>({ op: 'check' })))
      TARGETS.forEach((kind, i) => {
        const c = checks[i]
        l.check[kind] = c
        ctx.log(`  ${kind}: ${c.alive}/${c.sessions} answered a ping, ${c.closedByServer} closed by the server`)
        if (c.alive < level)
          problems.push(
            `${kind} at ${level}: only ${c.alive} of ${level} sessions answered a ping after the hold (${c.closedByServer} streams closed by the server) ${c.failures.join('; ')}`,
          )
      })
      results.push(l)
      open = level
    }
    // Every session closed: does the memory come back (no leak), and how long did closing take?
    await Promise.all(
      TARGETS.map(async (kind) => {
        const t0 = Date.now()
        await workers[kind]!.call({ op: 'close' })
        closed.add(kind)
        closeMs[kind] = Date.now() - t0
      }),
    )
    await new Promise((r) => setTimeout(r, 2000))
    for (const kind of TARGETS) {
      await collectGarbage(targets[kind]!.service)
      rssClosed[kind] = (sample(targets[kind]!.service.pid)?.rssKb ?? 0) / 1024
    }
  } finally {
    for (const kind of TARGETS) {
      const w = workers[kind]
      if (w) {
        if (!closed.has(kind)) await w.call({ op: 'close' }).catch(() => {})
        await w.service.stop()
      }
    }
    for (const kind of TARGETS) {
      const t = targets[kind]
      if (t) {
        for (const w of warnings(t.service)) problems.push(`${kind} logged: ${w}`)
        await t.stop()
      }
    }
  }

  const tables: Table[] = results.map((l, i) => {
    const prev = i > 0 ? results[i - 1] : null
    const last = i === results.length - 1
    const row = (metric: string, f: (k: TargetKind) => number | string | null, digits = 1, ratio = true): Row => ({
      metric,
      baseline: f('baseline'),
      peer: f('peer'),
      mcpo: f('mcpo'),
      digits,
      ratio,
    })
    const opened = (k: TargetKind) => l.check[k]?.sessions ?? 0
    return {
      title: `d · ${l.sessions} idle legacy SSE sessions per target, held ${idleHoldMs / 1000} s`,
      rows: [
        row(
          'sessions open / answering a ping after the hold',
          (k) => `${opened(k)} / ${l.check[k]?.alive ?? 0}`,
          0,
          false,
        ),
        row('streams closed by the server during the hold', (k) => l.check[k]?.closedByServer ?? null, 0, false),
        row('set-up of the new sessions, s (50 at a time)', (k) => (l.setup[k]?.totalMs ?? 0) / 1000, 2),
        row('session set-up p50 ms', (k) => l.setup[k]?.perSessionMs.p50 ?? null, 1),
        row('session set-up p99 ms', (k) => l.setup[k]?.perSessionMs.p99 ?? null, 1),
        row('server RSS before sessions, MB', (k) => rss0[k] ?? null, 0),
        row('server RSS after the hold, MB', (k) => l.rssMb[k] ?? null, 0),
        row('server RSS peak during the hold, MB', (k) => l.hold[k]?.rssPeakMb ?? null, 0),
        row(
          '**memory per session, KB** (RSS delta / sessions)',
          (k) => (((l.rssMb[k] ?? 0) - (rss0[k] ?? 0)) * 1024) / l.sessions,
          1,
        ),
        ...(prev
          ? [
              row(`marginal memory per session ${prev.sessions} → ${l.sessions}, KB (RSS)`, (k) => {
                const a = prev.rssMb[k]
                const b = l.rssMb[k]
                return a !== undefined && b !== undefined ? ((b - a) * 1024) / (l.sessions - prev.sessions) : null
              }),
            ]
          : []),
        row('JS heap per session, KB (heap used delta / sessions)', (k) => {
          const a = heap0[k]
          const b = l.heap[k]
          return a && b ? ((b.usedMb - a.usedMb) * 1024) / l.sessions : null
        }),
        row('server CPU % during the hold', (k) => l.hold[k]?.cpuPercent ?? null, 1),
        row(
          'keepalive comments per session during the hold (mean)',
          (k) => l.check[k]?.keepalives.mean ?? null,
          1,
          false,
        ),
        row(
          'ping after the hold p50 ms (all sessions at once, 200 in flight per target)',
          (k) => l.check[k]?.pingMs.p50 ?? null,
          1,
        ),
        row('ping after the hold p99 ms', (k) => l.check[k]?.pingMs.p99 ?? null, 1),
        row('upstream processes', (k) => l.hold[k]?.upstreamProcesses ?? null, 0, false),
        ...(last
          ? [
              row('closing every session, s', (k) => (closeMs[k] !== undefined ? closeMs[k]! / 1000 : null), 2),
              row('server RSS after all sessions closed, MB', (k) => rssClosed[k] ?? null, 0),
            ]
          : []),
      ],
    }
  })
  const missing = levels.filter((lv) => !results.some((r) => r.sessions === lv))
  if (missing.length) problems.push(`levels not reached: ${missing.join(', ')} (see the problems above)`)
  return {
    id: 'd',
    title: `Idle legacy SSE sessions (${levels.join(' and ')}), held ${idleHoldMs / 1000} s`,
    command: 'tsx benchmarks/scenarios/d-idle-sse.ts',
    params: { levels, holdS: idleHoldMs / 1000, openFilesHard: hard },
    tables,
    notes: [
      ...notes,
      'Each level adds sessions to the previous one. Every server runs with `--inspect=127.0.0.1:0`, and before each RSS reading the benchmark forces two full GCs over the inspector protocol, so garbage does not count as session memory.',
      "mcpo's RSS (~400 MB, most of it the embedded PGlite database and its start-up) moves by tens of MB on its own, more than 10,000 of its sessions add: its RSS rows are noise at this resolution (they can even come out negative), and the JS heap row is the better measure of what a session costs it (uWS keeps the socket itself in a few hundred bytes of native memory).",
      "Keepalives are counted from the start of the hold to its end. mcpo sends `: keepalive` every 15 s (limits.sseKeepaliveMs); a stream silent for longer than undici's default 300 s body timeout is cut by Node clients (protocol.md §2.5).",
      'After the hold every session sends a `ping` over its POST endpoint and waits for the answer on its stream.',
    ],
    problems,
    durationS: (Date.now() - started) / 1000,
    raw: { rssBeforeMb: rss0, heapBefore: heap0, rssAfterCloseMb: rssClosed, closeMs, levels: results },
  }
}

await standalone(import.meta, 'd-idle-sse', idleSessions)
