// Single sign-on end to end: a real gateway, an OpenID provider on 127.0.0.1 (test/fixtures/oidc-provider.ts)
// followed through its redirects by hand, and NextAuth v5 session tokens on /api/auth/me.
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { inspect } from 'node:util'
import { base64url, calculateJwkThumbprint, EncryptJWT } from 'jose'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { nextAuthJwt } from '../../plugins/next-auth/index.ts'
import { oidc } from '../../plugins/oidc/index.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import type { Team } from '../../plugins/storage/port.ts'
import { hashPassword } from '../../plugins/users/password.ts'
import { type FakeProvider, startFakeProvider } from '../fixtures/oidc-provider.ts'
import { startTestGateway, type TestGateway } from '../harness.ts'

const CLIENT_ID = 'mcpo-e2e'
const CLIENT_SECRET = 'e2e-client-secret-9d3a7c51'
const AUTH_SECRET = 'e2e-auth-secret-0123456789abcdefghijklmnop'

let idp: FakeProvider
let gw: TestGateway
let platform: Team
before(async () => {
  idp = await startFakeProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
  gw = await startTestGateway({
    projects: [],
    plugins: [
      sessions(),
      apiKeys(),
      nextAuthJwt({ secret: AUTH_SECRET }),
      oidc({
        issuer: idp.issuer,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        label: 'Sign in with Test IdP',
        groupRoles: {
          'platform-devs': { team: 'platform', role: 'developer' },
          'platform-leads': { team: 'platform', role: 'owner' },
        },
      }),
    ],
  })
  platform = await gw.gateway.store.teams.create({ slug: 'platform', name: 'Platform' })
})
after(async () => {
  await gw?.close()
  await idp?.close()
})
beforeEach(() => {
  idp.fault = {}
})

/** Every Set-Cookie as `name=value` pairs, and a Cookie header made of them. */
function cookiesOf(res: Response): { pairs: Record<string, string>; raw: string[] } {
  const raw = res.headers.getSetCookie()
  const pairs: Record<string, string> = {}
  for (const c of raw) {
    const [pair] = c.split(';')
    const eq = pair.indexOf('=')
    pairs[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return { pairs, raw }
}

/** GET /api/auth/oidc/login → the provider's authorize URL and the flow cookie. */
async function startLogin(query = '') {
  const res = await fetch(`${gw.url}/api/auth/oidc/login${query}`, { redirect: 'manual' })
  assert.equal(res.status, 302)
  const flow = cookiesOf(res).pairs.mcpo_oidc
  assert.ok(flow, 'sets the flow cookie')
  return { authorizeUrl: new URL(res.headers.get('location')!), cookie: `mcpo_oidc=${flow}`, res }
}

/** The provider's authorize endpoint → the callback URL it redirects to. */
async function authorize(url: URL): Promise<URL> {
  const res = await fetch(url, { redirect: 'manual' })
  assert.equal(res.status, 302, await res.clone().text())
  return new URL(res.headers.get('location')!)
}

async function callback(url: URL, cookie?: string): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} })
}

/** The whole sign-in; answers the callback response. */
async function signIn(): Promise<Response> {
  const { authorizeUrl, cookie } = await startLogin()
  return callback(await authorize(authorizeUrl), cookie)
}

async function me(headers: Record<string, string>) {
  const res = await fetch(`${gw.url}/api/auth/me`, { headers })
  return { status: res.status, body: await res.json() }
}

/** A refused callback: the error status, no session cookie, the flow cookie cleared. */
async function assertRefused(res: Response, status: number, message?: RegExp) {
  const body = await res.json()
  assert.equal(res.status, status, JSON.stringify(body))
  if (message) assert.match(body.error.message, message)
  const { pairs } = cookiesOf(res)
  assert.equal(pairs.mcpo_session, undefined, 'no session')
  assert.equal(pairs.mcpo_oidc, '', 'the flow cookie is cleared')
}

