// Structured JSON logs through pino, with credentials redacted wherever they could appear.
import pino from 'pino'
import type { Logger } from '../plugins/contract.ts'

/** Paths pino blanks out: a secret must never reach a log line, even by accident. */
const REDACT = [
  'authorization',
  'cookie',
  'password',
  'secretKey',
  'token',
  'key',
  '*.authorization',
  '*.cookie',
  '*.password',
  '*.secretKey',
  '*.token',
  '*.key',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.headers.authorization',
  'env',
  '*.env',
]

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'

export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  ) as unknown as Logger
}

/** A logger that drops everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return createLogger('silent')
}
