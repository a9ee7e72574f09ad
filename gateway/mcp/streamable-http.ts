// Streamable HTTP (MCP 2025-03-26 and later): POST carries messages and gets JSON or an SSE stream back,
// GET opens the session's stream for unrelated messages, DELETE ends the session (protocol.md §3).
import type { Exchange } from '../../plugins/contract.ts'
import type { IncomingRequest, Responder } from '../http.ts'
import { readJsonBody, rpcHttpError } from './body.ts'
import { UpstreamError } from './connection.ts'
import { guard } from './guard.ts'
import { type Classified, classify, RpcCodes, type RpcId, type RpcMessage } from './json-rpc.ts'
import type { LegacyDeps } from './legacy-sse.ts'
import { serveModern } from './modern.ts'
import { claimsEnvelope, isModernMessage, isModernVersion, MODERN_VERSION } from './modern-wire.ts'
import type { ClientSink, Session } from './session.ts'
import { SSE_HEADERS, SseChannel } from './sse.ts'
import { allowsBatches, DEFAULT_NEGOTIATED_VERSION, isSupportedVersion } from './versions.ts'

type Request = RpcMessage & { id: RpcId; method: string }

/** Methods answered as one JSON object; everything else may send progress or server requests first, so it gets SSE. */
const JSON_METHODS = new Set([
  'initialize',
  'ping',
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'logging/setLevel',
])

function accepts(req: IncomingRequest, type: string): boolean {
  const accept = req.headers.accept ?? ''
  return accept.includes(type) || accept.includes('*/*')
}

/**
 * A present but unsupported `MCP-Protocol-Version` is 400 on every request (POST, GET, DELETE); answers it if so. A
 * 2026-07-28 client has no session to stream or end: GET and DELETE are 405 for it.
 */
function unsupportedVersion(req: IncomingRequest, res: Responder): boolean {
  const version = req.headers['mcp-protocol-version']
  if (version === undefined || isSupportedVersion(version)) return false
  if (req.method !== 'POST' && isModernVersion(version.trim())) {
    rpcHttpError(res, 405, RpcCodes.BAD_REQUEST, `Method Not Allowed: ${MODERN_VERSION} requests are POSTs`, {
      allow: 'POST',
    })
    return true
  }
  rpcHttpError(res, 400, RpcCodes.BAD_REQUEST, `Bad Request: Unsupported protocol version: ${version}`)
  return true
}

function sessionNotFound(res: Responder): void {
  rpcHttpError(res, 404, RpcCodes.SESSION_NOT_FOUND, 'Session not found')
}

/** The session named by the header, if it belongs to this endpoint and principal; otherwise the answer is sent. */
function findSession(
  deps: LegacyDeps,
  req: IncomingRequest,
  res: Responder,
  params: Record<string, string>,
  principalId: string,
) {
  const id = req.headers['mcp-session-id']
  if (!id) {
    rpcHttpError(res, 400, RpcCodes.BAD_REQUEST, 'Bad Request: Mcp-Session-Id header is required')
    return null
  }
  const s = deps.sessions.owned(id, {
    projectId: params.projectId,
    serverName: params.serverName ?? null,
    principalId,
    transport: 'streamable',
  })
  if (!s) sessionNotFound(res)
  return s ?? null
}

export async function postStreamable(
  deps: LegacyDeps,
  req: IncomingRequest,
  res: Responder,
  params: Record<string, string>,
) {
  const g = await guard(deps, req, res, params)
  if (!g || res.aborted) return
  if (!accepts(req, 'application/json') || !accepts(req, 'text/event-stream')) {
    return rpcHttpError(
      res,
      406,
      RpcCodes.BAD_REQUEST,
      'Not Acceptable: Accept must include application/json and text/event-stream',
    )
  }
  const body = readJsonBody(req, res)
  if (!body.ok) return
  const value = body.value
  const single = value !== null && typeof value === 'object' && !Array.isArray(value)
  if (single && isModernMessage(value as Record<string, unknown>, req.headers['mcp-protocol-version'])) {
    return serveModern(deps, req, res, params, g, value)
  }
  if (Array.isArray(value) && value.some((m) => claimsEnvelope((m as { params?: unknown } | null)?.params))) {
    return rpcHttpError(
      res,
      400,
      RpcCodes.INVALID_REQUEST,
      `Invalid Request: a batch may not hold ${MODERN_VERSION} requests, which are sent one per POST`,
    )
  }
  if (unsupportedVersion(req, res)) return
  const batch = Array.isArray(body.value)
  const items: Classified[] = batch ? (body.value as unknown[]).map(classify) : [classify(body.value)]
  if (items.length === 0) return rpcHttpError(res, 400, RpcCodes.INVALID_REQUEST, 'Invalid Request: empty batch')
  const bad = items.find((c) => c.kind === 'invalid')
  if (bad && bad.kind === 'invalid')
    return rpcHttpError(res, 400, RpcCodes.INVALID_REQUEST, `Invalid Request: ${bad.reason}`)
  const isInit = items.some((c) => c.kind === 'request' && c.msg.method === 'initialize')

  let session: Session
  if (isInit) {
    if (batch)
      return rpcHttpError(res, 400, RpcCodes.INVALID_REQUEST, 'Invalid Request: initialize must not be batched')
    const existing = req.headers['mcp-session-id'] ? deps.sessions.get(req.headers['mcp-session-id']) : undefined
    if (existing && !existing.closed && existing.principalId === g.principal.id) {
      return rpcHttpError(res, 400, RpcCodes.INVALID_REQUEST, 'Invalid Request: Server already initialized')
    }
    try {
      session = deps.sessions.open({
        projectId: params.projectId,
        serverName: params.serverName ?? null,
        principalId: g.principal.id,
        principalKind: g.principal.kind,
        transport: 'streamable',
        protocolVersion: DEFAULT_NEGOTIATED_VERSION,
      })
    } catch (err) {
      if (err instanceof UpstreamError) return rpcHttpError(res, 429, RpcCodes.LIMIT_REACHED, err.message)
      throw err
    }
  } else {
    const found = findSession(deps, req, res, params, g.principal.id)
    if (!found) return
    session = found
    if (batch && !allowsBatches(session.protocolVersion)) {
      return rpcHttpError(
        res,
        400,
        RpcCodes.INVALID_REQUEST,
        'Invalid Request: batches are not supported in this protocol version',
      )
    }
  }
  session.lastActivity = Date.now()

  const requests: Request[] = []
  for (const c of items) {
    if (c.kind === 'request') requests.push(c.msg)
    else if (c.kind === 'notification')
      await deps.relay.notification(session, c.msg, batch ? JSON.stringify(c.msg) : body.raw)
    else if (c.kind === 'response') deps.relay.response(session, c.msg, batch ? JSON.stringify(c.msg) : body.raw)
  }
  if (requests.length === 0) return res.send(202, null)

  const headers = { 'mcp-session-id': session.id }
  const one = requests.length === 1 && !batch
  const wantsProgress = requests.some(
    (r) => (r.params as { _meta?: { progressToken?: unknown } } | undefined)?._meta?.progressToken !== undefined,
  )
  if (one && JSON_METHODS.has(requests[0].method) && !wantsProgress) {
    await deps.relay.request(session, requests[0], body.raw, new JsonAnswer(session, res), g.ex)
    // A failed initialize leaves no half-open session behind.
    if (isInit && !session.initialized) session.close('initialize failed')
    return
  }
  return streamResponses(deps, res, session, requests, one ? body.raw : null, g.ex, headers)
}

