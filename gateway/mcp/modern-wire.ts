// The 2026-07-28 wire as mcpo speaks it to clients (protocol.md §11): which POSTs are modern, the `_meta` envelope,
// the standard and `Mcp-Param-*` header checks, and how a result is dressed for a modern client. Pure functions: the
// serving path (modern.ts) decides what to do with their verdicts.
import { RpcCodes } from './json-rpc.ts'

export const MODERN_VERSION = '2026-07-28'
export const MODERN_VERSIONS: readonly string[] = [MODERN_VERSION]

export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
} as const

/** The error codes this revision adds. */
export const ModernCodes = {
  HEADER_MISMATCH: -32020,
  MISSING_CLIENT_CAPABILITY: -32021,
  UNSUPPORTED_VERSION: -32022,
} as const

/** The request methods of the revision. Anything else (initialize, ping, logging/setLevel, subscribe…) is 404 -32601. */
export const MODERN_METHODS: ReadonlySet<string> = new Set([
  'tools/call',
  'tools/list',
  'prompts/get',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'completion/complete',
  'server/discover',
  'subscriptions/listen',
])

/** Results that carry `ttlMs` and `cacheScope`. */
const CACHEABLE: ReadonlySet<string> = new Set([
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'server/discover',
])

/** The body field `Mcp-Name` mirrors, per method. */
export const NAME_SOURCE: Readonly<Record<string, 'name' | 'uri'>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
}

const REVISION = /^\d{4}-\d{2}-\d{2}$/

/**
 * A header naming a revision of the stateless era: an ISO date at or after 2026-07-28. Anything else in the header
 * alone (an older date, junk) leaves the request to the 2025-era path, which refuses unknown versions its own way.
 */
export function isModernVersion(version: string): boolean {
  return REVISION.test(version) && version >= MODERN_VERSION
}

/** A refusal: the HTTP status and the JSON-RPC error to answer with. */
export interface Refusal {
  status: number
  code: number
  message: string
  data?: unknown
}

function refusal(status: number, code: number, message: string, data?: unknown): Refusal {
  return data === undefined ? { status, code, message } : { status, code, message, data }
}

