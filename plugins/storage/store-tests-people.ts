// Contract tests for people and projects: users, teams, memberships, projects, invitations, favorites.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type GetStore, rejectsWith, uid } from './store-tests-helpers.ts'

export function peopleTests(get: GetStore): void {
  describe('users', () => {
    it('creates with defaults, reads by id and by email in any case, updates only given keys, deletes', async () => {
      const s = get()
      const email = `Mixed.Case-${uid()}@Example.test`
      const u = await s.users.create({ email, name: 'Ada', passwordHash: '$argon2id$x' })
      assert.equal(u.email, email)
      assert.equal(u.isAdmin, false)
      assert.equal(u.disabled, false)
      assert.ok(u.createdAt instanceof Date)
      assert.deepEqual(await s.users.get(u.id), u)
      assert.equal((await s.users.getByEmail(email.toLowerCase()))?.id, u.id)
      assert.equal((await s.users.getByEmail(email.toUpperCase()))?.id, u.id)

      const login = new Date('2030-01-02T03:04:05.000Z')
      const changed = await s.users.update(u.id, { isAdmin: true, passwordHash: null, lastLoginAt: login })
      assert.equal(changed?.isAdmin, true)
      assert.equal(changed?.passwordHash, null)
      assert.equal(changed?.name, 'Ada', 'keys not in the patch are kept')
      assert.equal(changed?.lastLoginAt?.toISOString(), login.toISOString())
      assert.ok(changed && changed.updatedAt >= u.updatedAt)

      assert.equal(await s.users.delete(u.id), true)
      assert.equal(await s.users.get(u.id), null)
      assert.equal(await s.users.delete(u.id), false)
      assert.equal(await s.users.update(u.id, { name: 'x' }), null)
    })

    it('rejects a duplicate email, whatever its case, as a conflict on email', async () => {
      const s = get()
      const email = `dup-${uid()}@x.test`
      await s.users.create({ email })
      await rejectsWith(s.users.create({ email: email.toUpperCase() }), 'MCPO_ERR_CONFLICT', 'email')
    })

    it('finds SSO users by issuer and subject; lists with search; counts admins', async () => {
      const s = get()
      const tag = uid()
      const sso = await s.users.create({ email: `sso-${tag}@x.test`, oidcIssuer: 'https://idp', oidcSubject: tag })
      await s.users.create({ email: `adm-${tag}@x.test`, name: `Admin ${tag}`, isAdmin: true })
      assert.equal((await s.users.getByOidc('https://idp', tag))?.id, sso.id)
      assert.equal(await s.users.getByOidc('https://other', tag), null)
      const found = await s.users.list({ search: tag.toUpperCase() })
      assert.deepEqual(found.map((u) => u.email).sort(), [`adm-${tag}@x.test`, `sso-${tag}@x.test`])
      assert.ok((await s.users.count({ isAdmin: true })) >= 1)
      assert.ok((await s.users.count()) >= 2)
      await rejectsWith(
        s.users.create({ email: `sso2-${tag}@x.test`, oidcIssuer: 'https://idp', oidcSubject: tag }),
        'MCPO_ERR_CONFLICT',
      )
    })

    it('treats a malformed id as not found', async () => {
      assert.equal(await get().users.get('not-a-uuid'), null)
      assert.equal(await get().users.delete('not-a-uuid'), false)
    })

    it('creates accounts with an unverified email unless told otherwise; a patch sets or clears it', async () => {
      const s = get()
      const plain = await s.users.create({ email: `plain-${uid()}@x.test` })
      assert.equal(plain.emailVerifiedAt, null)
      const at = new Date('2030-01-02T03:04:05.000Z')
      const vouched = await s.users.create({ email: `vouched-${uid()}@x.test`, emailVerifiedAt: at })
      assert.equal(vouched.emailVerifiedAt?.toISOString(), at.toISOString())
      const set = await s.users.update(plain.id, { emailVerifiedAt: at })
      assert.equal(set?.emailVerifiedAt?.toISOString(), at.toISOString())
      assert.equal((await s.users.update(plain.id, { name: 'kept' }))?.emailVerifiedAt?.toISOString(), at.toISOString())
      assert.equal((await s.users.update(plain.id, { emailVerifiedAt: null }))?.emailVerifiedAt, null)
    })

    it('verifies an email through a one-time link bound to the address it was sent to', async () => {
      const s = get()
      const email = `Verify-${uid()}@x.test`
      const u = await s.users.create({ email })
      const later = new Date(Date.now() + 86_400_000)
      const first = await s.users.saveEmailVerification({ userId: u.id, email, tokenHash: uid(), expiresAt: later })
      assert.equal(first.userId, u.id)
      assert.deepEqual(await s.users.getEmailVerification(u.id), first)
      // A second request replaces the first link.
      const second = await s.users.saveEmailVerification({ userId: u.id, email, tokenHash: uid(), expiresAt: later })
      assert.equal(await s.users.consumeEmailVerification(first.tokenHash), null, 'the replaced link is dead')
      const verified = await s.users.consumeEmailVerification(second.tokenHash)
      assert.equal(verified?.id, u.id)
      assert.ok(verified?.emailVerifiedAt instanceof Date)
      assert.equal(await s.users.getEmailVerification(u.id), null)
      assert.equal(await s.users.consumeEmailVerification(second.tokenHash), null, 'single use')

      // Expired, or the account changed its email since: the link verifies nothing, and is gone anyway.
      const other = await s.users.create({ email: `other-${uid()}@x.test` })
      const expired = await s.users.saveEmailVerification({
        userId: other.id,
        email: other.email,
        tokenHash: uid(),
        expiresAt: new Date(Date.now() - 1000),
      })
      assert.equal(await s.users.consumeEmailVerification(expired.tokenHash), null)
      const moved = await s.users.saveEmailVerification({
        userId: other.id,
        email: other.email,
        tokenHash: uid(),
        expiresAt: later,
      })
      await s.users.update(other.id, { email: `moved-${uid()}@x.test` })
      assert.equal(await s.users.consumeEmailVerification(moved.tokenHash), null)
      assert.equal(await s.users.getEmailVerification(other.id), null)
      assert.equal((await s.users.get(other.id))?.emailVerifiedAt, null)
      const live = await s.users.saveEmailVerification({
        userId: other.id,
        email: other.email,
        tokenHash: uid(),
        expiresAt: later,
      })
      await rejectsWith(
        s.users.saveEmailVerification({ userId: u.id, email, tokenHash: live.tokenHash, expiresAt: later }),
        'MCPO_ERR_CONFLICT',
      )
      // Deleting the user deletes its link.
      const gone = await s.users.saveEmailVerification({ userId: u.id, email, tokenHash: uid(), expiresAt: later })
      await s.users.delete(u.id)
      assert.equal(await s.users.consumeEmailVerification(gone.tokenHash), null)
    })
  })

  describe('teams and team members', () => {
    it('creates, reads by id and slug, updates, lists and deletes', async () => {
      const s = get()
      const slug = `team-${uid()}`
      const t = await s.teams.create({ slug, name: 'Platform' })
      assert.equal(t.description, '')
      assert.deepEqual(await s.teams.getBySlug(slug), t)
      assert.deepEqual(await s.teams.get(t.id), t)
      const renamed = await s.teams.update(t.id, { name: 'Platform Eng', description: 'infra' })
      assert.equal(renamed?.name, 'Platform Eng')
      assert.equal(renamed?.slug, slug)
      assert.ok((await s.teams.list()).some((x) => x.id === t.id))
      assert.equal(await s.teams.delete(t.id), true)
      assert.equal(await s.teams.getBySlug(slug), null)
    })

    it('rejects a duplicate slug as a conflict and a malformed slug as invalid', async () => {
      const s = get()
      const slug = `dup-${uid()}`
      await s.teams.create({ slug, name: 'A' })
      await rejectsWith(s.teams.create({ slug, name: 'B' }), 'MCPO_ERR_CONFLICT', 'slug')
      await rejectsWith(s.teams.create({ slug: 'Not A Slug', name: 'C' }), 'MCPO_ERR_VALIDATION', 'slug')
    })

    it('upsertBySlug creates once, then updates name and keeps the id', async () => {
      const s = get()
      const slug = `up-${uid()}`
      const a = await s.teams.upsertBySlug({ slug, name: 'First', description: 'd' })
      const b = await s.teams.upsertBySlug({ slug, name: 'Second' })
      assert.equal(b.id, a.id)
      assert.equal(b.name, 'Second')
      assert.equal(b.description, 'd', 'an omitted description is kept')
    })

    it('adds members with roles, lists both ways, changes roles, counts owners, removes', async () => {
      const s = get()
      const t = await s.teams.create({ slug: `m-${uid()}`, name: 'Members' })
      const a = await s.users.create({ email: `a-${uid()}@x.test`, name: 'A' })
      const b = await s.users.create({ email: `b-${uid()}@x.test`, name: 'B' })
      await s.teamMembers.add({ teamId: t.id, userId: a.id, role: 'owner' })
      await s.teamMembers.add({ teamId: t.id, userId: b.id, role: 'reporter' })
      await rejectsWith(s.teamMembers.add({ teamId: t.id, userId: b.id, role: 'owner' }), 'MCPO_ERR_CONFLICT')
      await rejectsWith(
        s.teamMembers.add({ teamId: t.id, userId: '00000000-0000-4000-8000-000000000000', role: 'owner' }),
        'MCPO_ERR_NOT_FOUND',
        'userId',
      )

      const list = await s.teamMembers.list(t.id)
      assert.deepEqual(
        list.map((m) => [m.email, m.role]),
        [
          [a.email, 'owner'],
          [b.email, 'reporter'],
        ],
      )
      const mine = await s.teamMembers.listForUser(b.id)
      assert.deepEqual(
        mine.map((m) => [m.teamSlug, m.role]),
        [[t.slug, 'reporter']],
      )
      assert.equal(await s.teamMembers.countOwners(t.id), 1)
      assert.equal((await s.teamMembers.setRole(t.id, b.id, 'owner'))?.role, 'owner')
      assert.equal(await s.teamMembers.countOwners(t.id), 2)
      assert.equal((await s.teamMembers.get(t.id, b.id))?.role, 'owner')
      assert.equal(await s.teamMembers.remove(t.id, a.id), true)
      assert.equal(await s.teamMembers.remove(t.id, a.id), false)
      assert.equal(await s.teamMembers.setRole(t.id, a.id, 'owner'), null)
      await rejectsWith(s.teamMembers.setRole(t.id, b.id, 'boss' as 'owner'), 'MCPO_ERR_VALIDATION', 'role')
    })
  })

  describe('projects and project members', () => {
    it('creates, reads, updates, archives, restores, lists and deletes', async () => {
      const s = get()
      const id = `proj-${uid()}`
      const p = await s.projects.create({ id, name: 'Demo', settings: { theme: 'dark' } })
      assert.deepEqual(p.settings, { theme: 'dark' })
      assert.equal(p.archivedAt, null)
      assert.equal(p.source, 'ui')
      assert.deepEqual(await s.projects.get(id), p)

      const updated = await s.projects.update(id, { description: 'new', settings: { theme: 'light', n: 1 } })
      assert.equal(updated?.description, 'new')
      assert.deepEqual(updated?.settings, { theme: 'light', n: 1 })
      assert.equal(updated?.name, 'Demo')

      const at = new Date('2031-05-06T07:08:09.000Z')
      assert.equal((await s.projects.archive(id, at))?.archivedAt?.toISOString(), at.toISOString())
      assert.ok(!(await s.projects.list()).some((x) => x.id === id), 'archived projects are hidden by default')
      assert.ok((await s.projects.list({ includeArchived: true })).some((x) => x.id === id))
      assert.equal((await s.projects.restore(id))?.archivedAt, null)
      assert.ok((await s.projects.list()).some((x) => x.id === id))

      assert.equal(await s.projects.delete(id), true)
      assert.equal(await s.projects.get(id), null)
      assert.equal(await s.projects.archive(id), null)
    })

    it('rejects a duplicate id as a conflict, a bad id as invalid and an unknown team as not found', async () => {
      const s = get()
      const id = `pd-${uid()}`
      await s.projects.create({ id, name: 'A' })
      await rejectsWith(s.projects.create({ id, name: 'B' }), 'MCPO_ERR_CONFLICT', 'id')
      await rejectsWith(s.projects.create({ id: 'Has Spaces', name: 'C' }), 'MCPO_ERR_VALIDATION', 'id')
      await rejectsWith(
        s.projects.create({ id: `pt-${uid()}`, name: 'D', teamId: '00000000-0000-4000-8000-000000000000' }),
        'MCPO_ERR_NOT_FOUND',
        'teamId',
      )
    })

    it('upsert creates, then updates name and team but keeps settings', async () => {
      const s = get()
      const id = `pu-${uid()}`
      const team = await s.teams.create({ slug: `pu-${uid()}`, name: 'T' })
      const a = await s.projects.upsert({ id, name: 'One', settings: { kept: true } })
      assert.equal(a.source, 'config')
      const b = await s.projects.upsert({ id, name: 'Two', teamId: team.id, settings: { replaced: true } })
      assert.equal(b.name, 'Two')
      assert.equal(b.teamId, team.id)
      assert.deepEqual(b.settings, { kept: true })
      const c = await s.projects.upsert({ id, name: 'Three' })
      assert.equal(c.teamId, team.id, 'a config without a team leaves the team alone')
    })

    it('manages members: add, get, list, set role, count owners, add a whole team, remove', async () => {
      const s = get()
      const p = await s.projects.create({ id: `pm-${uid()}`, name: 'Members' })
      const owner = await s.users.create({ email: `o-${uid()}@x.test` })
      const dev = await s.users.create({ email: `d-${uid()}@x.test` })
      const m = await s.projectMembers.add({ projectId: p.id, userId: owner.id, role: 'owner', addedBy: owner.id })
      assert.equal(m.inviteSource, 'direct')
      await rejectsWith(
        s.projectMembers.add({ projectId: p.id, userId: owner.id, role: 'developer' }),
        'MCPO_ERR_CONFLICT',
        'userId',
      )
      await rejectsWith(
        s.projectMembers.add({ projectId: `missing-${uid()}`, userId: owner.id, role: 'owner' }),
        'MCPO_ERR_NOT_FOUND',
        'projectId',
      )

      const team = await s.teams.create({ slug: `pmt-${uid()}`, name: 'Whole team' })
      await s.teamMembers.add({ teamId: team.id, userId: owner.id, role: 'owner' })
      await s.teamMembers.add({ teamId: team.id, userId: dev.id, role: 'developer' })
      const added = await s.projectMembers.addTeam({ projectId: p.id, teamId: team.id, role: 'developer' })
      assert.equal(added, 1, 'existing members are skipped')
      const viaTeam = await s.projectMembers.get(p.id, dev.id)
      assert.equal(viaTeam?.inviteSource, 'team')
      assert.equal(viaTeam?.sourceTeamId, team.id)

      assert.deepEqual((await s.projectMembers.list(p.id)).map((x) => x.email).sort(), [dev.email, owner.email].sort())
      assert.equal(await s.projectMembers.countOwners(p.id), 1)
      assert.equal((await s.projectMembers.setRole(p.id, dev.id, 'owner'))?.role, 'owner')
      assert.equal(await s.projectMembers.countOwners(p.id), 2)
      assert.equal(await s.projectMembers.remove(p.id, dev.id), true)
      assert.equal(await s.projectMembers.get(p.id, dev.id), null)
    })

    it('listForUser finds direct and team projects with both roles, hiding archived ones', async () => {
      const s = get()
      const user = await s.users.create({ email: `lf-${uid()}@x.test` })
      const team = await s.teams.create({ slug: `lf-${uid()}`, name: 'LF' })
      await s.teamMembers.add({ teamId: team.id, userId: user.id, role: 'reporter' })
      const direct = await s.projects.create({ id: `lfd-${uid()}`, name: 'A direct' })
      const viaTeam = await s.projects.create({ id: `lft-${uid()}`, name: 'B team', teamId: team.id })
      const archived = await s.projects.create({ id: `lfa-${uid()}`, name: 'C archived' })
      await s.projects.create({ id: `lfn-${uid()}`, name: 'D not mine' })
      await s.projectMembers.add({ projectId: direct.id, userId: user.id, role: 'developer' })
      await s.projectMembers.add({ projectId: archived.id, userId: user.id, role: 'owner' })
      await s.projects.archive(archived.id)

      const mine = await s.projects.listForUser(user.id)
      assert.deepEqual(
        mine.map((p) => [p.id, p.role, p.teamRole]),
        [
          [direct.id, 'developer', null],
          [viaTeam.id, null, 'reporter'],
        ],
      )
      assert.equal((await s.projects.listForUser(user.id, { includeArchived: true })).length, 3)
    })
  })

  describe('invitations', () => {
    it('creates, finds by token hash, lists pending with filters, updates, expires and deletes', async () => {
      const s = get()
      const p = await s.projects.create({ id: `inv-${uid()}`, name: 'Inv' })
      const soon = new Date(Date.now() + 7 * 86_400_000)
      const tokenHash = uid()
      const email = `Guest-${uid()}@x.test`
      const ext = await s.invitations.create({
        kind: 'external',
        projectId: p.id,
        email,
        role: 'developer',
        tokenHash,
        expiresAt: soon,
      })
      assert.equal(ext.status, 'pending')
      assert.equal(ext.expiresAt.toISOString(), soon.toISOString())
      assert.deepEqual(await s.invitations.getByTokenHash(tokenHash), ext)
      await rejectsWith(
        s.invitations.create({ kind: 'external', projectId: p.id, role: 'reporter', tokenHash, expiresAt: soon }),
        'MCPO_ERR_CONFLICT',
        'tokenHash',
      )
      await rejectsWith(
        s.invitations.create({ kind: 'individual', role: 'reporter', expiresAt: soon }),
        'MCPO_ERR_VALIDATION',
        'projectId',
      )
      const old = await s.invitations.create({
        kind: 'individual',
        projectId: p.id,
        email,
        role: 'reporter',
        expiresAt: new Date(Date.now() - 1000),
      })

      assert.deepEqual(
        (await s.invitations.listPending({ projectId: p.id })).map((i) => i.id),
        [ext.id],
      )
      assert.deepEqual(
        (await s.invitations.listPending({ email: email.toLowerCase() })).map((i) => i.id),
        [ext.id],
      )
      assert.equal((await s.invitations.expireDue(new Date())) >= 1, true)
      assert.equal((await s.invitations.get(old.id))?.status, 'expired')

      const user = await s.users.create({ email })
      const acceptedAt = new Date()
      const accepted = await s.invitations.update(ext.id, { status: 'accepted', acceptedAt, acceptedBy: user.id })
      assert.equal(accepted?.status, 'accepted')
      assert.equal(accepted?.acceptedBy, user.id)
      assert.equal(accepted?.role, 'developer')
      assert.equal(ext.deliveredAt, null)
      const deliveredAt = new Date()
      const delivered = await s.invitations.update(ext.id, { deliveredAt })
      assert.equal(delivered?.deliveredAt?.toISOString(), deliveredAt.toISOString())
      assert.equal((await s.invitations.update(ext.id, { deliveredAt: null }))?.deliveredAt, null)
      assert.deepEqual(await s.invitations.listPending({ projectId: p.id }), [])
      assert.equal(await s.invitations.delete(ext.id), true)
      assert.equal(await s.invitations.get(ext.id), null)
    })
  })

  describe('favorites', () => {
    it('adds idempotently, lists newest first, removes', async () => {
      const s = get()
      const user = await s.users.create({ email: `fav-${uid()}@x.test` })
      const a = await s.projects.create({ id: `fa-${uid()}`, name: 'A' })
      const b = await s.projects.create({ id: `fb-${uid()}`, name: 'B' })
      await s.favorites.add(user.id, a.id)
      await s.favorites.add(user.id, a.id)
      await s.favorites.add(user.id, b.id)
      const list = await s.favorites.list(user.id)
      assert.equal(list.length, 2)
      assert.deepEqual(new Set(list.map((f) => f.projectId)), new Set([a.id, b.id]))
      await rejectsWith(s.favorites.add(user.id, `nope-${uid()}`), 'MCPO_ERR_NOT_FOUND', 'projectId')
      assert.equal(await s.favorites.remove(user.id, a.id), true)
      assert.equal(await s.favorites.remove(user.id, a.id), false)
      assert.deepEqual(
        (await s.favorites.list(user.id)).map((f) => f.projectId),
        [b.id],
      )
    })
  })
}
