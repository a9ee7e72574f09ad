// The SQL abstraction both adapters implement: a tagged template with `${value}` parameters that
// resolves to camelCase rows, with database errors turned into GatewayErrors once, here.
import { GatewayError } from '../contract.ts'

import type { ReadCache } from './read-cache.ts'

export type Row = Record<string, unknown>

/**
 * Runs one statement; every `${value}` becomes a bind parameter, never text.
 * @example const rows = await sql<User>`SELECT * FROM users WHERE id = ${id}::uuid`
 */
export type SqlTag = <T = Row>(strings: TemplateStringsArray, ...values: unknown[]) => Promise<T[]>

export type Sql = SqlTag & {
  /**
   * The same tag for a read that may be answered from the store's read cache while none of `tables` changed
   * (the embedded store has one; elsewhere, and inside transactions, it is the plain tag).
   * @example const [row] = await sql.cached('projects')<Project>`SELECT * FROM projects WHERE id = ${id}::text`
   */
  cached(...tables: string[]): SqlTag
  /**
   * Bulk-loads rows with COPY where the driver can (the embedded store: several times cheaper per row than an INSERT
   * of a JSON array, which matters for rows written on every tool call); null where it cannot, so the caller INSERTs.
   * Values are strings, numbers, booleans, Dates, null, or objects (written as JSON); NUL characters, which Postgres
   * text cannot hold, become U+FFFD.
   */
  readonly copy:
    | ((table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]) => Promise<void>)
    | null
}

/** What an adapter supplies. Everything above it (queries, migrations, transactions) is shared. */
export interface Driver {
  /** One parameterised statement; rows come back with the driver's snake_case column names. */
  query(strings: TemplateStringsArray, values: unknown[]): Promise<Row[]>
  /** Multi-statement SQL without parameters. Only the migration runner may call it. */
  unsafe(text: string): Promise<void>
  /** Runs fn in a new transaction; only called on a driver that is not in one. */
  begin<T>(fn: (tx: Driver) => Promise<T>): Promise<T>
  readonly inTransaction: boolean
  /** `COPY table (columns) FROM …` with `data` in COPY's text format; drivers without it leave it out. */
  copyIn?(table: string, columns: readonly string[], data: string): Promise<void>
}

const IDENT = /^[a-z_][a-z0-9_]*$/

/** The COPY statement for trusted, code-defined names; anything else is a programming error. */
export function copyStatement(table: string, columns: readonly string[], source: string): string {
  for (const name of [table, ...columns])
    if (!IDENT.test(name)) throw new GatewayError('MCPO_ERR_INTERNAL', `COPY needs a plain identifier, not ${name}`)
  return `COPY ${table} (${columns.join(', ')}) FROM ${source}`
}

/** Rows in COPY's text format: tab-separated, `\N` for NULL, backslash escapes for \\, tab, newline and CR. */
export function copyText(rows: readonly (readonly unknown[])[]): string {
  let out = ''
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      if (i > 0) out += '\t'
      out += copyField(row[i])
    }
    out += '\n'
  }
  return out
}

const COPY_SPECIAL = /[\\\t\n\r\0]/
const COPY_SPECIALS = /[\\\t\n\r\0]/g
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\uFFFD' }

function copyField(v: unknown): string {
  if (v === null || v === undefined) return '\\N'
  let s: string
  if (typeof v === 'string') s = v
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v)
  else if (v instanceof Date) return v.toISOString()
  else s = jsonText(v)
  return COPY_SPECIAL.test(s) ? s.replace(COPY_SPECIALS, copyEscape) : s
}

function copyEscape(c: string): string {
  return COPY_ESCAPES[c]
}

/** JSON for a jsonb column: jsonb refuses the NUL escape, so strings (keys too) lose their NUL characters. */
export function jsonText(v: unknown): string {
  const text = JSON.stringify(v)
  return text.includes('\\u0000') ? JSON.stringify(v, withoutNul) : text
}

/** A JSON.stringify replacer: it sees values after their toJSON (a Date is its string by then). */
function withoutNul(_key: string, v: unknown): unknown {
  if (typeof v === 'string') return v.replaceAll('\0', '\uFFFD')
  if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.keys(v).some((k) => k.includes('\0'))) return v
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) out[k.replaceAll('\0', '\uFFFD')] = x
  return out
}

/**
 * A jsonb parameter, written `${json(v)}::text::jsonb`. The `::text` matters: with a bare `::jsonb`
 * postgres.js learns the parameter is jsonb and JSON-encodes the string a second time. NUL characters in strings
 * and keys become U+FFFD: jsonb refuses them, and one would fail the whole statement.
 */
export function json(value: unknown): string | null {
  return value === undefined || value === null ? null : jsonText(value)
}

