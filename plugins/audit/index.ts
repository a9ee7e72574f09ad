// The audit plugin: buffers audit events and tool-call outcomes, writes them in batches off the hot path, hash-chains
// audit events per project, and purges both past the retention window.
import {
  type AuditEvent,
  defineService,
  type Logger,
  type McpoPlugin,
  type NewAuditEvent,
  type NewToolCall,
  offer,
  type PluginContext,
  type Store,
  type ToolCallRecord,
} from '../contract.ts'
import { eventHash } from './chain.ts'
import { type Capture, captureArguments, compileCapture, settingsOf } from './project-settings.ts'
import { redact } from './redact.ts'

export { verifyAuditChain } from './chain.ts'

export const AUDIT_PLUGIN = 'mcpo:audit'

export interface AuditOptions {
  /** Longest time an event waits in memory before it is written. Default 1000. */
  batchMs?: number
  /**
   * Events per INSERT; a full batch is written at once. Default 1000: each statement costs the embedded store a few
   * milliseconds on top of its rows, so under load few large ones cost far less than many small ones.
   */
  batchSize?: number
  /** Events held in memory at most (audit and tool calls each); beyond it new ones are dropped, counted and logged. */
  queueLimit?: number
  /**
   * Audit events and tool calls older than this are purged (checked hourly). Default 90; 0 keeps everything. A
   * project's `settings.observability.retentionDays` overrides it for that project.
   */
  retentionDays?: number
  /** Record tool-call outcomes in `tool_calls` (arguments never, only their size). Default true. */
  toolCalls?: boolean
}

/** Counters for metrics and tests. */
export interface AuditStats {
  /** Audit events plus tool calls waiting to be written. */
  queued: number
  dropped: number
  written: number
  writeFailures: number
}

/** The audit trail's queue and retention, for `/metrics`, the activity export and the observability settings. */
export interface AuditService {
  stats(): AuditStats
  /** Writes everything queued now (tests, shutdown). */
  flush(): Promise<void>
  /** Re-reads a project's observability settings (retention, argument capture) after the API changed them. */
  refreshProject(projectId: string): Promise<void>
  /** Runs the retention purge now; returns what it deleted. */
  purge(): Promise<{ auditEvents: number; toolCalls: number }>
}

export interface AuditPlugin extends McpoPlugin, AuditService {}

export const AUDIT_SERVICE = defineService<AuditService>('audit', 'audit()')

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DAY = 86_400_000

