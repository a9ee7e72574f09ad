// The Activity tab's logic without the DOM: filters into the /activity query (time presets, checked ranges), audit
// events in words, durations, and CSV export of what was loaded.

export type ActivityKind = 'tools' | 'audit'
export const RANGES = ['1h', '24h', '7d', '30d', 'all', 'custom'] as const
export type Range = (typeof RANGES)[number]
export const STATUSES = ['ok', 'error', 'denied', 'timeout', 'cancelled'] as const

export interface ActivityFilters {
  kind: ActivityKind
  actor: string
  server: string
  tool: string
  status: string
  text: string
  range: Range
  /** `datetime-local` input values (local time), used when range is `custom`. */
  since: string
  until: string
}

export function defaultFilters(kind: ActivityKind = 'tools'): ActivityFilters {
  return { kind, actor: '', server: '', tool: '', status: '', text: '', range: '24h', since: '', until: '' }
}

const RANGE_MS: Record<string, number> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
}

export interface ToolCallItem {
  id: number
  at: string
  server: string
  tool: string
  status: string
  errorCode: string | null
  errorMessage: string | null
  durationMs: number
  principalId: string | null
  keyId: string | null
  sessionId: string | null
  clientName: string | null
  argsSize: number
}

export interface AuditItem {
  id: number
  at: string
  actor: { type: string | null; id: string | null }
  action: string
  target: { type: string; id: string | null } | null
  before: unknown
  after: unknown
  ip: string | null
  userAgent: string | null
  requestId: string | null
}

export interface ActivityPage<T> {
  kind: ActivityKind
  items: T[]
  nextCursor: string | null
}

/**
 * The query for GET /api/projects/:id/activity, or field errors. Filters the API does not take for a kind are left
 * out (audit events have no tool or status), so switching kinds never makes a 400.
 */
export function activityQuery(
  f: ActivityFilters,
  now: number,
): { ok: true; query: Record<string, string> } | { ok: false; errors: Record<string, string> } {
  const q: Record<string, string> = { kind: f.kind }
  const errors: Record<string, string> = {}
  const put = (k: string, v: string) => {
    const t = v.trim()
    if (t) q[k] = t
  }
  put('actor', f.actor)
  put('server', f.server)
  if (f.kind === 'tools') {
    put('tool', f.tool)
    put('status', f.status)
    put('text', f.text)
  }
  if (f.range === 'custom') {
    const since = f.since ? new Date(f.since) : null
    const until = f.until ? new Date(f.until) : null
    if (since && Number.isNaN(since.getTime())) errors.since = 'is not a date and time'
    if (until && Number.isNaN(until.getTime())) errors.until = 'is not a date and time'
    if (!since && !until) errors.since = 'give a start, an end or both'
    if (since && until && !errors.since && !errors.until && since >= until) errors.since = 'must be before the end'
    if (since && !errors.since) q.since = since.toISOString()
    if (until && !errors.until) q.until = until.toISOString()
  } else if (f.range !== 'all') {
    q.since = new Date(now - RANGE_MS[f.range]).toISOString()
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, query: q }
}

/** "12 ms", "1.4 s", "2 min 5 s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}

export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—'
  return `${(rate * 100).toFixed(rate >= 0.999 || rate === 0 ? 0 : 1)} %`
}

/** "server.tools_toggled" → "server tools toggled", with the target: what the audit list shows. */
export function describeAudit(e: AuditItem): string {
  const action = e.action.replace(/[._]/g, ' ')
  if (!e.target) return action
  return `${action}: ${e.target.type}${e.target.id ? ` ${e.target.id}` : ''}`
}

/** Who did it, readably: a user's email when known, else the kind and a short id. */
export function actorLabel(type: string | null, id: string | null, names: ReadonlyMap<string, string>): string {
  if (!id) return type ?? 'system'
  const known = names.get(id)
  if (known) return known
  const short = id.length > 12 ? `${id.slice(0, 8)}…` : id
  return type === 'api-key' ? `key ${short}` : type === 'user' ? `user ${short}` : short
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return ''
  const s = typeof v === 'string' ? v : JSON.stringify(v)
  // Quote anything a spreadsheet could misread; a leading = + - @ would run as a formula.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s
  return /[",\n\r]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe
}

const TOOL_COLUMNS = [
  'at',
  'server',
  'tool',
  'status',
  'durationMs',
  'errorCode',
  'errorMessage',
  'principalId',
  'keyId',
  'sessionId',
  'clientName',
  'argsSize',
] as const
const AUDIT_COLUMNS = [
  'at',
  'action',
  'actorType',
  'actorId',
  'targetType',
  'targetId',
  'ip',
  'userAgent',
  'requestId',
] as const

/** The loaded rows as CSV (RFC 4180 quoting), one header line first. */
export function toCsv(kind: ActivityKind, items: readonly (ToolCallItem | AuditItem)[]): string {
  const lines: string[] = []
  if (kind === 'tools') {
    lines.push(TOOL_COLUMNS.join(','))
    for (const it of items as ToolCallItem[]) lines.push(TOOL_COLUMNS.map((c) => csvCell(it[c])).join(','))
  } else {
    lines.push(AUDIT_COLUMNS.join(','))
    for (const e of items as AuditItem[]) {
      const row = [
        e.at,
        e.action,
        e.actor.type,
        e.actor.id,
        e.target?.type,
        e.target?.id,
        e.ip,
        e.userAgent,
        e.requestId,
      ]
      lines.push(row.map(csvCell).join(','))
    }
  }
  return `${lines.join('\r\n')}\r\n`
}

/** A file name for an export: `mcpo-demo-tools-2026-11-25T20-05.csv`. */
export function exportName(projectId: string, kind: ActivityKind, ext: 'csv' | 'json', now: number): string {
  const stamp = new Date(now).toISOString().slice(0, 16).replace(/:/g, '-')
  return `mcpo-${projectId.replace(/[^A-Za-z0-9_-]+/g, '-')}-${kind}-${stamp}.${ext}`
}
