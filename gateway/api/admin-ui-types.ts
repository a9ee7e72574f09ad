// Writes admin-ui/api-types.ts, the admin UI's types of the REST answers, from /api/openapi.json, which the routes'
// zod schemas make: the UI reads the shapes the gateway validates and documents, never a hand copy of them.
// Run `npx tsx gateway/api/admin-ui-types.ts` after changing an answer's schema; test/api/admin-ui-types.test.ts
// fails while the file and the schemas disagree.
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { apiRoutes } from './index.ts'
import { openApiDocument } from './openapi.ts'

interface JsonSchema {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  items?: JsonSchema
  description?: string
}

/** A named type: the success answer of one operation, or a part of it reached through `at` (property names). */
interface Source {
  name: string
  doc: string
  op: string
  at?: string[]
}

/** Parts come before the wholes that hold them, so the wholes name them. */
const SOURCES: Source[] = [
  { name: 'Role', doc: 'A member role, strongest first.', op: 'GET /api/teams/{id}', at: ['role'] },
  { name: 'InvitationKind', doc: '', op: 'GET /api/projects/{id}/invitations', at: ['items', '[]', 'kind'] },
  { name: 'Transport', doc: '', op: 'GET /api/projects/{id}/servers/{name}', at: ['transport'] },
  {
    name: 'Health',
    doc: 'up / down / unknown: what the newest evidence (a connection, a probe, a test at save) says.',
    op: 'GET /api/projects/{id}/servers/{name}',
    at: ['status', 'health'],
  },
  { name: 'ServerStatusSummary', doc: '', op: 'GET /api/projects/{id}/servers/{name}', at: ['status'] },
  { name: 'User', doc: 'The signed-in account.', op: 'GET /api/auth/me' },
  { name: 'Providers', doc: 'The ways to sign in.', op: 'GET /api/auth/providers' },
  { name: 'Team', doc: '', op: 'GET /api/teams/{id}' },
  { name: 'TeamMember', doc: '', op: 'PUT /api/teams/{id}/members/{userId}' },
  { name: 'Project', doc: '', op: 'GET /api/projects/{id}' },
  { name: 'ProjectMember', doc: '', op: 'PUT /api/projects/{id}/members/{userId}' },
  { name: 'Invitation', doc: '', op: 'GET /api/projects/{id}/invitations', at: ['items', '[]'] },
  {
    name: 'MyInvitation',
    doc: "An invitation to the caller's address.",
    op: 'GET /api/invitations',
    at: ['items', '[]'],
  },
  { name: 'InvitationAnswer', doc: 'What inviting by email answers.', op: 'POST /api/projects/{id}/invitations' },
  {
    name: 'MemberInvited',
    doc: 'What adding a member answers: a pending invitation, the same whether or not the email has an account.',
    op: 'POST /api/projects/{id}/members',
  },
  { name: 'Server', doc: '', op: 'GET /api/projects/{id}/servers/{name}' },
  { name: 'ApiKey', doc: '', op: 'PUT /api/projects/{id}/api-keys/{keyId}' },
  {
    name: 'NewApiKey',
    doc: 'A key as created: with the full key, shown once.',
    op: 'POST /api/projects/{id}/api-keys',
  },
  { name: 'ProjectTools', doc: '', op: 'GET /api/projects/{id}/tools' },
  { name: 'ToolCallStats', doc: '', op: 'GET /api/projects/{id}/tool-calls/stats' },
  { name: 'ProjectTemplate', doc: 'What a new project starts with.', op: 'GET /api/project-templates/{templateId}' },
  {
    name: 'ConnectedApp',
    doc: 'An OAuth grant: an MCP client a user allowed to act for them on a project.',
    op: 'GET /api/me/connected-apps',
    at: ['items', '[]'],
  },
]

/** The list answer every paged route shares, generic in its items (from one of them). */
const PAGE_SOURCE = 'GET /api/teams'

function answerSchema(doc: { paths: Record<string, Record<string, unknown>> }, op: string): JsonSchema {
  const [method, path] = op.split(' ')
  const operation = doc.paths[path]?.[method.toLowerCase()] as
    | { responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }> }
    | undefined
  if (!operation) throw new Error(`${op} is not in the API document`)
  const success = Object.entries(operation.responses).find(([status]) => status !== 'default')?.[1]
  const schema = success?.content?.['application/json']?.schema
  if (!schema) throw new Error(`${op} documents no JSON answer`)
  return schema
}

function part(schema: JsonSchema, at: string[], op: string): JsonSchema {
  let s = withoutNull(schema)
  for (const key of at) {
    const next = key === '[]' ? s.items : s.properties?.[key]
    if (!next) throw new Error(`${op} has no ${at.join('.')}`)
    s = withoutNull(next)
  }
  return s
}

/** A nullable part stands for the type without null: the property that holds it says null. */
function withoutNull(s: JsonSchema): JsonSchema {
  const variants = s.anyOf?.filter((v) => v.type !== 'null')
  return variants?.length === 1 ? variants[0] : s
}

function literal(v: unknown): string {
  return typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : JSON.stringify(v)
}

function union(parts: string[]): string {
  return [...new Set(parts)].join(' | ')
}

