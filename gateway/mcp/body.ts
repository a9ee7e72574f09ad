// Reading a POSTed JSON-RPC body: content type, parse, and the HTTP errors protocol.md §8 asks for.
import type { IncomingRequest, Responder } from '../http.ts'
import { isJsonMediaType } from '../media-type.ts'
import { errorMessage, RpcCodes } from './json-rpc.ts'

export type ParsedBody = { ok: true; value: unknown; raw: string } | { ok: false }

const JSON_TYPE = { 'content-type': 'application/json' }

/**
 * Deepest nesting of arrays and objects a message may have. Deeper values parse, but serialising them again (to
 * record a call, to rewrite it) overflows the stack, so such a call would run unrecorded; no tool needs this depth.
 */
export const MAX_JSON_DEPTH = 128

/** True when `raw` (valid JSON) nests arrays and objects deeper than `limit`; one pass, no allocation. */
export function nestsDeeperThan(raw: string, limit: number): boolean {
  // A value this short cannot open `limit` levels: most messages skip the scan.
  if (raw.length <= limit * 2) return false
  let depth = 0
  let inString = false
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

export function rpcHttpError(
  res: Responder,
  status: number,
  code: number,
  message: string,
  extra?: Record<string, string>,
): void {
  res.send(status, extra ? { ...JSON_TYPE, ...extra } : JSON_TYPE, errorMessage(null, code, message))
}

/** Parses the body or answers 415 / 400 itself. */
export function readJsonBody(req: IncomingRequest, res: Responder): ParsedBody {
  if (!isJsonMediaType(req.headers['content-type'])) {
    rpcHttpError(res, 415, RpcCodes.BAD_REQUEST, 'Unsupported Media Type: Content-Type must be application/json')
    return { ok: false }
  }
  const raw = req.body ? req.body.toString('utf8') : ''
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    rpcHttpError(res, 400, RpcCodes.PARSE_ERROR, 'Parse error: the body is not valid JSON')
    return { ok: false }
  }
  if (nestsDeeperThan(raw, MAX_JSON_DEPTH)) {
    rpcHttpError(
      res,
      400,
      RpcCodes.INVALID_REQUEST,
      `Invalid Request: the message nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`,
    )
    return { ok: false }
  }
  return { ok: true, value, raw }
}
