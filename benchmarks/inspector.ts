// A few calls of the V8 inspector protocol over 127.0.0.1, for memory measurements that GC noise would otherwise
// drown: a service started with `--inspect=127.0.0.1:0` prints its WebSocket URL on stderr; we ask it for a full
// garbage collection and for its JS heap usage. (mcpo's heap holds megabytes of boot garbage from PGlite's start-up:
// without a GC before each reading, "RSS delta / sessions" can come out negative.)
import { WebSocket } from 'undici'
import type { Service } from './proc.ts'

export const INSPECT_ARG = '--inspect=127.0.0.1:0'

export function inspectorUrl(service: Service): string | null {
  return /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(service.stderr())?.[1] ?? null
}

type Call = { method: string; params?: unknown }

async function connect(url: string): Promise<{ send(c: Call): Promise<unknown>; close(): void }> {
  const ws = new WebSocket(url)
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve())
    ws.addEventListener('error', () => reject(new Error(`inspector: cannot connect to ${url}`)))
  })
  let id = 0
  return {
    send(c) {
      const mine = ++id
      const answer = new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`inspector: ${c.method} timed out`)), 60_000)
        const onMessage = (ev: { data: unknown }) => {
          const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } }
          if (msg.id !== mine) return
          clearTimeout(timer)
          ws.removeEventListener('message', onMessage)
          if (msg.error) reject(new Error(`inspector: ${c.method}: ${msg.error.message}`))
          else resolve(msg.result)
        }
        ws.addEventListener('message', onMessage)
      })
      ws.send(JSON.stringify({ id: mine, method: c.method, params: c.params ?? {} }))
      return answer
    },
    close: () => ws.close(),
  }
}

async function call(url: string, calls: Call[]): Promise<unknown[]> {
  const session = await connect(url)
  try {
    const out: unknown[] = []
    for (const c of calls) out.push(await session.send(c))
    return out
  } finally {
    session.close()
  }
}

/**
 * Starts V8's CPU profiler in the service's main thread; the returned function stops it and gives the profile (the
 * .cpuprofile JSON). Unlike --cpu-prof, the profile covers only the window asked for, not start-up and shutdown.
 */
export async function startCpuProfile(service: Service, intervalUs = 100): Promise<() => Promise<unknown>> {
  const url = inspectorUrl(service)
  if (!url) throw new Error(`inspector: ${service.name} was not started with ${INSPECT_ARG}`)
  const session = await connect(url)
  await session.send({ method: 'Profiler.enable' })
  await session.send({ method: 'Profiler.setSamplingInterval', params: { interval: intervalUs } })
  await session.send({ method: 'Profiler.start' })
  return async () => {
    try {
      const { profile } = (await session.send({ method: 'Profiler.stop' })) as { profile: unknown }
      return profile
    } finally {
      session.close()
    }
  }
}

export interface HeapUsage {
  usedMb: number
  totalMb: number
}

/** Two full GCs (the second collects what finalizers of the first freed), then the JS heap usage. */
export async function collectGarbage(service: Service): Promise<HeapUsage | null> {
  const url = inspectorUrl(service)
  if (!url) return null
  const [, , usage] = (await call(url, [
    { method: 'HeapProfiler.collectGarbage' },
    { method: 'HeapProfiler.collectGarbage' },
    { method: 'Runtime.getHeapUsage' },
  ])) as [unknown, unknown, { usedSize: number; totalSize: number }]
  return { usedMb: usage.usedSize / 2 ** 20, totalMb: usage.totalSize / 2 ** 20 }
}