/** Schemas already named (their JSON text → the name), so a part equal to one is written as a reference. */
let named = new Map<string, string>()

function tsType(s: JsonSchema, indent: string): string {
  const name = named.get(JSON.stringify(s))
  if (name) return name
  if (s.const !== undefined) return literal(s.const)
  if (s.enum) return union(s.enum.map(literal))
  const variants = s.anyOf ?? s.oneOf
  if (variants) return union(variants.map((v) => wrap(tsType(v, indent))))
  if (Array.isArray(s.type)) return union(s.type.map((t) => tsType({ ...s, type: t }, indent)))
  switch (s.type) {
    case 'string':
      return 'string'
    case 'number':
    case 'integer':
      return 'number'
    case 'boolean':
      return 'boolean'
    case 'null':
      return 'null'
    case 'array':
      return s.items ? `${wrap(tsType(s.items, indent))}[]` : 'unknown[]'
    case 'object':
      return objectType(s, indent)
    default:
      return 'unknown'
  }
}

function wrap(t: string): string {
  return t.includes(' | ') || t.includes(' & ') ? `(${t})` : t
}

function objectType(s: JsonSchema, indent: string): string {
  const props = Object.entries(s.properties ?? {})
  const extra = typeof s.additionalProperties === 'object' ? tsType(s.additionalProperties, indent) : null
  if (props.length === 0) return `Record<string, ${extra ?? 'unknown'}>`
  const inner = `${indent}  `
  const lines = props.map(([key, p]) => {
    const optional = s.required?.includes(key) ? '' : '?'
    const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : literal(key)
    const doc = p.description ? `${inner}/** ${p.description} */\n` : ''
    return `${doc}${inner}${name}${optional}: ${tsType(p, inner)}`
  })
  if (extra) lines.push(`${inner}[key: string]: ${extra}`)
  return `{\n${lines.join('\n')}\n${indent}}`
}

/** An object that holds every property of a named one (and more) is written as that one and the rest. */
function extension(s: JsonSchema): string | null {
  if (s.type !== 'object' || !s.properties) return null
  for (const [json, name] of named) {
    const base = JSON.parse(json) as JsonSchema
    if (base.type !== 'object' || !base.properties) continue
    const keys = Object.keys(base.properties)
    const own = Object.keys(s.properties).filter((k) => !keys.includes(k))
    if (own.length === 0 || own.length === Object.keys(s.properties).length) continue
    const same = keys.every(
      (k) =>
        JSON.stringify(s.properties?.[k]) === JSON.stringify(base.properties?.[k]) &&
        s.required?.includes(k) === base.required?.includes(k),
    )
    if (!same) continue
    const rest = { ...s, properties: Object.fromEntries(own.map((k) => [k, s.properties?.[k] ?? {}])) }
    return `${name} & ${tsType(rest, '')}`
  }
  return null
}

/** The file's text before formatting. */
export function adminUiTypesSource(): string {
  const doc = openApiDocument(apiRoutes()) as { paths: Record<string, Record<string, unknown>> }
  const out = [
    "// Generated by gateway/api/admin-ui-types.ts from /api/openapi.json (the routes' zod schemas): do not edit.",
    '// The shapes the REST API answers, as the admin UI reads them.',
    '',
  ]
  named = new Map()
  for (const src of SOURCES) {
    const schema = part(answerSchema(doc, src.op), src.at ?? [], src.op)
    const where = `${src.op}${src.at ? ` (${src.at.filter((k) => k !== '[]').join('.') || 'items'})` : ''}`
    out.push(`/** ${src.doc ? `${src.doc} ` : ''}From ${where}. */`)
    out.push(`export type ${src.name} = ${extension(schema) ?? tsType(schema, '')}`)
    out.push('')
    named.set(JSON.stringify(schema), src.name)
  }
  const roles = part(answerSchema(doc, SOURCES[0].op), SOURCES[0].at ?? [], SOURCES[0].op).enum ?? []
  out.push(`export const ROLES: readonly Role[] = [${roles.map(literal).join(', ')}]`, '')
  const page = answerSchema(doc, PAGE_SOURCE)
  const pageType = objectType({ ...page, properties: { ...page.properties, items: { type: 'T[]' } } }, '')
  out.push(`/** One page of a list. From ${PAGE_SOURCE}. */`)
  out.push(`export type Page<T> = ${pageType.replace(/items: unknown/, 'items: T[]')}`, '')
  out.push('// Answers /api/openapi.json does not describe yet, written by hand.')
  out.push(
    "export type { ClientConfig, ClientName, Discovery, Endpoints, SignInAnswer } from './api-types-undocumented.ts'",
    '',
  )
  return out.join('\n')
}

/** The file's text as biome formats it, so the written file and the drift test agree. */
export function adminUiTypesFile(root: string): string {
  return execFileSync(
    join(root, 'node_modules/.bin/biome'),
    ['format', `--stdin-file-path=${join(root, 'admin-ui/api-types.ts')}`],
    { input: adminUiTypesSource(), cwd: root, encoding: 'utf8' },
  )
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = join(import.meta.dirname, '../..')
  writeFileSync(join(root, 'admin-ui/api-types.ts'), adminUiTypesFile(root))
}
