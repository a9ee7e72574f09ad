// NextAuth v5 tokens made the way @auth/core/jwt makes them (key derivation written here independently, with WebCrypto).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { inspect } from 'node:util'
import { base64url, calculateJwkThumbprint, EncryptJWT, SignJWT } from 'jose'
import type { Exchange, McpoPlugin, PluginContext, Store, User } from '../contract.ts'
import { nextAuthJwt } from './index.ts'

const SECRET = 'next-auth-test-secret-0123456789abcdefghij'
const NOW = Date.parse('2025-06-01T12:00:00Z')
const nowS = Math.floor(NOW / 1000)

function user(email: string, patch: Partial<User> = {}): User {
  return {
    id: `u-${email}`,
    email,
    name: '',
    passwordHash: null,
    isAdmin: false,
    disabled: false,
    oidcIssuer: null,
    oidcSubject: null,
    emailVerifiedAt: new Date(NOW),
    lastLoginAt: null,
    createdAt: new Date(NOW),
    updatedAt: new Date(NOW),
    ...patch,
  }
}

const people = [
  user('Ada@Example.com', { isAdmin: true }),
  user('off@example.com', { disabled: true }),
  user('unproven@example.com', { emailVerifiedAt: null }),
]
const lookups: string[] = []
const store = {
  users: {
    async getByEmail(email: string) {
      lookups.push(email)
      return people.find((u) => u.email.toLowerCase() === email.toLowerCase()) ?? null
    },
  },
} as unknown as Store

async function started(options: Parameters<typeof nextAuthJwt>[0]): Promise<McpoPlugin> {
  const plugin = nextAuthJwt(options)
  await plugin.setup?.({
    logger: console,
    storage: store,
    clock: { now: () => NOW },
    deriveKey: () => new Uint8Array(32),
  } as unknown as PluginContext)
  return plugin
}

/** HKDF as Auth.js calls it, through WebCrypto rather than node:crypto's hkdfSync. */
async function authJsKey(secret: string, salt: string, bytes: number): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'HKDF', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: new TextEncoder().encode(salt),
      info: new TextEncoder().encode(`Auth.js Generated Encryption Key (${salt})`),
    },
    material,
    bytes * 8,
  )
  return new Uint8Array(bits)
}

interface MintOptions {
  secret?: string
  salt?: string
  enc?: 'A256CBC-HS512' | 'A256GCM'
  exp?: number
  kid?: boolean
}

/** @auth/core/jwt `encode`: dir + A256CBC-HS512, kid = the key's JWK thumbprint, iat/exp/jti. */
async function mint(claims: Record<string, unknown>, o: MintOptions = {}): Promise<string> {
  const enc = o.enc ?? 'A256CBC-HS512'
  const key = await authJsKey(o.secret ?? SECRET, o.salt ?? 'authjs.session-token', enc === 'A256GCM' ? 32 : 64)
  const kid = await calculateJwkThumbprint(
    { kty: 'oct', k: base64url.encode(key) },
    enc === 'A256GCM' ? 'sha256' : 'sha512',
  )
  return new EncryptJWT(claims)
    .setProtectedHeader(o.kid === false ? { alg: 'dir', enc } : { alg: 'dir', enc, kid })
    .setIssuedAt(nowS - 60)
    .setExpirationTime(o.exp ?? nowS + 30 * 24 * 3600)
    .setJti(crypto.randomUUID())
    .encrypt(key)
}

function exchange(headers: Record<string, string>, method = 'GET'): Exchange {
  return {
    requestId: 'r1',
    method,
    path: '/api/auth/me',
    query: '',
    headers,
    ip: '127.0.0.1',
    params: {},
    principal: null,
  }
}

const bearer = (token: string) => exchange({ authorization: `Bearer ${token}` })
const claims = { name: 'Ada', email: 'ada@example.com', picture: null, sub: 'nextauth-user-1' }