/** The one answer to a single request, as a JSON body. A class: one is made per call, closures were hot-path garbage. */
class JsonAnswer implements ClientSink {
  constructor(
    private readonly session: Session,
    private readonly res: Responder,
  ) {}

  send(): void {
    // Related messages need a stream; a request that may produce them gets one (streamResponses).
  }

  respond(json: string): void {
    // The idle clock restarts with the answer: a slow request (or upstream start) must not leave the session stale.
    this.session.lastActivity = Date.now()
    this.res.send(200, { 'content-type': 'application/json', 'mcp-session-id': this.session.id }, json)
  }

  get closed(): boolean {
    return this.res.aborted
  }
}

/** Answers on an SSE stream: related messages first, then the responses; the stream ends after the last one. */
function streamResponses(
  deps: LegacyDeps,
  res: Responder,
  session: Session,
  requests: Request[],
  raw: string | null,
  ex: Exchange,
  headers: Record<string, string>,
) {
  const channel = new SseChannel(res.stream(200, { ...SSE_HEADERS, ...headers }), deps.ticker)
  let open = requests.length
  const sink: ClientSink = {
    send: (json) => {
      if (!channel.closed) channel.send(json)
    },
    request: (json) => {
      if (channel.closed) return false
      channel.send(json)
      return !channel.closed
    },
    respond: (json) => {
      // As for JSON answers: the end of a long request restarts the idle clock.
      session.lastActivity = Date.now()
      if (channel.closed) return
      channel.send(json)
      if (--open === 0) channel.end()
    },
    get closed() {
      return channel.closed
    },
  }
  // A dropped POST stream is not a cancel in 2025-era revisions; the client cancels explicitly.
  for (const r of requests) void deps.relay.request(session, r, raw ?? JSON.stringify(r), sink, ex)
}

export async function openStreamableGet(
  deps: LegacyDeps,
  req: IncomingRequest,
  res: Responder,
  params: Record<string, string>,
) {
  const g = await guard(deps, req, res, params)
  if (!g || res.aborted) return
  if (unsupportedVersion(req, res)) return
  if (!accepts(req, 'text/event-stream')) {
    return rpcHttpError(res, 406, RpcCodes.BAD_REQUEST, 'Not Acceptable: Accept must include text/event-stream')
  }
  const session = findSession(deps, req, res, params, g.principal.id)
  if (!session) return
  if (session.channel && !session.channel.closed) {
    // One stream per session, so a message is never delivered twice or lost between two (documented in the README).
    return rpcHttpError(res, 409, RpcCodes.BAD_REQUEST, 'Conflict: this session already has an open stream')
  }
  const channel = new SseChannel(res.stream(200, { ...SSE_HEADERS, 'mcp-session-id': session.id }), deps.ticker)
  session.channel = channel
  channel.raw(': stream open\n\n')
  channel.stream.onClose(() => {
    if (session.channel === channel) session.channel = null
    session.lastActivity = Date.now()
  })
}

export async function deleteStreamable(
  deps: LegacyDeps,
  req: IncomingRequest,
  res: Responder,
  params: Record<string, string>,
) {
  const g = await guard(deps, req, res, params)
  if (!g || res.aborted) return
  if (unsupportedVersion(req, res)) return
  const session = findSession(deps, req, res, params, g.principal.id)
  if (!session) return
  session.close('deleted by client')
  res.send(200, null)
}
