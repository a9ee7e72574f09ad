// Browser-facing protections, decided once at boot: security headers on every response (CSP on HTML), proxy
// trust (X-Forwarded-*), the request's own origin for CSRF checks, and CORS for origins allowed by name.
import type { HeaderMap, HttpHandler, IncomingRequest, Responder, ResponseStream } from './http.ts'

export interface WebSecurityOptions {
  trustProxy: boolean
  frameAncestors: readonly string[]
  corsOrigins: readonly string[]
  /** `listen.publicBaseUrl`, if set: its scheme decides whether the gateway is reached over TLS. */
  publicBaseUrl?: string
}

/** Header pairs the edge writes on responses; names lower-case. */
export interface SecurityHeaders {
  /** On every response. */
  readonly common: readonly (readonly [string, string])[]
  /** Added to responses whose content type is text/html. */
  readonly html: readonly (readonly [string, string])[]
}

export function securityHeaders(options: Pick<WebSecurityOptions, 'frameAncestors'>): SecurityHeaders {
  // The admin UI loads only its own bundle (no inline scripts); styles from Lit are constructable stylesheets, and
  // data: images cover inline SVG icons. Anything else is an injection.
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${options.frameAncestors.join(' ')}`,
  ].join('; ')
  const framing = options.frameAncestors.includes("'none'") ? 'DENY' : null
  return {
    common: [
      ['x-content-type-options', 'nosniff'],
      ['referrer-policy', 'no-referrer'],
    ],
    html: framing
      ? [
          ['content-security-policy', csp],
          ['x-frame-options', framing],
        ]
      : [['content-security-policy', csp]],
  }
}

function isHtml(headers: HeaderMap | null): boolean {
  const type = headers?.['content-type']
  return typeof type === 'string' && type.startsWith('text/html')
}

/** The security headers a response lacks, so a handler's own choice (e.g. a stricter CSP) wins. */
export function missingSecurityHeaders(headers: HeaderMap | null, sec: SecurityHeaders): [string, string][] {
  const out: [string, string][] = []
  for (const [k, v] of sec.common) if (!headers || headers[k] === undefined) out.push([k, v])
  if (isHtml(headers)) for (const [k, v] of sec.html) if (!headers || headers[k] === undefined) out.push([k, v])
  return out
}

/** The same headers merged into a map, for the in-memory responder of `gateway.inject()`. */
export function withSecurityHeaders(headers: HeaderMap | null, sec: SecurityHeaders): HeaderMap {
  const extra = missingSecurityHeaders(headers, sec)
  return extra.length === 0 ? (headers ?? {}) : { ...(headers ?? {}), ...Object.fromEntries(extra) }
}

/** The client address: the socket peer, or with a trusted proxy the last X-Forwarded-For hop (the one it added). */
export function clientIp(peer: string, forwardedFor: string | undefined, trustProxy: boolean): string {
  if (!trustProxy || !forwardedFor) return peer
  const hops = forwardedFor.split(',')
  const last = hops[hops.length - 1].trim()
  return last || peer
}

/** True when the client reached mcpo over TLS: a trusted proxy said so, or the public URL is https. */
export function isSecureRequest(req: IncomingRequest, options: WebSecurityOptions): boolean {
  if (options.trustProxy) {
    const proto = req.headers['x-forwarded-proto']
    if (proto !== undefined) return proto.split(',')[0].trim().toLowerCase() === 'https'
  }
  return options.publicBaseUrl?.startsWith('https:') === true
}

/** A Host value: a name or an address in brackets, with an optional port. Anything else is not used in URLs. */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

/**
 * The base URL clients reach mcpo at, for every absolute URL mcpo writes (client configs, OAuth redirects, links,
 * the origin CSRF checks compare with). One rule: `listen.publicBaseUrl` when set; else, only with `trustProxy`, the
 * proxy's `X-Forwarded-Proto`/`-Host`/`-Port`; else the request's own `Host` (with its port) over http. A Host that
 * is not a plain name or address falls back to `fallbackHost`.
 */
export function publicBaseUrl(req: IncomingRequest, options: WebSecurityOptions, fallbackHost: string): string {
  if (options.publicBaseUrl) return options.publicBaseUrl.replace(/\/+$/, '')
  const first = (v: string | undefined) => v?.split(',')[0].trim() || undefined
  let host = req.headers.host
  let proto = 'http'
  if (options.trustProxy) {
    const fwdHost = first(req.headers['x-forwarded-host'])
    const fwdPort = first(req.headers['x-forwarded-port'])
    proto = first(req.headers['x-forwarded-proto'])?.toLowerCase() === 'https' ? 'https' : 'http'
    if (fwdHost) host = fwdHost
    if (fwdHost && fwdPort && /^\d{1,5}$/.test(fwdPort) && !/:\d+$/.test(fwdHost)) {
      const usual = proto === 'https' ? '443' : '80'
      if (fwdPort !== usual) host = `${fwdHost}:${fwdPort}`
    }
  }
  if (!host || !HOST.test(host)) host = fallbackHost
  return `${proto}://${host}`
}