export function createSql(driver: Driver, cache?: ReadCache): Sql {
  const run = async (strings: TemplateStringsArray, values: unknown[]): Promise<Row[]> => {
    // postgres.js rejects undefined; PGlite sends it as NULL. Make both send NULL.
    for (let i = 0; i < values.length; i++) if (values[i] === undefined) values[i] = null
    let rows: Row[]
    try {
      rows = await driver.query(strings, values)
    } catch (err) {
      throw toStorageError(err)
    }
    return rows.map(camelRow)
  }
  const copyIn = driver.copyIn?.bind(driver)
  const copy =
    copyIn === undefined
      ? null
      : async (table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]) => {
          if (rows.length === 0) return
          cache?.wroteTable(table)
          try {
            await copyIn(table, columns, copyText(rows))
          } catch (err) {
            throw toStorageError(err)
          } finally {
            cache?.wroteTable(table)
          }
        }
  const plain = (<T>(strings: TemplateStringsArray, ...values: unknown[]) =>
    run(strings, values) as Promise<T[]>) as Sql & { copy: Sql['copy'] }
  plain.copy = copy
  if (!cache) {
    plain.cached = () => plain
    return plain
  }
  // Invalidate before (readers from now on miss) and after (a read that overlapped the write is not kept).
  const sql = (async <T>(strings: TemplateStringsArray, ...values: unknown[]) => {
    cache.wrote(strings[0])
    try {
      return (await run(strings, values)) as T[]
    } finally {
      cache.wrote(strings[0])
    }
  }) as Sql & { copy: Sql['copy'] }
  sql.copy = copy
  // A statement's strings array is one object per call site: number it once to key its cache entries.
  const ids = new WeakMap<TemplateStringsArray, number>()
  let nextId = 1
  sql.cached = (...tables) => {
    // Inside a transaction the cache could keep what a rollback takes back: read the database.
    if (driver.inTransaction) return sql
    return (<T>(strings: TemplateStringsArray, ...values: unknown[]) => {
      let id = ids.get(strings)
      if (id === undefined) ids.set(strings, (id = nextId++))
      return cache.read(tables, `${id}:${JSON.stringify(values)}`, () => run(strings, values)) as Promise<T[]>
    }) as SqlTag
  }
  return sql
}

function camelRow(row: Row): Row {
  const out: Row = {}
  for (const key in row) out[key.includes('_') ? key.replace(/_([a-z0-9])/g, camelChar) : key] = row[key]
  return out
}

function camelChar(_: string, c: string): string {
  return c.toUpperCase()
}

/** Page sizes: a default, clamped to [1, max]. */
export function limitOf(limit: number | undefined, fallback = 100, max = 1000): number {
  const n = limit !== undefined && Number.isFinite(limit) ? Math.trunc(limit) : fallback
  return Math.min(Math.max(n, 1), max)
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Ids arrive from URLs: a malformed uuid is simply not found, not a database error. */
export function isUuid(value: string): boolean {
  return UUID.test(value)
}

// Keyed by constraint name (named explicitly in sql/001_init.sql). Messages name the field, never the value.
const uniqueMessages: Record<string, [field: string, message: string]> = {
  users_email_key: ['email', 'a user with this email already exists'],
  users_oidc_key: ['oidcSubject', 'a user with this OIDC subject already exists'],
  teams_slug_key: ['slug', 'a team with this slug already exists'],
  team_members_pkey: ['userId', 'the user is already a member of this team'],
  projects_pkey: ['id', 'a project with this id already exists'],
  project_members_pkey: ['userId', 'the user is already a member of this project'],
  invitations_token_hash_key: ['tokenHash', 'an invitation with this token already exists'],
  servers_project_name_key: ['name', 'a server with this name already exists in the project'],
  api_keys_key_hash_key: ['keyHash', 'an API key with this value already exists'],
  api_keys_config_name_key: ['name', 'a config API key with this name already exists in the project'],
  templates_name_key: ['name', 'a template with this name already exists'],
  favorites_pkey: ['projectId', 'the project is already a favorite'],
  nodes_pkey: ['id', 'a node with this id already exists'],
  client_sessions_pkey: ['id', 'a client session with this id already exists'],
}

const checkMessages: Record<string, [field: string, message: string]> = {
  projects_id_format: ['id', 'project id must be 1-100 letters, digits, "-" or "_", starting with a letter or digit'],
  teams_slug_format: ['slug', 'team slug must be 1-63 lower-case letters, digits or "-"'],
  servers_name_format: ['name', 'server name must be 1-63 lower-case letters, digits or "-"'],
  servers_transport_fields: [
    'transport',
    'a stdio server needs a command; an sse or streamable-http server needs a url',
  ],
  invitations_target: ['projectId', 'an invitation needs a project or a team'],
}

// Which entity a foreign-key column points at, for "not found" messages.
const referencedEntity: Record<string, string> = {
  project_id: 'project',
  team_id: 'team',
  source_team_id: 'team',
  user_id: 'user',
  created_by: 'user',
  added_by: 'user',
  invited_by: 'user',
  accepted_by: 'user',
  // upstream_credentials_server_fkey and upstream_oauth_pending_server_fkey: (project_id, server_name).
  server: 'server',
}

const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '53300', // too many connections
  '57P01', // admin shutdown
  '57P02', // crash shutdown
  '57P03', // cannot connect now
  '3D000', // database does not exist
  '28000', // invalid authorization
  '28P01', // invalid password
])