function mismatch(header: string, body: string): Refusal {
  return refusal(400, ModernCodes.HEADER_MISMATCH, `Bad Request: the request headers and body disagree: ${body}`, {
    mismatch: { header, body },
  })
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

export function metaOf(params: unknown): Record<string, unknown> | undefined {
  if (!isObject(params)) return undefined
  return isObject(params._meta) ? params._meta : undefined
}

/** A body claims the modern envelope when its `_meta` names a protocol version (whatever else is wrong with it). */
export function claimsEnvelope(params: unknown): boolean {
  const meta = metaOf(params)
  return meta !== undefined && META.protocolVersion in meta
}

/**
 * Whether a single (non-batch) message is for the modern path: it claims the envelope, or it is not `initialize` and
 * the `MCP-Protocol-Version` header names a modern revision. Posted responses are 2025-era session traffic.
 */
export function isModernMessage(msg: Record<string, unknown>, versionHeader: string | undefined): boolean {
  if (msg.method === undefined) return false
  if (claimsEnvelope(msg.params)) return true
  return versionHeader !== undefined && msg.method !== 'initialize' && isModernVersion(versionHeader.trim())
}

/** What a valid envelope tells mcpo about the client for this one request. */
export interface Envelope {
  version: string
  clientCapabilities: Record<string, unknown>
  clientInfo: { name?: string; version?: string } | null
  logLevel: string | null
}

const LOG_LEVELS = new Set(['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'])

/**
 * The envelope of a modern request, or the refusal (400 -32602 naming the key, -32020 for a header that disagrees,
 * -32022 for a revision mcpo does not serve) in the order the revision's validation ladder gives them.
 */
export function readEnvelope(
  params: unknown,
  versionHeader: string | undefined,
  methodHeader: string | undefined,
  method: string,
): Envelope | Refusal {
  const meta = metaOf(params)
  const missing: string[] = []
  if (meta === undefined) missing.push('_meta')
  else {
    if (!(META.protocolVersion in meta)) missing.push(META.protocolVersion)
    if (!(META.clientCapabilities in meta)) missing.push(META.clientCapabilities)
  }
  if (missing.length > 0) {
    return refusal(
      400,
      RpcCodes.INVALID_PARAMS,
      `Invalid params: the request is missing the required per-request envelope key(s): ${missing.join(', ')}`,
      { envelope: { missing } },
    )
  }
  const m = meta as Record<string, unknown>
  const version = m[META.protocolVersion]
  if (typeof version !== 'string') return badKey(META.protocolVersion, 'expected a protocol version string')
  const caps = m[META.clientCapabilities]
  if (!isObject(caps)) return badKey(META.clientCapabilities, 'expected an object')
  const info = m[META.clientInfo]
  if (info !== undefined && !isObject(info)) return badKey(META.clientInfo, 'expected an object')
  const level = m[META.logLevel]
  if (level !== undefined && (typeof level !== 'string' || !LOG_LEVELS.has(level))) {
    return badKey(META.logLevel, 'expected a log level')
  }
  const header = versionHeader?.trim()
  if (header !== undefined && header !== version) {
    return mismatch(
      header,
      `the body envelope names protocol version ${version} but the MCP-Protocol-Version header names ${header}`,
    )
  }
  const methodValue = methodHeader?.trim()
  if (methodValue !== undefined && methodValue !== method) {
    return mismatch(methodValue, `the body names method ${method} but the Mcp-Method header names ${methodValue}`)
  }
  if (!MODERN_VERSIONS.includes(version)) {
    return refusal(400, ModernCodes.UNSUPPORTED_VERSION, `Unsupported protocol version: ${version}`, {
      supported: [...MODERN_VERSIONS],
      requested: version,
    })
  }
  return {
    version,
    clientCapabilities: caps,
    clientInfo: info === undefined ? null : (info as Envelope['clientInfo']),
    logLevel: typeof level === 'string' ? level : null,
  }
}

function badKey(key: string, problem: string): Refusal {
  return refusal(
    400,
    RpcCodes.INVALID_PARAMS,
    `Invalid _meta envelope for protocol revision ${MODERN_VERSION}: ${key}: ${problem}`,
    {
      envelope: { key, problem },
    },
  )
}

export function isRefusal(v: Envelope | Refusal): v is Refusal {
  return (v as Refusal).status !== undefined
}

const SENTINEL_PREFIX = '=?base64?'
const SENTINEL_SUFFIX = '?='
/** Canonical base64 (linear: fixed-width groups, no nested quantifiers over alternatives that overlap). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** A header value as the client meant it: `=?base64?…?=` decoded as UTF-8; undefined when the sentinel is invalid. */
export function decodeHeaderValue(value: string): string | undefined {
  if (!(value.startsWith(SENTINEL_PREFIX) && value.endsWith(SENTINEL_SUFFIX))) return value
  const b64 = value.slice(SENTINEL_PREFIX.length, value.length - SENTINEL_SUFFIX.length)
  if (!BASE64.test(b64)) return undefined
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(b64, 'base64'))
  } catch {
    return undefined
  }
}