/** The origins this request may come from as a same-origin page: what a browser sends as `Origin`. */
export function ownOrigins(req: IncomingRequest, options: WebSecurityOptions): string[] {
  const out: string[] = []
  if (options.publicBaseUrl) out.push(new URL(options.publicBaseUrl).origin)
  const own = publicBaseUrl(req, { ...options, publicBaseUrl: undefined }, '')
  if (!own.endsWith('://')) out.push(own)
  return out
}

/** Adds `; Secure` to cookies set on a request that came over TLS: browsers then never send them in clear. */
export function secureCookies(headers: Record<string, string> | undefined): Record<string, string> | undefined {
  const set = headers?.['set-cookie'] as string | string[] | undefined
  if (!headers || set === undefined) return headers
  const mark = (c: string) => (/;\s*secure\b/i.test(c) ? c : `${c}; Secure`)
  return { ...headers, 'set-cookie': (Array.isArray(set) ? set.map(mark) : mark(set)) as unknown as string }
}

const CORS_ALLOW_HEADERS =
  'authorization, content-type, accept, mcp-session-id, mcp-protocol-version, mcp-method, mcp-name, last-event-id, x-csrf-token'
/** `Mcp-Param-{Name}` headers (MCP 2026-07-28) are named by each tool; a preflight asking for them is answered with them. */
const MCP_PARAM_HEADER = /^mcp-param-[a-z0-9-]{1,64}$/
const CORS_EXPOSE_HEADERS = 'mcp-session-id, mcp-protocol-version, www-authenticate, retry-after, x-mcpo-token'

/**
 * CORS for origins allowed by name; with none configured it is the plain handler (no cost, no CORS headers).
 * Credentials are not allowed cross-origin: those origins call with a bearer token, never with the session cookie.
 */
export function withCors(handler: HttpHandler, origins: readonly string[]): HttpHandler {
  if (origins.length === 0) return handler
  const allowed = new Set(origins)
  return (req, res) => {
    const origin = req.headers.origin
    if (origin === undefined || !allowed.has(origin)) {
      if (req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method']) {
        res.send(
          403,
          { 'content-type': 'application/json', vary: 'Origin' },
          '{"error":{"code":"MCPO_ERR_FORBIDDEN","message":"origin not allowed"}}',
        )
        return
      }
      return handler(req, res)
    }
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.send(204, {
        'access-control-allow-origin': origin,
        'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
        'access-control-allow-headers': allowHeaders(req.headers['access-control-request-headers']),
        'access-control-max-age': '600',
        vary: 'Origin',
      })
      return
    }
    return handler(req, new CorsResponder(res, origin))
  }
}

/** The fixed list, plus the `Mcp-Param-*` names the preflight asks for (a wildcard would not cover them with auth). */
function allowHeaders(requested: string | undefined): string {
  if (requested === undefined) return CORS_ALLOW_HEADERS
  const params = requested
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => MCP_PARAM_HEADER.test(h))
    .slice(0, 32)
  return params.length === 0 ? CORS_ALLOW_HEADERS : `${CORS_ALLOW_HEADERS}, ${params.join(', ')}`
}

class CorsResponder implements Responder {
  constructor(
    private readonly inner: Responder,
    private readonly origin: string,
  ) {}
  get aborted() {
    return this.inner.aborted
  }
  onAbort(cb: () => void): void {
    this.inner.onAbort(cb)
  }
  private headers(h: HeaderMap | null): HeaderMap {
    return {
      ...(h ?? {}),
      'access-control-allow-origin': this.origin,
      'access-control-expose-headers': CORS_EXPOSE_HEADERS,
      vary: 'Origin',
    }
  }
  send(status: number, headers: HeaderMap | null, body?: string | Uint8Array): void {
    this.inner.send(status, this.headers(headers), body)
  }
  stream(status: number, headers: HeaderMap): ResponseStream {
    return this.inner.stream(status, this.headers(headers))
  }
}
