// History routing under /admin (and the OAuth consent page, /oauth/interaction/:uid, which the authorization server
// links to): paths to typed routes and back, and a Router that tells listeners when the route changes. No DOM here: the browser's history comes in through a small port, so tests drive it with a fake one.
// History (not hash) routing because the gateway prints links such as /admin/setup#token=…, where the fragment
// carries a one-time secret that never reaches a server or a Referer; the gateway answers index.html for any path.

export const BASE = '/admin'
/** Where the authorization server sends a browser to approve an MCP client; the page is the UI's. */
export const CONSENT_BASE = '/oauth/interaction'
const CONSENT_PATH = /^\/oauth\/interaction\/([A-Za-z0-9_-]{1,64})$/

export const PROJECT_TABS = ['overview', 'members', 'servers', 'tools', 'activity', 'settings'] as const
export type ProjectTab = (typeof PROJECT_TABS)[number]
export const TEAM_TABS = ['projects', 'members'] as const
export type TeamTab = (typeof TEAM_TABS)[number]
export const SYSTEM_PAGES = [
  'users',
  'teams',
  'projects',
  'keys',
  'catalog',
  'project-templates',
  'events',
  'status',
] as const
export type SystemPage = (typeof SYSTEM_PAGES)[number]

export type Route =
  | { name: 'home' }
  | { name: 'signin'; next: string | null }
  | { name: 'setup' }
  | { name: 'invite' }
  | { name: 'verify-email' }
  | { name: 'profile' }
  | { name: 'projects' }
  | { name: 'teams' }
  | { name: 'team'; team: string; tab: TeamTab }
  | { name: 'project'; projectId: string; tab: ProjectTab; server: string | null }
  | { name: 'system'; page: SystemPage }
  | { name: 'consent'; uid: string }
  | { name: 'not-found'; path: string }

/** Routes a signed-out visitor may see. */
export const PUBLIC_ROUTES: ReadonlySet<Route['name']> = new Set([
  'signin',
  'setup',
  'invite',
  'verify-email',
  'not-found',
])

function decode(s: string): string | null {
  try {
    return decodeURIComponent(s)
  } catch {
    return null
  }
}

/**
 * Whether sign-in may go on to `next`: a path inside the UI, or a consent page waiting for this sign-in. The gateway
 * applies the same rule to single sign-on's `next` (gateway/api/oidc-routes.ts).
 */
export function safeNext(next: string | null): string | null {
  if (!next || next.startsWith('//')) return null
  // Only a path of the UI's: an absolute URL here would make sign-in an open redirect.
  if (next.startsWith(`${BASE}/`) || CONSENT_PATH.test(next)) return next
  return null
}

/** The route of a path (and query, for `?next=`). Anything outside /admin or unknown is `not-found`. */
export function parseRoute(pathname: string, search = ''): Route {
  const notFound: Route = { name: 'not-found', path: pathname }
  const consent = CONSENT_PATH.exec(pathname)
  if (consent) return { name: 'consent', uid: consent[1] }
  if (pathname !== BASE && !pathname.startsWith(`${BASE}/`)) return notFound
  const raw = pathname.slice(BASE.length).split('/').filter(Boolean)
  const parts: string[] = []
  for (const p of raw) {
    const d = decode(p)
    if (d === null) return notFound
    parts.push(d)
  }
  const [a, b, c, d, ...rest] = parts
  if (rest.length) return notFound
  if (a === undefined) return { name: 'home' }
  if (parts.length === 1) {
    if (a === 'signin') {
      return { name: 'signin', next: safeNext(new URLSearchParams(search).get('next')) }
    }
    if (
      a === 'setup' ||
      a === 'invite' ||
      a === 'verify-email' ||
      a === 'profile' ||
      a === 'projects' ||
      a === 'teams'
    ) {
      return { name: a }
    }
    return notFound
  }
  if (a === 'teams' && b && !d) {
    const tab = c ?? 'projects'
    return (TEAM_TABS as readonly string[]).includes(tab) ? { name: 'team', team: b, tab: tab as TeamTab } : notFound
  }
  if (a === 'projects' && b) {
    if (c === undefined) return { name: 'project', projectId: b, tab: 'overview', server: null }
    if (!(PROJECT_TABS as readonly string[]).includes(c)) return notFound
    if (d !== undefined && c !== 'servers') return notFound
    return { name: 'project', projectId: b, tab: c as ProjectTab, server: d ?? null }
  }
  if (a === 'system' && b && !c && (SYSTEM_PAGES as readonly string[]).includes(b)) {
    return { name: 'system', page: b as SystemPage }
  }
  return notFound
}

