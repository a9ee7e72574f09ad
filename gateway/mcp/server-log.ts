// What the gateway knows about one server for on-call: its own log lines about the server (starts, exits, restarts,
// transport errors) in a ring, and the last successful and last failed request. Per (project, server), kept across
// restarts of the runtime. Stderr lines come from the transport's own ring and are merged at read time.
import type { Logger } from '../../plugins/contract.ts'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']

export interface ServerLogEntry {
  /** ISO time; null for stderr lines (the transport keeps them without times). */
  at: string | null
  level: LogLevel
  category: 'gateway' | 'stderr'
  message: string
}

const RING = 500

/** A stderr line's level from the words it holds: what a reader scanning for trouble would pick. */
export function stderrLevel(line: string): LogLevel {
  if (/\b(error|fatal|panic|exception|traceback|uncaught|failed)\b/i.test(line)) return 'error'
  if (/\bwarn(ing)?\b/i.test(line)) return 'warn'
  if (/\b(debug|trace)\b/i.test(line)) return 'debug'
  return 'info'
}

function describe(obj: unknown, msg: string | undefined): string {
  if (typeof obj === 'string') return obj
  const o = (obj ?? {}) as Record<string, unknown>
  const reason = o.reason ?? o.err ?? o.error
  const detail =
    reason instanceof Error ? reason.message : typeof reason === 'string' || typeof reason === 'number' ? reason : null
  return detail === null ? (msg ?? '') : `${msg ?? ''}: ${detail}`
}

export class ServerLog {
  private readonly ring: ServerLogEntry[] = []
  lastSuccessAt: number | null = null
  lastErrorAt: number | null = null
  lastError: string | null = null

  add(level: LogLevel, message: string): void {
    if (this.ring.length >= RING) this.ring.shift()
    this.ring.push({ at: new Date().toISOString(), level, category: 'gateway', message: message.slice(0, 2000) })
  }

  entries(): readonly ServerLogEntry[] {
    return this.ring
  }

  /** A logger that also keeps info and above about this server (debug lines are too many to keep). */
  logger(base: Logger): Logger {
    const keep =
      (level: LogLevel, fn: 'info' | 'warn' | 'error') =>
      (obj: unknown, msg?: string): void => {
        this.add(level, describe(obj, msg))
        base[fn](obj, msg)
      }
    return {
      trace: (obj, msg) => base.trace(obj, msg),
      debug: (obj, msg) => base.debug(obj, msg),
      info: keep('info', 'info'),
      warn: keep('warn', 'warn'),
      error: keep('error', 'error'),
      fatal: (obj, msg) => {
        this.add('error', describe(obj, msg))
        base.fatal(obj, msg)
      },
      child: (bindings) => this.logger(base.child(bindings)),
    }
  }

  /** A request to this server failed (its answer is the message, or mcpo could not reach the server). */
  failed(message: string): void {
    this.lastErrorAt = Date.now()
    this.lastError = message.slice(0, 500)
  }
}
