// Runs control-plane routes: validation with field errors, authentication through the plugins, CSRF for cookie
// sessions, error mapping (storage down → 503), and the audit hook. Handlers return plain values.
import { randomUUID } from 'node:crypto'
import type { z } from 'zod'
import { bearerKey } from '../../plugins/api-keys/keys.ts'
import { type Exchange, SESSIONS_SERVICE } from '../../plugins/contract.ts'
import { type Cookies, parseCookies } from '../../plugins/cookies.ts'
import { CSRF_COOKIE, SESSION_COOKIE } from '../../plugins/sessions/index.ts'
import { errorBody, GatewayError, isGatewayError } from '../errors.ts'
import { type IncomingRequest, type Responder, sendJson } from '../http.ts'
import { makeExchange } from '../mcp/guard.ts'
import { isJsonMediaType } from '../media-type.ts'
import { type RefusalAction, RefusalActions } from '../refusals.ts'
import type { Router } from '../router.ts'
import { isSecureRequest, ownOrigins, secureCookies, type WebSecurityOptions } from '../web-security.ts'
import { type ApiContext, type ApiServices, isReply, isStreamReply, type RouteDef, type StreamReply } from './define.ts'

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export { CSRF_COOKIE, SESSION_COOKIE }
export const CSRF_HEADER = 'x-csrf-token'

export function mountRoutes(router: Router, routes: readonly RouteDef[], services: ApiServices): void {
  const web: WebSecurityOptions = {
    ...services.config.security,
    publicBaseUrl: services.config.listen.publicBaseUrl,
  }
  for (const def of routes) {
    if (def.projectKeys && def.method !== 'GET') {
      throw new GatewayError('MCPO_ERR_INTERNAL', `${def.method} ${def.path}: project keys may only read`)
    }
    router.add(def.method, def.path, (req, res, params) => run(def, services, web, req, res, params))
  }
}

