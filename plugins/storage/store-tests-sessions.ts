// Contract tests for sign-in sessions: create, read, revoke one or all of a user's, prune after the absolute end.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { type GetStore, rejectsWith, uid } from './store-tests-helpers.ts'

export function sessionTests(get: GetStore): void {
  describe('user sessions', () => {
    const hour = 3_600_000

    it('creates with a given id and times, reads by id, treats a malformed id as not found', async () => {
      const s = get()
      const user = await s.users.create({ email: `sess-${uid()}@x.test` })
      const id = randomUUID()
      const createdAt = new Date('2030-01-01T00:00:00.000Z')
      const expiresAt = new Date('2030-01-01T12:00:00.000Z')
      const made = await s.userSessions.create({ id, userId: user.id, createdAt, expiresAt })
      assert.deepEqual(made, { id, userId: user.id, createdAt, expiresAt, revokedAt: null })
      assert.deepEqual(await s.userSessions.get(id), made)
      const defaults = await s.userSessions.create({ userId: user.id, expiresAt })
      assert.ok(defaults.id && defaults.createdAt instanceof Date)
      assert.equal(await s.userSessions.get(randomUUID()), null)
      assert.equal(await s.userSessions.get('not-a-uuid'), null)
      assert.equal(await s.userSessions.revoke('not-a-uuid'), null)
      assert.equal(await s.userSessions.revokeAll('not-a-uuid'), 0)
    })

    it('needs an existing user, and goes with it', async () => {
      const s = get()
      await rejectsWith(
        s.userSessions.create({ userId: randomUUID(), expiresAt: new Date(Date.now() + hour) }),
        'MCPO_ERR_NOT_FOUND',
      )
      const user = await s.users.create({ email: `sess-${uid()}@x.test` })
      const session = await s.userSessions.create({ userId: user.id, expiresAt: new Date(Date.now() + hour) })
      await s.users.delete(user.id)
      assert.equal(await s.userSessions.get(session.id), null)
    })

    it('revokes once: a second revocation keeps the first time', async () => {
      const s = get()
      const user = await s.users.create({ email: `sess-${uid()}@x.test` })
      const session = await s.userSessions.create({ userId: user.id, expiresAt: new Date(Date.now() + hour) })
      const first = new Date(Date.now() - 1000)
      assert.equal((await s.userSessions.revoke(session.id, first))?.revokedAt?.getTime(), first.getTime())
      assert.equal((await s.userSessions.revoke(session.id, new Date()))?.revokedAt?.getTime(), first.getTime())
      assert.equal(await s.userSessions.revoke(randomUUID()), null)
    })

    it("revokes all of one user's live sessions but the one kept, and no one else's", async () => {
      const s = get()
      const [a, b] = await Promise.all([
        s.users.create({ email: `sess-a-${uid()}@x.test` }),
        s.users.create({ email: `sess-b-${uid()}@x.test` }),
      ])
      const live = () => s.userSessions.create({ userId: a.id, expiresAt: new Date(Date.now() + hour) })
      const [one, two, kept] = [await live(), await live(), await live()]
      const ended = await s.userSessions.create({ userId: a.id, expiresAt: new Date(Date.now() - 1000) })
      const other = await s.userSessions.create({ userId: b.id, expiresAt: new Date(Date.now() + hour) })
      assert.equal(await s.userSessions.revokeAll(a.id, { exceptId: kept.id }), 2)
      for (const x of [one, two]) assert.ok((await s.userSessions.get(x.id))?.revokedAt)
      assert.equal((await s.userSessions.get(kept.id))?.revokedAt, null)
      assert.equal((await s.userSessions.get(ended.id))?.revokedAt, null, 'an expired session is not counted')
      assert.equal((await s.userSessions.get(other.id))?.revokedAt, null)
      const at = new Date()
      assert.equal(await s.userSessions.revokeAll(a.id, { at }), 1)
      assert.equal((await s.userSessions.get(kept.id))?.revokedAt?.getTime(), at.getTime())
      assert.equal(await s.userSessions.revokeAll(a.id), 0)
    })

    it('prunes sessions past their absolute end only', async () => {
      const s = get()
      const user = await s.users.create({ email: `sess-${uid()}@x.test` })
      const far = new Date('2001-01-01T00:00:00.000Z')
      const old = await s.userSessions.create({ userId: user.id, expiresAt: far })
      const current = await s.userSessions.create({ userId: user.id, expiresAt: new Date(Date.now() + hour) })
      assert.ok((await s.userSessions.prune(new Date(far.getTime() + 1))) >= 1)
      assert.equal(await s.userSessions.get(old.id), null)
      assert.ok(await s.userSessions.get(current.id))
    })
  })
}