describe('OIDC sign-in', () => {
  it('tells the UI to show the SSO button', async () => {
    const res = await fetch(`${gw.url}/api/auth/providers`)
    assert.deepEqual(await res.json(), {
      password: true,
      oidc: { label: 'Sign in with Test IdP', loginUrl: '/api/auth/oidc/login' },
    })
  })

  it('redirects to the provider with code + PKCE S256, state and nonce', async () => {
    const { authorizeUrl, res } = await startLogin()
    const q = authorizeUrl.searchParams
    assert.equal(`${authorizeUrl.origin}${authorizeUrl.pathname}`, `${idp.issuer}/protocol/openid-connect/auth`)
    assert.equal(q.get('response_type'), 'code')
    assert.equal(q.get('client_id'), CLIENT_ID)
    assert.equal(q.get('redirect_uri'), `${gw.url}/api/auth/oidc/callback`)
    assert.equal(q.get('scope'), 'openid email profile')
    assert.equal(q.get('code_challenge_method'), 'S256')
    assert.ok(q.get('state') && q.get('nonce') && q.get('code_challenge'))
    assert.equal(res.headers.get('cache-control'), 'no-store')
    const flow = cookiesOf(res).raw.find((c) => c.startsWith('mcpo_oidc='))!
    assert.match(flow, /HttpOnly; SameSite=Lax; Max-Age=600/)
    assert.ok(!authorizeUrl.href.includes(CLIENT_SECRET))
  })

  it('signs a new user in through the redirects, creates the account and maps groups to team roles', async () => {
    idp.user = {
      sub: 'dev-1',
      email: 'Dev.One@example.com',
      email_verified: true,
      name: 'Dev One',
      groups: ['platform-devs', 'unmapped'],
    }
    const res = await signIn()
    assert.equal(res.status, 302, await res.clone().text())
    assert.equal(res.headers.get('location'), '/admin')
    const { pairs, raw } = cookiesOf(res)
    assert.ok(raw.some((c) => /^mcpo_session=.+; Path=\/; HttpOnly; SameSite=Strict/.test(c)))
    assert.ok(pairs.mcpo_csrf)
    assert.equal(pairs.mcpo_oidc, '', 'the flow cookie is used once')

    const who = await me({ cookie: `mcpo_session=${pairs.mcpo_session}` })
    assert.equal(who.status, 200)
    assert.equal(who.body.email, 'Dev.One@example.com')
    assert.equal(who.body.name, 'Dev One')
    assert.equal(who.body.isAdmin, false)
    const user = (await gw.gateway.store.users.get(who.body.id))!
    assert.equal(user.oidcIssuer, idp.issuer)
    assert.equal(user.oidcSubject, 'dev-1')
    assert.equal(user.passwordHash, null)
    assert.equal((await gw.gateway.store.teamMembers.get(platform.id, user.id))?.role, 'developer')

    // The secret went to the token endpoint only, with HTTP Basic.
    const sent = idp.tokenRequests.at(-1)!
    assert.equal(Buffer.from(sent.authorization!.slice(6), 'base64').toString(), `${CLIENT_ID}:${CLIENT_SECRET}`)
    const plugin = gw.gateway.plugins.plugins.find((p) => p.name === 'mcpo:oidc')
    assert.ok(!inspect(plugin, { depth: null }).includes(CLIENT_SECRET))
  })

  it('reuses the account on the next sign-in and raises the mapped role', async () => {
    const before = await gw.gateway.store.users.count()
    idp.user = {
      sub: 'dev-1',
      email: 'dev.one@example.com',
      email_verified: true,
      groups: ['platform-devs', 'platform-leads'],
    }
    const res = await signIn()
    assert.equal(res.status, 302)
    const who = await me({ cookie: `mcpo_session=${cookiesOf(res).pairs.mcpo_session}` })
    assert.equal(who.body.email, 'Dev.One@example.com')
    assert.equal(await gw.gateway.store.users.count(), before, 'no second account')
    assert.equal((await gw.gateway.store.teamMembers.get(platform.id, who.body.id))?.role, 'owner')
  })

  it('links an existing account by verified email, and not by an unverified one', async () => {
    const existing = await gw.gateway.store.users.create({
      email: 'grace@example.com',
      name: 'Grace',
      emailVerifiedAt: new Date(),
    })
    idp.user = { sub: 'grace-sub', email: 'GRACE@example.com', email_verified: false }
    await assertRefused(await signIn(), 403, /not verified/)
    idp.user = { sub: 'grace-sub', email: 'GRACE@example.com', email_verified: true }
    const res = await signIn()
    assert.equal(res.status, 302)
    assert.equal((await me({ cookie: `mcpo_session=${cookiesOf(res).pairs.mcpo_session}` })).body.id, existing.id)
    assert.equal((await gw.gateway.store.users.get(existing.id))?.oidcSubject, 'grace-sub')
  })

  it('does not join an SSO identity to an account made through an invitation link the inviter was shown', async () => {
    // Issue 16 point 1: an owner invites an address with no account, takes the link (no mail plugin) and sets a password.
    const store = gw.gateway.store
    const password = 'correct horse battery staple'
    await store.users.create({
      email: 'eve-owner@example.com',
      passwordHash: await hashPassword(password),
      emailVerifiedAt: new Date(),
    })
    const api = async (method: string, path: string, body: unknown, token?: string) => {
      const res = await fetch(gw.url + path, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      })
      return { status: res.status, body: await res.json() }
    }
    const login = await api('POST', '/api/auth/login', { email: 'eve-owner@example.com', password })
    const mallory = login.body.token
    assert.equal((await api('POST', '/api/projects', { id: 'bait', name: 'Bait' }, mallory)).status, 201)
    const invite = await api(
      'POST',
      '/api/projects/bait/invitations',
      { kind: 'external', email: 'victim@example.com', role: 'reporter' },
      mallory,
    )
    const token = invite.body.link.slice(invite.body.link.indexOf('#token=') + 7)
    const taken = await api('POST', '/api/invitations/accept-link', { token, password: 'mallory chose this one' })
    assert.equal(taken.body.user.emailVerified, false)
    const before = await store.users.count()

    // The real person signs in through the provider, which verified the address.
    idp.user = { sub: 'victim-sub', email: 'victim@example.com', email_verified: true, name: 'Victim' }
    await assertRefused(await signIn(), 403, /has not verified it/)
    const held = await store.users.get(taken.body.user.id)
    assert.equal(held?.oidcSubject, null, 'no identity joined to it')
    assert.equal(await store.users.count(), before, 'and no second account')
    // Nor does a NextAuth session for the address stand for it.
    const nextAuth = await authJsToken({ email: 'victim@example.com', sub: 'victim' })
    assert.equal((await me({ authorization: `Bearer ${nextAuth}` })).status, 401)

    // Once an administrator confirms the address, the provider's identity links to the account as before.
    await store.users.update(taken.body.user.id, { emailVerifiedAt: new Date() })
    const res = await signIn()
    assert.equal(res.status, 302)
    assert.equal((await store.users.get(taken.body.user.id))?.oidcSubject, 'victim-sub')
  })

  it('refuses disabled accounts', async () => {
    const user = await gw.gateway.store.users.create({
      email: 'off@example.com',
      oidcIssuer: idp.issuer,
      oidcSubject: 'off-sub',
      disabled: true,
    })
    idp.user = { sub: 'off-sub', email: user.email, email_verified: true }
    await assertRefused(await signIn(), 403, /disabled/)
  })

  for (const [what, fault, message] of [
    ['a tampered ID token', { tamper: true }, /signature/i],
    ['an ID token for another audience', { claims: { aud: 'another-client' } }, /refused/],
    ['an ID token with another nonce', { claims: { nonce: 'from-another-sign-in' } }, /nonce/],
    ['an ID token signed by a key outside the JWKS', { strangerKey: true }, /signature/i],
  ] as const) {
    it(`refuses ${what}`, async () => {
      idp.user = { sub: 'mallory', email: 'mallory@example.com', email_verified: true }
      const { authorizeUrl, cookie } = await startLogin()
      const back = await authorize(authorizeUrl)
      idp.fault = fault
      await assertRefused(await callback(back, cookie), 401, message)
      assert.equal(await gw.gateway.store.users.getByEmail('mallory@example.com'), null)
    })
  }

  it('refuses a wrong state, a missing flow cookie and a provider error', async () => {
    const { authorizeUrl, cookie } = await startLogin()
    const back = await authorize(authorizeUrl)
    const forged = new URL(back)
    forged.searchParams.set('state', 'attacker-state')
    await assertRefused(await callback(forged, cookie), 401, /state/)
    await assertRefused(await callback(back), 400, /start it again/)
    const denied = new URL(back)
    denied.searchParams.delete('code')
    denied.searchParams.set('error', 'access_denied')
    await assertRefused(await callback(denied, cookie), 401, /access_denied/)
  })

  it('ends where a sign-in started with next=/oauth/interaction/… began, the provider never seeing it', async () => {
    idp.user = { sub: 'consent-1', email: 'consent@example.com', email_verified: true }
    const { authorizeUrl, cookie } = await startLogin(`?next=${encodeURIComponent('/oauth/interaction/abc')}`)
    assert.ok(!authorizeUrl.href.includes('interaction'), 'next stays in the encrypted flow cookie')
    const res = await callback(await authorize(authorizeUrl), cookie)
    assert.equal(res.status, 302, await res.clone().text())
    assert.equal(res.headers.get('location'), '/oauth/interaction/abc')
    assert.ok(cookiesOf(res).pairs.mcpo_session, 'signed in')
  })

  it('ends in /admin when next is not a path of the UI or a consent page', async () => {
    idp.user = { sub: 'consent-1', email: 'consent@example.com', email_verified: true }
    for (const next of [
      'https://evil.example/admin/x',
      '//evil.example/admin/x',
      '/api/auth/me',
      '/admin/../api/auth/me',
      '/admin/\\evil.example',
      '/oauth/interaction/abc/decision',
    ]) {
      const { authorizeUrl, cookie } = await startLogin(`?next=${encodeURIComponent(next)}`)
      const res = await callback(await authorize(authorizeUrl), cookie)
      assert.equal(res.headers.get('location'), '/admin', next)
    }
  })

  it('refuses a code redeemed with another sign-in’s PKCE verifier', async () => {
    // The victim's browser holds flow A; an injected code was issued for flow B (another verifier).
    const a = await startLogin()
    const b = await startLogin()
    const codeB = (await authorize(b.authorizeUrl)).searchParams.get('code')!
    const injected = new URL(`${gw.url}/api/auth/oidc/callback`)
    injected.searchParams.set('code', codeB)
    injected.searchParams.set('state', a.authorizeUrl.searchParams.get('state')!)
    await assertRefused(await callback(injected, a.cookie), 401, /invalid_grant/)
    assert.equal(idp.tokenRequests.at(-1)?.status, 400, 'the provider refused the verifier')
  })
})

