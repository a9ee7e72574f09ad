// The oidc() plugin against the test provider, with an in-memory store: options, the flow cookie, the token
// request, ID token checks, account rules and the client secret staying out of logs and options.
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { inspect } from 'node:util'
import { type FakeProvider, startFakeProvider } from '../../test/fixtures/oidc-provider.ts'
import {
  GatewayError,
  type Logger,
  type PluginContext,
  type Role,
  type Store,
  type Team,
  type TeamMember,
  type User,
} from '../contract.ts'
import { FLOW_COOKIE, type OidcOptions, type OidcPlugin, oidc } from './index.ts'

const CLIENT_ID = 'mcpo-unit'
const CLIENT_SECRET = 'unit-client-secret-4f1c8b2e'
const BASE = 'http://127.0.0.1:9999'

/** Just the repositories the plugin uses. */
function memoryStore() {
  const users: User[] = []
  const teams: Team[] = [
    { id: 't1', slug: 'platform', name: 'Platform', description: '', createdAt: new Date(), updatedAt: new Date() },
  ]
  const members: TeamMember[] = []
  const conflict = () => new GatewayError('MCPO_ERR_CONFLICT', 'exists')
  const store = {
    users: {
      async create(u: Partial<User> & { email: string }) {
        if (users.some((x) => x.email.toLowerCase() === u.email.toLowerCase())) throw conflict()
        const row: User = {
          id: `u${users.length + 1}`,
          name: '',
          passwordHash: null,
          isAdmin: false,
          disabled: false,
          oidcIssuer: null,
          oidcSubject: null,
          emailVerifiedAt: null,
          lastLoginAt: null,
          createdAt: new Date(),
          updatedAt: new Date(),
          ...u,
        }
        users.push(row)
        return row
      },
      getByEmail: async (email: string) => users.find((x) => x.email.toLowerCase() === email.toLowerCase()) ?? null,
      getByOidc: async (iss: string, sub: string) =>
        users.find((x) => x.oidcIssuer === iss && x.oidcSubject === sub) ?? null,
      async update(id: string, patch: Partial<User>) {
        const row = users.find((x) => x.id === id)
        if (row) Object.assign(row, patch)
        return row ?? null
      },
    },
    teams: { getBySlug: async (slug: string) => teams.find((t) => t.slug === slug) ?? null },
    teamMembers: {
      get: async (teamId: string, userId: string) =>
        members.find((m) => m.teamId === teamId && m.userId === userId) ?? null,
      async add(m: { teamId: string; userId: string; role: Role }) {
        const row = { ...m, createdAt: new Date(), updatedAt: new Date() } as TeamMember
        members.push(row)
        return row
      },
      async setRole(teamId: string, userId: string, role: Role) {
        const row = members.find((m) => m.teamId === teamId && m.userId === userId)
        if (row) row.role = role
        return row ?? null
      },
    },
  }
  return { store: store as unknown as Store, users, members }
}

/** Collects every log line so tests can look for secrets in them. */
function capturingLogger(lines: string[]): Logger {
  const log = (obj: unknown, msg?: string) =>
    lines.push(
      JSON.stringify(obj, (_k, v) => (v instanceof Error ? { message: v.message, cause: String(v.cause) } : v)) +
        (msg ?? ''),
    )
  const logger: Logger = { trace: log, debug: log, info: log, warn: log, error: log, fatal: log, child: () => logger }
  return logger
}

let now = Date.now()
async function started(
  options: Partial<OidcOptions> & { issuer: string },
  lines: string[] = [],
  store = memoryStore().store,
  keyByte = 7,
) {
  const plugin = oidc({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...options })
  await plugin.setup?.({
    logger: capturingLogger(lines),
    storage: store,
    clock: { now: () => now },
    deriveKey: () => new Uint8Array(32).fill(keyByte),
  } as unknown as PluginContext)
  return plugin
}

/** begin → the provider's authorize endpoint → the callback parameters and the flow cookie value. */
async function authorize(plugin: OidcPlugin) {
  const { location, setCookie } = await plugin.begin(BASE)
  const res = await fetch(location, { redirect: 'manual' })
  assert.equal(res.status, 302)
  const back = new URL(res.headers.get('location')!)
  const cookie = setCookie.split(';')[0].slice(FLOW_COOKIE.length + 1)
  return { params: Object.fromEntries(back.searchParams) as Record<string, string>, cookie, back }
}

