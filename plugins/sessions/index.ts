// The `sessions()` plugin: admin UI and API sign-in as a short-lived JWT (HS256, signed with jose) carried in an
// HttpOnly SameSite cookie or as `Authorization: Bearer`. Each sign-in is a stored session the tokens name, so ending
// it (sign-out, password change, a disabled account, "sign out everywhere") refuses its tokens on every node within a
// second; tokens are renewed while used, never past the session's absolute end.
import { randomUUID } from 'node:crypto'
import { jwtVerify, SignJWT } from 'jose'
import {
  type Clock,
  type Exchange,
  type McpoPlugin,
  offer,
  type Principal,
  SESSIONS_SERVICE,
  type SessionsService,
  type Store,
  type User,
  type UserSession,
} from '../contract.ts'
import { parseCookies } from '../cookies.ts'

export interface SessionsOptions {
  /** Lifetime of a token. Default 1 hour. */
  ttlSeconds?: number
  /** Absolute lifetime of a sign-in: renewal never carries a session past it. Default 12 hours. */
  maxLifetimeSeconds?: number
  /** Cookies are `Secure` (set true behind TLS). */
  secureCookies?: boolean
}

/** The plugin is its service too, so a test can call `issue` on what `sessions()` returned. */
export interface SessionsPlugin extends McpoPlugin, SessionsService {}

export const SESSIONS_PLUGIN = 'mcpo:sessions'
export const SESSION_COOKIE = 'mcpo_session'
export const CSRF_COOKIE = 'mcpo_csrf'
const ISSUER = 'mcpo'
const AUDIENCE = 'mcpo:api'

/**
 * How long a node trusts what it read about a session and its user. Other nodes learn of a revocation by reading it
 * again, so this bounds how late they do (SECURITY.md promises one second).
 */
export const REVALIDATE_MS = 500
const MAX_CACHED = 10_000
const PRUNE_EVERY_MS = 3_600_000

interface Known {
  session: UserSession | null
  user: User | null
}

interface Presented {
  sid: string
  authTime: number
  exp: number
}