/** @auth/core/jwt's encode, with the HKDF derivation done here through WebCrypto. */
async function authJsToken(claims: Record<string, unknown>, secret = AUTH_SECRET, expiresIn = 3600) {
  const salt = 'authjs.session-token'
  const enc = new TextEncoder()
  const material = await crypto.subtle.importKey('raw', enc.encode(secret), 'HKDF', false, ['deriveBits'])
  const key = new Uint8Array(
    await crypto.subtle.deriveBits(
      {
        name: 'HKDF',
        hash: 'SHA-256',
        salt: enc.encode(salt),
        info: enc.encode(`Auth.js Generated Encryption Key (${salt})`),
      },
      material,
      512,
    ),
  )
  const kid = await calculateJwkThumbprint({ kty: 'oct', k: base64url.encode(key) }, 'sha512')
  const now = Math.floor(Date.now() / 1000)
  return new EncryptJWT(claims)
    .setProtectedHeader({ alg: 'dir', enc: 'A256CBC-HS512', kid })
    .setIssuedAt()
    .setExpirationTime(now + expiresIn)
    .setJti(crypto.randomUUID())
    .encrypt(key)
}

describe('NextAuth v5 tokens', () => {
  it('authenticate /api/auth/me for an existing user, from the cookie or as a bearer', async () => {
    const user = await gw.gateway.store.users.create({
      email: 'ada@example.com',
      name: 'Ada',
      emailVerifiedAt: new Date(),
    })
    const token = await authJsToken({ name: 'Ada', email: 'ADA@example.com', sub: 'nextauth-id' })
    const viaCookie = await me({ cookie: `authjs.session-token=${token}` })
    assert.equal(viaCookie.status, 200)
    assert.equal(viaCookie.body.id, user.id)
    assert.equal((await me({ authorization: `Bearer ${token}` })).body.id, user.id)
  })

  it('are refused when expired, under another secret, for unknown emails, or unsigned', async () => {
    const bad = [
      await authJsToken({ email: 'ada@example.com' }, AUTH_SECRET, -3600),
      await authJsToken({ email: 'ada@example.com' }, 'another-secret-0123456789abcdefghijklmnop'),
      await authJsToken({ email: 'nobody@example.com' }),
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"email":"ada@example.com"}').toString('base64url')}.`,
    ]
    for (const token of bad) {
      assert.equal((await me({ authorization: `Bearer ${token}` })).status, 401)
      assert.equal((await me({ cookie: `authjs.session-token=${token}` })).status, 401)
    }
    assert.equal(await gw.gateway.store.users.getByEmail('nobody@example.com'), null, 'never creates users')
  })
})
