// Issue 16 point 1, against a running gateway: a project owner sends an external invitation to an address that has
// no account, is shown the link (no mail plugin), accepts it with a password of their choice, and so holds an
// account with that address. That account gets the one invitation it accepted and nothing else sent to the address
// (list, accept and decline refuse) until the address is proven: by an administrator's confirmation, or by a link a
// mail plugin delivered. MCPO_ADMIN_EMAIL does not promote it. (SSO linking: test/e2e/sso.test.ts.)
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import type { EmailVerificationMessage, InvitationMessage, Logger, McpoPlugin } from '../../plugins/contract.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { type ApiHarness, PASSWORD, startApi, type Who } from '../api/tenancy-harness.ts'
import { startTestGateway, templateDataDir } from '../harness.ts'

const VICTIM = 'victim@corp.test'
const ATTACKER_PASSWORD = 'attacker-chosen password 1'

const tokenOf = (link: string) => link.slice(link.indexOf('#token=') + '#token='.length)

/** The attack up to the takeover: the attacker's own project invites the victim's address; they take the link. */
async function takeOver(api: ApiHarness, attacker: Who, project: string, email = VICTIM): Promise<Who> {
  const invite = await api.call(attacker, 'POST', `/api/projects/${project}/invitations`, {
    kind: 'external',
    email,
    role: 'reporter',
  })
  assert.equal(invite.status, 201, JSON.stringify(invite.body))
  assert.ok(invite.body.link, 'no mail plugin: the inviter is shown the link')
  const joined = await api.call(null, 'POST', '/api/invitations/accept-link', {
    token: tokenOf(invite.body.link),
    name: 'Not the victim',
    password: ATTACKER_PASSWORD,
  })
  assert.equal(joined.status, 200, JSON.stringify(joined.body))
  assert.equal(joined.body.created, true)
  assert.equal(joined.body.user.emailVerified, false, 'an undelivered link proves no email')
  const login = await api.call(null, 'POST', '/api/auth/login', { email, password: ATTACKER_PASSWORD })
  assert.equal(login.status, 200)
  return { id: joined.body.user.id, email, token: login.body.token }
}

describe('without a mail plugin', () => {
  let api: ApiHarness
  let alice: Who
  let attacker: Who
  let held: Who
  let victimInvitation = ''

  before(async () => {
    api = await startApi()
    alice = await api.user('alice')
    attacker = await api.user('mallory')
    assert.equal((await api.call(alice, 'POST', '/api/projects', { id: 'payroll', name: 'Payroll' })).status, 201)
    assert.equal((await api.call(attacker, 'POST', '/api/projects', { id: 'bait', name: 'Bait' })).status, 201)
    // Someone else's pending invitation for the address, as an owner invites a colleague who has no account yet.
    const real = await api.call(alice, 'POST', '/api/projects/payroll/invitations', {
      kind: 'external',
      email: VICTIM,
      role: 'owner',
    })
    assert.equal(real.status, 201)
    victimInvitation = real.body.invitations[0].id
    const team = await api.call(alice, 'POST', '/api/teams', { name: 'Finance' })
    assert.equal(
      (await api.call(alice, 'POST', `/api/teams/${team.body.id}/members`, { email: VICTIM, role: 'owner' })).status,
      202,
    )
    held = await takeOver(api, attacker, 'bait')
  })
  after(() => api?.close())

  it('gives the link-made account the invitation it accepted and nothing else sent to the address', async () => {
    assert.equal((await api.call(held, 'GET', '/api/projects/bait')).body.role, 'reporter')
    const me = await api.call(held, 'GET', '/api/auth/me')
    assert.equal(me.body.emailVerified, false)
    const mine = await api.call(held, 'GET', '/api/invitations')
    assert.equal(mine.status, 403, JSON.stringify(mine.body))
    assert.equal(mine.body.error.details.reason, 'email_unverified')
    assert.equal(JSON.stringify(mine.body).includes('payroll'), false)
    for (const verb of ['accept', 'decline']) {
      const res = await api.call(held, 'POST', `/api/invitations/${victimInvitation}/${verb}`)
      assert.equal(res.status, 403, `${verb}: ${JSON.stringify(res.body)}`)
    }
    assert.equal((await api.call(held, 'GET', '/api/projects/payroll')).status, 404)
    const teams = await api.call(held, 'GET', '/api/teams')
    assert.deepEqual(teams.body.items, [])
    const pending = await api.call(alice, 'GET', '/api/projects/payroll/invitations')
    assert.deepEqual(
      pending.body.items.map((i: { id: string; status: string }) => [i.id, i.status]),
      [[victimInvitation, 'pending']],
      'the real invitation is untouched',
    )
  })

  it('cannot verify by mail when no plugin sends mail, and only an administrator confirms', async () => {
    const ask = await api.call(held, 'POST', '/api/auth/email-verification')
    assert.equal(ask.status, 409)
    assert.equal(ask.body.error.details.reason, 'no_mailer')
    assert.equal((await api.call(held, 'POST', `/api/users/${held.id}/confirm-email`)).status, 403)
    assert.equal((await api.call(alice, 'POST', `/api/users/${held.id}/confirm-email`)).status, 403)
    const listed = await api.call(api.admin, 'GET', `/api/users?search=${encodeURIComponent(VICTIM)}`)
    assert.equal(listed.body.items[0].emailVerified, false, 'the console shows it')

    const confirmed = await api.call(api.admin, 'POST', `/api/users/${held.id}/confirm-email`)
    assert.equal(confirmed.status, 200)
    assert.equal(confirmed.body.emailVerified, true)
    assert.ok(api.audits.some((e) => e.action === 'user.email_verified' && e.target?.id === held.id))
    // Now the account is the address's (an administrator said so): what was sent to it reaches it.
    const mine = await api.call(held, 'GET', '/api/invitations')
    assert.equal(mine.status, 200)
    assert.deepEqual(mine.body.items.map((i: { project: { id: string } | null }) => i.project?.id ?? 'team').sort(), [
      'payroll',
      'team',
    ])
    assert.equal((await api.call(held, 'POST', `/api/invitations/${victimInvitation}/accept`)).status, 200)
    assert.equal((await api.call(held, 'GET', '/api/projects/payroll')).body.role, 'owner')
  })

  it('keeps an account an administrator made, or one that changed address through an administrator, verified', async () => {
    const made = await api.call(api.admin, 'POST', '/api/users', {
      email: 'made@corp.test',
      password: PASSWORD,
    })
    assert.equal(made.body.emailVerified, true)
    const stale = await takeOver(api, attacker, 'bait', 'stale@corp.test')
    const moved = await api.call(api.admin, 'PUT', `/api/users/${stale.id}`, { email: 'moved@corp.test' })
    assert.equal(moved.body.emailVerified, true)
  })
})

