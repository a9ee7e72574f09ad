// Stdio upstream: one child process leading its own process group, newline-delimited JSON-RPC on stdin/stdout.
// The registry of live groups (for the gateway's exit handler) lives in process-group.ts and is re-exported here.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { inheritedEnvironment } from '../../config/env.ts'
import { GatewayError } from '../errors.ts'
import { LineBuffer } from './line-buffer.ts'
import { forgetGroup, groupHasLiveMembers, killProcessGroup, registerGroup } from './process-group.ts'
import {
  deliverSafely,
  parseJsonMessages,
  silentLogger,
  type TransportLogger,
  truncateForLog,
  type UpstreamTransport,
} from './transport.ts'

export { killAllProcessGroupsSync, killProcessGroup, liveProcessGroups } from './process-group.ts'

/**
 * The environment of a child: the minimal set inherited from `parent` (default: the gateway's; config/env.ts names
 * it), overridden by the configured values.
 */
export function childEnvironment(
  configured: Readonly<Record<string, string>> = {},
  parent?: Readonly<Partial<Record<string, string>>>,
): Record<string, string> {
  return Object.assign(inheritedEnvironment(parent), configured)
}

export interface StdioTransportOptions {
  command: string
  args?: readonly string[]
  /** Merged over the minimal inherited environment (see `childEnvironment`). */
  env?: Readonly<Record<string, string>>
  cwd?: string
  /** stderr lines kept for `stderrTail()`. Default 200. */
  stderrLines?: number
  /** Each step of `close()` (stdin closed, then SIGTERM) waits this long before escalating. Default 2000. */
  stopTimeoutMs?: number
  /** A stdout line longer than this is dropped and logged. Default 16 MiB. */
  maxLineBytes?: number
  /** Bytes allowed to wait for stdin's `drain`; past it `send()` reports `onsendfailure`. Default 64 MiB. */
  maxQueuedBytes?: number
  logger?: TransportLogger
}

const MAX_STDERR_LINE_BYTES = 64 * 1024
// After the leader exits, its stdio pipes normally close at once; a grandchild that left the group could hold them open.
const PIPE_DRAIN_MS = 1000

export class StdioTransport implements UpstreamTransport {
  readonly kind = 'stdio' as const
  onmessage?: (message: string, parsed?: unknown, origin?: string) => void
  onerror?: (err: Error) => void
  onsendfailure?: (message: string, err: Error) => void
  onclose?: (reason?: Error) => void

  private readonly options: StdioTransportOptions
  private readonly log: TransportLogger
  private readonly stopTimeoutMs: number
  private readonly maxQueuedBytes: number
  private readonly stderr: RingBuffer
  private child: ChildProcessWithoutNullStreams | undefined
  private state: 'new' | 'starting' | 'open' | 'closed' = 'new'
  private startPromise: Promise<void> | undefined
  private closePromise: Promise<void> | undefined
  private closeRequested = false
  // Set when the child exited on its own; later sends fail with it so callers see the real cause.
  private exitReason: GatewayError | undefined
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined
  private finished!: () => void
  private readonly gone: Promise<void>
  private queue: string[] = []
  private queuedBytes = 0
  private waitingDrain = false
  private corked = false
  private readonly uncork = (): void => {
    this.corked = false
    this.child?.stdin.uncork()
  }

  constructor(options: StdioTransportOptions) {
    this.options = options
    this.log = options.logger ?? silentLogger
    this.stopTimeoutMs = options.stopTimeoutMs ?? 2000
    this.maxQueuedBytes = options.maxQueuedBytes ?? 64 * 1024 * 1024
    this.stderr = new RingBuffer(options.stderrLines ?? 200)
    this.gone = new Promise((resolve) => {
      this.finished = resolve
    })
  }

  /** The child's pid, which is also its process group id; undefined before `start()` or if spawning failed. */
  get pid(): number | undefined {
    return this.child?.pid
  }

  /** The last stderr lines (oldest first). Logging only: never an error signal, never sent to clients. */
  stderrTail(): string[] {
    return this.stderr.toArray()
  }

  start(): Promise<void> {
    if (this.state !== 'new') {
      return Promise.reject(new GatewayError('MCPO_ERR_INTERNAL', 'stdio transport can only be started once'))
    }
    this.state = 'starting'
    this.startPromise = this.spawnChild()
    return this.startPromise
  }

