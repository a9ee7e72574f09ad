// The server modal's Authorization block without the DOM (issue 22): what GET /api/projects/:id/servers/:name/oauth
// answers, who may connect or disconnect (gateway/upstream-oauth/routes.ts decides the same way), the Connect link
// with its way back, and the sentences the block shows.
import type { Project, User } from '../api-types.ts'

/**
 * GET /api/projects/:id/servers/:name/oauth. Typed by hand: admin-ui/api-types.ts is generated from the routes listed
 * in gateway/api/admin-ui-types.ts, and this route is not one of them yet.
 */
export interface UpstreamOAuthStatus {
  credentials: 'project' | 'user'
  /** The credential the caller's requests use: the project's, or their own on a per-user server. */
  connected: boolean
  status: 'ok' | 'needs-reauth' | null
  issuer: string | null
  scope: string | null
  expiresAt: string | null
  /** Per-user servers: how many members connected (Owners only; null for others). */
  connectedUsers: number | null
  /** Absolute; `?for=me` on per-user servers. */
  connectUrl: string
}

export type OAuthState = 'connected' | 'needs-reauth' | 'not-connected'

export function oauthState(s: Pick<UpstreamOAuthStatus, 'connected' | 'status'>): OAuthState {
  if (s.connected) return 'connected'
  return s.status === 'needs-reauth' ? 'needs-reauth' : 'not-connected'
}

/** The API's own rule for the project's credentials: Owners and administrators, in a project that is not archived. */
export function isProjectOwner(user: User | null | undefined, project: Project | null | undefined): boolean {
  if (!user || !project || project.archived) return false
  return user.isAdmin || project.role === 'owner'
}

/** What the caller may do: connect and disconnect (own account on per-user servers), and see the member count. */
export function oauthRights(credentials: UpstreamOAuthStatus['credentials'], owner: boolean) {
  const perUser = credentials === 'user'
  return { connect: perUser || owner, disconnect: perUser || owner, seeMembers: perUser && owner }
}

/**
 * The Connect link: the API's connect URL (a top-level navigation, since the provider's pages follow it) with
 * `for=me` on per-user servers and the gateway path to come back to once the provider answered.
 * @example connectHref('https://mcpo.example/api/projects/p/servers/gh/oauth/connect?for=me', '/admin/projects/p/servers/gh')
 */
export function connectHref(connectUrl: string, credentials: UpstreamOAuthStatus['credentials'], returnTo: string) {
  const url = new URL(connectUrl, 'http://gateway.invalid')
  if (credentials === 'user') url.searchParams.set('for', 'me')
  url.searchParams.set('returnTo', returnTo)
  return url.origin === 'http://gateway.invalid' ? url.pathname + url.search : url.href
}

/**
 * The block's first line, as its words and the issuer that follows them (shown as a breakable URL), e.g.
 * ['Connected to ', 'https://github.com'] or ['Your account: not connected', null].
 */
export function oauthHeadline(
  s: Pick<UpstreamOAuthStatus, 'credentials' | 'connected' | 'status' | 'issuer'>,
): [string, string | null] {
  const state = oauthState(s)
  const perUser = s.credentials === 'user'
  if (state === 'connected')
    return [perUser ? 'Your account: connected to ' : 'Connected to ', s.issuer ?? 'the provider']
  if (state === 'needs-reauth')
    return [perUser ? 'Your account: needs re-authorization' : 'Needs re-authorization', null]
  return [perUser ? 'Your account: not connected' : 'Not connected', null]
}

/** The line under it: what happens to calls, and who can change that. */
export function oauthExplanation(s: Pick<UpstreamOAuthStatus, 'credentials' | 'connected' | 'status'>, owner: boolean) {
  const state = oauthState(s)
  if (s.credentials === 'user') {
    if (state === 'connected') return 'Your calls reach this server as your own account there.'
    if (state === 'needs-reauth') return 'The provider no longer accepts your sign-in: connect your account again.'
    return 'Each member connects their own account; your calls to this server are refused until you do.'
  }
  if (state === 'connected') return "Every member's calls use the project's connection."
  const again = state === 'needs-reauth' ? 'The provider no longer accepts the stored sign-in. ' : ''
  return owner
    ? `${again}Calls to this server are refused until an Owner connects it.`
    : `${again}Calls to this server are refused: an Owner must connect this server.`
}

export function membersConnected(n: number): string {
  return `${n} ${n === 1 ? 'member' : 'members'} connected`
}
