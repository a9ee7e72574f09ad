// Open-loop HTTP load: N keep-alive connections together offer R requests per second, whatever the server's speed.
// A closed loop (autocannon's default) at 1000 connections measures throughput: its latency is connections ÷
// throughput (Little's law), so it cannot say how fast one request is served when 1000 clients are connected.
// Latency here counts from each request's scheduled time, so a slow server is not excused (no coordinated omission).
import { Client } from 'undici'
import { type Percentiles, percentiles } from './load.ts'

export interface PacedOptions {
  origin: string
  path: string
  headers: Record<string, string>
  connections: number
  /** Offered requests per second over all connections. */
  rate: number
  durationMs: number
}

export interface PacedResult {
  offeredPerSec: number
  answeredPerSec: number
  latency: Percentiles
  non2xx: number
  errors: number
}

export async function paced(options: PacedOptions): Promise<PacedResult> {
  const { connections, rate, durationMs } = options
  const clients = Array.from(
    { length: connections },
    () => new Client(options.origin, { pipelining: 1, keepAliveTimeout: 60_000, connect: { timeout: 30_000 } }),
  )
  const times: number[] = []
  let non2xx = 0
  let errors = 0
  const request = async (client: Client) => {
    const res = await client.request({ path: options.path, method: 'GET', headers: options.headers })
    await res.body.dump()
    return res.statusCode
  }
  try {
    // Every connection is open before the clock starts: connection set-up is not what this measures.
    for (let i = 0; i < connections; i += 100) {
      await Promise.all(clients.slice(i, i + 100).map((c) => request(c).catch(() => errors++)))
    }
    errors = 0
    const interval = (connections / rate) * 1000
    const start = performance.now() + 50
    const end = start + durationMs
    await Promise.all(
      clients.map(async (client, i) => {
        // Spread the connections' first requests over one interval, then each keeps its own schedule.
        for (let at = start + (interval * i) / connections; at < end; at += interval) {
          const wait = at - performance.now()
          if (wait > 0) await new Promise((r) => setTimeout(r, wait))
          try {
            const status = await request(client)
            if (status < 200 || status > 299) non2xx++
          } catch {
            errors++
            continue
          }
          times.push(performance.now() - at)
        }
      }),
    )
    const seconds = (performance.now() - start) / 1000
    return {
      offeredPerSec: rate,
      answeredPerSec: times.length / seconds,
      latency: percentiles(times),
      non2xx,
      errors,
    }
  } finally {
    // Closing: a socket that fails to close has nothing left to measure.
    await Promise.all(clients.map((c) => c.destroy().catch(() => undefined)))
  }
}