describe('with a mail plugin', () => {
  const invitations: InvitationMessage[] = []
  const verifications: EmailVerificationMessage[] = []
  let mailUp = true
  const mailer: McpoPlugin = {
    name: 'test:outbox',
    deliverInvitation: (m) => mailUp && invitations.push(m) > 0,
    deliverEmailVerification: (m) => verifications.push(m) > 0,
  }
  let api: ApiHarness
  let alice: Who
  let attacker: Who

  before(async () => {
    api = await startApi({ plugins: [sessions(), apiKeys(), mailer] })
    alice = await api.user('alice')
    attacker = await api.user('mallory')
    assert.equal((await api.call(alice, 'POST', '/api/projects', { id: 'payroll', name: 'Payroll' })).status, 201)
    assert.equal((await api.call(attacker, 'POST', '/api/projects', { id: 'bait', name: 'Bait' })).status, 201)
  })
  after(() => api?.close())

  it('verifies through a mailed link that only the mailbox sees, once', async () => {
    const real = await api.call(alice, 'POST', '/api/projects/payroll/invitations', {
      kind: 'external',
      email: VICTIM,
      role: 'developer',
    })
    const victimInvitation = real.body.invitations[0].id
    // The mail system is down while the attacker invites: they are shown the link.
    mailUp = false
    const held = await takeOver(api, attacker, 'bait').finally(() => {
      mailUp = true
    })
    assert.equal((await api.call(held, 'POST', `/api/invitations/${victimInvitation}/accept`)).status, 403)

    const ask = await api.call(held, 'POST', '/api/auth/email-verification')
    assert.equal(ask.status, 202, JSON.stringify(ask.body))
    assert.equal(ask.body.sent, true)
    const mail = verifications.at(-1)
    assert.equal(mail?.email, VICTIM)
    assert.equal(mail?.userId, held.id)
    const token = tokenOf(mail?.link ?? '')
    assert.equal(JSON.stringify(ask.body).includes(token), false, 'the link goes only to the mailbox')
    assert.equal((await api.call(held, 'POST', '/api/auth/email-verification')).status, 429, 'one mail a minute')
    const row = await api.gw.gateway.store.users.getEmailVerification(held.id)
    assert.notEqual(row?.tokenHash, token, 'stored as a hash')

    const wrong = await api.call(null, 'POST', '/api/auth/email-verification/confirm', { token: 'x'.repeat(43) })
    assert.equal(wrong.status, 404)
    const ok = await api.call(null, 'POST', '/api/auth/email-verification/confirm', { token })
    assert.equal(ok.status, 200)
    assert.deepEqual(ok.body, { email: VICTIM, verified: true })
    assert.equal(
      (await api.call(null, 'POST', '/api/auth/email-verification/confirm', { token })).status,
      404,
      'single use',
    )
    assert.equal((await api.call(held, 'GET', '/api/auth/me')).body.emailVerified, true)
    // Proven: the address's owner is the one who reads its mail, so what was sent to it is theirs.
    assert.equal((await api.call(held, 'POST', `/api/invitations/${victimInvitation}/accept`)).status, 200)
  })

  it('treats a link the mail plugin delivered as proof: that account is verified at once', async () => {
    const sent = await api.call(alice, 'POST', '/api/projects/payroll/invitations', {
      kind: 'external',
      email: 'newcomer@corp.test',
      role: 'reporter',
    })
    assert.equal(sent.body.link, null)
    const link = invitations.find((m) => m.email === 'newcomer@corp.test')?.link
    const joined = await api.call(null, 'POST', '/api/invitations/accept-link', {
      token: tokenOf(link ?? ''),
      password: PASSWORD,
    })
    assert.equal(joined.status, 200)
    assert.equal(joined.body.user.emailVerified, true)
  })

  it('does not count a resent link as delivered when the resend was not', async () => {
    const sent = await api.call(alice, 'POST', '/api/projects/payroll/invitations', {
      kind: 'external',
      email: 'resent@corp.test',
      role: 'reporter',
    })
    const id = sent.body.invitations[0].id
    assert.ok((await api.gw.gateway.store.invitations.get(id))?.deliveredAt)
    mailUp = false
    const resent = await api.call(alice, 'POST', `/api/invitations/${id}/resend`).finally(() => {
      mailUp = true
    })
    assert.equal(resent.body.delivered, false)
    assert.equal((await api.gw.gateway.store.invitations.get(id))?.deliveredAt, null)
    const joined = await api.call(null, 'POST', '/api/invitations/accept-link', {
      token: tokenOf(resent.body.link),
      password: PASSWORD,
    })
    assert.equal(joined.body.user.emailVerified, false)
  })
})

