// Shapes the server modal and its sections share: the live status answer and the settings patch.
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
  lastError: string | null
  retryAt: string | null
  stderr: string[]
}

export interface ServerPatch {
  description: string
  timeoutMs: number
  autoStart: boolean
}