async function refused(promise: Promise<unknown>, status: number, pattern?: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof GatewayError, String(err))
    assert.equal(err.httpStatus, status, err.message)
    if (pattern) assert.match(err.message, pattern)
    return true
  })
}

let idp: FakeProvider
before(async () => {
  idp = await startFakeProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
})
after(() => idp?.close())
beforeEach(() => {
  idp.fault = {}
  idp.user = { sub: 'alice-sub', email: 'alice@example.com', email_verified: true, name: 'Alice', groups: ['devs'] }
  now = Date.now()
})

describe('oidc options', () => {
  it('fails setup naming the field', async () => {
    await assert.rejects(started({ issuer: 'http://idp.example.com' }), /issuer: must be an https URL/)
    await assert.rejects(started({ issuer: 'not a url' }), /issuer: must be an absolute URL/)
    await assert.rejects(started({ issuer: idp.issuer, clientSecret: '' }), /clientSecret: is required/)
    await assert.rejects(started({ issuer: idp.issuer, clientId: '' }), /clientId: is required/)
    await assert.rejects(started({ issuer: idp.issuer, redirectPath: 'cb' }), /redirectPath:/)
    await assert.rejects(started({ issuer: idp.issuer, scopes: ['openid email'] }), /scopes:/)
    await assert.rejects(
      started({ issuer: idp.issuer, groupRoles: { devs: { team: 'platform', role: 'admin' as Role } } }),
      /groupRoles\.devs\.role: must be one of owner, developer, reporter/,
    )
    await assert.rejects(
      started({ issuer: idp.issuer, groupRoles: { devs: [{ team: '', role: 'owner' }] } }),
      /groupRoles\.devs\[0\]\.team/,
    )
  })

  it('keeps the client secret off the plugin object', () => {
    const plugin = oidc({ issuer: 'https://idp.example.com', clientId: 'a', clientSecret: CLIENT_SECRET })
    assert.ok(!inspect(plugin, { depth: null }).includes(CLIENT_SECRET))
  })
})

