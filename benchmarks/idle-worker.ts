// A child process of scenario d holding idle legacy SSE sessions against one target. One worker per target, because
// 10,000 sessions need 10,000+ sockets and a process may not hold three targets' worth under `ulimit -n`.
// Driven over the IPC channel: {op:'open', endpoint, count} → {op:'opened', …}; {op:'mark'} (start counting
// keepalives) → {op:'marked'}; {op:'check'} → {op:'checked', …}; {op:'close'} → {op:'closed'}, then it exits.
import { closeSessions, openSessions, type Percentiles, percentiles, pool } from './load.ts'
import type { Endpoint, McpSession } from './mcp-client.ts'

type Command =
  | { op: 'open'; endpoint: Endpoint; count: number; concurrency?: number }
  | { op: 'mark' }
  | { op: 'check' }
  | { op: 'close' }

export interface CheckReply {
  op: 'checked'
  sessions: number
  /** Streams the server closed while idle. */
  closedByServer: number
  alive: number
  failures: string[]
  pingMs: Percentiles
  /** SSE comments (keepalives) received per session since the last `mark`. */
  keepalives: { min: number; mean: number; max: number }
}

const sessions: McpSession[] = []
const seen = new WeakMap<McpSession, number>()

function reply(msg: unknown): void {
  process.send?.(msg)
}

async function check(): Promise<CheckReply> {
  const keepalives = sessions.map((s) => {
    const n = s.counters.keepalives - (seen.get(s) ?? 0)
    seen.set(s, s.counters.keepalives)
    return n
  })
  const closedByServer = sessions.filter((s) => s.closed).length
  const times: number[] = []
  const failures: string[] = []
  await pool(sessions, 200, async (s) => {
    const t0 = performance.now()
    try {
      await s.request('ping', {})
      times.push(performance.now() - t0)
    } catch (err) {
      failures.push(err instanceof Error ? err.message : String(err))
    }
  })
  const sum = keepalives.reduce((a, b) => a + b, 0)
  return {
    op: 'checked',
    sessions: sessions.length,
    closedByServer,
    alive: times.length,
    failures: [...new Set(failures)].slice(0, 5),
    pingMs: percentiles(times),
    keepalives: {
      min: keepalives.length ? Math.min(...keepalives) : 0,
      mean: keepalives.length ? sum / keepalives.length : 0,
      max: keepalives.length ? Math.max(...keepalives) : 0,
    },
  }
}

process.on('message', async (cmd: Command) => {
  try {
    if (cmd.op === 'open') {
      // Idle POST connections close after 5 s, as undici's default keep-alive would against most servers: an idle
      // client holds only its stream.
      const opened = await openSessions(cmd.endpoint, 'sse', cmd.count, cmd.concurrency ?? 50, {
        keepAliveMaxTimeoutMs: 5000,
      })
      for (const s of opened.sessions) {
        sessions.push(s)
        seen.set(s, s.counters.keepalives)
      }
      reply({ op: 'opened', setup: opened.setup, total: sessions.length })
    } else if (cmd.op === 'mark') {
      for (const s of sessions) seen.set(s, s.counters.keepalives)
      reply({ op: 'marked' })
    } else if (cmd.op === 'check') {
      reply(await check())
    } else if (cmd.op === 'close') {
      await closeSessions(sessions.splice(0))
      reply({ op: 'closed' })
      setTimeout(() => process.exit(0), 100)
    }
  } catch (err) {
    reply({ op: 'error', message: err instanceof Error ? err.stack : String(err) })
  }
})
process.on('disconnect', () => process.exit(0))
reply({ op: 'ready' })
