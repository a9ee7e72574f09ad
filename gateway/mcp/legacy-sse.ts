// Legacy HTTP+SSE (MCP 2024-11-05), what Cline's `sse` type uses: `GET …/sse` opens a stream whose first event names
// the POST endpoint; `POST …/messages?sessionId=` is answered 202 and every reply travels on the stream.
import type { Logger } from '../../plugins/contract.ts'
import { type IncomingRequest, queryParam, type Responder, sendJson } from '../http.ts'
import { readJsonBody, rpcHttpError } from './body.ts'
import { UpstreamError } from './connection.ts'
import { type GuardDeps, guard, notFound } from './guard.ts'
import { classify, RpcCodes } from './json-rpc.ts'
import type { StatelessClients } from './modern.ts'
import type { ClientSink, Session } from './session.ts'
import type { SessionRegistry } from './sessions.ts'
import { type KeepaliveTicker, SSE_HEADERS, SseChannel } from './sse.ts'
import { DEFAULT_NEGOTIATED_VERSION, isSupportedVersion } from './versions.ts'

export interface LegacyDeps extends GuardDeps {
  sessions: SessionRegistry
  ticker: KeepaliveTicker
  logger: Logger
  /** 2026-07-28 clients, which share the Streamable HTTP endpoints (modern.ts). */
  stateless: StatelessClients
}

export async function openLegacyStream(
  deps: LegacyDeps,
  req: IncomingRequest,
  res: Responder,
  params: Record<string, string>,
) {
  const g = await guard(deps, req, res, params)
  if (!g || res.aborted) return
  const version = req.headers['mcp-protocol-version']
  let session: Session
  try {
    session = deps.sessions.open({
      projectId: params.projectId,
      serverName: params.serverName ?? null,
      principalId: g.principal.id,
      principalKind: g.principal.kind,
      transport: 'legacy',
      // A reconnecting SDK client never re-sends initialize: its version header is all there is (protocol.md §2.6).
      protocolVersion: version && isSupportedVersion(version) ? version : DEFAULT_NEGOTIATED_VERSION,
    })
  } catch (err) {
    if (err instanceof UpstreamError)
      return sendJson(res, 429, { error: { code: 'MCPO_ERR_LIMIT_REACHED', message: err.message } })
    throw err
  }
  const channel = new SseChannel(res.stream(200, SSE_HEADERS), deps.ticker)
  session.channel = channel
  channel.stream.onClose(() => session.close('client disconnected'))
  const base = `${deps.publicBase}/projects/${encodeURIComponent(params.projectId)}`
  const path = params.serverName
    ? `${base}/servers/${encodeURIComponent(params.serverName)}/messages`
    : `${base}/messages`
  channel.raw(`event: endpoint\ndata: ${path}?${new URLSearchParams({ sessionId: session.id })}\n\n`)
}

export async function postLegacyMessage(
  deps: LegacyDeps,
  req: IncomingRequest,
  res: Responder,
  params: Record<string, string>,
) {
  const g = await guard(deps, req, res, params)
  if (!g || res.aborted) return
  const sessionId = queryParam(req.query, 'sessionId')
  if (!sessionId)
    return sendJson(res, 400, { error: { code: 'MCPO_ERR_BAD_REQUEST', message: 'sessionId is required' } })
  const session = deps.sessions.owned(sessionId, {
    projectId: params.projectId,
    serverName: params.serverName ?? null,
    principalId: g.principal.id,
    transport: 'legacy',
  })
  if (!session) return notFound(res)
  const body = readJsonBody(req, res)
  if (!body.ok) return
  if (Array.isArray(body.value))
    return rpcHttpError(res, 400, RpcCodes.INVALID_REQUEST, 'Invalid Request: batches are not supported')
  const c = classify(body.value)
  if (c.kind === 'invalid') return rpcHttpError(res, 400, RpcCodes.INVALID_REQUEST, `Invalid Request: ${c.reason}`)
  session.lastActivity = Date.now()
  // Per-request failures travel on the stream: SDK clients treat any non-2xx here as a dead transport (protocol.md §2.4).
  res.send(202, { 'content-type': 'text/plain' }, 'Accepted')
  if (c.kind === 'request') {
    await deps.relay.request(session, c.msg, body.raw, new StreamSink(session), g.ex)
  } else if (c.kind === 'notification') {
    await deps.relay.notification(session, c.msg, body.raw)
  } else {
    deps.relay.response(session, c.msg, body.raw)
  }
}

/** Everything for a legacy session goes on its one stream, in order. */
class StreamSink implements ClientSink {
  constructor(private readonly session: Session) {}

  send(json: string): void {
    this.session.notify(json)
  }

  respond(json: string): void {
    this.session.notify(json)
  }

  get closed(): boolean {
    return this.session.closed
  }
}