interface DbErrorFields {
  code?: string
  constraint?: string
  table?: string
  column?: string
  message: string
}

// PGlite and postgres.js spell the fields differently.
function fields(err: Record<string, unknown>): DbErrorFields {
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined)
  return {
    code: str(err.code),
    constraint: str(err.constraint) ?? str(err.constraint_name),
    table: str(err.table) ?? str(err.table_name),
    column: str(err.column) ?? str(err.column_name),
    message: typeof err.message === 'string' ? err.message : '',
  }
}

/** Maps a driver error to a GatewayError; anything it does not recognise is returned unchanged. */
export function toStorageError(err: unknown): unknown {
  if (err instanceof GatewayError || typeof err !== 'object' || err === null) return err
  const raw = err as Record<string, unknown>
  // PGlite attaches the bind parameters to its errors; keep them out of logs that serialise the cause.
  for (const key of ['params', 'parameters']) {
    if (key in raw) Object.defineProperty(raw, key, { enumerable: false })
  }
  const f = fields(raw)
  const cause = err
  if (f.code === '23505') {
    const [field, message] = uniqueMessages[f.constraint ?? ''] ?? [
      '',
      `a ${singular(f.table)} with these values already exists`,
    ]
    return new GatewayError('MCPO_ERR_CONFLICT', message, { cause, details: field ? { field } : undefined })
  }
  if (f.code === '23503') {
    const column = f.constraint && f.table ? f.constraint.slice(f.table.length + 1, -'_fkey'.length) : ''
    // Insert/update of the referencing row names a parent that does not exist.
    if (f.message.startsWith('insert or update')) {
      const entity = referencedEntity[column] ?? 'referenced row'
      return new GatewayError('MCPO_ERR_NOT_FOUND', `${entity} not found`, { cause, details: { field: camel(column) } })
    }
    return new GatewayError('MCPO_ERR_VALIDATION', `still referenced by ${f.table ?? 'another table'}`, { cause })
  }
  if (f.code === '23514') {
    const known = checkMessages[f.constraint ?? '']
    if (known) return new GatewayError('MCPO_ERR_VALIDATION', known[1], { cause, details: { field: known[0] } })
    const column = f.constraint && f.table ? f.constraint.slice(f.table.length + 1).replace(/_check$/, '') : ''
    return new GatewayError('MCPO_ERR_VALIDATION', `invalid ${column ? column.replace(/_/g, ' ') : 'value'}`, {
      cause,
      details: column ? { field: camel(column) } : undefined,
    })
  }
  if (f.code === '23502') {
    const column = f.column ?? ''
    return new GatewayError('MCPO_ERR_VALIDATION', `${column.replace(/_/g, ' ') || 'a value'} is required`, {
      cause,
      details: column ? { field: camel(column) } : undefined,
    })
  }
  if (f.code === '22P02' || f.code === '22007' || f.code === '22008' || f.code === '22003') {
    return new GatewayError('MCPO_ERR_VALIDATION', 'a value has the wrong format', { cause })
  }
  // Text Postgres cannot store (a NUL character, a broken encoding) came from a client: a bad value, not a crash.
  if (f.code === '22021' || f.code === '22P05') {
    return new GatewayError('MCPO_ERR_VALIDATION', 'a text value holds a character that cannot be stored (NUL?)', {
      cause,
    })
  }
  if (f.code === '40001' || f.code === '40P01') {
    return new GatewayError('MCPO_ERR_CONFLICT', 'a concurrent change got in the way; retry', { cause })
  }
  if ((f.code && (unavailableCodes.has(f.code) || f.code.startsWith('08'))) || /PGlite is clos/.test(f.message)) {
    return new GatewayError('MCPO_ERR_STORAGE_UNAVAILABLE', `the database is unavailable (${f.code ?? 'closed'})`, {
      cause,
    })
  }
  return err
}

function camel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, camelChar)
}

function singular(table: string | undefined): string {
  return table ? table.replace(/_/g, ' ').replace(/s$/, '') : 'row'
}
