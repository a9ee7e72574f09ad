// The `sessions()` plugin: admin UI and API sign-in as a short-lived JWT (HS256, signed with jose) carried in an
// HttpOnly SameSite cookie or as `Authorization: Bearer`. Tokens are renewed while used and die with the user.
import { jwtVerify, SignJWT } from 'jose'
import type { Exchange, McpoPlugin, Principal } from '../contract.ts'
import { parseCookies } from '../cookies.ts'
import type { Store, User } from '../storage/port.ts'

export interface SessionsOptions {
  /** Lifetime of a token. Default 1 hour. */
  ttlSeconds?: number
  /** Cookies are `Secure` (set true behind TLS). */
  secureCookies?: boolean
}

export interface SessionsPlugin extends McpoPlugin {
  /** A signed token for the user. */
  issue(user: Pick<User, 'id' | 'isAdmin'>): Promise<{ token: string; expiresAt: Date }>
  /** Set-Cookie values for a token (and the CSRF cookie the UI echoes in a header). */
  cookies(token: string, csrf: string, maxAgeS: number): string[]
  readonly ttlSeconds: number
  /** A fresh token when the presented one is past half its life, so active users stay signed in. */
  renewal(ex: Exchange): Promise<string | null>
}

export const SESSIONS_PLUGIN = 'mcpo:sessions'
export const SESSION_COOKIE = 'mcpo_session'
export const CSRF_COOKIE = 'mcpo_csrf'
const ISSUER = 'mcpo'
const AUDIENCE = 'mcpo:api'

export function sessions(options: SessionsOptions = {}): SessionsPlugin {
  const ttlSeconds = options.ttlSeconds ?? 3600
  let key: Uint8Array
  let store: Store
  // Users are re-read at most every few seconds: a disabled or deleted user loses access quickly.
  const users = new Map<string, { user: User | null; at: number }>()
  const expiries = new WeakMap<Exchange, number>()

  async function loadUser(id: string): Promise<User | null> {
    const hit = users.get(id)
    if (hit && Date.now() - hit.at < 5000) return hit.user
    const user = await store.users.get(id)
    users.set(id, { user, at: Date.now() })
    return user
  }

  function tokenOf(ex: Exchange): string | null {
    const auth = ex.headers.authorization
    if (auth?.startsWith('Bearer ') && !auth.startsWith('Bearer mcp_proj_')) return auth.slice(7).trim()
    // A repeated cookie gives null here and a 401 on the management API (mount.ts): never one of the two values.
    return parseCookies(ex.headers.cookie).get(SESSION_COOKIE) || null
  }

  return {
    name: SESSIONS_PLUGIN,
    options,
    ttlSeconds,
    setup(ctx) {
      key = ctx.deriveKey('session-jwt')
      store = ctx.storage
    },
    async authenticate(ex): Promise<Principal | null> {
      const token = tokenOf(ex)
      if (!token) return null
      let sub: string
      try {
        // Only HS256 and only our issuer and audience: no `alg: none`, no foreign tokens.
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE })
        if (typeof payload.sub !== 'string') return null
        sub = payload.sub
        if (typeof payload.exp === 'number') expiries.set(ex, payload.exp)
      } catch {
        return null
      }
      const user = await loadUser(sub)
      if (!user || user.disabled) return null
      return { kind: 'user', id: user.id, userId: user.id, isAdmin: user.isAdmin, label: user.email }
    },
    async issue(user) {
      const expiresAt = new Date(Date.now() + ttlSeconds * 1000)
      const token = await new SignJWT({ adm: user.isAdmin })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user.id)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .setJti(crypto.randomUUID())
        .sign(key)
      users.delete(user.id)
      return { token, expiresAt }
    },
    cookies(token, csrf, maxAgeS) {
      const secure = options.secureCookies ? '; Secure' : ''
      return [
        `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`,
        `${CSRF_COOKIE}=${csrf}; Path=/; SameSite=Strict; Max-Age=${maxAgeS}${secure}`,
      ]
    },
    async renewal(ex) {
      const exp = expiries.get(ex)
      if (!exp || !ex.principal?.userId) return null
      const left = exp * 1000 - Date.now()
      if (left > (ttlSeconds * 1000) / 2) return null
      return (await this.issue({ id: ex.principal.userId, isAdmin: ex.principal.isAdmin === true })).token
    },
  }
}
