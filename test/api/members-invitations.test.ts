// Project members and invitations through the REST API: direct and team members, last owners, leaving, keys dying
// with access, and the three invitation kinds with pending state, resend, revoke, expiry and one-time links.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { type ApiHarness, fieldsOf, PASSWORD, startApi, type Who } from './tenancy-harness.ts'

let api: ApiHarness
let owner: Who
let dev: Who
let rep: Who
let outsider: Who

before(async () => {
  api = await startApi()
  owner = await api.user('owner')
  dev = await api.user('dev')
  rep = await api.user('rep')
  outsider = await api.user('outsider')
  assert.equal((await api.call(owner, 'POST', '/api/projects', { id: 'shop', name: 'Shop' })).status, 201)
})
after(() => api?.close())

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')
const tokenOf = (link: string) => link.slice(link.indexOf('#token=') + '#token='.length)

describe('project members', () => {
  it('invites users by id or email from any team; they join when they accept, with the audit trail', async () => {
    const byId = await api.call(owner, 'POST', '/api/projects/shop/members', { userId: dev.id, role: 'developer' })
    assert.equal(byId.status, 202)
    assert.deepEqual(
      [byId.body.invitation.kind, byId.body.invitation.email, byId.body.invitation.status, byId.body.link],
      ['individual', dev.email, 'pending', null],
    )
    assert.equal((await api.call(dev, 'GET', '/api/projects/shop')).status, 404, 'not a member before accepting')
    const mine = (await api.call(dev, 'GET', '/api/invitations')).body.items
    assert.deepEqual(
      mine.map((i: { id: string }) => i.id),
      [byId.body.invitation.id],
    )
    const accepted = await api.call(dev, 'POST', `/api/invitations/${byId.body.invitation.id}/accept`)
    assert.equal(accepted.status, 200)
    assert.equal((await api.call(dev, 'GET', '/api/projects/shop')).body.role, 'developer')

    // By email: an external invitation (its link would let someone without an account join); an account accepts it
    // from its own list.
    const byEmail = await api.call(owner, 'POST', '/api/projects/shop/members', { email: rep.email, role: 'reporter' })
    assert.equal(byEmail.status, 202)
    assert.equal(byEmail.body.invitation.kind, 'external')
    assert.match(byEmail.body.link, /^\/admin\/invite#token=/)
    const repInvitation = (await api.call(rep, 'GET', '/api/invitations')).body.items[0]
    assert.equal(repInvitation.id, byEmail.body.invitation.id)
    assert.equal((await api.call(rep, 'POST', `/api/invitations/${repInvitation.id}/accept`)).status, 200)
    const row = (await api.call(owner, 'GET', '/api/projects/shop/members')).body.items.find(
      (m: { userId: string }) => m.userId === rep.id,
    )
    assert.deepEqual([row.role, row.inviteSource], ['reporter', 'invitation'])

    const invited = api.audits.find(
      (e) => e.action === 'invitation.created' && e.target?.id === byId.body.invitation.id,
    )
    assert.equal(invited?.actor?.id, owner.id)
    const event = api.audits.find((e) => e.action === 'member.added' && e.target?.id === dev.id)
    assert.equal(event?.projectId, 'shop')
    assert.equal(event?.actor?.id, dev.id, 'the member added themselves by accepting')
  })

  it('answers the same whether or not an account uses the email, and tells nothing about the account', async () => {
    const shape = (body: Record<string, unknown>): unknown =>
      JSON.parse(
        JSON.stringify(body)
          .replace(/"[0-9a-f-]{36}"/g, '"<id>"')
          .replace(/"\d{4}-\d\d-\d\dT[^"]+"/g, '"<time>"')
          .replace(/#token=[\w-]+/g, '#token=<token>')
          .replace(/"[^"@]+@example\.(com|org)"/gi, '"<email>"'),
      )
    // The outsider has an account (typed in another case); ghost has none.
    const existing = await api.call(owner, 'POST', '/api/projects/shop/members', {
      email: outsider.email.toUpperCase(),
      role: 'reporter',
    })
    const nobody = await api.call(owner, 'POST', '/api/projects/shop/members', {
      email: 'ghost@example.org',
      role: 'reporter',
    })
    assert.equal(existing.status, 202)
    assert.equal(nobody.status, 202)
    assert.deepEqual(shape(existing.body), shape(nobody.body))
    assert.equal(existing.body.invitation.email, outsider.email.toUpperCase(), 'the address as typed')
    for (const leak of [outsider.id, 'outsider', outsider.email]) {
      assert.equal(JSON.stringify(existing.body).includes(leak), false, `the answer names ${leak}`)
    }
    // The person decides: the outsider is not a member until they accept.
    assert.equal((await api.call(outsider, 'GET', '/api/projects/shop')).status, 404)
    assert.equal(
      (await api.call(outsider, 'GET', '/api/invitations')).body.items[0].id,
      existing.body.invitation.id,
      'the account sees it in its invitations',
    )
    for (const r of [existing, nobody]) {
      assert.equal((await api.call(owner, 'DELETE', `/api/invitations/${r.body.invitation.id}`)).status, 204)
    }
  })

  it('refuses bad bodies, duplicates, unknown users, wrong roles and invisible projects', async () => {
    const both = await api.call(owner, 'POST', '/api/projects/shop/members', {
      userId: dev.id,
      email: dev.email,
      role: 'reporter',
    })
    assert.equal(both.status, 400)
    assert.deepEqual(fieldsOf(both), ['userId'])
    const badEmail = await api.call(owner, 'POST', '/api/projects/shop/members', { email: 'nope', role: 'reporter' })
    assert.deepEqual(fieldsOf(badEmail), ['email'])
    const dup = await api.call(owner, 'POST', '/api/projects/shop/members', { userId: dev.id, role: 'reporter' })
    assert.equal(dup.status, 409)
    assert.match(dup.body.error.message, /already a member/)
    const first = await api.call(owner, 'POST', '/api/projects/shop/members', { userId: outsider.id, role: 'reporter' })
    const twice = await api.call(owner, 'POST', '/api/projects/shop/members', {
      email: outsider.email,
      role: 'developer',
    })
    assert.equal(twice.status, 409)
    assert.match(twice.body.error.message, /resend/)
    assert.equal((await api.call(owner, 'DELETE', `/api/invitations/${first.body.invitation.id}`)).status, 204)
    const unknown = await api.call(owner, 'POST', '/api/projects/shop/members', {
      userId: '00000000-0000-4000-8000-000000000000',
      role: 'reporter',
    })
    assert.equal(unknown.status, 404)
    assert.equal(
      (await api.call(dev, 'POST', '/api/projects/shop/members', { userId: outsider.id, role: 'reporter' })).status,
      403,
    )
    assert.equal((await api.call(rep, 'PUT', `/api/projects/shop/members/${dev.id}`, { role: 'owner' })).status, 403)
    assert.equal((await api.call(outsider, 'GET', '/api/projects/shop/members')).status, 404)
    assert.equal((await api.call(null, 'GET', '/api/projects/shop/members')).status, 401)
    const unsupported = await fetch(`${api.gw.url}/api/projects/shop/members`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'text/plain' },
      body: 'x',
    })
    assert.equal(unsupported.status, 415)
  })

  it('changes roles with a version guard and never leaves the project without an owner', async () => {
    const list = await api.call(rep, 'GET', '/api/projects/shop/members')
    assert.deepEqual(
      list.body.items.map((m: { email: string; role: string }) => [m.email, m.role]),
      [
        [dev.email, 'developer'],
        [owner.email, 'owner'],
        [rep.email, 'reporter'],
      ],
    )
    const devRow = list.body.items[0]
    const changed = await api.call(owner, 'PUT', `/api/projects/shop/members/${dev.id}`, {
      role: 'reporter',
      version: devRow.updatedAt,
    })
    assert.equal(changed.status, 200)
    assert.equal(changed.body.role, 'reporter')
    const stale = await api.call(owner, 'PUT', `/api/projects/shop/members/${dev.id}`, {
      role: 'developer',
      version: devRow.updatedAt,
    })
    assert.equal(stale.status, 409)
    assert.equal(
      (await api.call(owner, 'PUT', `/api/projects/shop/members/${dev.id}`, { role: 'developer' })).status,
      200,
    )
    const demote = await api.call(owner, 'PUT', `/api/projects/shop/members/${owner.id}`, { role: 'developer' })
    assert.equal(demote.status, 409)
    assert.match(demote.body.error.message, /you are the last owner/)
    const remove = await api.call(api.admin, 'DELETE', `/api/projects/shop/members/${owner.id}`)
    assert.equal(remove.status, 409)
    assert.match(remove.body.error.message, /owner@example.com is the last owner/)
    assert.equal((await api.call(owner, 'DELETE', `/api/projects/shop/members/${owner.id}`)).status, 409)
    assert.equal(
      (await api.call(owner, 'PUT', `/api/projects/shop/members/${outsider.id}`, { role: 'owner' })).status,
      404,
    )
  })

  it('lets members leave (their keys die with their access) and owners remove others', async () => {
    const store = api.gw.gateway.store
    const key = await store.apiKeys.create({
      projectId: 'shop',
      name: 'rep laptop',
      keyHash: sha256('rep-key'),
      prefix: 'mcp_proj_rep',
      createdBy: rep.id,
    })
    assert.equal((await api.call(rep, 'DELETE', `/api/projects/shop/members/${rep.id}`)).status, 204)
    assert.equal((await api.call(rep, 'GET', '/api/projects/shop')).status, 404)
    assert.ok((await store.apiKeys.get(key.id))?.revokedAt, 'the key of a member who left is revoked')
    assert.ok(api.audits.some((e) => e.action === 'member.left' && e.target?.id === rep.id))
    assert.equal((await api.addMember(owner, '/api/projects/shop/members', rep, 'reporter')).status, 200)
    assert.equal((await api.call(dev, 'DELETE', `/api/projects/shop/members/${rep.id}`)).status, 403)
    assert.equal((await api.call(owner, 'DELETE', `/api/projects/shop/members/${rep.id}`)).status, 204)
    assert.equal((await api.call(owner, 'DELETE', `/api/projects/shop/members/${rep.id}`)).status, 404)
    // With a second owner, the first may leave.
    assert.equal((await api.call(owner, 'PUT', `/api/projects/shop/members/${dev.id}`, { role: 'owner' })).status, 200)
    assert.equal(
      (await api.call(dev, 'PUT', `/api/projects/shop/members/${owner.id}`, { role: 'developer' })).status,
      200,
    )
    assert.equal((await api.call(dev, 'PUT', `/api/projects/shop/members/${owner.id}`, { role: 'owner' })).status, 200)
    assert.equal(
      (await api.call(owner, 'PUT', `/api/projects/shop/members/${dev.id}`, { role: 'developer' })).status,
      200,
    )
  })

  it('adds a whole team, shows members who come through the project team, and pages the list', async () => {
    const team = (await api.call(outsider, 'POST', '/api/teams', { name: 'Guild' })).body
    const t1 = await api.user('guild1')
    const t2 = await api.user('guild2')
    await api.addMember(outsider, `/api/teams/${team.id}/members`, t1, 'developer')
    await api.addMember(outsider, `/api/teams/${team.id}/members`, t2, 'reporter')
    // The owner is not in the team: only teams of one's own may be brought in.
    const notMine = await api.call(owner, 'POST', '/api/projects/shop/members/team', {
      teamId: team.id,
      role: 'reporter',
    })
    assert.equal(notMine.status, 404)
    await api.addMember(outsider, `/api/teams/${team.id}/members`, owner, 'reporter')
    const added = await api.call(owner, 'POST', '/api/projects/shop/members/team', {
      teamId: team.slug,
      role: 'reporter',
    })
    assert.equal(added.status, 200)
    assert.deepEqual(added.body, { teamId: team.id, added: 3 }, 'the owner was already a member')
    const members = (await api.call(t1, 'GET', '/api/projects/shop/members?limit=200')).body.items
    const t1Row = members.find((m: { userId: string }) => m.userId === t1.id)
    assert.equal(t1Row.inviteSource, 'team')
    assert.equal(t1Row.sourceTeamId, team.id)
    const page = await api.call(owner, 'GET', '/api/projects/shop/members?limit=2&offset=2')
    assert.equal(page.body.items.length, 2)
    assert.equal(page.body.total, members.length)

    // A team project: team members appear with their team role and are changed in the team, not here.
    const teamProject = await api.call(outsider, 'POST', '/api/projects', {
      id: 'guild-tools',
      name: 'Guild tools',
      teamId: team.id,
    })
    assert.equal(teamProject.status, 201)
    const inherited = (await api.call(t2, 'GET', '/api/projects/guild-tools/members')).body.items
    const t2Row = inherited.find((m: { userId: string }) => m.userId === t2.id)
    assert.deepEqual([t2Row.role, t2Row.teamRole, t2Row.effectiveRole], [null, 'reporter', 'reporter'])
    const put = await api.call(outsider, 'PUT', `/api/projects/guild-tools/members/${t2.id}`, { role: 'developer' })
    assert.equal(put.status, 409)
    assert.match(put.body.error.message, /through the project's team/)
    // The creator is a direct owner and the team's owner: leaving directly still leaves an owner through the team.
    assert.equal((await api.call(outsider, 'DELETE', `/api/projects/guild-tools/members/${outsider.id}`)).status, 204)
    assert.equal((await api.call(outsider, 'GET', '/api/projects/guild-tools')).body.role, 'owner')
  })
})

describe('invitations', () => {
  let individualId = ''

  it('invites an existing user individually; the invitation is pending until they accept', async () => {
    const invitee = await api.user('invitee')
    const res = await api.call(owner, 'POST', '/api/projects/shop/invitations', {
      kind: 'individual',
      email: invitee.email,
      role: 'developer',
    })
    assert.equal(res.status, 201)
    assert.equal(res.body.link, null)
    const [inv] = res.body.invitations
    individualId = inv.id
    assert.equal(inv.status, 'pending')
    const days = (Date.parse(inv.expiresAt) - Date.now()) / 86_400_000
    assert.ok(days > 6.9 && days <= 7, `expires in ${days} days`)
    assert.equal((await api.call(invitee, 'GET', '/api/projects/shop')).status, 404, 'not a member yet')
    const again = await api.call(owner, 'POST', '/api/projects/shop/invitations', {
      kind: 'individual',
      email: invitee.email,
      role: 'reporter',
    })
    assert.equal(again.status, 409)
    assert.match(again.body.error.message, /resend/)
    // An address without an account is invited all the same: the answer must not tell the two apart.
    const noAccount = await api.call(owner, 'POST', '/api/projects/shop/invitations', {
      kind: 'individual',
      email: 'new@example.org',
      role: 'reporter',
    })
    assert.equal(noAccount.status, 201)
    assert.deepEqual(Object.keys(noAccount.body).sort(), Object.keys(res.body).sort())
    assert.equal(noAccount.body.link, null)
    assert.equal((await api.call(owner, 'DELETE', `/api/invitations/${noAccount.body.invitations[0].id}`)).status, 204)
    const member = await api.call(owner, 'POST', '/api/projects/shop/invitations', {
      kind: 'individual',
      email: dev.email,
      role: 'reporter',
    })
    assert.equal(member.status, 409)

    const pending = await api.call(dev, 'GET', '/api/projects/shop/invitations')
    assert.deepEqual(
      pending.body.items.map((i: { email: string }) => i.email),
      [invitee.email],
    )
    const mine = await api.call(invitee, 'GET', '/api/invitations')
    assert.equal(mine.body.items.length, 1)
    assert.deepEqual(mine.body.items[0].project, { id: 'shop', name: 'Shop' })
    assert.equal(mine.body.items[0].inviter.email, owner.email)
    assert.equal(
      (await api.call(outsider, 'POST', `/api/invitations/${individualId}/accept`)).status,
      404,
      'not theirs',
    )
    assert.equal((await api.call(null, 'POST', `/api/invitations/${individualId}/accept`)).status, 401)

    const accepted = await api.call(invitee, 'POST', `/api/invitations/${individualId}/accept`)
    assert.equal(accepted.status, 200)
    assert.equal(accepted.body.status, 'accepted')
    const project = await api.call(invitee, 'GET', '/api/projects/shop')
    assert.equal(project.body.role, 'developer')
    assert.equal((await api.call(invitee, 'POST', `/api/invitations/${individualId}/accept`)).status, 409)
    assert.equal((await api.call(invitee, 'GET', '/api/invitations')).body.items.length, 0)
    const row = (await api.call(owner, 'GET', '/api/projects/shop/members?limit=200')).body.items.find(
      (m: { userId: string }) => m.userId === invitee.id,
    )
    assert.equal(row.inviteSource, 'invitation')
    assert.ok(api.audits.some((e) => e.action === 'invitation.accepted' && e.target?.id === individualId))
  })

  it('lets the invitee decline; declined and accepted invitations cannot be revoked or resent', async () => {
    const other = await api.user('decliner')
    const inv = (
      await api.call(owner, 'POST', '/api/projects/shop/invitations', {
        kind: 'individual',
        email: other.email,
        role: 'reporter',
      })
    ).body.invitations[0]
    const declined = await api.call(other, 'POST', `/api/invitations/${inv.id}/decline`)
    assert.equal(declined.body.status, 'declined')
    assert.equal((await api.call(other, 'POST', `/api/invitations/${inv.id}/accept`)).status, 409)
    assert.equal((await api.call(owner, 'POST', `/api/invitations/${inv.id}/resend`)).status, 409)
    assert.equal((await api.call(owner, 'DELETE', `/api/invitations/${individualId}`)).status, 409)
  })

  it('invites an external person with a one-time link stored only as a hash', async () => {
    const res = await api.call(owner, 'POST', '/api/projects/shop/invitations', {
      kind: 'external',
      email: 'newcomer@example.org',
      role: 'reporter',
      expiresInDays: 3,
    })
    assert.equal(res.status, 201)
    const link: string = res.body.link
    assert.match(link, /^\/admin\/invite#token=[A-Za-z0-9_-]{43}$/)
    const token = tokenOf(link)
    const [inv] = res.body.invitations
    assert.equal(JSON.stringify(res.body.invitations).includes(token), false)
    const row = await api.gw.gateway.store.invitations.get(inv.id)
    assert.equal(row?.tokenHash, sha256(token))
    assert.equal(JSON.stringify(api.audits).includes(token), false, 'the token is never audited')
    const days = (Date.parse(inv.expiresAt) - Date.now()) / 86_400_000
    assert.ok(days > 2.9 && days <= 3)

    const info = await api.call(null, 'POST', '/api/invitations/link-info', { token })
    assert.deepEqual(
      [info.body.email, info.body.role, info.body.accountExists, info.body.project.name],
      ['newcomer@example.org', 'reporter', false, 'Shop'],
    )
    const noPassword = await api.call(null, 'POST', '/api/invitations/accept-link', { token, name: 'Newt' })
    assert.equal(noPassword.status, 400)
    assert.deepEqual(fieldsOf(noPassword), ['password'])
    const weak = await api.call(null, 'POST', '/api/invitations/accept-link', { token, password: 'short' })
    assert.deepEqual(fieldsOf(weak), ['password'])
    const joined = await api.call(null, 'POST', '/api/invitations/accept-link', {
      token,
      name: 'Newt',
      password: PASSWORD,
    })
    assert.equal(joined.status, 200)
    assert.equal(joined.body.created, true)
    assert.equal(joined.body.user.email, 'newcomer@example.org')
    assert.equal(joined.body.user.passwordHash, undefined)
    const login = await api.call(null, 'POST', '/api/auth/login', { email: 'newcomer@example.org', password: PASSWORD })
    assert.equal(login.status, 200)
    const newt = { id: joined.body.user.id, email: 'newcomer@example.org', token: login.body.token }
    assert.equal((await api.call(newt, 'GET', '/api/projects/shop')).body.role, 'reporter')
    const reused = await api.call(null, 'POST', '/api/invitations/accept-link', { token, password: PASSWORD })
    assert.equal(reused.status, 409, 'single use')
    assert.match(reused.body.error.message, /already accepted/)
    assert.equal(
      (await api.call(null, 'POST', '/api/invitations/accept-link', { token: 'x'.repeat(43), password: PASSWORD }))
        .status,
      404,
    )
  })

  it('makes an existing account sign in before accepting a link addressed to it', async () => {
    const known = await api.user('known')
    const res = await api.call(owner, 'POST', '/api/projects/shop/invitations', {
      kind: 'external',
      email: known.email,
      role: 'developer',
    })
    const token = tokenOf(res.body.link)
    assert.equal((await api.call(null, 'POST', '/api/invitations/link-info', { token })).body.accountExists, true)
    const anonymous = await api.call(null, 'POST', '/api/invitations/accept-link', { token, password: PASSWORD })
    assert.equal(anonymous.status, 401)
    assert.match(anonymous.body.error.message, /sign in/)
    assert.equal((await api.call(outsider, 'POST', '/api/invitations/accept-link', { token })).status, 403)
    // A cookie session needs the CSRF header here too, although the route is public.
    const login = await fetch(`${api.gw.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: known.email, password: PASSWORD }),
    })
    const pairs = login.headers.getSetCookie().map((c) => c.split(';')[0])
    const csrf = (pairs.find((p) => p.startsWith('mcpo_csrf=')) ?? '').slice('mcpo_csrf='.length)
    const viaCookie = async (extra: Record<string, string>) => {
      const res = await fetch(`${api.gw.url}/api/invitations/accept-link`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: pairs.join('; '), ...extra },
        body: JSON.stringify({ token }),
      })
      return { status: res.status, body: await res.json() }
    }
    assert.equal((await viaCookie({})).status, 403)
    const ok = await viaCookie({ 'x-csrf-token': csrf })
    assert.equal(ok.status, 200)
    assert.equal(ok.body.created, false)
    assert.equal((await api.call(known, 'GET', '/api/projects/shop')).body.role, 'developer')
  })

  it('resends with a new link and expiry, accepts nothing after expiry, and revokes', async () => {
    const res = await api.call(owner, 'POST', '/api/projects/shop/invitations', {
      kind: 'external',
      email: 'late@example.org',
      role: 'reporter',
    })
    const first = tokenOf(res.body.link)
    const id = res.body.invitations[0].id
    assert.equal((await api.call(dev, 'POST', `/api/invitations/${id}/resend`)).status, 403)
    const stranger = await api.user('stranger')
    assert.equal((await api.call(stranger, 'POST', `/api/invitations/${id}/resend`)).status, 404)
    const resent = await api.call(owner, 'POST', `/api/invitations/${id}/resend`)
    assert.equal(resent.status, 200)
    const second = tokenOf(resent.body.link)
    assert.notEqual(second, first)
    assert.equal(
      (await api.call(null, 'POST', '/api/invitations/link-info', { token: first })).status,
      404,
      'the old link died',
    )

    await api.gw.gateway.store.invitations.update(id, { expiresAt: new Date(Date.now() - 1000) })
    const expired = await api.call(null, 'POST', '/api/invitations/accept-link', { token: second, password: PASSWORD })
    assert.equal(expired.status, 409)
    assert.match(expired.body.error.message, /expired/)
    assert.ok(
      !(await api.call(owner, 'GET', '/api/projects/shop/invitations')).body.items.some(
        (i: { id: string }) => i.id === id,
      ),
    )
    const third = tokenOf((await api.call(owner, 'POST', `/api/invitations/${id}/resend`)).body.link)

    assert.equal((await api.call(dev, 'DELETE', `/api/invitations/${id}`)).status, 403)
    assert.equal((await api.call(owner, 'DELETE', `/api/invitations/${id}`)).status, 204)
    assert.equal((await api.call(owner, 'DELETE', `/api/invitations/${id}`)).status, 204, 'idempotent')
    const revoked = await api.call(null, 'POST', '/api/invitations/accept-link', { token: third, password: PASSWORD })
    assert.equal(revoked.status, 409)
    assert.match(revoked.body.error.message, /revoked/)
    assert.equal((await api.call(owner, 'DELETE', '/api/invitations/00000000-0000-4000-8000-000000000000')).status, 404)
  })

  it('invites the members of one of my teams, each with their own pending invitation', async () => {
    const team = (await api.call(owner, 'POST', '/api/teams', { name: 'Crew' })).body
    const c1 = await api.user('crew1')
    const c2 = await api.user('crew2')
    for (const u of [c1, c2, dev]) await api.addMember(owner, `/api/teams/${team.id}/members`, u, 'reporter')
    const res = await api.call(owner, 'POST', '/api/projects/shop/invitations', {
      kind: 'team',
      teamId: team.id,
      role: 'developer',
    })
    assert.equal(res.status, 201)
    assert.deepEqual(res.body.invitations.map((i: { email: string }) => i.email).sort(), [c1.email, c2.email])
    assert.equal(res.body.skipped, 2, 'the owner and dev are members already')
    const mine = (await api.call(c1, 'GET', '/api/invitations')).body.items
    assert.equal(mine[0].kind, 'team')
    assert.equal((await api.call(c1, 'POST', `/api/invitations/${mine[0].id}/accept`)).status, 200)
    const row = (await api.call(owner, 'GET', '/api/projects/shop/members?limit=200')).body.items.find(
      (m: { userId: string }) => m.userId === c1.id,
    )
    assert.deepEqual([row.role, row.inviteSource, row.sourceTeamId], ['developer', 'team', team.id])
    const notMine = await api.call(owner, 'POST', '/api/projects/shop/invitations', {
      kind: 'team',
      teamId: 'guild',
      role: 'reporter',
    })
    assert.equal(notMine.status, 201, 'the owner belongs to guild')
    const bad = await api.call(owner, 'POST', '/api/projects/shop/invitations', { kind: 'wizard', role: 'reporter' })
    assert.equal(bad.status, 400)
    assert.deepEqual(fieldsOf(bad), ['kind'])
    const missing = await api.call(owner, 'POST', '/api/projects/shop/invitations', {
      kind: 'external',
      role: 'reporter',
    })
    assert.deepEqual(fieldsOf(missing), ['email'])
    assert.equal(
      (
        await api.call(rep, 'POST', '/api/projects/shop/invitations', {
          kind: 'external',
          email: 'a@b.org',
          role: 'reporter',
        })
      ).status,
      404,
    )
  })
})
