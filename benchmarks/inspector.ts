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

async function call(url: string, calls: { method: string; params?: unknown }[]): Promise<unknown[]> {
  const ws = new WebSocket(url)
  try {
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve())
      ws.addEventListener('error', () => reject(new Error(`inspector: cannot connect to ${url}`)))
    })
    const out: unknown[] = []
    for (const [i, c] of calls.entries()) {
      const answer = new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`inspector: ${c.method} timed out`)), 30_000)
        const onMessage = (ev: { data: unknown }) => {
          const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } }
          if (msg.id !== i + 1) return
          clearTimeout(timer)
          ws.removeEventListener('message', onMessage)
          if (msg.error) reject(new Error(`inspector: ${c.method}: ${msg.error.message}`))
          else resolve(msg.result)
        }
        ws.addEventListener('message', onMessage)
      })
      ws.send(JSON.stringify({ id: i + 1, method: c.method, params: c.params ?? {} }))
      out.push(await answer)
    }
    return out
  } finally {
    ws.close()
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
