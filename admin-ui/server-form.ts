// The add/edit server form without the DOM: its state from a server (secrets stay masked), the checks the API would
// make (so errors show at once, next to their field), and the request body. Stored secret values never reach the
// browser: a masked row left empty is sent as the mask, which tells the API to keep the stored value.
import type { Server, Transport } from './api-types.ts'

// The gateway's own values (plugins/secrets/cipher.ts, config/schema.ts); those modules need node:crypto and zod,
// which have no place in the bundle, so server-form.test.ts checks these copies against them.
/** What the API shows instead of a secret value, and takes back as "keep the stored one". */
export const MASK = '••••••'
export const SERVER_NAME = /^[a-z0-9][a-z0-9-]{0,47}$/

/** One env variable or header: `stored` rows hold a secret the browser never sees. */
export interface SecretRow {
  key: string
  value: string
  stored: boolean
}

export interface ServerFormState {
  name: string
  description: string
  transport: Transport
  command: string
  /** One argument per line: arguments may contain spaces. */
  args: string
  cwd: string
  env: SecretRow[]
  url: string
  headers: SecretRow[]
  timeoutS: string
  /** Seconds between health probes; empty: the gateway's default; 0: off. */
  healthCheckS: string
  /** The protocol era spoken upstream; empty: the gateway's default (`upstreams.protocol`). */
  protocol: ProtocolChoice
  /** Remote servers: none (open, or a static credential in `headers`) or OAuth, where mcpo holds the tokens. */
  auth: AuthForm
  enabled: boolean
  autoStart: boolean
}

export type FormErrors = Record<string, string>

/** The "Authorization" part of the form. The client secret is write-only, like a header value. */
export interface AuthForm {
  type: 'none' | 'oauth'
  /** project: an Owner connects once for everyone; user: each member connects their own account. */
  credentials: 'project' | 'user'
  clientId: string
  clientSecret: string
  /** A client secret is stored: left empty, the form keeps it. */
  secretStored: boolean
  /** Space-separated. */
  scopes: string
}

/** The auth part of a server with none. */
export const NO_AUTH: AuthForm = {
  type: 'none',
  credentials: 'project',
  clientId: '',
  clientSecret: '',
  secretStored: false,
  scopes: '',
}

/** '' stands for null: the gateway's default. */
export type ProtocolChoice = NonNullable<Server['protocol']> | ''

/** The choices of the "Protocol era" select, in the order shown. Legacy SSE servers have no choice to make. */
export const PROTOCOL_CHOICES: readonly (readonly [ProtocolChoice, string])[] = [
  ['', 'Default (gateway setting)'],
  ['auto', 'Auto-detect'],
  ['legacy', '2025 (initialize)'],
  ['modern', '2026-07-28 (stateless)'],
]

/** Whether the protocol era applies: legacy SSE predates the 2026-07-28 revision and is always spoken the 2025 way. */
export const hasProtocolChoice = (transport: Transport): boolean => transport !== 'sse'

/** The configured era as the server detail shows it. */
export function protocolLabel(s: Pick<Server, 'transport' | 'protocol'>): string {
  if (!hasProtocolChoice(s.transport)) return '2025 (legacy SSE)'
  if (s.protocol === null) return 'gateway default'
  return PROTOCOL_CHOICES.find(([value]) => value === s.protocol)?.[1] ?? s.protocol
}

export function emptyServerForm(transport: Transport = 'streamable-http'): ServerFormState {
  return {
    name: '',
    description: '',
    transport,
    command: '',
    args: '',
    cwd: '',
    env: [],
    url: '',
    headers: [],
    timeoutS: '300',
    healthCheckS: '',
    protocol: '',
    auth: NO_AUTH,
    enabled: true,
    autoStart: false,
  }
}

const rows = (r: Record<string, string>): SecretRow[] => Object.keys(r).map((key) => ({ key, value: '', stored: true }))

