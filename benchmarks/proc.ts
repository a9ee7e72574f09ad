// Processes of the benchmarks: start services in their own process group, stop them by PID (always, also on
// failure), and read a process's memory, CPU and children from /proc.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** Soft limit of open files for the services we start: the hard limit of this process (what `ulimit -Hn` allows). */
export function hardNoFile(): number {
  try {
    const out = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim()
    return out === 'unlimited' ? 1_048_576 : Number(out)
  } catch {
    return 0
  }
}

export function softNoFile(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -Sn'], { encoding: 'utf8' }).trim())
  } catch {
    return 0
  }
}

export interface Service {
  name: string
  child: ChildProcess
  pid: number
  /** Everything the process wrote, last 64 KiB of each stream. */
  stdout(): string
  stderr(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** SIGTERM to the process group, SIGKILL after `graceMs`, then SIGKILL to any descendant that survived. */
  stop(graceMs?: number): Promise<void>
}

const live = new Set<Service>()

/** Kills every service still running (synchronously: used on exit and on signals). */
export function killAllSync(): void {
  for (const s of live) {
    for (const pid of descendantsOf(s.pid)) tryKill(pid, 'SIGKILL')
    tryKill(-s.pid, 'SIGKILL')
    tryKill(s.pid, 'SIGKILL')
  }
  live.clear()
}
process.on('exit', killAllSync)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    killAllSync()
    process.exit(130)
  })
}

function tryKill(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal)
    return true
  } catch {
    return false
  }
}

export interface StartOptions {
  env?: Record<string, string>
  cwd?: string
  /** Raise the soft open-files limit of the child to this (capped by the hard limit). */
  noFile?: number
  ipc?: boolean
}

/** Starts `command args` as the leader of a new process group; `exec` through sh keeps the PID when raising ulimit. */
export function startService(name: string, command: string, args: string[], options: StartOptions = {}): Service {
  const noFile = options.noFile ? Math.min(options.noFile, hardNoFile()) : 0
  const [cmd, argv] = noFile
    ? ['/bin/sh', ['-c', `ulimit -n ${noFile} 2>/dev/null; exec "$0" "$@"`, command, ...args]]
    : [command, args]
  const child = spawn(cmd, argv, {
    cwd: options.cwd,
    env: options.env ?? (process.env as Record<string, string>),
    detached: true,
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  })
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`)
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out = (out + d).slice(-65536)
  })
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-65536)
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const pid = child.pid
  const service: Service = {
    name,
    child,
    pid,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(graceMs = 5000) {
      if (!live.has(service)) return
      // Upstreams may lead their own process groups (mcpo's do): remember them before the parent goes.
      const descendants = descendantsOf(pid)
      const gone = child.exitCode !== null || child.signalCode !== null
      if (!gone) {
        tryKill(-pid, 'SIGTERM') || tryKill(pid, 'SIGTERM')
        const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref())
        if ((await Promise.race([exited, timer])) === 'timeout') {
          tryKill(-pid, 'SIGKILL')
          tryKill(pid, 'SIGKILL')
          await exited
        }
      }
      tryKill(-pid, 'SIGKILL')
      for (const d of descendants) if (isAlive(d)) tryKill(d, 'SIGKILL')
      live.delete(service)
    },
  }
  live.add(service)
  return service
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return parseStat(stat).state !== 'Z'
  } catch {
    return false
  }
}

/** A free TCP port on 127.0.0.1 (released before use: a tiny race we accept). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

/** Polls `url` until it answers 2xx, the service exits, or `timeoutMs` passes. */
export async function waitHttp(url: string, service: Service, timeoutMs = 60_000): Promise<number> {
  const started = Date.now()
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null
  service.exited.then((e) => {
    exited = e
  })
  while (Date.now() - started < timeoutMs) {
    if (exited) {
      const { code, signal } = exited
      throw new Error(
        `${service.name} exited (${code ?? signal}) before it was ready:\n${service.stderr()}\n${service.stdout()}`,
      )
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) })
      await res.arrayBuffer()
      if (res.ok) return Date.now() - started
    } catch {}
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${service.name} did not answer ${url} within ${timeoutMs} ms:\n${service.stderr()}`)
}

interface Stat {
  state: string
  ppid: number
  pgrp: number
  utime: number
  stime: number
  comm: string
}

function parseStat(text: string): Stat {
  // comm is in parentheses and may hold spaces or parentheses: split after the last ')'.
  const close = text.lastIndexOf(')')
  const comm = text.slice(text.indexOf('(') + 1, close)
  const f = text.slice(close + 2).split(' ')
  return { state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]), utime: Number(f[11]), stime: Number(f[12]), comm }
}

export interface ProcSample {
  /** Resident set, KiB (VmRSS). */
  rssKb: number
  /** Peak resident set, KiB (VmHWM). */
  hwmKb: number
  /** utime + stime, in clock ticks. */
  cpuTicks: number
  threads: number
}

export function sample(pid: number): ProcSample | null {
  try {
    const st = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0)
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM'), cpuTicks: st.utime + st.stime, threads: field('Threads') }
  } catch {
    return null
  }
}

function allStats(): Map<number, Stat> {
  const out = new Map<number, Stat>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      out.set(Number(name), parseStat(readFileSync(`/proc/${name}/stat`, 'utf8')))
    } catch {}
  }
  return out
}

/** Live (non-zombie) children of `pid`, without tsx's esbuild service (not an upstream). */
export function upstreamChildren(pid: number): number[] {
  const out: number[] = []
  for (const [p, st] of allStats()) if (st.ppid === pid && st.state !== 'Z' && st.comm !== 'esbuild') out.push(p)
  return out
}

export function descendantsOf(pid: number): number[] {
  const stats = allStats()
  const out: number[] = []
  const queue = [pid]
  while (queue.length) {
    const parent = queue.shift()!
    for (const [p, st] of stats) {
      if (st.ppid === parent) {
        out.push(p)
        queue.push(p)
      }
    }
  }
  return out
}
