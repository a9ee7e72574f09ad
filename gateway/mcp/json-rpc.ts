// JSON-RPC 2.0 framing for MCP: classify a message, build errors, and restore ids without touching the rest.

export type RpcId = string | number

export interface RpcMessage {
  jsonrpc: '2.0'
  id?: RpcId | null
  method?: string
  params?: Record<string, unknown>
  result?: unknown
  error?: { code: number; message: string; data?: unknown }
}

export type Classified =
  | { kind: 'request'; msg: RpcMessage & { id: RpcId; method: string } }
  | { kind: 'notification'; msg: RpcMessage & { method: string } }
  | { kind: 'response'; msg: RpcMessage & { id: RpcId } }
  | { kind: 'invalid'; reason: string; id: RpcId | null }

/** MCP error codes mcpo emits itself (protocol.md §8); upstream errors pass through unchanged. */
export const RpcCodes = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  BAD_REQUEST: -32000,
  SESSION_NOT_FOUND: -32001,
  UPSTREAM_UNAVAILABLE: -32010,
  UPSTREAM_TIMEOUT: -32011,
  UPSTREAM_CLOSED: -32012,
  SHUTTING_DOWN: -32013,
  FORBIDDEN: -32014,
  LIMIT_REACHED: -32015,
} as const

export function classify(value: unknown): Classified {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'invalid', reason: 'a JSON-RPC message must be an object', id: null }
  }
  const m = value as RpcMessage
  const id = m.id
  const idOk = typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))
  if (m.jsonrpc !== '2.0') return { kind: 'invalid', reason: 'jsonrpc must be "2.0"', id: idOk ? (id as RpcId) : null }
  if (typeof m.method === 'string') {
    if (m.params !== undefined && (typeof m.params !== 'object' || m.params === null)) {
      return { kind: 'invalid', reason: 'params must be an object', id: idOk ? (id as RpcId) : null }
    }
    if (id === undefined) return { kind: 'notification', msg: m as RpcMessage & { method: string } }
    if (!idOk) return { kind: 'invalid', reason: 'id must be a string or a number', id: null }
    return { kind: 'request', msg: m as RpcMessage & { id: RpcId; method: string } }
  }
  if (idOk && ('result' in m || 'error' in m)) return { kind: 'response', msg: m as RpcMessage & { id: RpcId } }
  return { kind: 'invalid', reason: 'not a request, notification or response', id: idOk ? (id as RpcId) : null }
}

export function errorMessage(id: RpcId | null, code: number, message: string, data?: unknown): string {
  return JSON.stringify(
    data === undefined
      ? { jsonrpc: '2.0', id, error: { code, message } }
      : { jsonrpc: '2.0', id, error: { code, message, data } },
  )
}

export function resultMessage(id: RpcId, result: unknown): string {
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${JSON.stringify(result)}}`
}

export function notificationMessage(method: string, params?: unknown): string {
  return params === undefined
    ? `{"jsonrpc":"2.0","method":${JSON.stringify(method)}}`
    : `{"jsonrpc":"2.0","method":${JSON.stringify(method)},"params":${JSON.stringify(params)}}`
}

/** A key for maps of ids that keeps `1` and `"1"` apart. */
export function idKey(id: RpcId): string {
  return typeof id === 'number' ? `n${id}` : `s${id}`
}

/**
 * Replaces the top-level `"id"` value of a serialized message, leaving every other byte as it was.
 * Returns null when the text has no top-level id (the caller then re-serializes).
 */
export function replaceTopLevelId(text: string, newIdJson: string): string | null {
  const span = findTopLevelMember(text, 'id')
  if (span === null) return null
  return text.slice(0, span[0]) + newIdJson + text.slice(span[1])
}

/** Start and end offsets of the value of a top-level member, found by a scan that honours strings and nesting. */
export function findTopLevelMember(text: string, name: string): [number, number] | null {
  return findMember(text, name, 0, text.length, false)
}

/**
 * Bytes of the `params.arguments` text of a request as the client sent it, found by the same scan (no parse, no
 * re-serialisation); null when the text has no such member (the caller then measures the parsed value).
 */
export function argumentsBytes(raw: string): number | null {
  const params = findMember(raw, 'params', 0, raw.length, true)
  if (params === null || raw.charCodeAt(params[0]) !== 123 /* { */) return null
  const args = findMember(raw, 'arguments', params[0], params[1], true)
  return args === null ? null : Buffer.byteLength(raw.slice(args[0], args[1]))
}

/**
 * The value span of member `name` of the object that starts at `from` (a `{`, or the start of a whole message).
 * Container values are skipped only when `containers` is set: ids never are containers, so the id scan stays cheap.
 */
function findMember(
  text: string,
  name: string,
  from: number,
  to: number,
  containers: boolean,
): [number, number] | null {
  let depth = 0
  let i = from
  while (i < to) {
    const c = text.charCodeAt(i)
    if (c === 34 /* " */) {
      const start = i
      i = skipString(text, i)
      if (depth === 1) {
        // A key at depth 1 is followed by optional whitespace and a colon.
        let j = i
        while (j < to && isSpace(text.charCodeAt(j))) j++
        if (text.charCodeAt(j) === 58 /* : */ && i - start - 2 === name.length && text.startsWith(name, start + 1)) {
          j++
          while (j < to && isSpace(text.charCodeAt(j))) j++
          const end = skipValue(text, j, containers)
          return end === -1 || end > to ? null : [j, end]
        }
      }
      continue
    }
    if (c === 123 /* { */ || c === 91 /* [ */) depth++
    else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--
      // The end of the object the search started in: the member is not there.
      if (depth === 0) return null
    }
    i++
  }
  return null
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13
}

function skipString(text: string, i: number): number {
  i++
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (c === 92 /* \ */) i += 2
    else if (c === 34) return i + 1
    else i++
  }
  return i
}

/** The end of the value at `i`; an object or array is skipped whole when `containers` is set, else refused (-1). */
function skipValue(text: string, i: number, containers: boolean): number {
  const c = text.charCodeAt(i)
  if (c === 34) return skipString(text, i)
  if (c === 123 || c === 91) return containers ? skipContainer(text, i) : -1
  let j = i
  while (j < text.length) {
    const d = text.charCodeAt(j)
    if (d === 44 /* , */ || d === 125 || d === 93 || isSpace(d)) break
    j++
  }
  return j > i ? j : -1
}

/** The end of the object or array that opens at `i` (strings honoured), or -1 when the text ends first. */
function skipContainer(text: string, i: number): number {
  let depth = 0
  const n = text.length
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 34) {
      i = skipString(text, i)
      continue
    }
    if (c === 123 || c === 91) depth++
    else if (c === 125 || c === 93) {
      depth--
      if (depth === 0) return i + 1
    }
    i++
  }
  return -1
}