async function run(
  def: RouteDef,
  services: ApiServices,
  web: WebSecurityOptions,
  req: IncomingRequest,
  res: Responder,
  params: Record<string, string>,
) {
  const ex = makeExchange(req, params)
  const started = performance.now()
  const log = services.logger.child({ requestId: ex.requestId })
  const idHeader = { 'x-request-id': ex.requestId }
  try {
    // Before validation, so a key never learns more than this one answer about any route.
    if (!def.projectKeys && bearerKey(req.headers.authorization) !== null) throw keyRefused()
    const cookies = parseCookies(req.headers.cookie)
    refuseRepeated(cookies)
    const query = def.query
      ? validate(def.query, Object.fromEntries(new URLSearchParams(req.query)), 'query')
      : undefined
    let body: unknown
    if (def.body) {
      if (!isJsonMediaType(req.headers['content-type'])) {
        throw new GatewayError('MCPO_ERR_UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json')
      }
      let raw: unknown
      try {
        raw = JSON.parse(req.body?.toString('utf8') || 'null')
      } catch {
        throw new GatewayError('MCPO_ERR_PARSE', 'the body is not valid JSON')
      }
      body = validate(def.body, raw, 'body')
    }
    await services.plugins.onRequest(ex)
    const principal = await services.plugins.authenticate(ex)
    // Whatever plugin recognised it: a key's principal never acts on the control plane.
    if (principal?.kind === 'api-key' && !def.projectKeys) throw keyRefused()
    ex.principal = principal
    // Rate limits and other plugin rules see every API request, by route class.
    const decision = await services.plugins.authorize(ex, {
      projectId: params.id ?? params.projectId ?? '',
      serverName: null,
      method: def.tag === 'auth' ? 'api:auth' : `api:${def.method.toLowerCase()}`,
    })
    if (!decision.allow) {
      if (decision.status === 429) {
        throw new GatewayError('MCPO_ERR_RATE_LIMITED', decision.reason, {
          details: { retryAfterS: Math.max(1, Math.ceil((decision.retryAfterMs ?? 1000) / 1000)) },
        })
      }
      throw new GatewayError(decision.status === 404 ? 'MCPO_ERR_NOT_FOUND' : 'MCPO_ERR_FORBIDDEN', decision.reason)
    }
    if (def.auth !== 'public') {
      if (!principal) throw new GatewayError('MCPO_ERR_UNAUTHENTICATED', 'sign in first')
      if (def.auth === 'admin' && !principal.isAdmin)
        throw new GatewayError('MCPO_ERR_FORBIDDEN', 'only administrators may do this')
    }
    // Public routes too: one that acts for whoever is signed in (sign-out, accepting a link) acts for the cookie.
    if (principal) checkCsrf(req, cookies, web)
    const ctx: ApiContext = {
      req,
      ex,
      params,
      query,
      body,
      principal,
      services,
      audit: (event) =>
        services.plugins.audit({
          ...event,
          at: Date.now(),
          actor: principal ? { type: principal.kind, id: principal.id } : null,
          ip: req.ip,
          userAgent: req.headers['user-agent'] ?? null,
          requestId: ex.requestId,
        }),
    }
    const result = await def.handler(ctx)
    if (res.aborted) return
    if (isStreamReply(result)) return await stream(res, result, { ...result.headers, ...idHeader })
    const renewed = { ...(await renewal(services, ex, cookies)), ...idHeader }
    let status: number
    if (isReply(result)) {
      status = result.status
      let headers: Record<string, string> = result.headers?.['set-cookie']
        ? { ...result.headers, ...idHeader }
        : { ...result.headers, ...renewed }
      if (isSecureRequest(req, web)) headers = secureCookies(headers) ?? headers
      if (result.body === undefined) res.send(result.status, headers)
      else sendJson(res, result.status, result.body, headers)
    } else {
      const headers = (isSecureRequest(req, web) ? secureCookies(renewed) : undefined) ?? renewed
      if (result === undefined) res.send((status = def.status ?? 204), headers)
      else sendJson(res, (status = def.status ?? 200), result, headers)
    }
    log.debug(
      { route: `${def.method} ${def.path}`, status, ms: Math.round(performance.now() - started) },
      'api request',
    )
  } catch (err) {
    if (res.aborted) return
    if (!isGatewayError(err)) log.error({ err, route: `${def.method} ${def.path}` }, 'API request failed')
    const { status, body } = errorBody(err)
    const refusal = refusalOf(def, err, status)
    if (refusal) {
      const p = ex.principal
      services.refusals?.note({
        action: refusal.action,
        subject: refusal.subject,
        ip: req.ip,
        actor: p ? { type: p.kind, id: p.id } : null,
        userAgent: req.headers['user-agent'] ?? null,
        requestId: ex.requestId,
        detail: `${def.method} ${def.path}`,
      })
    }
    log.debug(
      { route: `${def.method} ${def.path}`, status, ms: Math.round(performance.now() - started) },
      'api request',
    )
    const headers: Record<string, string> = { 'content-type': 'application/json', ...idHeader }
    if (isGatewayError(err) && typeof err.details?.retryAfterS === 'number')
      headers['retry-after'] = String(err.details.retryAfterS)
    if (status === 503) headers['retry-after'] ??= '5'
    res.send(status, headers, body)
  }
}

/**
 * Which refusals reach the audit trail: those a route marked (failed and throttled sign-ins, keys on the API, CSRF),
 * any other 403, and any 429 on a sign-in route. Plain 401s and 404s are not: they are what every visitor sees.
 */
function refusalOf(def: RouteDef, err: unknown, status: number): { action: RefusalAction; subject?: string } | null {
  if (!isGatewayError(err)) return null
  if (err.refusal) return err.refusal as { action: RefusalAction; subject?: string }
  if (status === 403) return { action: RefusalActions.apiForbidden }
  if (status === 429 && def.tag === 'auth') return { action: RefusalActions.signInThrottled }
  return null
}

/**
 * A browser sends a name twice when another site on the domain set its own (cookie tossing); which one is ours
 * cannot be told, and readers that picked differently let a request pass as signed in and as cookieless at once.
 */