export function audit(options: AuditOptions = {}): AuditPlugin {
  const batchMs = options.batchMs ?? 1000
  const batchSize = options.batchSize ?? 1000
  const queueLimit = options.queueLimit ?? 10_000
  const retentionDays = options.retentionDays ?? 90
  const recordTools = options.toolCalls ?? true
  for (const [field, v] of Object.entries({ batchMs, batchSize, queueLimit, retentionDays })) {
    if (!Number.isInteger(v) || v < (field === 'retentionDays' ? 0 : 1)) {
      throw new Error(`${AUDIT_PLUGIN}: ${field} must be a positive integer (got ${String(v)})`)
    }
  }

  let store: Store
  let log: Logger
  const events: NewAuditEvent[] = []
  /** Tool calls as the gateway reported them: turned into rows when written, so the reply path only appends. */
  const calls: ToolCallRecord[] = []
  /** Last hash of each chain this process wrote; a missing entry is read from the store before the next write. */
  const heads = new Map<string | null, string | null>()
  const stats = { dropped: 0, written: 0, writeFailures: 0 }
  let timer: NodeJS.Timeout | null = null
  let purger: NodeJS.Timeout | null = null
  let firstPurge: NodeJS.Timeout | null = null
  /** One writer at a time: chains are extended in order and never fork within this process. */
  let writing: Promise<void> = Promise.resolve()
  let failuresInRow = 0
  let closed = false
  let lastDropLog = 0
  /** Projects with their own retention (days), and those capturing arguments. */
  const retention = new Map<string, number>()
  const capture = new Map<string, Capture>()
  let settingsTimer: NodeJS.Timeout | null = null

  const applySettings = (projectId: string, settings: Record<string, unknown> | null) => {
    const s = settings ? settingsOf(settings) : null
    if (s?.retentionDays) retention.set(projectId, s.retentionDays)
    else retention.delete(projectId)
    const c = s ? compileCapture(s) : null
    if (c) capture.set(projectId, c)
    else capture.delete(projectId)
  }

  async function loadSettings(): Promise<void> {
    try {
      const projects = await store.projects.list({ includeArchived: true })
      const seen = new Set(projects.map((p) => p.id))
      for (const id of [...retention.keys(), ...capture.keys()]) if (!seen.has(id)) applySettings(id, null)
      for (const p of projects) applySettings(p.id, p.settings)
    } catch (err) {
      log.warn({ err }, 'reading project observability settings failed; keeping the last ones')
    }
  }

  /** The row of one reported call; arguments only for projects that opted in, redacted. */
  const toolCallRow = (r: ToolCallRecord): NewToolCall => {
    const cap = capture.get(r.projectId)
    return {
      projectId: r.projectId,
      serverName: r.serverName,
      toolName: r.toolName,
      principalId: r.principalId,
      keyId: r.keyId !== null && UUID.test(r.keyId) ? r.keyId : null,
      sessionId: r.sessionId,
      clientName: r.clientName,
      status: r.status,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      durationMs: r.durationMs,
      argsSize: r.argsSize,
      requestId: r.requestId ?? null,
      arguments: cap ? captureArguments(r.arguments, r.argsSize, cap) : null,
      createdAt: new Date(r.at),
    }
  }

  const drop = (what: string) => {
    stats.dropped++
    // Logged at most once a second so a flood cannot turn into a log flood; the counter has the exact number.
    const now = Date.now()
    if (now - lastDropLog > 1000) {
      lastDropLog = now
      log.warn({ dropped: stats.dropped, queueLimit, what }, 'audit queue full: dropping events')
    }
  }

  const schedule = (delay = batchMs) => {
    if (timer !== null || closed) return
    timer = setTimeout(() => {
      timer = null
      void flush()
    }, delay)
    timer.unref()
  }

  /** A drain chained but not started: later flushes join it, so a full queue under load never piles drains up. */
  let waiting: Promise<void> | null = null
  const flush = (): Promise<void> => {
    if (waiting !== null) return waiting
    const next = writing.then(() => {
      waiting = null
      return drain()
    })
    waiting = next
    writing = next
    return next
  }

  /**
   * Writes what is queued when it starts, in batches. What arrives meanwhile waits for the next flush (a full batch
   * or the timer): chasing it would turn a busy gateway's stream of calls into many small statements, and each
   * statement costs the store far more than a row.
   */
  async function drain(): Promise<void> {
    let eventsDue = events.length
    let callsDue = calls.length
    while (eventsDue > 0 || callsDue > 0) {
      try {
        if (eventsDue > 0) {
          const n = Math.min(eventsDue, batchSize)
          await writeEvents(events.slice(0, n))
          eventsDue -= n
        }
        if (callsDue > 0) {
          const batch = calls.slice(0, Math.min(callsDue, batchSize))
          await store.toolCalls.append(batch.map(toolCallRow))
          calls.splice(0, batch.length)
          stats.written += batch.length
          callsDue -= batch.length
        }
        failuresInRow = 0
      } catch (err) {
        stats.writeFailures++
        failuresInRow++
        // The write may have committed before failing: read each chain's head again before the retry.
        heads.clear()
        log.error({ err, failures: stats.writeFailures, queued: events.length + calls.length }, 'audit write failed')
        if (!closed) schedule(Math.min(batchMs * 2 ** failuresInRow, 30_000))
        return
      }
    }
    if (events.length || calls.length) schedule()
  }

  async function writeEvents(batch: NewAuditEvent[]): Promise<void> {
    const chained: NewAuditEvent[] = []
    const next = new Map<string | null, string | null>()
    for (const e of batch) {
      const chain = e.projectId ?? null
      let prev = next.has(chain) ? next.get(chain)! : heads.get(chain)
      if (prev === undefined) prev = (await store.audit.last(chain))?.hash ?? null
      const hash = eventHash(e, prev)
      chained.push({ ...e, prevHash: prev, hash })
      next.set(chain, hash)
    }
    await store.audit.append(chained)
    // Heads advance only once the batch is stored, so a failed write is retried from the same links.
    for (const [chain, hash] of next) heads.set(chain, hash)
    events.splice(0, batch.length)
    stats.written += batch.length
  }

  /** Each project with its own retention first, then everything else under the default. */
  async function purge(): Promise<{ auditEvents: number; toolCalls: number }> {
    const out = { auditEvents: 0, toolCalls: 0 }
    const now = Date.now()
    try {
      for (const [projectId, days] of retention) {
        const before = new Date(now - days * DAY)
        out.auditEvents += await store.audit.prune(before, { projectId })
        out.toolCalls += await store.toolCalls.prune(before, { projectId })
      }
      if (retentionDays > 0) {
        const before = new Date(now - retentionDays * DAY)
        const exceptProjects = [...retention.keys()]
        out.auditEvents += await store.audit.prune(before, { exceptProjects })
        out.toolCalls += await store.toolCalls.prune(before, { exceptProjects })
        // Client sessions last seen before the window go too (they are per project only through their tool calls).
        await store.clientSessions.prune(before)
      }
      if (out.auditEvents || out.toolCalls) log.info(out, 'purged activity past retention')
    } catch (err) {
      log.error({ err }, 'activity purge failed')
    }
    return out
  }

  const plugin: AuditPlugin = {
    name: AUDIT_PLUGIN,
    async setup(ctx: PluginContext) {
      store = ctx.storage
      log = ctx.logger
      await loadSettings()
      // Settings changed on another node reach this one within a minute.
      settingsTimer = setInterval(() => void loadSettings(), 60_000)
      settingsTimer.unref()
      purger = setInterval(() => void purge(), 3_600_000)
      purger.unref()
      firstPurge = setTimeout(() => void purge(), 10_000)
      firstPurge.unref()
    },
    async refreshProject(projectId: string) {
      const p = await store.projects.get(projectId)
      applySettings(projectId, p?.settings ?? null)
    },
    purge,
    health() {
      if (failuresInRow >= 3) return { ok: false, reason: `the last ${failuresInRow} audit writes failed` }
      const queued = events.length + calls.length
      if (queued >= queueLimit * 0.9) return { ok: false, reason: `audit queue nearly full (${queued} waiting)` }
      return { ok: true }
    },
    audit(e: AuditEvent) {
      if (closed || events.length >= queueLimit) return drop('audit')
      events.push({
        projectId: e.projectId ?? null,
        teamId: e.teamId ?? null,
        actorType: e.actor?.type ?? 'system',
        actorId: e.actor?.id ?? null,
        action: e.action,
        targetType: e.target?.type ?? null,
        targetId: e.target?.id ?? null,
        before: e.before === undefined ? null : redact(e.before),
        after: e.after === undefined ? null : redact(e.after),
        ip: e.ip ?? null,
        userAgent: e.userAgent ?? null,
        requestId: e.requestId ?? null,
        createdAt: new Date(e.at),
      })
      if (events.length >= batchSize) void flush()
      else schedule()
    },
    close: async () => {
      closed = true
      if (timer) clearTimeout(timer)
      if (purger) clearInterval(purger)
      if (settingsTimer) clearInterval(settingsTimer)
      if (firstPurge) clearTimeout(firstPurge)
      await flush()
      // One more try for what a failed write left behind; after that it is logged as lost, never silently.
      if (events.length || calls.length) await flush()
      if (events.length || calls.length) {
        log.error({ auditEvents: events.length, toolCalls: calls.length }, 'audit events lost at shutdown')
      }
    },
    stats: () => ({ queued: events.length + calls.length, ...stats }),
    flush,
  }
  if (recordTools) {
    plugin.onToolResult = (r: ToolCallRecord) => {
      if (closed || calls.length >= queueLimit) return drop('tool-call')
      calls.push(r)
      if (calls.length >= batchSize) void flush()
      else schedule()
    }
  }
  plugin.provides = [offer(AUDIT_SERVICE, plugin)]
  return plugin
}
