// The upstream's own ceiling: a client speaking newline-delimited JSON-RPC straight to a stdio server's pipes, with
// `inFlight` echo calls outstanding at all times, no HTTP and no gateway. A gateway in front of one shared stdio
// process cannot exceed this figure, so comparing with it says whether the gateway or the upstream is the limit.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { type Percentiles, percentiles } from './load.ts'
import { CLK_TCK, sample } from './proc.ts'
import type { Row } from './report.ts'

export interface CeilingResult {
  callsPerSec: number
  latencyMs: Percentiles
  misrouted: number
  /** CPU the upstream process used over the window, % of one core. */
  upstreamCpuPercent: number | null
}

export async function stdioCeiling(
  command: string,
  args: string[],
  options: { inFlight: number; durationMs: number; warmupMs?: number },
): Promise<CeilingResult> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'] })
  const waiting = new Map<number, { text: string; resolve: (ok: boolean) => void; t0: number }>()
  let nextId = 1
  const lines = createInterface({ input: child.stdout })
  lines.on('line', (line) => {
    let msg: { id?: number; result?: { content?: { text?: string }[] } }
    try {
      msg = JSON.parse(line)
    } catch {
      return // The server's own log lines: not replies.
    }
    if (typeof msg.id !== 'number') return
    const w = waiting.get(msg.id)
    if (!w) return
    waiting.delete(msg.id)
    w.resolve(msg.result?.content?.[0]?.text === `Echo: ${w.text}`)
  })
  const send = (method: string, params: unknown, text = ''): Promise<boolean> =>
    new Promise((resolve) => {
      const id = nextId++
      waiting.set(id, { text, resolve, t0: performance.now() })
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`)
    })
  try {
    await send('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'mcpo-bench-ceiling', version: '1' },
    })
    child.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    const latencies: number[] = []
    let misrouted = 0
    let measuring = false
    let stop = false
    const loop = async (lane: number) => {
      for (let i = 0; !stop; i++) {
        const text = `ceiling-${lane}-${i}`
        const t0 = performance.now()
        if (!(await send('tools/call', { name: 'echo', arguments: { message: text } }, text))) misrouted++
        if (measuring) latencies.push(performance.now() - t0)
      }
    }
    const lanes = Array.from({ length: options.inFlight }, (_, i) => loop(i))
    await new Promise((r) => setTimeout(r, options.warmupMs ?? 1000))
    const cpu0 = cpuTicks(child.pid)
    const t0 = performance.now()
    measuring = true
    await new Promise((r) => setTimeout(r, options.durationMs))
    measuring = false
    const seconds = (performance.now() - t0) / 1000
    const cpu1 = cpuTicks(child.pid)
    stop = true
    await Promise.all(lanes)
    return {
      callsPerSec: latencies.length / seconds,
      latencyMs: percentiles(latencies),
      misrouted,
      upstreamCpuPercent: cpu0 !== null && cpu1 !== null ? ((cpu1 - cpu0) / CLK_TCK / seconds) * 100 : null,
    }
  } finally {
    child.kill('SIGKILL')
  }
}

function cpuTicks(pid: number | undefined): number | null {
  return pid ? (sample(pid)?.cpuTicks ?? null) : null
}

/** A row of a ceiling table: the figure belongs in the mcpo column's place, with nothing to compare it with. */
export function ceilingRow(label: string, metric: string, v: number | null, digits = 1): Row {
  return { metric: `${label}: ${metric}`, baseline: 'n/a', peer: 'n/a', mcpo: v, digits, ratio: false }
}
