// Form checks the UI runs before it calls the API, so mistakes show next to their field at once: a pasted
// `mcpServers` JSON (with a preview of what the import will create), tool policies, catalog templates and new users.
// The API checks everything again; these mirror its rules (gateway/api/*.ts) and never loosen them.

import { importName, remoteTransport } from '../../gateway/api/client-entry.ts'

export type Errors = Record<string, string>
export type Checked<T> = { ok: true; value: T } | { ok: false; errors: Errors }

function result<T>(value: T, errors: Errors): Checked<T> {
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, value }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

// ---- Paste-JSON import -------------------------------------------------------------------------------------------

export interface ImportPreview {
  /** The entry's name in the pasted JSON. */
  entry: string
  /** The server name mcpo will use (`[a-z0-9-]`, importName() of gateway/api/client-entry.ts, as the import route). */
  name: string
  transport: 'stdio' | 'sse' | 'streamable-http' | null
  /** What will run or be reached: the command line or the URL. */
  target: string
  /** How many env or header values the entry holds (they are stored encrypted). */
  secrets: number
  /** Problems the import would report for this entry; it is still sent, the others still import. */
  problems: string[]
}

export type ParsedImport =
  | { ok: true; body: { mcpServers: Record<string, unknown> }; preview: ImportPreview[] }
  | { ok: false; error: string }

/** "Unexpected token } in JSON at position 42" → the line and column of position 42. */
function jsonError(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  const at = /position (\d+)/.exec(message)
  if (!at) return `not valid JSON: ${message}`
  const pos = Number(at[1])
  const before = text.slice(0, pos).split('\n')
  return `not valid JSON at line ${before.length}, column ${before[before.length - 1].length + 1}: ${message.replace(/ in JSON at position \d+.*$/, '')}`
}

function looksLikeEntry(v: unknown): boolean {
  return isObject(v) && ('command' in v || 'url' in v || 'serverUrl' in v)
}

function previewOf(entry: string, v: unknown): ImportPreview {
  const name = importName(entry)
  const p: ImportPreview = { entry, name, transport: null, target: '', secrets: 0, problems: [] }
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) p.problems.push('the name has no usable characters')
  if (!isObject(v)) {
    p.problems.push('the entry is not an object')
    return p
  }
  const type = String(v.type ?? v.transportType ?? v.transport ?? '')
  const url = v.url ?? v.serverUrl
  if (v.command !== undefined || type === 'stdio') {
    p.transport = 'stdio'
    if (typeof v.command !== 'string' || !v.command.trim()) p.problems.push('command: must be a non-empty string')
    const args = Array.isArray(v.args) ? v.args.map(String) : []
    p.target = [String(v.command ?? ''), ...args].join(' ').trim()
    if (v.env !== undefined && !isObject(v.env)) p.problems.push('env: must be an object of strings')
    p.secrets = isObject(v.env) ? Object.keys(v.env).length : 0
    return p
  }
  if (typeof url !== 'string' || !url) {
    p.problems.push('needs a "command" (stdio) or a "url" (remote)')
    return p
  }
  p.transport = remoteTransport(type, url)
  p.target = url
  if (!/^https?:\/\//i.test(url)) p.problems.push('url: must start with http:// or https://')
  if (v.headers !== undefined && !isObject(v.headers)) p.problems.push('headers: must be an object of strings')
  p.secrets = isObject(v.headers) ? Object.keys(v.headers).length : 0
  return p
}

/**
 * Reads what a user pasted: `{ "mcpServers": {…} }` (Claude, Cline, Cursor), `{ "servers": {…} }` (VS Code), or the
 * bare map of entries. Answers the body for POST /servers/import and a preview of every entry.
 */
export function parseImport(text: string, existing: readonly string[] = []): ParsedImport {
  const trimmed = text.trim()
  if (!trimmed) return { ok: false, error: 'paste a JSON object with "mcpServers"' }
  let parsed: unknown
  try {
    parsed = JSON.parse(trimmed)
  } catch (err) {
    return { ok: false, error: jsonError(trimmed, err) }
  }
  if (!isObject(parsed)) return { ok: false, error: 'the JSON must be an object, like { "mcpServers": { … } }' }
  let map: unknown = parsed.mcpServers ?? parsed.servers
  if (map === undefined) {
    if (looksLikeEntry(parsed))
      return { ok: false, error: 'this is one server: wrap it as { "mcpServers": { "name": … } }' }
    if (Object.values(parsed).some(looksLikeEntry)) map = parsed
  }
  if (!isObject(map)) return { ok: false, error: 'found no "mcpServers" object' }
  const entries = Object.entries(map)
  if (entries.length === 0) return { ok: false, error: '"mcpServers" is empty' }
  if (entries.length > 200)
    return { ok: false, error: `"mcpServers" has ${entries.length} servers; import at most 200 at once` }
  const preview = entries.map(([k, v]) => previewOf(k, v))
  const seen = new Set(existing)
  for (const p of preview) {
    if (seen.has(p.name)) p.problems.push(`a server named "${p.name}" already exists`)
    seen.add(p.name)
  }
  return { ok: true, body: { mcpServers: map }, preview }
}

// ---- Tool policies ------------------------------------------------------------------------------------------------

export interface PolicyForm {
  effect: string
  serverPattern: string
  toolPattern: string
  roles: string[]
  keyIds: string[]
  priority: string
  description: string
}

