// Periodic health probes (README "Server health"): a `ping` per server every `healthCheckIntervalMs`, so a server
// nobody calls still shows whether it answers. A probe never starts a stdio process (a stopped one is idle on purpose)
// and never hammers a failing server: it waits out the supervisor's backoff, and an open circuit's longest delay.
import type { Logger } from '../../plugins/contract.ts'
import type { UpstreamConnection } from './connection.ts'
import { UpstreamError } from './connection.ts'
import { RpcCodes } from './json-rpc.ts'
import type { ServerRuntime } from './supervisor.ts'

export type ProbeOutcome = 'ok' | 'failed' | 'skipped'

/** A probe gives up after this long, or the handshake timeout if shorter. */
const PROBE_TIMEOUT_MS = 10_000

export interface HealthProberOptions {
  runtimes(): Iterable<ServerRuntime>
  /** `upstreams.healthCheckIntervalMs`: the interval of servers that set none; 0 leaves them unprobed. */
  defaultIntervalMs: number
  handshakeTimeoutMs: number
  logger: Logger
  /** How often due probes are looked for. Default 1000 ms (the shortest interval allowed). */
  tickMs?: number
  now?: () => number
}

/** The interval that applies to a server: its own, else the default; 0 is off. */
export function probeInterval(rt: ServerRuntime, defaultMs: number): number {
  return rt.spec.healthCheckIntervalMs ?? defaultMs
}

/**
 * One probe. A server with a ready connection (a running stdio process, a shared remote session, any client's
 * per-session connection) is pinged over it. A remote server without one gets a short connection of its own:
 * initialize, ping, close. A stdio server without a running process is skipped, and so is a remote server whose
 * backoff has not ended. A `-32601` answer counts as up: the server answered, it just does not implement ping.
 */
export async function probeServer(
  rt: ServerRuntime,
  timeoutMs: number,
  now: number,
  track?: (conn: UpstreamConnection, open: boolean) => void,
): Promise<ProbeOutcome> {
  if (!rt.spec.enabled) return 'skipped'
  const live = rt.liveConnection()
  if (live) {
    // A probe is not use: it must not keep an idle upstream from being stopped (ServerRuntime.sweepIdle).
    const lastActivity = live.lastActivity
    try {
      await ping(live, timeoutMs)
      rt.noteCheck(true)
      return 'ok'
    } catch (err) {
      rt.noteCheck(false, `health probe: ${messageOf(err)}`)
      return 'failed'
    } finally {
      live.lastActivity = lastActivity
    }
  }
  // An OAuth server is probed only through a live connection: a token is someone's, not the prober's.
  if (rt.spec.transport === 'stdio' || rt.spec.auth || rt.state === 'starting') return 'skipped'
  if (rt.retryAt !== null && now < rt.retryAt) return 'skipped'
  const conn = rt.detachedConnection(timeoutMs)
  track?.(conn, true)
  try {
    await conn.start()
    await ping(conn, timeoutMs)
    rt.noteCheck(true)
    return 'ok'
  } catch (err) {
    rt.noteCheck(false, `health probe: ${messageOf(err)}`, true)
    return 'failed'
  } finally {
    track?.(conn, false)
    await conn.close().catch(() => {})
  }
}

async function ping(conn: UpstreamConnection, timeoutMs: number): Promise<void> {
  try {
    // The 2026-07-28 revision has no ping; discovery is its cheapest request.
    if (conn.era === 'modern') await conn.call('server/discover', {}, timeoutMs)
    else await conn.call('ping', undefined, timeoutMs)
  } catch (err) {
    if (err instanceof UpstreamError && err.rpcCode === RpcCodes.METHOD_NOT_FOUND) return
    throw err
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Runs due probes, at most one at a time per server; first probes are spread over one interval. */
export class HealthProber {
  private timer: NodeJS.Timeout | null = null
  private readonly due = new WeakMap<ServerRuntime, number>()
  private readonly running = new Map<ServerRuntime, Promise<ProbeOutcome>>()
  private readonly open = new Set<UpstreamConnection>()
  private readonly now: () => number
  private readonly timeoutMs: number
  private closed = false

  constructor(private readonly opts: HealthProberOptions) {
    this.now = opts.now ?? Date.now
    this.timeoutMs = Math.min(PROBE_TIMEOUT_MS, opts.handshakeTimeoutMs)
  }

  start(): void {
    if (this.timer || this.closed) return
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 1000)
    this.timer.unref()
  }

  tick(): void {
    const now = this.now()
    for (const rt of this.opts.runtimes()) {
      const interval = probeInterval(rt, this.opts.defaultIntervalMs)
      if (interval <= 0 || !rt.spec.enabled || this.running.has(rt)) continue
      const due = this.due.get(rt)
      if (due === undefined) {
        this.due.set(rt, now + spread(`${rt.spec.projectId}/${rt.spec.name}`, interval))
        continue
      }
      if (now < due) continue
      this.due.set(rt, now + interval)
      const run = probeServer(rt, this.timeoutMs, now, (c, open) => (open ? this.open.add(c) : this.open.delete(c)))
        .catch((err: unknown) => {
          this.opts.logger.warn({ server: rt.spec.name, err: messageOf(err) }, 'health probe failed to run')
          return 'failed' as const
        })
        .finally(() => this.running.delete(rt))
      this.running.set(rt, run)
    }
  }

  /** Stops probing; probes under way end at once (their connections close) and are waited for. */
  async close(): Promise<void> {
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await Promise.all([...this.open].map((c) => c.close().catch(() => {})))
    await Promise.all(this.running.values())
  }
}

/** A stable offset in [0, interval) from the server's name, so servers loaded together are not probed together. */
function spread(key: string, interval: number): number {
  let h = 0
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0
  return h % interval
}
