// Reading a POSTed JSON-RPC body: content type, parse, and the HTTP errors protocol.md §8 asks for.
import type { IncomingRequest, Responder } from '../http.ts'
import { errorMessage, RpcCodes } from './json-rpc.ts'

export type ParsedBody = { ok: true; value: unknown; raw: string } | { ok: false }

const JSON_TYPE = { 'content-type': 'application/json' }

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
  const type = req.headers['content-type'] ?? ''
  if (!type.toLowerCase().includes('application/json')) {
    rpcHttpError(res, 415, RpcCodes.BAD_REQUEST, 'Unsupported Media Type: Content-Type must be application/json')
    return { ok: false }
  }
  const raw = req.body ? req.body.toString('utf8') : ''
  try {
    return { ok: true, value: JSON.parse(raw), raw }
  } catch {
    rpcHttpError(res, 400, RpcCodes.PARSE_ERROR, 'Parse error: the body is not valid JSON')
    return { ok: false }
  }
}