describe('nextAuthJwt', () => {
  it('accepts an Auth.js session token from the cookie and as a bearer, matching the email case-insensitively', async () => {
    const plugin = await started({ secret: SECRET })
    const token = await mint(claims)
    const fromCookie = await plugin.authenticate?.(exchange({ cookie: `other=1; authjs.session-token=${token}` }))
    assert.deepEqual(fromCookie, {
      kind: 'user',
      id: 'u-Ada@Example.com',
      userId: 'u-Ada@Example.com',
      isAdmin: true,
      label: 'Ada@Example.com',
    })
    assert.equal((await plugin.authenticate?.(bearer(token)))?.id, 'u-Ada@Example.com')
  })

  it('reads the __Secure- cookie, salted with its own name', async () => {
    const plugin = await started({ secret: SECRET })
    const token = await mint(claims, { salt: '__Secure-authjs.session-token' })
    const ok = await plugin.authenticate?.(exchange({ cookie: `__Secure-authjs.session-token=${token}` }))
    assert.equal(ok?.id, 'u-Ada@Example.com')
    assert.equal((await plugin.authenticate?.(bearer(token)))?.id, 'u-Ada@Example.com', 'a bearer may use either salt')
    // The same token under the plain cookie name is salted differently: refused.
    assert.equal(await plugin.authenticate?.(exchange({ cookie: `authjs.session-token=${token}` })), null)
  })

  it('joins chunked cookies, accepts A256GCM and tokens without kid, and a custom cookie name', async () => {
    const plugin = await started({ secret: SECRET })
    const token = await mint(claims, { kid: false })
    const cut = Math.floor(token.length / 2)
    const cookie = `authjs.session-token.1=${token.slice(cut)}; authjs.session-token.0=${token.slice(0, cut)}`
    assert.equal((await plugin.authenticate?.(exchange({ cookie })))?.id, 'u-Ada@Example.com')
    assert.equal(
      await plugin.authenticate?.(exchange({ cookie: `authjs.session-token.1=${token.slice(cut)}` })),
      null,
      'a missing chunk',
    )
    assert.equal((await plugin.authenticate?.(bearer(await mint(claims, { enc: 'A256GCM' }))))?.id, 'u-Ada@Example.com')

    const custom = await started({ secret: SECRET, cookieName: 'app.session' })
    const t2 = await mint(claims, { salt: 'app.session' })
    assert.equal((await custom.authenticate?.(exchange({ cookie: `app.session=${t2}` })))?.id, 'u-Ada@Example.com')
    const salted = await started({ secret: SECRET, salt: 'fixed-salt' })
    assert.equal(
      (await salted.authenticate?.(bearer(await mint(claims, { salt: 'fixed-salt' }))))?.id,
      'u-Ada@Example.com',
    )
    assert.equal(await salted.authenticate?.(bearer(await mint(claims))), null)
  })

  it('accepts any secret of a rotation list', async () => {
    const old = 'the-old-secret-0123456789abcdefghijklmnop'
    const plugin = await started({ secret: [SECRET, old] })
    assert.equal((await plugin.authenticate?.(bearer(await mint(claims, { secret: old }))))?.id, 'u-Ada@Example.com')
  })

  it('refuses expired tokens, wrong secrets, wrong salts and tokens without exp', async () => {
    const plugin = await started({ secret: SECRET })
    assert.equal(await plugin.authenticate?.(bearer(await mint(claims, { exp: nowS - 60 }))), null, 'expired')
    assert.equal(
      (await plugin.authenticate?.(bearer(await mint(claims, { exp: nowS - 5 }))))?.id,
      'u-Ada@Example.com',
      'within the 15 s tolerance Auth.js allows',
    )
    const wrong = await mint(claims, { secret: 'another-secret-0123456789abcdefghijklmn' })
    assert.equal(await plugin.authenticate?.(bearer(wrong)), null, 'wrong secret')
    assert.equal(await plugin.authenticate?.(bearer(await mint(claims, { salt: 'next-auth.session-token' }))), null)
    const key = await authJsKey(SECRET, 'authjs.session-token', 64)
    const noExp = await new EncryptJWT(claims).setProtectedHeader({ alg: 'dir', enc: 'A256CBC-HS512' }).encrypt(key)
    assert.equal(await plugin.authenticate?.(bearer(noExp)), null, 'no exp')
  })

  it('refuses unsigned, signed-only, key-wrapped and garbage tokens', async () => {
    const plugin = await started({ secret: SECRET })
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const payload = b64({ ...claims, exp: nowS + 3600 })
    const token = await mint(claims)
    const [, , iv, ct, tag] = token.split('.')
    const forged = [
      `${b64({ alg: 'none' })}.${payload}.`,
      `${b64({ alg: 'none', enc: 'A256CBC-HS512' })}..${iv}.${ct}.${tag}`,
      `${b64({ alg: 'dir', enc: 'none' })}..${iv}.${ct}.${tag}`,
      `${b64({ alg: 'A256KW', enc: 'A256CBC-HS512' })}.AAAA.${iv}.${ct}.${tag}`,
      `${b64({ alg: 'dir', enc: 'A256CBC-HS512' })}..${iv}.${ct}.AAAAAAAAAAAAAAAAAAAAAA`,
      `${b64({ alg: 'dir', enc: 'A256CBC-HS512' })}..${iv}.${payload}.${tag}`,
      'a.b.c.d.e',
      'not-a-token',
      await new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(nowS + 3600)
        .sign(new TextEncoder().encode(SECRET)),
    ]
    for (const t of forged) {
      assert.equal(await plugin.authenticate?.(bearer(t)), null, t.slice(0, 40))
      assert.equal(await plugin.authenticate?.(exchange({ cookie: `authjs.session-token=${t}` })), null)
    }
  })

  it('never creates users: unknown, disabled, unverified and email-less tokens are not authenticated', async () => {
    const plugin = await started({ secret: SECRET })
    lookups.length = 0
    assert.equal(await plugin.authenticate?.(bearer(await mint({ ...claims, email: 'stranger@example.com' }))), null)
    assert.equal(await plugin.authenticate?.(bearer(await mint({ ...claims, email: 'off@example.com' }))), null)
    // An account whose email is not proven may belong to whoever held an invitation link: no identity joins it.
    assert.equal(await plugin.authenticate?.(bearer(await mint({ ...claims, email: 'unproven@example.com' }))), null)
    assert.equal(await plugin.authenticate?.(bearer(await mint({ name: 'No Email', sub: 'x' }))), null)
    assert.deepEqual(lookups, ['stranger@example.com', 'off@example.com', 'unproven@example.com'])
  })

  it('takes cookies only on safe methods and leaves other bearers alone', async () => {
    const plugin = await started({ secret: SECRET })
    const token = await mint(claims)
    assert.equal(await plugin.authenticate?.(exchange({ cookie: `authjs.session-token=${token}` }, 'POST')), null)
    const post = exchange({ authorization: `Bearer ${token}` }, 'POST')
    assert.equal((await plugin.authenticate?.(post))?.id, 'u-Ada@Example.com')
    assert.equal(await plugin.authenticate?.(bearer('mcp_proj_abc')), null)
    assert.equal(await plugin.authenticate?.(exchange({})), null)
  })

  it('fails setup on a short or missing secret, naming the field, and never exposes the secret', async () => {
    await assert.rejects(started({ secret: 'short' }), /secret: must be at least 32 characters/)
    await assert.rejects(started({ secret: [SECRET, 'short'] }), /secret\[1\]: must be at least 32/)
    await assert.rejects(started({ secret: [] }), /secret: is required/)
    await assert.rejects(started({ secret: undefined as unknown as string }), /secret: is required/)
    assert.ok(!inspect(nextAuthJwt({ secret: SECRET }), { depth: null }).includes(SECRET))
  })
})
