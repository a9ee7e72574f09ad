// The MCP data plane's routes: per-server and unified endpoints over both transports, plus the OAuth probes that
// clients send in API-key mode, answered fast so they fail with a clear message (protocol.md §7.1).
import type { SessionRouter } from '../cluster/index.ts'
import { type IncomingRequest, queryParam, type Responder, sendJson } from '../http.ts'
import type { RouteHandler, Router } from '../router.ts'
import { rpcHttpError } from './body.ts'
import { notFound } from './guard.ts'
import { RpcCodes } from './json-rpc.ts'
import { type LegacyDeps, openLegacyStream, postLegacyMessage } from './legacy-sse.ts'
import { isModernVersion } from './modern-wire.ts'
import { peekStateId } from './request-state.ts'
import { deleteStreamable, openStreamableGet, postStreamable } from './streamable-http.ts'

const legacySession = (req: IncomingRequest) => queryParam(req.query, 'sessionId')
/**
 * A 2026-07-28 request has no session; the one thing tying it to a node is the parked call a retry's `requestState`
 * names (M11). A 2025-era request names its session.
 */
const streamableSession = (req: IncomingRequest) => {
  const version = req.headers['mcp-protocol-version']
  if (version !== undefined && isModernVersion(version.trim())) return parkedCallOf(req.body)
  return req.headers['mcp-session-id'] ?? null
}

function parkedCallOf(body: Buffer | null): string | null {
  if (body === null || body.indexOf('"requestState"') === -1) return null
  try {
    return peekStateId(
      (JSON.parse(body.toString('utf8')) as { params?: { requestState?: unknown } }).params?.requestState,
    )
  } catch {
    return null
  }
}

const streamableNotFound = (res: Responder, req: IncomingRequest) => {
  const version = req.headers['mcp-protocol-version']
  if (version !== undefined && isModernVersion(version.trim())) {
    return rpcHttpError(
      res,
      200,
      RpcCodes.INVALID_PARAMS,
      'Invalid params: requestState names a call whose gateway node is gone; send the request again without it',
    )
  }
  rpcHttpError(res, 404, RpcCodes.SESSION_NOT_FOUND, 'Session not found')
}

/**
 * In cluster mode a request naming a session owned by another node goes there (gateway/cluster); the GET that opens
 * a legacy stream and the initialize POST name none, so sessions are born on whichever node the balancer picked.
 */
function viaOwner(
  sessions: SessionRouter | null,
  handler: RouteHandler,
  sessionOf: (req: IncomingRequest) => string | null,
  missing: (res: Responder, req: IncomingRequest) => void,
): RouteHandler {
  if (!sessions) return handler
  return (req, res, p) => {
    const id = sessionOf(req)
    if (id && sessions.route(req, res, id, (r) => missing(r, req))) return
    return handler(req, res, p)
  }
}

export function addMcpRoutes(router: Router, deps: LegacyDeps, sessions: SessionRouter | null = null): void {
  for (const base of ['/projects/:projectId/servers/:serverName', '/projects/:projectId']) {
    router.add('GET', `${base}/sse`, (req, res, p) => openLegacyStream(deps, req, res, p))
    router.add(
      'POST',
      `${base}/messages`,
      viaOwner(
        sessions,
        (req, res, p) => postLegacyMessage(deps, req, res, p),
        legacySession,
        (res) => notFound(res),
      ),
    )
    router.add(
      'POST',
      `${base}/mcp`,
      viaOwner(sessions, (req, res, p) => postStreamable(deps, req, res, p), streamableSession, streamableNotFound),
    )
    router.add(
      'GET',
      `${base}/mcp`,
      viaOwner(sessions, (req, res, p) => openStreamableGet(deps, req, res, p), streamableSession, streamableNotFound),
    )
    router.add(
      'DELETE',
      `${base}/mcp`,
      viaOwner(sessions, (req, res, p) => deleteStreamable(deps, req, res, p), streamableSession, streamableNotFound),
    )
  }
  const noOAuth = {
    error: 'invalid_client_metadata',
    error_description: "This endpoint uses project API keys. Set 'Authorization: Bearer <key>' in the client config.",
  }
  for (const path of ['/register', '/token']) router.add('POST', path, (_req, res) => sendJson(res, 400, noOAuth))
  router.add('GET', '/authorize', (_req, res) => sendJson(res, 400, noOAuth))
}