  send(message: string): void {
    const stdin = this.child?.stdin
    if (this.state !== 'open' || !stdin || !stdin.writable) {
      this.failLater(
        message,
        this.exitReason ?? new GatewayError('MCPO_ERR_UPSTREAM_CLOSED', 'stdio upstream is not running'),
      )
      return
    }
    // Forwarded client bytes may be pretty-printed; a raw CR/LF can only be JSON whitespace, never inside a string.
    const line = (message.includes('\n') || message.includes('\r') ? message.replace(/[\r\n]/g, ' ') : message) + '\n'
    if (this.waitingDrain) {
      const bytes = Buffer.byteLength(line)
      if (this.queuedBytes + bytes > this.maxQueuedBytes) {
        this.log.warn(
          { upstreamPid: this.pid, queuedBytes: this.queuedBytes },
          'stdio upstream is not reading stdin; write queue full, message refused',
        )
        this.failLater(message, new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', 'upstream stdin write queue is full'))
        return
      }
      this.queue.push(line)
      this.queuedBytes += bytes
      return
    }
    // Messages sent in one turn of the event loop (many sessions' calls arriving together) leave in one writev:
    // a pipe write is a system call, and under load one per message was the relay's largest single cost.
    if (!this.corked) {
      this.corked = true
      stdin.cork()
      setImmediate(this.uncork)
    }
    if (!stdin.write(line)) this.waitForDrain()
  }

  close(): Promise<void> {
    this.closePromise ??= this.stop()
    return this.closePromise
  }

  private async spawnChild(): Promise<void> {
    const { command, args = [], env, cwd } = this.options
    let child: ChildProcessWithoutNullStreams
    try {
      // detached: the child calls setsid(), so it leads a new process group we can signal as a whole.
      child = spawn(command, args, { cwd, env: childEnvironment(env), detached: true, stdio: 'pipe' })
    } catch (err) {
      this.state = 'closed'
      throw cannotStart(command, err)
    }
    try {
      await new Promise<void>((resolve, reject) => {
        const onSpawn = (): void => {
          child.off('error', onError)
          resolve()
        }
        const onError = (err: Error): void => {
          child.off('spawn', onSpawn)
          reject(err)
        }
        child.once('spawn', onSpawn)
        child.once('error', onError)
      })
    } catch (err) {
      this.state = 'closed'
      child.stdin.destroy()
      child.stdout.destroy()
      child.stderr.destroy()
      throw cannotStart(command, err)
    }
    this.child = child
    const pid = child.pid!
    registerGroup(pid)
    this.wire(child, pid)
    if (this.closeRequested) {
      // close() was called while spawning; stop() takes the child down from here.
      throw new GatewayError('MCPO_ERR_UPSTREAM_CLOSED', 'transport closed while starting')
    }
    this.state = 'open'
    this.log.debug({ upstreamPid: pid, command }, 'stdio upstream started')
  }

  private wire(child: ChildProcessWithoutNullStreams, pid: number): void {
    const maxLineBytes = this.options.maxLineBytes ?? 16 * 1024 * 1024
    const stdout = new LineBuffer({
      maxLineBytes,
      online: (line) => this.onStdoutLine(line),
      onoversize: (bytes) =>
        this.log.warn({ upstreamPid: pid, bytes, maxLineBytes }, 'stdio upstream line too long; dropped'),
    })
    const stderr = new LineBuffer({
      maxLineBytes: MAX_STDERR_LINE_BYTES,
      online: (line) => {
        this.stderr.push(line)
        this.log.debug({ upstreamPid: pid, stderr: truncateForLog(line, 1000) }, 'stdio upstream stderr')
      },
      onoversize: (bytes) => this.stderr.push(`[stderr line of ${bytes} bytes dropped]`),
    })
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stdout.on('end', () => stdout.end())
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.stderr.on('end', () => stderr.end())
    child.stdin.on('error', (err: NodeJS.ErrnoException) => {
      // EPIPE just means the child is gone; its exit event reports that.
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED')
        this.log.debug({ upstreamPid: pid, err }, 'stdin closed')
      else this.onerror?.(err)
    })
    child.stdout.on('error', (err) => this.onerror?.(err))
    child.stderr.on('error', (err) => this.log.debug({ upstreamPid: pid, err }, 'stderr read failed'))
    child.on('error', (err) => this.onerror?.(err))
    child.once('exit', (code, signal) => this.handleExit(pid, code, signal))
  }

  private onStdoutLine(line: string): void {
    if (line.trim() === '') return
    const messages = parseJsonMessages(line)
    if (!messages) {
      this.log.warn(
        { upstreamPid: this.pid, line: truncateForLog(line) },
        'stdio upstream printed a non-JSON-RPC line; dropped',
      )
      return
    }
    for (const message of messages) deliverSafely(this.onmessage, message.text, this.log, message.value)
  }

  private handleExit(pid: number, code: number | null, signal: NodeJS.Signals | null): void {
    this.exitInfo = { code, signal }
    this.state = 'closed'
    // Grandchildren outlive their leader and keep our pipes open: sweep the group so nothing is orphaned.
    try {
      killProcessGroup(pid, 'SIGKILL')
    } catch (err) {
      this.log.warn({ upstreamPid: pid, err }, 'could not sweep the process group of an exited upstream')
    }
    const child = this.child!
    const pipesClosed = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.log.warn({ upstreamPid: pid }, 'stdio pipes still open after the upstream exited; destroying them')
        child.stdin.destroy()
        child.stdout.destroy()
        child.stderr.destroy()
        resolve()
      }, PIPE_DRAIN_MS)
      child.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
    })
    void Promise.all([pipesClosed, this.groupGone(pid)]).then(() => {
      forgetGroup(pid)
      this.finish()
    })
  }

  // SIGKILL is delivered at once but takes effect when the target is scheduled: poll briefly so close() means gone.
  private async groupGone(pid: number): Promise<void> {
    const deadline = Date.now() + PIPE_DRAIN_MS
    while (groupHasLiveMembers(pid)) {
      if (Date.now() > deadline) {
        this.log.warn({ upstreamPid: pid }, 'process group still has members after SIGKILL')
        return
      }
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  // Runs once the process exited and its stdout was read to the end, so a crash never hides its last messages.
  private finish(): void {
    if (!this.exitInfo) return
    const { code, signal } = this.exitInfo
    this.exitInfo = undefined
    this.queue = []
    this.queuedBytes = 0
    this.finished()
    if (this.closeRequested) {
      this.onclose?.()
      return
    }
    const how = code !== null ? `code ${code}` : `signal ${signal}`
    this.log.warn(
      { upstreamPid: this.pid, code, signal, stderr: this.stderr.toArray().slice(-5) },
      'stdio upstream exited',
    )
    this.exitReason = new GatewayError('MCPO_ERR_UPSTREAM_CLOSED', `process exited with ${how}`, {
      details: { pid: this.pid, code, signal },
    })
    this.onclose?.(this.exitReason)
  }

  private async stop(): Promise<void> {
    this.closeRequested = true
    if (this.state === 'new') {
      this.state = 'closed'
      return
    }
    if (this.startPromise) await this.startPromise.catch(() => undefined)
    const child = this.child
    if (!child) return
    const pid = child.pid!
    if (this.state === 'open') this.state = 'closed'
    child.stdin.end()
    if (await this.settlesWithin(this.stopTimeoutMs)) return
    this.log.info({ upstreamPid: pid }, 'stdio upstream ignored stdin EOF; sending SIGTERM to its group')
    this.signalGroup(pid, 'SIGTERM')
    if (await this.settlesWithin(this.stopTimeoutMs)) return
    this.log.warn({ upstreamPid: pid }, 'stdio upstream ignored SIGTERM; sending SIGKILL to its group')
    this.signalGroup(pid, 'SIGKILL')
    await this.gone
  }

  private signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
      killProcessGroup(pid, signal)
    } catch (err) {
      this.onerror?.(err as Error)
    }
  }

  private settlesWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(resolve, ms, false)
    })
    return Promise.race([this.gone.then(() => true), timeout]).finally(() => clearTimeout(timer))
  }

  private waitForDrain(): void {
    this.waitingDrain = true
    this.log.debug({ upstreamPid: this.pid }, 'stdin is full; queueing until drain')
    this.child!.stdin.once('drain', () => this.flushQueue())
  }

  private flushQueue(): void {
    this.waitingDrain = false
    const stdin = this.child?.stdin
    while (stdin?.writable && this.queue.length > 0) {
      const line = this.queue.shift()!
      this.queuedBytes -= Buffer.byteLength(line)
      if (!stdin.write(line)) {
        this.waitForDrain()
        return
      }
    }
  }

  // Deferred so a caller never sees its own send() re-enter through a callback.
  private failLater(message: string, err: Error): void {
    queueMicrotask(() => this.onsendfailure?.(message, err))
  }
}

function cannotStart(command: string, err: unknown): GatewayError {
  const code = (err as NodeJS.ErrnoException).code
  // Name the command only: the configured env holds credentials and must not reach logs or API errors.
  return new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', `cannot start "${command}": ${code ?? 'spawn failed'}`, {
    cause: err,
    details: { command, code },
  })
}

/** Fixed-capacity line store: the last `capacity` lines, oldest first. */
class RingBuffer {
  private readonly lines: string[] = []
  private next = 0
  private readonly capacity: number

  constructor(capacity: number) {
    this.capacity = Math.max(0, capacity)
  }

  push(line: string): void {
    if (this.capacity === 0) return
    if (this.lines.length < this.capacity) this.lines.push(line)
    else this.lines[this.next] = line
    this.next = (this.next + 1) % this.capacity
  }

  toArray(): string[] {
    return this.lines.length < this.capacity
      ? this.lines.slice()
      : [...this.lines.slice(this.next), ...this.lines.slice(0, this.next)]
  }
}
