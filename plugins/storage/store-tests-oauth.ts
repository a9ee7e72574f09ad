// Contract tests for the authorization server's storage: oidc-provider's objects (expiry, one-time use, lookups by
// uid and grant) and the signing keys.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type GetStore, uid } from './store-tests-helpers.ts'

export function oauthTests(get: GetStore): void {
  describe('oauth objects', () => {
    it('stores, finds, replaces and destroys an object; an expired one is not found', async () => {
      const s = get()
      const id = uid()
      await s.oauth.upsert({ model: 'Session', id, uid: `u-${id}`, payload: { a: 1 }, expiresInS: 60 })
      assert.deepEqual((await s.oauth.find('Session', id))?.payload, { a: 1 })
      assert.equal((await s.oauth.findByUid('Session', `u-${id}`))?.id, id)
      assert.equal(await s.oauth.find('Grant', id), null, 'models are separate')
      await s.oauth.upsert({ model: 'Session', id, uid: `u-${id}`, payload: { a: 2 }, expiresInS: 60 })
      assert.deepEqual((await s.oauth.find('Session', id))?.payload, { a: 2 })
      await s.oauth.destroy('Session', id)
      assert.equal(await s.oauth.find('Session', id), null)
      await s.oauth.upsert({ model: 'Session', id, payload: {}, expiresInS: -1 })
      assert.equal(await s.oauth.find('Session', id), null, 'expired')
      assert.ok((await s.oauth.prune()) >= 1)
    })

    it('consumes once: the second use of a code is refused', async () => {
      const s = get()
      const id = uid()
      await s.oauth.upsert({ model: 'AuthorizationCode', id, payload: {}, expiresInS: 60 })
      const [a, b] = await Promise.all([
        s.oauth.consume('AuthorizationCode', id),
        s.oauth.consume('AuthorizationCode', id),
      ])
      assert.deepEqual([a, b].sort(), [false, true])
      assert.ok((await s.oauth.find('AuthorizationCode', id))?.consumedAt instanceof Date)
      assert.equal(await s.oauth.consume('AuthorizationCode', uid()), false)
    })

    it('revoking a grant deletes it and all it issued; grants list per user and project', async () => {
      const s = get()
      const [user, project, grant] = [uid(), `p-${uid()}`, uid()]
      await s.oauth.upsert({ model: 'Grant', id: grant, payload: {}, accountId: user, projectId: project })
      await s.oauth.upsert({ model: 'RefreshToken', id: uid(), grantId: grant, payload: {}, expiresInS: 60 })
      await s.oauth.upsert({ model: 'AuthorizationCode', id: uid(), grantId: grant, payload: {}, expiresInS: 60 })
      const other = uid()
      await s.oauth.upsert({ model: 'Grant', id: other, payload: {}, accountId: user, projectId: `q-${uid()}` })
      assert.deepEqual((await s.oauth.grants({ accountId: user })).map((g) => g.id).sort(), [grant, other].sort())
      assert.deepEqual(
        (await s.oauth.grants({ projectId: project })).map((g) => g.id),
        [grant],
      )
      await s.oauth.touchGrant(grant)
      assert.ok((await s.oauth.find('Grant', grant))?.lastUsedAt instanceof Date)
      assert.equal(await s.oauth.revokeGrant(grant), 3)
      assert.equal(await s.oauth.find('Grant', grant), null)
      assert.deepEqual(await s.oauth.revokeGrantsOf(user, null), [other])
      assert.deepEqual(await s.oauth.grants({ accountId: user }), [])
    })

    it('keeps signing keys newest first and drops retired ones after their grace', async () => {
      const s = get()
      const [a, b] = [`k-${uid()}`, `k-${uid()}`]
      await s.oauth.addSigningKey(a, 'sealed-a')
      await new Promise((r) => setTimeout(r, 5))
      await s.oauth.addSigningKey(b, 'sealed-b')
      const keys = (await s.oauth.signingKeys()).filter((k) => k.kid === a || k.kid === b)
      assert.deepEqual(
        keys.map((k) => k.kid),
        [b, a],
      )
      await s.oauth.retireSigningKey(a)
      assert.ok((await s.oauth.signingKeys()).find((k) => k.kid === a)?.retiredAt instanceof Date)
      assert.equal(await s.oauth.dropRetiredKeys(3600), 0, 'still in its grace period')
      await new Promise((r) => setTimeout(r, 20))
      assert.ok((await s.oauth.dropRetiredKeys(0.001)) >= 1)
      assert.equal(
        (await s.oauth.signingKeys()).find((k) => k.kid === a),
        undefined,
      )
    })
  })
}