export function serverFormFrom(s: Server): ServerFormState {
  return {
    name: s.name,
    description: s.description,
    transport: s.transport,
    command: s.command ?? '',
    args: s.args.join('\n'),
    cwd: s.cwd ?? '',
    env: rows(s.env),
    url: s.url ?? '',
    headers: rows(s.headers),
    timeoutS: String(Math.round(s.timeoutMs / 1000)),
    healthCheckS: s.healthCheckIntervalMs === null ? '' : String(Math.round(s.healthCheckIntervalMs / 1000)),
    protocol: s.protocol ?? '',
    auth: s.auth
      ? {
          type: 'oauth',
          credentials: s.auth.credentials,
          clientId: s.auth.clientId ?? '',
          clientSecret: '',
          secretStored: s.auth.clientSecret !== null,
          scopes: s.auth.scopes.join(' '),
        }
      : NO_AUTH,
    enabled: s.enabled,
    autoStart: s.autoStart,
  }
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/
// RFC 6749 §3.3, as config/schema.ts checks each scope.
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/

const scopeList = (scopes: string): string[] => scopes.split(/\s+/).filter(Boolean)
const HEADER_KEY = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

function checkRows(list: SecretRow[], field: 'env' | 'headers', errors: FormErrors): void {
  const seen = new Set<string>()
  list.forEach((r, i) => {
    const key = r.key.trim()
    if (!key && !r.value) return
    const at = `${field}.${i}`
    if (!key) errors[at] = 'needs a name'
    else if (!(field === 'env' ? ENV_KEY : HEADER_KEY).test(key))
      errors[at] = field === 'env' ? 'letters, digits and _, not starting with a digit' : 'not a valid header name'
    else if (seen.has(key.toLowerCase())) errors[at] = 'is set twice'
    else if (!r.value && !r.stored) errors[at] = 'needs a value'
    seen.add(key.toLowerCase())
  })
}

function checkAuth(s: ServerFormState, errors: FormErrors): void {
  const a = s.auth
  if (a.clientId.length > 2000) errors['auth.clientId'] = 'at most 2000 characters'
  if (a.clientSecret.length > 2000) errors['auth.clientSecret'] = 'at most 2000 characters'
  else if ((a.clientSecret || a.secretStored) && !a.clientId.trim()) errors['auth.clientSecret'] = 'needs a client ID'
  const bad = scopeList(a.scopes).find((x) => !SCOPE.test(x))
  if (bad) errors['auth.scopes'] = `"${bad}" is not a scope: no quotes or backslashes`
  // The gateway sets this header from the tokens (config/schema.ts), so a static one would be refused.
  s.headers.forEach((r, i) => {
    if (r.key.trim().toLowerCase() === 'authorization' && !errors[`headers.${i}`]) {
      errors[`headers.${i}`] = 'is set from the OAuth tokens: remove it'
    }
  })
}

/** The checks the API makes (config/schema.ts serverSchema), keyed by the field the form shows them under. */
export function validateServerForm(s: ServerFormState, options: { canStdio: boolean; editing: boolean }): FormErrors {
  const errors: FormErrors = {}
  if (!options.editing && !SERVER_NAME.test(s.name)) {
    errors.name = s.name ? 'use 1-48 characters of a-z, 0-9 and -, starting with a letter or digit' : 'is required'
  }
  if (s.description.length > 2000) errors.description = 'at most 2000 characters'
  if (s.transport === 'stdio') {
    if (!options.canStdio) errors.transport = 'only administrators may run commands on the gateway host'
    if (!s.command.trim()) errors.command = 'is required for stdio servers'
    checkRows(s.env, 'env', errors)
  } else {
    let url: URL | null = null
    try {
      url = new URL(s.url.trim())
    } catch {
      url = null
    }
    if (!s.url.trim()) errors.url = `is required for ${s.transport} servers`
    else if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      errors.url = 'must be an http:// or https:// URL'
    checkRows(s.headers, 'headers', errors)
    if (s.auth.type === 'oauth') checkAuth(s, errors)
  }
  const t = Number(s.timeoutS)
  if (!Number.isInteger(t) || t < 1 || t > 86_400) errors.timeoutMs = 'whole seconds from 1 to 86400'
  const h = Number(s.healthCheckS)
  if (s.healthCheckS.trim() !== '' && (!Number.isInteger(h) || h < 0 || h > 86_400)) {
    errors.healthCheckIntervalMs = 'whole seconds from 1 to 86400, 0 for off, or empty for the default'
  }
  return errors
}

/**
 * Whether an edit changes where the server connects or what it sends, so that saving it calls for a connection test.
 * A new server always does; a new description, timeout or switch does not; a new protocol era does.
 */
export function connectionChanged(s: ServerFormState, saved: Server | null): boolean {
  if (!saved) return true
  const before = serverFormFrom(saved)
  const secrets = (rows: SecretRow[]) => JSON.stringify(rows.filter((r) => r.key.trim()).map((r) => [r.key, r.value]))
  if (s.transport !== before.transport) return true
  // Another era is another handshake: worth a test like a new URL.
  if (hasProtocolChoice(s.transport) && s.protocol !== before.protocol) return true
  if (s.transport === 'stdio') {
    return (
      s.command.trim() !== before.command ||
      s.cwd.trim() !== before.cwd ||
      JSON.stringify(s.args.split('\n').filter((a) => a.trim())) !== JSON.stringify(saved.args) ||
      secrets(s.env) !== secrets(before.env)
    )
  }
  return (
    s.url.trim() !== before.url ||
    secrets(s.headers) !== secrets(before.headers) ||
    JSON.stringify(authBody(s.auth, true)) !== JSON.stringify(authBody(before.auth, true))
  )
}

/**
 * Whether saving runs the connection test first. Not for a server behind OAuth: no connection is made before someone
 * connects it to the provider (the server view's Authorization block), so the test could only fail.
 */
export function testsOnSave(s: ServerFormState, saved: Server | null): boolean {
  return s.transport !== 'stdio' && s.auth.type === 'oauth' ? false : connectionChanged(s, saved)
}

/**
 * The `auth` of the body: null for none (on an edit; a new server leaves it out), else the OAuth settings with the
 * client secret as typed, the mask to keep the stored one, or null to drop it.
 */
export function authBody(a: AuthForm, editing: boolean): Record<string, unknown> | null | undefined {
  if (a.type === 'none') return editing ? null : undefined
  const clientId = a.clientId.trim()
  const body: Record<string, unknown> = { type: 'oauth', credentials: a.credentials, scopes: scopeList(a.scopes) }
  if (clientId) body.clientId = clientId
  if (a.clientSecret) body.clientSecret = a.clientSecret
  else if (a.secretStored && clientId) body.clientSecret = MASK
  else if (editing) body.clientSecret = null
  return body
}

function record(list: SecretRow[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const r of list) {
    const key = r.key.trim()
    if (!key) continue
    out[key] = r.stored && !r.value ? MASK : r.value
  }
  return out
}

/** The POST (new) or PUT (edit) body. Fields of the other transport are left out: the API drops them anyway. */
export function serverBody(s: ServerFormState, editing: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    description: s.description,
    transport: s.transport,
    timeoutMs: Number(s.timeoutS) * 1000,
    enabled: s.enabled,
    autoStart: s.autoStart,
  }
  if (s.healthCheckS.trim() !== '') body.healthCheckIntervalMs = Number(s.healthCheckS) * 1000
  else if (editing) body.healthCheckIntervalMs = null
  // The select is hidden for SSE: a choice made before switching to it would be refused, so only 'legacy' survives.
  const protocol = hasProtocolChoice(s.transport) || s.protocol === 'legacy' ? s.protocol : ''
  if (protocol) body.protocol = protocol
  else if (editing) body.protocol = null
  if (!editing) body.name = s.name.trim()
  if (s.transport === 'stdio') {
    body.command = s.command.trim()
    body.args = s.args.split('\n').filter((a) => a.trim() !== '')
    body.env = record(s.env)
    if (s.cwd.trim()) body.cwd = s.cwd.trim()
    else if (editing) body.cwd = null
  } else {
    body.url = s.url.trim()
    body.headers = record(s.headers)
    const auth = authBody(s.auth, editing)
    if (auth !== undefined) body.auth = auth
  }
  return body
}

/** The API's field path ("env.TOKEN", "timeoutMs") to the form's ("env.2"), so its errors land on the right row. */
export function formField(apiField: string, s: ServerFormState): string {
  // One scope of the list is refused: the form has one field for them all.
  if (/^auth\.scopes\.\d+$/.test(apiField)) return 'auth.scopes'
  const m = /^(env|headers)\.(.+)$/.exec(apiField)
  if (!m) return apiField
  const list = m[1] === 'env' ? s.env : s.headers
  const i = list.findIndex((r) => r.key.trim() === m[2])
  return i === -1 ? m[1] : `${m[1]}.${i}`
}
