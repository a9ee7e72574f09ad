// The `nextAuthJwt()` plugin: accepts NextAuth v5 (Auth.js) session tokens, JWE `dir` + A256CBC-HS512 with a key
// derived from AUTH_SECRET exactly as `@auth/core/jwt` does, and maps them to existing mcpo users by email.
import { hkdfSync } from 'node:crypto'
import { base64url, calculateJwkThumbprint, decodeProtectedHeader, errors, jwtDecrypt } from 'jose'
import type { Clock, Exchange, McpoPlugin, Principal, Store, User } from '../contract.ts'
import { type Cookies, parseCookies } from '../cookies.ts'

export interface NextAuthJwtOptions {
  /**
   * The app's `AUTH_SECRET`, at least 32 characters; a list (newest first) while rotating, as Auth.js allows.
   * Read it from the environment in the config, never hard-code it.
   */
  secret: string | readonly string[]
  /** The session cookie's name. Default `authjs.session-token`; its `__Secure-` form is read too. */
  cookieName?: string
  /** The HKDF salt. Default: the name of the cookie the token came in (Auth.js salts with the cookie name). */
  salt?: string
}

export const NEXT_AUTH_PLUGIN = 'mcpo:next-auth'
export const DEFAULT_COOKIE = 'authjs.session-token'
export const MIN_SECRET_LENGTH = 32

// @auth/core/jwt: `alg: dir`; it encodes with A256CBC-HS512 and decodes A256GCM too. Nothing else is accepted,
// so `alg: none`, signed JWTs and key-wrapping algorithms never reach a decryption.
const ALG = 'dir'
const KEY_LENGTH = { 'A256CBC-HS512': 64, A256GCM: 32 } as const
type Enc = keyof typeof KEY_LENGTH
// @auth/core/jwt decodes with a 15 s clock tolerance.
const CLOCK_TOLERANCE_S = 15
// A disabled or deleted user loses access within this long.
const USER_CACHE_MS = 5000
const USER_CACHE_MAX = 10_000
// Cookies carry no CSRF proof here (the mount's double-submit check keys on mcpo_session), so a NextAuth cookie
// authenticates only requests that change nothing; state-changing calls send the token as a bearer.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

interface DerivedKey {
  salt: string
  enc: Enc
  key: Uint8Array
  /** Auth.js puts the JWK thumbprint of the key in the header's `kid`. */
  kid: string
}

/**
 * Auth.js's key derivation: HKDF-SHA256 over the secret, salted with the cookie name.
 * @example deriveEncryptionKey('A256CBC-HS512', process.env.AUTH_SECRET, 'authjs.session-token') // 64 bytes
 */
export function deriveEncryptionKey(enc: Enc, secret: string, salt: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, salt, `Auth.js Generated Encryption Key (${salt})`, KEY_LENGTH[enc]))
}