const seg = encodeURIComponent

/** The path of a route: `hrefOf(parseRoute(p))` is `p` for every canonical path. */
export function hrefOf(route: Route): string {
  switch (route.name) {
    case 'home':
      return BASE
    case 'signin':
      return `${BASE}/signin${route.next ? `?next=${encodeURIComponent(route.next)}` : ''}`
    case 'setup':
    case 'invite':
    case 'verify-email':
    case 'profile':
    case 'projects':
    case 'teams':
      return `${BASE}/${route.name}`
    case 'team':
      return `${BASE}/teams/${seg(route.team)}${route.tab === 'projects' ? '' : `/${route.tab}`}`
    case 'project': {
      const base = `${BASE}/projects/${seg(route.projectId)}`
      if (route.server) return `${base}/servers/${seg(route.server)}`
      return route.tab === 'overview' ? base : `${base}/${route.tab}`
    }
    case 'system':
      return `${BASE}/system/${route.page}`
    case 'consent':
      return `${CONSENT_BASE}/${route.uid}`
    case 'not-found':
      return route.path
  }
}

export const projectHref = (projectId: string, tab: ProjectTab = 'overview', server: string | null = null) =>
  hrefOf({ name: 'project', projectId, tab, server })
export const teamHref = (team: string, tab: TeamTab = 'projects') => hrefOf({ name: 'team', team, tab })

/** `#token=abc&x=1` → { token: 'abc', x: '1' }. */
export function hashParams(hash: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(hash.replace(/^#/, '')))
}

/** What the Router needs from the browser's history. */
export interface HistoryPort {
  /** The current pathname, search and hash. */
  location(): { pathname: string; search: string; hash: string }
  push(url: string): void
  replace(url: string): void
  /** Calls back on back/forward; returns the unsubscribe function. */
  listen(cb: () => void): () => void
}

export type RouteListener = (route: Route) => void

export class Router {
  private current: Route
  private readonly listeners = new Set<RouteListener>()
  private readonly unlisten: () => void

  constructor(private readonly history: HistoryPort) {
    this.current = this.read()
    this.unlisten = history.listen(() => this.update())
  }

  get route(): Route {
    return this.current
  }

  /** The fragment parameters of the current URL (one-time tokens of set-up and invitation links). */
  get hash(): Record<string, string> {
    return hashParams(this.history.location().hash)
  }

  /** Goes to a path inside the UI. `replace` keeps the current entry out of the back history. */
  navigate(to: string | Route, options: { replace?: boolean } = {}): void {
    const url = typeof to === 'string' ? to : hrefOf(to)
    const here = this.history.location()
    if (url === here.pathname + here.search + here.hash) return
    if (options.replace) this.history.replace(url)
    else this.history.push(url)
    this.update()
  }

  subscribe(listener: RouteListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  dispose(): void {
    this.unlisten()
    this.listeners.clear()
  }

  private read(): Route {
    const { pathname, search } = this.history.location()
    return parseRoute(pathname, search)
  }

  private update(): void {
    this.current = this.read()
    for (const l of [...this.listeners]) l(this.current)
  }
}

/** The browser's history behind the port; only called in the page. */
export function browserHistory(): HistoryPort {
  const w = globalThis as unknown as Window
  return {
    location: () => ({ pathname: w.location.pathname, search: w.location.search, hash: w.location.hash }),
    push: (url) => w.history.pushState(null, '', url),
    replace: (url) => w.history.replaceState(null, '', url),
    listen(cb) {
      w.addEventListener('popstate', cb)
      return () => w.removeEventListener('popstate', cb)
    },
  }
}

/**
 * Whether a click on a link should be handled by the router: a plain left click, no modifier, same origin, inside
 * /admin, no download or target. Pure, so the app shell's click handler stays trivial.
 */
export function isRouterClick(
  e: {
    button: number
    metaKey: boolean
    ctrlKey: boolean
    shiftKey: boolean
    altKey: boolean
    defaultPrevented: boolean
  },
  link: { href: string; target: string; hasDownload: boolean },
  origin: string,
): string | null {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return null
  if (link.hasDownload || (link.target && link.target !== '_self')) return null
  let url: URL
  try {
    url = new URL(link.href, origin)
  } catch {
    return null
  }
  if (url.origin !== origin) return null
  if (url.pathname !== BASE && !url.pathname.startsWith(`${BASE}/`)) return null
  return url.pathname + url.search + url.hash
}
