// Refused requests as audit events that belong to no project (invalid MCP keys, failed and throttled sign-ins,
// refused CSRF, 403s on the management API), aggregated so that an attacker's flood cannot flood the audit trail:
// per (action, source) the first refusal of a window is recorded at once, the rest as one count when it closes.
import type { AuditEvent, Clock } from '../plugins/contract.ts'

export const RefusalActions = {
  mcpKeyInvalid: 'security.mcp_key_invalid',
  signInFailed: 'security.sign_in_failed',
  signInThrottled: 'security.sign_in_throttled',
  csrfRefused: 'security.csrf_refused',
  apiForbidden: 'security.api_forbidden',
  apiKeyOnApi: 'security.project_key_on_api',
} as const
export type RefusalAction = (typeof RefusalActions)[keyof typeof RefusalActions]

/** One refusal as the place that refused it sees it. `subject` narrows the source (an email, a route). */
export interface Refusal {
  action: RefusalAction
  ip: string
  subject?: string
  actor?: AuditEvent['actor']
  userAgent?: string | null
  requestId?: string | null
  /** Shown with the event: what was asked for (a path, a route), never a credential. */
  detail?: string
}

export interface RefusalOptions {
  /** Length of an aggregation window. Default 60 s. */
  windowMs?: number
  /** Distinct sources tracked per window; refusals past it are summed into one overflow event. Default 10,000. */
  maxSources?: number
}

interface Bucket {
  first: Refusal
  firstAt: number
  lastAt: number
  /** Refusals after the first, not yet recorded. */
  more: number
  details: Set<string>
}

const MAX_DETAILS = 5

export class RefusalAudit {
  private readonly windowMs: number
  private readonly maxSources: number
  private buckets = new Map<string, Bucket>()
  private overflow = 0
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly audit: (event: AuditEvent) => void,
    private readonly clock: Clock = Date,
    options: RefusalOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 60_000
    this.maxSources = options.maxSources ?? 10_000
    this.timer = setInterval(() => this.flush(), this.windowMs)
    this.timer.unref()
  }

  note(r: Refusal): void {
    const key = `${r.action}\u0000${r.ip}\u0000${r.subject ?? ''}`
    const now = this.clock.now()
    const hit = this.buckets.get(key)
    if (hit) {
      hit.more++
      hit.lastAt = now
      if (r.detail !== undefined && hit.details.size < MAX_DETAILS) hit.details.add(r.detail)
      return
    }
    if (this.buckets.size >= this.maxSources) {
      this.overflow++
      return
    }
    this.buckets.set(key, {
      first: r,
      firstAt: now,
      lastAt: now,
      more: 0,
      details: new Set(r.detail === undefined ? [] : [r.detail]),
    })
    this.record(r, now, 1, { detail: r.detail ?? null })
  }

  /** Records what the window gathered beyond each first refusal, and starts a new window. */
  flush(): void {
    const buckets = this.buckets
    const overflow = this.overflow
    this.buckets = new Map()
    this.overflow = 0
    for (const b of buckets.values()) {
      if (b.more === 0) continue
      this.record(b.first, b.lastAt, b.more, {
        since: new Date(b.firstAt).toISOString(),
        details: [...b.details],
        aggregated: true,
      })
    }
    if (overflow > 0) {
      this.audit({
        action: 'security.refusals_overflow',
        at: this.clock.now(),
        projectId: null,
        target: { type: 'refusals', id: 'overflow' },
        after: { count: overflow, windowMs: this.windowMs, note: 'more distinct sources than tracked per window' },
      })
    }
  }

  close(): void {
    clearInterval(this.timer)
    this.flush()
  }

  private record(r: Refusal, at: number, count: number, extra: Record<string, unknown>): void {
    this.audit({
      action: r.action,
      at,
      projectId: null,
      actor: r.actor ?? null,
      target: r.subject ? { type: 'subject', id: r.subject } : null,
      after: { count, ...extra },
      ip: r.ip,
      userAgent: r.userAgent ?? null,
      requestId: r.requestId ?? null,
    })
  }
}