/** `Mcp-Method` must be present, and `Mcp-Name` must mirror `params.name` / `params.uri` where the method has one. */
export function checkStandardHeaders(
  method: string,
  params: unknown,
  headers: Readonly<Record<string, string | undefined>>,
): Refusal | null {
  if (headers['mcp-protocol-version'] === undefined) {
    return mismatch(
      '(missing)',
      'the body carries a modern per-request envelope but the required MCP-Protocol-Version header is absent',
    )
  }
  if (headers['mcp-method'] === undefined) {
    return mismatch('(missing)', `the body names method ${method} but the required Mcp-Method header is absent`)
  }
  const field = NAME_SOURCE[method]
  if (field === undefined) return null
  const raw = isObject(params) ? params[field] : undefined
  const bodyValue = typeof raw === 'string' ? raw : undefined
  const header = headers['mcp-name']
  if (header === undefined) {
    if (bodyValue === undefined) return null
    return mismatch(
      '(missing)',
      `the body carries params.${field}="${bodyValue}" but the required Mcp-Name header is absent`,
    )
  }
  const trimmed = header.trim()
  const decoded = decodeHeaderValue(trimmed)
  if (decoded === undefined) return mismatch(trimmed, 'the Mcp-Name header carries an invalid Base64 sentinel value')
  if (bodyValue !== undefined && decoded !== bodyValue) {
    return mismatch(
      trimmed,
      `the body carries params.${field}="${bodyValue}" but the Mcp-Name header names "${decoded}"`,
    )
  }
  return null
}

/** A tool argument the tool asks to be mirrored into an `Mcp-Param-{header}` header. */
export interface HeaderParam {
  path: readonly string[]
  header: string
  type: string
}

/** RFC 9110 token: a character class repeated once, so matching is linear. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const PRIMITIVE = new Set(['string', 'integer', 'boolean', 'number'])
/** Subschema keywords under which a declaration is not statically reachable from `arguments`. */
const UNREACHABLE = [
  'items',
  'prefixItems',
  'contains',
  'additionalProperties',
  'unevaluatedProperties',
  'unevaluatedItems',
  'propertyNames',
  'patternProperties',
  'dependentSchemas',
  'oneOf',
  'anyOf',
  'allOf',
  'not',
  'if',
  'then',
  'else',
  '$defs',
  'definitions',
]
/** Of those, the ones whose value is a map of names to schemas. */
const SCHEMA_MAPS = new Set(['patternProperties', 'dependentSchemas', '$defs', 'definitions'])
const MAX_SCHEMA_DEPTH = 32

/**
 * The `x-mcp-header` declarations of a tool's input schema, or the reason they are invalid (a declaration under a
 * combinator, a non-token name, a non-primitive type, a name used twice). A tool with an invalid declaration cannot be
 * called by a modern client correctly, so the caller leaves it out.
 */
export function headerParams(
  inputSchema: unknown,
): { ok: true; params: HeaderParam[] } | { ok: false; reason: string } {
  const out: HeaderParam[] = []
  const seen = new Set<string>()
  const visit = (node: unknown, path: string[], reachable: boolean, depth: number): string | null => {
    if (!isObject(node)) return null
    if (depth > MAX_SCHEMA_DEPTH) return null
    if ('x-mcp-header' in node) {
      const where = path.length === 0 ? '<root>' : path.join('.')
      if (!reachable || path.length === 0) return `${where}: x-mcp-header is only allowed on plain properties`
      const name = node['x-mcp-header']
      if (typeof name !== 'string' || !TOKEN.test(name)) return `${where}: x-mcp-header must be an HTTP token`
      const type = typeof node.type === 'string' ? node.type : ''
      if (!PRIMITIVE.has(type)) return `${where}: x-mcp-header needs a primitive type, not ${type || 'none'}`
      const lower = name.toLowerCase()
      if (seen.has(lower)) return `x-mcp-header ${name} is declared twice`
      seen.add(lower)
      out.push({ path, header: name, type })
    }
    if (isObject(node.properties)) {
      for (const [key, child] of Object.entries(node.properties)) {
        const fault = visit(child, [...path, key], reachable, depth + 1)
        if (fault) return fault
      }
    }
    for (const k of UNREACHABLE) {
      const sub = node[k]
      if (sub === undefined) continue
      const branches = Array.isArray(sub) ? sub : isObject(sub) && SCHEMA_MAPS.has(k) ? Object.values(sub) : [sub]
      for (const b of branches) {
        const fault = visit(b, [...path, `<${k}>`], false, depth + 1)
        if (fault) return fault
      }
    }
    return null
  }
  const fault = visit(inputSchema, [], true, 0)
  return fault === null ? { ok: true, params: out } : { ok: false, reason: fault }
}

