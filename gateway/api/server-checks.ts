// Connection tests remembered until the save they precede: the admin UI tests a definition, and when the user saves
// that same definition (at once, or with "Save anyway" after a failure) the save records the outcome as the server's
// health, so a broken server is marked from the moment it exists rather than when a client first calls it. Per node,
// in memory: a save that lands on another node than its test (a cluster behind round-robin) records nothing.
import { createHmac, randomBytes } from 'node:crypto'
import type { ServerInput } from './server-model.ts'

export interface TestOutcome {
  ok: boolean
  /** Redacted, as the test's answer showed it. */
  error: string | null
  at: number
}

/** How long a test counts for the save that follows it. */
const TTL_MS = 10 * 60_000
const MAX = 1000

export class ConnectionTests {
  /** Keyed hash: the fingerprint covers secret values, and this key never leaves the process. */
  private readonly key = randomBytes(32)
  private readonly outcomes = new Map<string, TestOutcome>()

  constructor(private readonly now: () => number = Date.now) {}

  /** What decides whether a connection works: where it goes and what it sends, not its name or timeout. */
  fingerprint(projectId: string, s: ServerInput): string {
    const stdio = s.transport === 'stdio'
    const what = stdio
      ? { t: s.transport, c: s.command ?? null, a: s.args, e: sorted(s.env), d: s.cwd ?? null }
      : { t: s.transport, u: s.url ?? null, h: sorted(s.headers) }
    return createHmac('sha256', this.key)
      .update(JSON.stringify([projectId, what]))
      .digest('base64url')
  }

  remember(projectId: string, s: ServerInput, outcome: Omit<TestOutcome, 'at'>): void {
    const key = this.fingerprint(projectId, s)
    this.outcomes.delete(key)
    this.outcomes.set(key, { ...outcome, at: this.now() })
    // Oldest first: a Map keeps insertion order.
    while (this.outcomes.size > MAX) this.outcomes.delete(this.outcomes.keys().next().value as string)
  }

  /** The latest test of exactly this definition in this project, if it is recent. */
  find(projectId: string, s: ServerInput): TestOutcome | null {
    const found = this.outcomes.get(this.fingerprint(projectId, s))
    return found && this.now() - found.at <= TTL_MS ? found : null
  }
}

function sorted(r: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}
