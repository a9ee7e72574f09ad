// Method + path routing with `:param` segments, matched segment by segment; built once at boot.
import type { HttpHandler, IncomingRequest, Responder } from './http.ts'

export type RouteHandler = (
  req: IncomingRequest,
  res: Responder,
  params: Record<string, string>,
) => void | Promise<void>

interface Route {
  method: string
  segments: string[]
  handler: RouteHandler
  /** A trailing `*` matches the rest of the path into `params['*']`. */
  wildcard: boolean
}

export interface RouteMatch {
  handler: RouteHandler
  params: Record<string, string>
}

export type MatchResult = RouteMatch | { allowed: string[] } | null

export class Router {
  private readonly routes: Route[] = []

  add(method: string | string[], pattern: string, handler: RouteHandler): this {
    const segments = pattern.split('/').filter(Boolean)
    const wildcard = segments[segments.length - 1] === '*'
    if (wildcard) segments.pop()
    for (const m of Array.isArray(method) ? method : [method]) {
      this.routes.push({ method: m.toUpperCase(), segments, handler, wildcard })
    }
    return this
  }

  /** A match; or the methods the path allows (for 405); or null (404). */
  match(method: string, path: string): MatchResult {
    const parts = path.split('/').filter(Boolean)
    let allowed: string[] | null = null
    for (const route of this.routes) {
      const params = matchSegments(route, parts)
      if (params === null) continue
      if (route.method === method || route.method === 'ANY' || (method === 'HEAD' && route.method === 'GET')) {
        return { handler: route.handler, params }
      }
      allowed ??= []
      if (!allowed.includes(route.method)) allowed.push(route.method)
    }
    return allowed ? { allowed } : null
  }

  handler(
    notFound: HttpHandler,
    methodNotAllowed: (req: IncomingRequest, res: Responder, allowed: string[]) => void,
  ): HttpHandler {
    return (req, res) => {
      const m = this.match(req.method, req.path)
      if (m === null) return notFound(req, res)
      if ('allowed' in m) return methodNotAllowed(req, res, m.allowed)
      return m.handler(req, res, m.params)
    }
  }
}

function matchSegments(route: Route, parts: string[]): Record<string, string> | null {
  const segs = route.segments
  if (route.wildcard ? parts.length < segs.length : parts.length !== segs.length) return null
  let params: Record<string, string> | null = null
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]
    if (s.charCodeAt(0) === 58 /* ':' */) {
      let value: string
      try {
        value = decodeURIComponent(parts[i])
      } catch {
        return null
      }
      params ??= {}
      params[s.slice(1)] = value
    } else if (s !== parts[i]) return null
  }
  params ??= {}
  if (route.wildcard) params['*'] = parts.slice(segs.length).join('/')
  return params
}
