// Shapes the server modal and its sections share: the live status answer and the settings patch.
import type { Health } from '../api-types.ts'

export interface StatusView {
  name: string
  enabled: boolean
  state: string
  isolation: string
  pid: number | null
  pids: number[]
  connections: number
  sessions: number
  restarts: number
  consecutiveFailures: number
  health: Health
  /** The last failure, kept after recovery: `health` says whether it still holds. */
  lastError: string | null
  lastErrorAt: string | null
  lastOkAt: string | null
  retryAt: string | null
  stderr: string[]
}

export interface ServerPatch {
  description: string
  timeoutMs: number
  autoStart: boolean
}
