// The MCP data plane's routes: per-server and unified endpoints over both transports, plus the OAuth probes that
// clients send in API-key mode, answered fast so they fail with a clear message (protocol.md §7.1).
import { sendJson } from '../http.ts'
import type { Router } from '../router.ts'
import { type LegacyDeps, openLegacyStream, postLegacyMessage } from './legacy-sse.ts'
import { deleteStreamable, openStreamableGet, postStreamable } from './streamable-http.ts'

export function addMcpRoutes(router: Router, deps: LegacyDeps): void {
  for (const base of ['/projects/:projectId/servers/:serverName', '/projects/:projectId']) {
    router.add('GET', `${base}/sse`, (req, res, p) => openLegacyStream(deps, req, res, p))
    router.add('POST', `${base}/messages`, (req, res, p) => postLegacyMessage(deps, req, res, p))
    router.add('POST', `${base}/mcp`, (req, res, p) => postStreamable(deps, req, res, p))
    router.add('GET', `${base}/mcp`, (req, res, p) => openStreamableGet(deps, req, res, p))
    router.add('DELETE', `${base}/mcp`, (req, res, p) => deleteStreamable(deps, req, res, p))
  }
  const noOAuth = {
    error: 'invalid_client_metadata',
    error_description: "This endpoint uses project API keys. Set 'Authorization: Bearer <key>' in the client config.",
  }
  for (const path of ['/register', '/token']) router.add('POST', path, (_req, res) => sendJson(res, 400, noOAuth))
  router.add('GET', '/authorize', (_req, res) => sendJson(res, 400, noOAuth))
}
