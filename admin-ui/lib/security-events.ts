// The security events page's logic without the DOM: the filter's choices and their API query, actions in plain
// words, and what a row shows of an event (count, source, subject, detail) read defensively from its `after`.
import type { AuditItem } from './activity.ts'

export type EventItem = AuditItem

export interface EventsPage {
  items: EventItem[]
  nextCursor: string | null
}

/** The prefix every refusal's action starts with; `?action=security.` lists them all. */
export const REFUSALS = 'security.'

/** Refusal actions the gateway records, in the filter's order, with what they mean. */
export const REFUSAL_LABELS: Readonly<Record<string, string>> = {
  'security.mcp_key_invalid': 'Invalid MCP key',
  'security.sign_in_failed': 'Failed sign-in',
  'security.sign_in_throttled': 'Sign-in throttled',
  'security.csrf_refused': 'Cross-site request refused',
  'security.api_forbidden': 'Management API: forbidden',
  'security.project_key_on_api': 'Project key used on the management API',
  'security.refusals_overflow': 'Refusals from too many sources (summed)',
}

const OTHER_LABELS: Readonly<Record<string, string>> = {
  'auth.sign_in': 'Signed in',
  'auth.sign_in_failed': 'Sign-in failed',
  'user.created': 'User created',
  'user.admin_created': 'First administrator created',
  'user.updated': 'User changed',
  'user.deleted': 'User deleted',
  'user.disabled': 'User disabled',
  'user.enabled': 'User enabled',
  'user.password_changed': 'Password changed',
  'user.email_verified': 'Email address verified',
  'config.applied': 'Config file applied',
}

export interface FilterChoice {
  /** The `action` query value: an exact action or a prefix ending in a dot; empty for every event. */
  value: string
  label: string
  group: 'main' | 'refusal' | 'other'
}

/**
 * The filter's choices: everything, every refusal, one refusal action, or one family of other events. The API takes
 * lower-case letters, digits, `_` and `.` only, so a family such as `project-template.` cannot be a choice.
 */
export const FILTERS: readonly FilterChoice[] = [
  { value: '', label: 'All events', group: 'main' },
  { value: REFUSALS, label: 'Refusals only', group: 'main' },
  ...Object.entries(REFUSAL_LABELS).map(([value, label]) => ({ value, label, group: 'refusal' as const })),
  { value: 'auth.', label: 'Sign-ins', group: 'other' },
  { value: 'user.', label: 'User administration', group: 'other' },
  { value: 'config.', label: 'Config file', group: 'other' },
]

/** The query of GET /api/admin/events for a filter and page; a filter the list does not know is dropped. */
export function eventsQuery(filter: string, cursor: string | null, limit: number): Record<string, string> {
  const q: Record<string, string> = { limit: String(limit) }
  if (filter && FILTERS.some((f) => f.value === filter)) q.action = filter
  if (cursor) q.cursor = cursor
  return q
}

export const isRefusal = (action: string): boolean => action.startsWith(REFUSALS)

/** "security.mcp_key_invalid" → "Invalid MCP key"; an action without a label → "Project template create". */
export function actionLabel(action: string): string {
  const known = REFUSAL_LABELS[action] ?? OTHER_LABELS[action]
  if (known) return known
  const words = action.replace(/[._-]+/g, ' ').trim()
  return words ? words[0].toUpperCase() + words.slice(1) : action
}

const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}

export interface RefusalFacts {
  /** Refusals this event stands for: 1 for the first of a window, the rest of the window when aggregated. */
  count: number | null
  aggregated: boolean
  /** When an aggregated window's first refusal came (ISO), else null. */
  since: string | null
  /** What was asked for (method and path, a route), never a credential. */
  details: string[]
  note: string | null
}

/** What a refusal's `after` says, tolerating missing or odd fields (older rows, other writers). */
export function refusalFacts(e: EventItem): RefusalFacts {
  const a = record(e.after)
  const count = typeof a.count === 'number' && Number.isFinite(a.count) ? a.count : null
  const details = new Set<string>()
  if (typeof a.detail === 'string' && a.detail) details.add(a.detail)
  if (Array.isArray(a.details)) for (const d of a.details) if (typeof d === 'string' && d) details.add(d)
  return {
    count,
    aggregated: a.aggregated === true,
    since: typeof a.since === 'string' && !Number.isNaN(Date.parse(a.since)) ? a.since : null,
    details: [...details],
    note: typeof a.note === 'string' ? a.note : null,
  }
}

/** "user 3f2a09c1…" or the user's email when known; refusal subjects (an email, a route) as they are. */
export function targetLabel(
  target: EventItem['target'],
  names: ReadonlyMap<string, string> = new Map(),
): string | null {
  if (!target) return null
  if (target.type === 'refusals') return null
  if (!target.id) return target.type
  const known = names.get(target.id)
  if (known) return known
  if (target.type === 'subject' || target.type === 'email') return target.id
  const id = target.id.length > 24 ? `${target.id.slice(0, 8)}…` : target.id
  return `${target.type} ${id}`
}

/** Who acted, when someone did: an email when known, "config file (boot)" for the config sync, else kind and id. */
export function actorText(actor: EventItem['actor'], names: ReadonlyMap<string, string> = new Map()): string | null {
  if (!actor.id) return null
  const known = names.get(actor.id)
  if (known) return known
  const config = /^config-file:(.+)$/.exec(actor.id)
  if (config) return `config file (${config[1]})`
  const id = actor.id.length > 24 ? `${actor.id.slice(0, 8)}…` : actor.id
  return actor.type ? `${actor.type} ${id}` : id
}

/** The exact time of an event, to the second: "7 Dec, 05:44:55". `timeZone` for tests; the browser's otherwise. */
export function exactTime(iso: string, timeZone?: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZone,
  }).format(d)
}

/** The clock time alone, for a window inside one row: "05:44:55". */
export function clockTime(iso: string, timeZone?: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZone,
  }).format(d)
}

/** The span of an aggregated window: "repeated 05:44:01–05:44:55", or "repeated at 05:44:55" within one second. */
export function repeatedText(since: string | null, at: string, timeZone?: string): string {
  const last = clockTime(at, timeZone)
  if (!since) return `repeated until ${last}`
  const first = clockTime(since, timeZone)
  return first === last ? `repeated at ${last}` : `repeated ${first}–${last}`
}

/** The before/after of a non-refusal event as indented JSON, or null when it has neither. */
export function changesText(e: EventItem): string | null {
  if (e.before == null && e.after == null) return null
  const shown: Record<string, unknown> = {}
  if (e.before != null) shown.before = e.before
  if (e.after != null) shown.after = e.after
  return JSON.stringify(shown, null, 2)
}

/** What the empty list says for a filter. */
export function emptyText(filter: string): { title: string; next: string } {
  if (!filter) return { title: 'No events yet', next: 'Refused requests, sign-ins and user changes are recorded here.' }
  if (filter === REFUSALS) {
    return {
      title: 'No refusals',
      next: 'Nothing was refused: invalid keys, failed sign-ins, refused cross-site requests and 403s show up here.',
    }
  }
  const label = FILTERS.find((f) => f.value === filter)?.label ?? actionLabel(filter)
  return { title: isRefusal(filter) ? 'No refusals' : 'No events', next: `Nothing recorded as “${label}”.` }
}