function refuseRepeated(cookies: Cookies): void {
  for (const name of [SESSION_COOKIE, CSRF_COOKIE]) {
    if (cookies.count(name) > 1) {
      throw new GatewayError(
        'MCPO_ERR_UNAUTHENTICATED',
        `the ${name} cookie was sent more than once (another site on this domain may have set one): clear this site's cookies and sign in again`,
      )
    }
  }
}

/**
 * A key acts with its creator's role, so on the management API it would be a password that never expires with the
 * session and outlives its own revocation through what it did (an owner it invited stays).
 */
function keyRefused(): GatewayError {
  return new GatewayError(
    'MCPO_ERR_UNAUTHENTICATED',
    'project API keys (mcp_proj_…) work on MCP endpoints only; sign in as a user for the management API',
    { refusal: { action: RefusalActions.apiKeyOnApi } },
  )
}

/** Writes a streamed answer, pausing while the client's socket is full; stops when the client goes away. */
async function stream(res: Responder, reply: StreamReply, headers: Record<string, string>): Promise<void> {
  const out = res.stream(reply.status, headers)
  const write = async (chunk: string): Promise<boolean> => {
    if (out.closed) return false
    // A false write is buffered by the edge; wait for the socket to drain a little before producing more.
    if (!out.write(chunk)) await new Promise((r) => setTimeout(r, 20))
    return !out.closed
  }
  try {
    await reply.produce(write)
  } catch (err) {
    // Cut the connection so a failed export cannot pass for a complete one.
    out.destroy()
    throw err
  }
  out.end()
}

/**
 * Sessions are short-lived: past half their life, an active user gets a fresh token (a new cookie, or in
 * `x-mcpo-token` for bearer clients) so they stay signed in while they work.
 */
async function renewal(services: ApiServices, ex: Exchange, cookies: Cookies): Promise<Record<string, string> | null> {
  if (ex.principal?.kind !== 'user') return null
  const sessions = services.plugins.service(SESSIONS_SERVICE)
  const token = await sessions?.renewal(ex)
  if (!token || !sessions) return null
  if (cookies.get(SESSION_COOKIE)) {
    const [cookie] = sessions.cookies(token, '', sessions.ttlSeconds)
    return { 'set-cookie': cookie }
  }
  return { 'x-mcpo-token': token }
}

/**
 * CSRF for cookie sessions on state changes (bearer tokens are never sent by a browser on its own, so they pass).
 * Either proof works: the double-submit header (the CSRF cookie's value in `x-csrf-token`, which another site
 * cannot read), or a browser's own statement that the request comes from this origin (`Sec-Fetch-Site:
 * same-origin`, or without it an `Origin` equal to ours), which same-origin `fetch` from the admin UI sends.
 */
export function checkCsrf(req: IncomingRequest, cookies: Cookies, web: WebSecurityOptions): void {
  if (!STATE_CHANGING.has(req.method)) return
  if (!cookies.get(SESSION_COOKIE)) return
  const header = req.headers[CSRF_HEADER]
  const expected = cookies.get(CSRF_COOKIE)
  if (header && expected && header === expected) return
  const site = req.headers['sec-fetch-site']
  if (site === 'same-origin') return
  const origin = req.headers.origin
  if (site === undefined && origin !== undefined && ownOrigins(req, web).includes(origin)) return
  throw new GatewayError(
    'MCPO_ERR_FORBIDDEN',
    `cross-site request refused: send the ${CSRF_HEADER} header or call from the same origin`,
    { refusal: { action: RefusalActions.csrfRefused } },
  )
}

function validate<T>(schema: z.ZodType<T>, value: unknown, where: 'body' | 'query'): T {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  const fields = parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || where, message: i.message }))
  throw new GatewayError(
    'MCPO_ERR_VALIDATION',
    `invalid ${where}: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`,
    {
      details: { fields },
    },
  )
}

export function newCsrfToken(): string {
  return randomUUID()
}