export function nextAuthJwt(options: NextAuthJwtOptions): McpoPlugin {
  const cookieName = options.cookieName ?? DEFAULT_COOKIE
  const secureCookieName = `__Secure-${cookieName}`
  let keys: DerivedKey[] = []
  let store: Store
  let clock: Clock
  const users = new Map<string, { user: User | null; at: number }>()

  async function loadUser(email: string): Promise<User | null> {
    const id = email.toLowerCase()
    const now = clock.now()
    const hit = users.get(id)
    if (hit && now - hit.at < USER_CACHE_MS) return hit.user
    const user = await store.users.getByEmail(email)
    if (users.size >= USER_CACHE_MAX) users.clear()
    users.set(id, { user, at: now })
    return user
  }

  /** The token and the salts it may be encrypted under (a bearer may come from either cookie). */
  function tokenOf(ex: Exchange): { token: string; salts: readonly string[] } | null {
    const auth = ex.headers.authorization
    if (auth?.startsWith('Bearer ')) {
      const token = auth.slice(7).trim()
      return isCompactJwe(token) ? { token, salts: [cookieName, secureCookieName] } : null
    }
    if (!SAFE_METHODS.has(ex.method)) return null
    if (!ex.headers.cookie) return null
    const cookies = parseCookies(ex.headers.cookie)
    for (const name of [secureCookieName, cookieName]) {
      const token = readCookie(cookies, name)
      if (token && isCompactJwe(token)) return { token, salts: [name] }
    }
    return null
  }

  async function decrypt(token: string, salts: readonly string[]): Promise<Record<string, unknown> | null> {
    let header: ReturnType<typeof decodeProtectedHeader>
    try {
      header = decodeProtectedHeader(token)
    } catch {
      return null
    }
    if (header.alg !== ALG || !(typeof header.enc === 'string' && header.enc in KEY_LENGTH)) return null
    const candidates = keys.filter(
      (k) =>
        k.enc === header.enc &&
        (options.salt !== undefined || salts.includes(k.salt)) &&
        (header.kid === undefined || header.kid === k.kid),
    )
    for (const k of candidates) {
      try {
        const { payload } = await jwtDecrypt(token, k.key, {
          keyManagementAlgorithms: [ALG],
          contentEncryptionAlgorithms: [k.enc],
          clockTolerance: CLOCK_TOLERANCE_S,
          currentDate: new Date(clock.now()),
          requiredClaims: ['exp'],
        })
        return payload
      } catch (err) {
        // The key fit but a claim failed (expired, no exp): no other key will make it valid.
        if (err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JWTExpired) return null
      }
    }
    return null
  }

  // The secret stays in this closure, never on the plugin object, so nothing that prints a plugin shows it.
  return {
    name: NEXT_AUTH_PLUGIN,
    async setup(ctx) {
      store = ctx.storage
      clock = ctx.clock
      const given: unknown = options.secret
      const secrets: unknown[] = typeof given === 'string' ? [given] : Array.isArray(given) ? [...given] : []
      if (secrets.length === 0) throw new Error('secret: is required (pass AUTH_SECRET from the environment)')
      secrets.forEach((s, i) => {
        if (typeof s !== 'string' || s.length < MIN_SECRET_LENGTH) {
          const field = secrets.length > 1 ? `secret[${i}]` : 'secret'
          throw new Error(`${field}: must be at least ${MIN_SECRET_LENGTH} characters (openssl rand -base64 33)`)
        }
      })
      if (options.salt !== undefined && (typeof options.salt !== 'string' || options.salt === '')) {
        throw new Error('salt: must be a non-empty string')
      }
      const salts = options.salt !== undefined ? [options.salt] : [cookieName, secureCookieName]
      keys = []
      for (const salt of salts) {
        for (const secret of secrets as string[]) {
          for (const enc of Object.keys(KEY_LENGTH) as Enc[]) {
            const key = deriveEncryptionKey(enc, secret, salt)
            const kid = await calculateJwkThumbprint(
              { kty: 'oct', k: base64url.encode(key) },
              `sha${key.byteLength << 3}` as 'sha256' | 'sha512',
            )
            keys.push({ salt, enc, key, kid })
          }
        }
      }
    },
    async authenticate(ex): Promise<Principal | null> {
      const found = tokenOf(ex)
      if (!found) return null
      const payload = await decrypt(found.token, found.salts)
      const email = payload?.email
      if (typeof email !== 'string' || email === '' || email.length > 320) return null
      // Never creates users: a NextAuth session only stands for an account mcpo already has, and only for one whose
      // email is verified (an account made through an undelivered invitation link may not be the address's owner).
      const user = await loadUser(email)
      if (!user || user.disabled || !user.emailVerifiedAt) return null
      return { kind: 'user', id: user.id, userId: user.id, isAdmin: user.isAdmin, label: user.email }
    },
  }
}

/** Five base64url segments: the compact JWE serialization (RFC 7516 §7.1). */
function isCompactJwe(token: string): boolean {
  return token.length < 16_384 && /^[\w-]+\.[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+$/.test(token)
}

/**
 * A cookie's value; Auth.js splits values over 4 kB into `name.0`, `name.1`, … which are joined in order. A name or
 * chunk sent twice is no value at all: which copy is genuine cannot be told.
 */
export function readCookie(cookies: Cookies, name: string): string | null {
  let whole: string | null = null
  const chunks: string[] = []
  for (const [key, value] of cookies.entries) {
    if (key === name) {
      if (whole !== null) return null
      whole = value
    } else if (key.startsWith(`${name}.`)) {
      const index = key.slice(name.length + 1)
      if (!/^\d{1,2}$/.test(index)) continue
      if (chunks[Number(index)] !== undefined) return null
      chunks[Number(index)] = value
    }
  }
  if (whole !== null) return whole
  if (chunks.length === 0) return null
  // A missing chunk means a torn cookie, not a shorter token.
  for (let i = 0; i < chunks.length; i++) if (chunks[i] === undefined) return null
  return chunks.join('')
}