describe('MCPO_ADMIN_EMAIL', () => {
  const dirs: string[] = []
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  /** A data directory that outlives one gateway, so the next boot finds what the first one stored. */
  async function sharedDataDir(): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'mcpo-takeover-'))
    dirs.push(dir)
    cpSync(await templateDataDir(), dir, { recursive: true })
    return dir
  }

  function capture(lines: { level: string; msg: string }[]): Logger {
    const record =
      (level: string) =>
      (_obj: unknown, msg?: string): void =>
        void lines.push({ level, msg: msg ?? '' })
    const logger: Logger = {
      trace: record('trace'),
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
      fatal: record('fatal'),
      child: () => logger,
    }
    return logger
  }

  it('does not promote an account with that address made through a link, and still offers the set-up link', async () => {
    if (process.env.MCPO_TEST_STORAGE === 'postgres') return
    const dataDir = await sharedDataDir()
    const first = await startApi({ dataDir })
    const attacker = await first.user('mallory')
    assert.equal((await first.call(attacker, 'POST', '/api/projects', { id: 'bait', name: 'Bait' })).status, 201)
    const held = await takeOver(first, attacker, 'bait', 'boss@corp.test')
    // The first gateway's admin came from the set-up link; remove them so the next boot has no admin at all.
    await first.gw.gateway.store.users.delete(first.admin.id)
    await first.close()

    const lines: { level: string; msg: string }[] = []
    const second = await startTestGateway(
      { dataDir, projects: [], admin: { email: 'boss@corp.test', password: 'operator password 123' } },
      { logger: capture(lines) },
    )
    try {
      const user = await second.gateway.store.users.get(held.id)
      assert.equal(user?.isAdmin, false, 'not promoted')
      assert.ok(
        lines.some((l) => l.level === 'error' && /MCPO_ADMIN_EMAIL/.test(l.msg)),
        JSON.stringify(lines),
      )
      assert.ok(second.gateway.setupToken, 'the operator can still create an admin')
      const login = await fetch(`${second.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'boss@corp.test', password: ATTACKER_PASSWORD }),
      })
      assert.equal((await login.json()).user.isAdmin, false)
      // Once an administrator confirms the address is the operator's, the next boot promotes it as before.
      await second.gateway.store.users.update(held.id, { emailVerifiedAt: new Date() })
    } finally {
      await second.close()
    }
    const third = await startTestGateway(
      { dataDir, projects: [], admin: { email: 'boss@corp.test', password: 'operator password 123' } },
      { logger: capture([]) },
    )
    try {
      assert.equal((await third.gateway.store.users.get(held.id))?.isAdmin, true)
      assert.equal(third.gateway.setupToken, null)
    } finally {
      await third.close()
    }
  })
})