/** The value at `path` inside `root`, or undefined where the path leaves the objects. */
export function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root
  for (const key of path) {
    if (!isObject(node)) return undefined
    node = node[key]
  }
  return node
}

function primitiveText(v: unknown): string | undefined {
  if (typeof v === 'string') return v
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v === 'number' && Number.isFinite(v) && (!Number.isInteger(v) || Number.isSafeInteger(v))) return String(v)
  return undefined
}

const DECIMAL = /^-?\d+(?:\.\d+)?$/

/** Each declared argument present in the body must arrive, equal, in its `Mcp-Param-*` header (protocol.md §11.3 M4). */
export function checkParamHeaders(
  declared: readonly HeaderParam[],
  args: unknown,
  headers: Readonly<Record<string, string | undefined>>,
): Refusal | null {
  for (const d of declared) {
    const name = `Mcp-Param-${d.header}`
    const bodyValue = valueAt(args, d.path)
    if (bodyValue === undefined || bodyValue === null) continue
    const text = primitiveText(bodyValue)
    if (text === undefined) continue
    const header = headers[name.toLowerCase()]
    if (header === undefined)
      return mismatch(
        name,
        `the body carries ${d.path.join('.')}=${JSON.stringify(bodyValue)} but the ${name} header is absent`,
      )
    const decoded = decodeHeaderValue(header.trim())
    if (decoded === undefined) return mismatch(name, `the ${name} header carries an invalid Base64 sentinel value`)
    const numeric =
      (d.type === 'integer' || d.type === 'number') && typeof bodyValue === 'number' && DECIMAL.test(decoded)
    if (numeric ? Number(decoded) !== bodyValue : decoded !== text) {
      return mismatch(
        name,
        `the ${name} header decodes to ${JSON.stringify(decoded)} but the body carries ${d.path.join('.')}=${JSON.stringify(bodyValue)}`,
      )
    }
  }
  return null
}

/** The envelope keys a 2025-era upstream must not see: an SDK v2 upstream would take the request for a modern one. */
const ENVELOPE_KEYS: readonly string[] = [META.protocolVersion, META.clientCapabilities, META.clientInfo, META.logLevel]

/** Params without the envelope keys (trace keys, the progress token and anything else in `_meta` stay). */
export function withoutEnvelope(params: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const meta = metaOf(params)
  if (meta === undefined || params === undefined) return params
  const rest: Record<string, unknown> = {}
  let kept = 0
  for (const [k, v] of Object.entries(meta)) {
    if (ENVELOPE_KEYS.includes(k)) continue
    rest[k] = v
    kept++
  }
  const out: Record<string, unknown> = { ...params }
  if (kept === 0) delete out._meta
  else out._meta = rest
  return out
}

export interface ServerIdentity {
  name: string
  version: string
  [k: string]: unknown
}

/** How long a modern client may reuse a list or read. mcpo filters per principal, so the scope is always private. */
export interface CacheHint {
  ttlMs: number
}

/**
 * A result as a modern client must see it: `resultType` (kept when an upstream already set it), `ttlMs` and
 * `cacheScope: "private"` on cacheable results, and the gateway's identity in `_meta`.
 */
export function modernResult(
  method: string,
  result: Record<string, unknown>,
  serverInfo: ServerIdentity,
  cache: CacheHint,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...result }
  if (out.resultType === undefined) out.resultType = 'complete'
  if (out.resultType === 'complete' && CACHEABLE.has(method)) {
    out.ttlMs = cache.ttlMs
    // Lists are filtered per principal (policies, roles): a shared cache could hand one caller another's view.
    out.cacheScope = 'private'
  }
  const meta = isObject(out._meta) ? { ...out._meta } : {}
  if (meta[META.serverInfo] === undefined) meta[META.serverInfo] = serverInfo
  out._meta = meta
  return out
}