describe('oidc sign-in', () => {
  it('redirects with code + PKCE S256, state and nonce, sealed in a Lax HttpOnly cookie', async () => {
    const plugin = await started({ issuer: idp.issuer, scopes: ['email', 'groups'] })
    const { location, setCookie } = await plugin.begin(`${BASE}/`)
    const url = new URL(location)
    assert.equal(url.origin + url.pathname, `${idp.issuer}/protocol/openid-connect/auth`)
    const q = url.searchParams
    assert.equal(q.get('response_type'), 'code')
    assert.equal(q.get('client_id'), CLIENT_ID)
    assert.equal(q.get('redirect_uri'), `${BASE}/api/auth/oidc/callback`)
    assert.equal(q.get('scope'), 'openid email groups')
    assert.equal(q.get('code_challenge_method'), 'S256')
    assert.match(q.get('code_challenge')!, /^[\w-]{43}$/)
    assert.ok(!location.includes(CLIENT_SECRET))
    assert.match(setCookie, /^mcpo_oidc=[\w.-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600$/)
    for (const v of [q.get('state')!, q.get('nonce')!]) assert.ok(!setCookie.includes(v), 'the cookie is encrypted')
    assert.match((await plugin.begin('https://mcpo.example.com')).setCookie, /; Secure$/)
  })

  it('redeems the code with the client secret (basic auth), verifies the ID token, and returns the identity', async () => {
    const lines: string[] = []
    const plugin = await started({ issuer: idp.issuer, groupsClaim: 'groups' }, lines)
    const { params, cookie } = await authorize(plugin)
    const identity = await plugin.complete(params, cookie)
    assert.deepEqual(identity, {
      issuer: idp.issuer,
      subject: 'alice-sub',
      email: 'alice@example.com',
      emailVerified: true,
      name: 'Alice',
      groups: ['devs'],
    })
    const sent = idp.tokenRequests.at(-1)!
    assert.match(sent.authorization!, /^Basic /)
    assert.equal(sent.form.get('client_secret'), null)
    assert.equal(sent.form.get('code_verifier')?.length, 43)
    assert.ok(!lines.join('\n').includes(CLIENT_SECRET))
  })

  it('uses client_secret_post when that is all the provider offers', async () => {
    const post = await startFakeProvider({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      tokenAuth: 'client_secret_post',
    })
    try {
      post.user = { sub: 'p1', email: 'p@example.com', email_verified: true }
      const plugin = await started({ issuer: post.issuer })
      const { params, cookie } = await authorize(plugin)
      assert.equal((await plugin.complete(params, cookie)).subject, 'p1')
      assert.equal(post.tokenRequests[0].authorization, undefined)
      assert.equal(post.tokenRequests[0].form.get('client_secret'), CLIENT_SECRET)
    } finally {
      await post.close()
    }
  })

  it('is refused by the provider with a wrong client secret, which never reaches the logs or the error', async () => {
    const lines: string[] = []
    const plugin = await started({ issuer: idp.issuer, clientSecret: 'wrong-secret-value-123' }, lines)
    const { params, cookie } = await authorize(plugin)
    await assert.rejects(plugin.complete(params, cookie), (err: GatewayError) => {
      assert.equal(err.httpStatus, 401)
      assert.match(err.message, /invalid_client/)
      assert.ok(!err.message.includes('wrong-secret-value-123'))
      return true
    })
    const text = lines.join('\n')
    assert.match(text, /invalid_client/)
    assert.ok(!text.includes('wrong-secret-value-123') && !text.includes(CLIENT_SECRET))
  })

  for (const [what, fault, pattern] of [
    ['a tampered payload', { tamper: true }, /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/],
    ['a key outside the JWKS', { strangerKey: true }, /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/],
    ['HS256 under the client secret', { hs256: true }, /ERR_JOSE_ALG_NOT_ALLOWED/],
    ['alg: none', { unsigned: true }, /refused/],
    ['another audience', { claims: { aud: 'someone-else' } }, /ERR_JWT_CLAIM_VALIDATION_FAILED/],
    ['several audiences without azp', { claims: { aud: [CLIENT_ID, 'other'] } }, /azp/],
    ['another azp', { claims: { azp: 'other' } }, /azp/],
    ['another issuer', { claims: { iss: 'https://evil.example.com' } }, /ERR_JWT_CLAIM_VALIDATION_FAILED/],
    ['an expired token', { claims: { exp: Math.floor(Date.now() / 1000) - 120 } }, /ERR_JWT_EXPIRED/],
    ['another nonce', { claims: { nonce: 'replayed' } }, /nonce/],
    ['no nonce', { claims: { nonce: undefined } }, /nonce/],
  ] as const) {
    it(`refuses an ID token with ${what}`, async () => {
      const plugin = await started({ issuer: idp.issuer })
      const { params, cookie } = await authorize(plugin)
      idp.fault = fault
      await refused(plugin.complete(params, cookie), 401, pattern)
    })
  }

  it('refuses a callback without its flow cookie, with an altered or expired one, or with another state', async () => {
    const plugin = await started({ issuer: idp.issuer })
    const { params, cookie } = await authorize(plugin)
    await refused(plugin.complete(params, undefined), 400, /start it again/)
    await refused(plugin.complete(params, `${cookie.slice(0, -4)}AAAA`), 400)
    const otherKey = await started({ issuer: idp.issuer }, [], undefined, 8)
    await refused(otherKey.complete(params, cookie), 400, /start it again/)
    now += 11 * 60_000
    await refused(plugin.complete(params, cookie), 400)
    now -= 11 * 60_000
    await refused(plugin.complete({ ...params, state: 'forged' }, cookie), 401, /state/)
    await refused(plugin.complete({ ...params, iss: 'https://evil.example.com' }, cookie), 401, /iss/)
    await refused(plugin.complete({ state: params.state, error: 'access_denied' }, cookie), 401, /access_denied/)
    assert.equal((await plugin.complete(params, cookie)).subject, 'alice-sub', 'the real callback still works')
    await refused(plugin.complete(params, cookie), 401, /invalid_grant/)
  })

  it('checks the discovery document', async () => {
    for (const [discovery, pattern] of [
      [{ issuer: 'https://other.example.com' }, /names issuer/],
      [{ code_challenge_methods_supported: ['plain'] }, /PKCE/],
      [{ token_endpoint: 'http://evil.example.com/token' }, /token_endpoint: must be an https URL/],
      [{ token_endpoint_auth_methods_supported: ['private_key_jwt'] }, /client_secret_basic/],
    ] as const) {
      idp.discovery = discovery
      try {
        const plugin = await started({ issuer: idp.issuer })
        await refused(plugin.begin(BASE), 502, pattern)
      } finally {
        idp.discovery = {}
      }
    }
  })
})

describe('oidc accounts', () => {
  const identity = (patch: Record<string, unknown> = {}) => ({
    issuer: 'https://idp.example.com',
    subject: 's1',
    email: 'bob@example.com',
    emailVerified: true,
    name: 'Bob',
    groups: [] as string[],
    ...patch,
  })

  it('creates once, then finds by subject; grants the highest mapped role and never lowers it', async () => {
    const mem = memoryStore()
    const plugin = await started(
      {
        issuer: idp.issuer,
        groupRoles: {
          devs: { team: 'platform', role: 'developer' },
          leads: [
            { team: 'platform', role: 'owner' },
            { team: 'missing', role: 'reporter' },
          ],
        },
      },
      [],
      mem.store,
    )
    const first = await plugin.signIn(identity({ groups: ['devs'] }))
    assert.deepEqual(
      first.events.map((e) => e.action),
      ['user.created', 'team.member_added'],
    )
    assert.equal(mem.members[0].role, 'developer')
    const second = await plugin.signIn(identity({ email: 'changed@example.com', groups: ['devs', 'leads'] }))
    assert.equal(second.user.id, first.user.id)
    assert.deepEqual(
      second.events.map((e) => e.action),
      ['team.member_role_changed'],
    )
    assert.equal(mem.members[0].role, 'owner')
    await plugin.signIn(identity({ groups: [] }))
    assert.equal(mem.members[0].role, 'owner')
    assert.equal(mem.users.length, 1)
    assert.ok(mem.users[0].lastLoginAt)
  })

  it('links an existing account by verified email only, on both sides', async () => {
    const mem = memoryStore()
    const existing = await mem.store.users.create({ email: 'Bob@Example.com', name: 'Bob' })
    const plugin = await started({ issuer: idp.issuer }, [], mem.store)
    await refused(plugin.signIn(identity({ emailVerified: false })), 403, /not verified/)
    // The provider vouches for the address, but the mcpo account never proved it owns it: no link.
    await refused(plugin.signIn(identity()), 403, /has not verified it/)
    assert.equal(existing.oidcSubject, null)
    await mem.store.users.update(existing.id, { emailVerifiedAt: new Date() })
    const linked = await plugin.signIn(identity())
    assert.equal(linked.user.id, existing.id)
    assert.deepEqual(
      linked.events.map((e) => e.action),
      ['user.oidc_linked'],
    )
    assert.equal(existing.oidcSubject, 's1')
    // The address was given to someone else at the same provider: no takeover.
    await refused(plugin.signIn(identity({ subject: 's2' })), 403, /another identity/)
    // A move to another provider relinks.
    assert.equal(
      (await plugin.signIn(identity({ issuer: 'https://new-idp.example.com', subject: 'n1' }))).user.id,
      existing.id,
    )
  })

  it('refuses sign-ups when disabled, without a verified email, and disabled users', async () => {
    const mem = memoryStore()
    const closed = await started({ issuer: idp.issuer, allowSignup: false }, [], mem.store)
    await refused(closed.signIn(identity()), 403, /no mcpo account/)
    const open = await started({ issuer: idp.issuer }, [], mem.store)
    await refused(open.signIn(identity({ email: null })), 403, /no email/)
    await refused(open.signIn(identity({ emailVerified: false })), 403, /not verified/)
    assert.equal(mem.users.length, 0)
    const { user } = await open.signIn(identity())
    await mem.store.users.update(user.id, { disabled: true })
    await refused(open.signIn(identity()), 403, /disabled/)
  })

  it('trusts unverified emails only when told to', async () => {
    idp.user = { sub: 'entra-1', email: 'carol@example.com', name: 'Carol' }
    const plugin = await started({ issuer: idp.issuer, trustUnverifiedEmail: true })
    const { params, cookie } = await authorize(plugin)
    const id = await plugin.complete(params, cookie)
    assert.equal(id.emailVerified, true)
    assert.equal((await plugin.signIn(id)).user.email, 'carol@example.com')
  })
})