export interface PolicyBody {
  effect: 'allow' | 'deny'
  serverPattern: string
  toolPattern: string
  roles: ('owner' | 'developer' | 'reporter')[]
  keyIds: string[]
  priority: number
  description: string
}

const PATTERN = /^[A-Za-z0-9_.*/-]+$/
const ROLES = new Set(['owner', 'developer', 'reporter'])
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function emptyPolicy(): PolicyForm {
  return { effect: 'deny', serverPattern: '*', toolPattern: '*', roles: [], keyIds: [], priority: '0', description: '' }
}

/** The same rules as the policy routes: globs over the tool alphabet, up to 3 roles, an integer priority. */
export function checkPolicy(form: PolicyForm): Checked<PolicyBody> {
  const errors: Errors = {}
  if (form.effect !== 'allow' && form.effect !== 'deny') errors.effect = 'choose allow or deny'
  for (const field of ['serverPattern', 'toolPattern'] as const) {
    const v = form[field].trim()
    if (!v) errors[field] = 'is required (use * for any)'
    else if (v.length > 200) errors[field] = 'must be at most 200 characters'
    else if (!PATTERN.test(v)) errors[field] = 'may hold letters, digits, _ - . / and the wildcard *'
  }
  if (form.roles.some((r) => !ROLES.has(r))) errors.roles = 'unknown role'
  if (form.keyIds.some((k) => !UUID.test(k))) errors.keyIds = 'unknown API key'
  const priority = Number(form.priority.trim() || '0')
  if (!Number.isInteger(priority) || Math.abs(priority) > 1_000_000)
    errors.priority = 'must be a whole number between -1000000 and 1000000'
  if (form.description.length > 500) errors.description = 'must be at most 500 characters'
  return result(
    {
      effect: form.effect as 'allow' | 'deny',
      serverPattern: form.serverPattern.trim(),
      toolPattern: form.toolPattern.trim(),
      roles: form.roles as PolicyBody['roles'],
      keyIds: form.keyIds,
      priority,
      description: form.description.trim(),
    },
    errors,
  )
}

// ---- Catalog templates --------------------------------------------------------------------------------------------

export interface TemplateForm {
  name: string
  description: string
  transport: string
  command: string
  /** One argument per line. */
  args: string
  /** `NAME=default` per line. */
  env: string
  /** `Header-Name=default` per line. */
  headers: string
  url: string
  approved: boolean
}

const VAR = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/

/** `KEY=value` lines into a record; blank lines are skipped; a line without `=` is a key with an empty default. */
export function parseVars(text: string, field: string, errors: Errors): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue
    const eq = line.indexOf('=')
    const key = (eq === -1 ? line : line.slice(0, eq)).trim()
    const value = eq === -1 ? '' : line.slice(eq + 1).trim()
    if (!VAR.test(key)) errors[field] ??= `line ${i + 1}: "${key}" is not a variable name`
    else if (value.length > 500) errors[field] ??= `line ${i + 1}: the default is longer than 500 characters`
    else out[key] = value
  }
  return out
}

export function formatVars(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')
}

/** The body of POST/PUT /api/templates: stdio needs a command, remote transports an http(s) URL. */
export function checkTemplate(form: TemplateForm): Checked<Record<string, unknown>> {
  const errors: Errors = {}
  const name = form.name.trim()
  if (!name) errors.name = 'is required'
  else if (name.length > 100) errors.name = 'must be at most 100 characters'
  if (form.description.length > 2000) errors.description = 'must be at most 2000 characters'
  const transport = form.transport
  if (!['stdio', 'sse', 'streamable-http'].includes(transport)) errors.transport = 'choose a transport'
  const body: Record<string, unknown> = {
    name,
    description: form.description.trim(),
    transport,
    approved: form.approved,
  }
  if (transport === 'stdio') {
    if (!form.command.trim()) errors.command = 'is required for stdio templates'
    body.command = form.command.trim()
    body.args = form.args
      .split('\n')
      .map((a) => a.trim())
      .filter(Boolean)
    body.envTemplate = parseVars(form.env, 'envTemplate', errors)
    body.headersTemplate = {}
    body.url = null
  } else {
    const url = form.url.trim()
    if (!url) errors.url = `is required for ${transport} templates`
    else if (!/^https?:\/\/[^\s/]+/i.test(url)) errors.url = 'must be an http:// or https:// URL'
    body.url = url
    body.headersTemplate = parseVars(form.headers, 'headersTemplate', errors)
    body.envTemplate = {}
    body.args = []
    body.command = null
  }
  return result(body, errors)
}

// ---- Users --------------------------------------------------------------------------------------------------------

export const MIN_PASSWORD = 12

export function checkNewUser(form: { email: string; name: string; password: string; isAdmin: boolean }) {
  const errors: Errors = {}
  const email = form.email.trim()
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) errors.email = 'must be an email address'
  if (form.name.length > 200) errors.name = 'must be at most 200 characters'
  if (form.password.length < MIN_PASSWORD) errors.password = `must be at least ${MIN_PASSWORD} characters`
  return result({ email, name: form.name.trim(), password: form.password, isAdmin: form.isAdmin }, errors)
}

/** A server name as the API accepts it (config/schema.ts): lower-case letters, digits and dashes. */
export function checkServerName(name: string): string | null {
  if (!name) return 'is required'
  if (name.length > 48) return 'must be at most 48 characters'
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
    return 'use lower-case letters, digits and dashes, starting with a letter or digit'
  return null
}