export function sessions(options: SessionsOptions = {}): SessionsPlugin {
  const ttlSeconds = options.ttlSeconds ?? 3600
  const maxLifetimeSeconds = options.maxLifetimeSeconds ?? 12 * 3600
  let key: Uint8Array
  let store: Store
  let clock: Clock = { now: Date.now }
  let pruner: NodeJS.Timeout | null = null
  // By session id; the promise is cached too, so concurrent requests of one session read it once.
  const known = new Map<string, { at: number; userId: string; value: Promise<Known> }>()
  const presented = new WeakMap<Exchange, Presented>()

  function load(sid: string, userId: string): Promise<Known> {
    const now = clock.now()
    const hit = known.get(sid)
    if (hit && now - hit.at < REVALIDATE_MS) return hit.value
    if (known.size >= MAX_CACHED) known.clear()
    const value = Promise.all([store.userSessions.get(sid), store.users.get(userId)]).then(([session, user]) => ({
      session,
      user,
    }))
    known.set(sid, { at: now, userId, value })
    // A failed read is not kept: the next request asks the database again.
    value.catch(() => known.delete(sid))
    return value
  }

  function tokenOf(ex: Exchange): string | null {
    const auth = ex.headers.authorization
    if (auth?.startsWith('Bearer ') && !auth.startsWith('Bearer mcp_proj_')) return auth.slice(7).trim()
    // A repeated cookie gives null here and a 401 on the management API (mount.ts): never one of the two values.
    return parseCookies(ex.headers.cookie).get(SESSION_COOKIE) || null
  }

  /** `auth_time` is the sign-in (OIDC Core §2): renewed tokens keep it, so the absolute end never moves. */
  function sign(user: { id: string; isAdmin: boolean }, sid: string, authTime: number, expMs: number) {
    return new SignJWT({ adm: user.isAdmin, sid, auth_time: authTime })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(clock.now() / 1000))
      .setExpirationTime(Math.floor(expMs / 1000))
      .setJti(randomUUID())
      .sign(key)
  }

  function endOf(authTime: number): number {
    return (authTime + maxLifetimeSeconds) * 1000
  }

  const plugin: SessionsPlugin = {
    name: SESSIONS_PLUGIN,
    ttlSeconds,
    setup(ctx) {
      key = ctx.deriveKey('session-jwt')
      store = ctx.storage
      clock = ctx.clock
      const prune = () =>
        store.userSessions
          .prune(new Date(clock.now()))
          .catch((err) => ctx.logger.warn({ err: (err as Error).message }, 'pruning ended sessions failed'))
      pruner = setInterval(prune, PRUNE_EVERY_MS)
      pruner.unref()
    },
    async authenticate(ex): Promise<Principal | null> {
      const token = tokenOf(ex)
      if (!token) return null
      let claims: Presented & { sub: string }
      try {
        // Only HS256 and only our issuer and audience: no `alg: none`, no foreign tokens.
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: ISSUER,
          audience: AUDIENCE,
          currentDate: new Date(clock.now()),
        })
        const { sub, sid, auth_time: authTime, exp } = payload
        // Tokens from before sessions were stored name none: they sign in again.
        if (typeof sub !== 'string' || typeof sid !== 'string' || typeof authTime !== 'number') return null
        if (typeof exp !== 'number') return null
        claims = { sub, sid, authTime, exp }
      } catch {
        return null
      }
      const now = clock.now()
      if (now >= endOf(claims.authTime)) return null
      const { session, user } = await load(claims.sid, claims.sub)
      if (!session || session.userId !== claims.sub || session.revokedAt !== null) return null
      if (session.expiresAt.getTime() <= now) return null
      if (!user || user.disabled) return null
      presented.set(ex, claims)
      return { kind: 'user', id: user.id, userId: user.id, isAdmin: user.isAdmin, label: user.email }
    },
    async issue(user) {
      const now = clock.now()
      const authTime = Math.floor(now / 1000)
      const end = endOf(authTime)
      const session = await store.userSessions.create({
        id: randomUUID(),
        userId: user.id,
        createdAt: new Date(now),
        expiresAt: new Date(end),
      })
      const exp = Math.min(now + ttlSeconds * 1000, end)
      const token = await sign(user, session.id, authTime, exp)
      return { token, expiresAt: new Date(exp), sessionId: session.id }
    },
    cookies(token, csrf, maxAgeS) {
      const secure = options.secureCookies ? '; Secure' : ''
      return [
        `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`,
        `${CSRF_COOKIE}=${csrf}; Path=/; SameSite=Strict; Max-Age=${maxAgeS}${secure}`,
      ]
    },
    async renewal(ex) {
      const p = presented.get(ex)
      if (!p || !ex.principal?.userId) return null
      const now = clock.now()
      if (p.exp * 1000 - now > (ttlSeconds * 1000) / 2) return null
      const exp = Math.min(now + ttlSeconds * 1000, endOf(p.authTime))
      // At the session's absolute end a new token would live no longer than the one presented.
      if (Math.floor(exp / 1000) <= p.exp) return null
      return sign({ id: ex.principal.userId, isAdmin: ex.principal.isAdmin === true }, p.sid, p.authTime, exp)
    },
    sessionOf(ex) {
      return presented.get(ex)?.sid ?? null
    },
    async revoke(sessionId) {
      await store.userSessions.revoke(sessionId, new Date(clock.now()))
      known.delete(sessionId)
    },
    async revokeAll(userId, exceptId) {
      const ended = await store.userSessions.revokeAll(userId, {
        exceptId: exceptId ?? undefined,
        at: new Date(clock.now()),
      })
      for (const [sid, entry] of known) if (entry.userId === userId && sid !== exceptId) known.delete(sid)
      return ended
    },
    async close() {
      if (pruner) clearInterval(pruner)
      pruner = null
    },
  }
  plugin.provides = [offer(SESSIONS_SERVICE, plugin)]
  return plugin
}
