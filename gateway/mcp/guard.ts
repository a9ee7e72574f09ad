// Every MCP request is authenticated, checked against its project and origin, and turned into an Exchange here.
import { randomUUID } from 'node:crypto'
import type { Exchange, Principal } from '../../plugins/contract.ts'
import type { PluginHost } from '../../plugins/host.ts'
import { type IncomingRequest, queryParam, type Responder, sendJson } from '../http.ts'
import type { ResourceServer } from '../oauth/resource-server.ts'
import { RefusalActions, type RefusalAudit } from '../refusals.ts'
import type { Relay } from './relay.ts'

export interface GuardDeps {
  plugins: PluginHost
  relay: Relay
  /** Origins allowed to call MCP endpoints from a browser; requests without Origin always pass (protocol.md §3). */
  allowedOrigins: readonly string[]
  /**
   * `listen.publicBaseUrl` without its trailing slash, or '': the prefix of the URLs the gateway writes (the legacy
   * endpoint event), and the gateway's own origin, always allowed.
   */
  publicBase: string
  isClosing(): boolean
  /** Where invalid keys are reported (aggregated per address); absent in unit tests. */
  refusals?: RefusalAudit
  /** OAuth access tokens for projects in `oauth` or `both` mode; absent when the authorization server is off. */
  oauth?: ResourceServer | null
}

export interface Guarded {
  ex: Exchange
  principal: Principal
}

/** An id a proxy in front chose (`x-request-id`) is kept when it is short and plain, so one id spans the hops. */
const INCOMING_ID = /^[A-Za-z0-9._:@-]{8,128}$/

/** Unique across nodes and restarts: the id ties log lines, audit entries and tool calls to one request. */
export function requestIdOf(req: IncomingRequest): string {
  const given = req.headers['x-request-id']
  return given !== undefined && INCOMING_ID.test(given) ? given : randomUUID()
}

export function makeExchange(req: IncomingRequest, params: Record<string, string>): Exchange {
  return {
    requestId: requestIdOf(req),
    method: req.method,
    path: req.path,
    query: req.query,
    headers: req.headers,
    ip: req.ip,
    params,
    principal: null,
  }
}

/** 401 in API-key mode: no `resource_metadata`, so OAuth-capable clients do not start an OAuth dance (protocol.md §7.1). */
export function unauthorized(res: Responder, tokenPresented: boolean): void {
  sendJson(
    res,
    401,
    {
      error: {
        code: 'MCPO_ERR_UNAUTHENTICATED',
        message: 'a valid project API key is required: Authorization: Bearer mcp_proj_…',
      },
    },
    {
      'www-authenticate': tokenPresented ? 'Bearer realm="mcpo", error="invalid_token"' : 'Bearer realm="mcpo"',
    },
  )
}

/**
 * The same answer for a project that does not exist and one the caller may not see: it reveals nothing. A key used on
 * another project's endpoint is told where it does work (its own project, which its holder knows anyway), the same
 * words whatever the other project is.
 */
export function notFound(res: Responder, keyProject?: string): void {
  const message =
    keyProject === undefined
      ? 'not found'
      : `not found: this key belongs to project "${keyProject}"; use the endpoints under /projects/${encodeURIComponent(keyProject)}/`
  sendJson(res, 404, { error: { code: 'MCPO_ERR_NOT_FOUND', message } })
}

export async function guard(
  deps: GuardDeps,
  req: IncomingRequest,
  res: Responder,
  params: Record<string, string>,
): Promise<Guarded | null> {
  const origin = req.headers.origin
  if (origin !== undefined && !deps.allowedOrigins.includes(origin) && !isOwnOrigin(req, origin, deps.publicBase)) {
    sendJson(res, 403, { error: { code: 'MCPO_ERR_FORBIDDEN', message: 'origin not allowed' } })
    return null
  }
  if (deps.isClosing()) {
    sendJson(
      res,
      503,
      { error: { code: 'MCPO_ERR_SHUTTING_DOWN', message: 'the gateway is shutting down' } },
      { 'retry-after': '1' },
    )
    return null
  }
  const ex = makeExchange(req, params)
  // Tokens in URLs end up in logs and proxies; only the Authorization header counts.
  if (queryParam(req.query, 'access_token') !== null) {
    unauthorized(res, true)
    return null
  }
  await deps.plugins.onRequest(ex)
  let principal = await deps.plugins.authenticate(ex)
  if (res.aborted) return null
  const projectId = params.projectId
  const oauth = deps.oauth && deps.relay.hasProject(projectId) ? deps.oauth : null
  const mode = oauth ? (oauth.knownMode(projectId) ?? (await oauth.modeOf(projectId))) : 'keys'
  if (oauth && mode !== 'keys') {
    // In `both` a valid key goes on as a key and never sees OAuth; in `oauth` a key opens nothing.
    if (principal?.kind === 'api-key' && mode === 'oauth') principal = null
    if (!principal) {
      principal = await oauthPrincipal(deps, oauth, req, res, ex.requestId, params)
      if (!principal) return null
    }
  }
  if (!principal) {
    const presented = req.headers.authorization !== undefined
    if (presented) {
      deps.refusals?.note({
        action: RefusalActions.mcpKeyInvalid,
        ip: req.ip,
        userAgent: req.headers['user-agent'] ?? null,
        requestId: ex.requestId,
        detail: `${req.method} ${req.path}`,
      })
    }
    unauthorized(res, presented)
    return null
  }
  ex.principal = principal
  const allowedHere = principal.projectId === undefined ? principal.isAdmin === true : principal.projectId === projectId
  if (!allowedHere || !deps.relay.hasProject(projectId)) {
    notFound(res, !allowedHere && principal.kind === 'api-key' ? principal.projectId : undefined)
    return null
  }
  const serverName = params.serverName ?? null
  if (serverName !== null && !deps.relay.runtime(projectId, serverName)?.spec.enabled) {
    notFound(res)
    return null
  }
  const decision = await deps.plugins.authorize(ex, { projectId, serverName, method: 'connect' })
  if (!decision.allow) {
    if (decision.status === 404) notFound(res)
    else sendJson(res, decision.status ?? 403, { error: { code: 'MCPO_ERR_FORBIDDEN', message: decision.reason } })
    return null
  }
  return { ex, principal }
}

/** The user an OAuth access token acts for, or null after answering with the challenge (protocol.md §7.2). */
async function oauthPrincipal(
  deps: GuardDeps,
  oauth: ResourceServer,
  req: IncomingRequest,
  res: Responder,
  requestId: string,
  params: Record<string, string>,
): Promise<Principal | null> {
  const authorization = req.headers.authorization
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : null
  if (token === null || token === '') {
    oauth.challenge(res, req.path)
    return null
  }
  const checked = token.startsWith('mcp_proj_')
    ? ({ error: 'invalid_token', description: 'this project takes OAuth access tokens, not API keys' } as const)
    : await oauth.check(token, { projectId: params.projectId, serverName: params.serverName ?? null })
  if (res.aborted) return null
  if ('principal' in checked) return checked.principal
  deps.refusals?.note({
    action: RefusalActions.mcpKeyInvalid,
    ip: req.ip,
    userAgent: req.headers['user-agent'] ?? null,
    requestId,
    detail: `${req.method} ${req.path}: ${checked.description}`,
  })
  oauth.challenge(res, req.path, { error: checked.error, description: checked.description })
  return null
}

const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i

/**
 * A page the gateway serves itself sends its own origin: `publicBaseUrl`'s, or, for a gateway reached on a loopback
 * address, `http://` plus the Host it was reached at. Only a loopback Host counts: in a DNS-rebinding attack the Host
 * is the attacker's name, which then matches the attacker's Origin, so a Host-derived origin would let it through.
 */
export function isOwnOrigin(req: IncomingRequest, origin: string, publicBase: string): boolean {
  if (publicBase !== '' && origin === originOf(publicBase)) return true
  const host = req.headers.host
  return host !== undefined && LOOPBACK_HOST.test(host) && origin.toLowerCase() === `http://${host.toLowerCase()}`
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin
  } catch {
    return null
  }
}
