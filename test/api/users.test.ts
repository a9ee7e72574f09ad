// The admin console's users API (search, paging, create, edit, disable, delete, bulk) and my favorites.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type ApiHarness, fieldsOf, PASSWORD, startApi, type Who } from './tenancy-harness.ts'

let api: ApiHarness
let alice: Who
let bob: Who

before(async () => {
  api = await startApi()
  alice = await api.user('alice')
  bob = await api.user('bob')
})
after(() => api?.close())

describe('users (admin console)', () => {
  it('is for administrators only', async () => {
    assert.equal((await api.call(null, 'GET', '/api/users')).status, 401)
    assert.equal((await api.call(alice, 'GET', '/api/users')).status, 403)
    assert.equal(
      (await api.call(alice, 'POST', '/api/users', { email: 'x@example.com', password: PASSWORD })).status,
      403,
    )
    assert.equal((await api.call(alice, 'PUT', `/api/users/${alice.id}`, { isAdmin: true })).status, 403)
    assert.equal((await api.call(alice, 'DELETE', `/api/users/${bob.id}`)).status, 403)
    assert.equal((await api.call(alice, 'POST', '/api/users/bulk', { ids: [bob.id], action: 'disable' })).status, 403)
  })

  it('creates users with a password, never showing the hash', async () => {
    const res = await api.call(api.admin, 'POST', '/api/users', {
      email: 'carol@example.com',
      name: 'Carol',
      password: PASSWORD,
    })
    assert.equal(res.status, 201)
    assert.equal(res.body.isAdmin, false)
    assert.equal(res.body.passwordHash, undefined)
    assert.equal(
      (await api.call(null, 'POST', '/api/auth/login', { email: 'carol@example.com', password: PASSWORD })).status,
      200,
    )
    const dup = await api.call(api.admin, 'POST', '/api/users', { email: 'CAROL@example.com', password: PASSWORD })
    assert.equal(dup.status, 409)
    const bad = await api.call(api.admin, 'POST', '/api/users', { email: 'not-an-email', password: 'short' })
    assert.equal(bad.status, 400)
    assert.deepEqual(fieldsOf(bad).sort(), ['email', 'password'])
  })

  it('searches and pages', async () => {
    for (let i = 0; i < 5; i++) {
      await api.call(api.admin, 'POST', '/api/users', { email: `page${i}@example.net`, password: PASSWORD })
    }
    const all = await api.call(api.admin, 'GET', '/api/users?limit=200')
    assert.equal(all.body.total, all.body.items.length)
    assert.ok(!JSON.stringify(all.body).includes('$argon2'), 'no password hash anywhere')
    const first = await api.call(api.admin, 'GET', '/api/users?search=EXAMPLE.NET&limit=2')
    assert.deepEqual(
      first.body.items.map((u: { email: string }) => u.email),
      ['page0@example.net', 'page1@example.net'],
    )
    assert.equal(first.body.nextOffset, 2)
    assert.equal(first.body.total, null)
    const last = await api.call(api.admin, 'GET', '/api/users?search=example.net&limit=2&offset=4')
    assert.deepEqual(
      last.body.items.map((u: { email: string }) => u.email),
      ['page4@example.net'],
    )
    assert.equal(last.body.nextOffset, null)
    const bad = await api.call(api.admin, 'GET', '/api/users?limit=0&offset=-1')
    assert.equal(bad.status, 400)
    assert.deepEqual(fieldsOf(bad).sort(), ['limit', 'offset'])
    assert.equal((await api.call(api.admin, 'GET', `/api/users/${bob.id}`)).body.email, bob.email)
    assert.equal((await api.call(api.admin, 'GET', '/api/users/00000000-0000-4000-8000-000000000000')).status, 404)
  })

  it('edits name, flags and password with a lost-update guard', async () => {
    const before = (await api.call(api.admin, 'GET', `/api/users/${bob.id}`)).body
    const res = await api.call(api.admin, 'PUT', `/api/users/${bob.id}`, { name: 'Robert', version: before.updatedAt })
    assert.equal(res.status, 200)
    assert.equal(res.body.name, 'Robert')
    const stale = await api.call(api.admin, 'PUT', `/api/users/${bob.id}`, { name: 'Bobby', version: before.updatedAt })
    assert.equal(stale.status, 409)
    assert.equal(stale.body.error.details.current, res.body.updatedAt)
    const changed = await api.call(api.admin, 'PUT', `/api/users/${bob.id}`, { password: 'a brand new passphrase' })
    assert.equal(changed.status, 200)
    assert.equal((await api.call(bob, 'GET', '/api/auth/me')).status, 401, 'a reset ends the old sessions')
    const login = await api.call(null, 'POST', '/api/auth/login', {
      email: bob.email,
      password: 'a brand new passphrase',
    })
    assert.equal(login.status, 200)
    bob = { ...bob, token: login.body.token }
    const event = api.audits.findLast((e) => e.action === 'user.updated' && e.target?.id === bob.id)
    assert.ok(event)
    assert.ok(!JSON.stringify(event).includes('argon2'), 'no hash in the audit trail')
    assert.equal((await api.call(api.admin, 'PUT', `/api/users/${bob.id}`, { isAdmin: 'yes' })).status, 400)
  })

  it('keeps an administrator: the last one cannot drop the flag, nobody disables or deletes themselves', async () => {
    const demote = await api.call(api.admin, 'PUT', `/api/users/${api.admin.id}`, { isAdmin: false })
    assert.equal(demote.status, 409)
    assert.match(demote.body.error.message, /last administrator/)
    assert.equal((await api.call(api.admin, 'PUT', `/api/users/${api.admin.id}`, { disabled: true })).status, 409)
    assert.equal((await api.call(api.admin, 'DELETE', `/api/users/${api.admin.id}`)).status, 409)
    // With a second administrator the first may step down.
    const second = await api.user('second-admin', { isAdmin: true })
    assert.equal((await api.call(api.admin, 'PUT', `/api/users/${api.admin.id}`, { isAdmin: false })).status, 200)
    const last = await api.call(second, 'PUT', `/api/users/${second.id}`, { isAdmin: false })
    assert.equal(last.status, 409)
    assert.equal((await api.call(second, 'PUT', `/api/users/${api.admin.id}`, { isAdmin: true })).status, 200)
  })

  it('disables (no more sign-in) and enables users one by one or in bulk', async () => {
    assert.equal((await api.call(api.admin, 'PUT', `/api/users/${alice.id}`, { disabled: true })).status, 200)
    assert.equal(
      (await api.call(null, 'POST', '/api/auth/login', { email: alice.email, password: PASSWORD })).status,
      401,
    )
    const carol = (await api.call(api.admin, 'GET', '/api/users?search=carol')).body.items[0]
    const bulk = await api.call(api.admin, 'POST', '/api/users/bulk', {
      ids: [alice.id, carol.id, api.admin.id, '00000000-0000-4000-8000-000000000000'],
      action: 'enable',
    })
    assert.equal(bulk.status, 200)
    assert.equal(bulk.body.changed, 3, 'enabling an enabled user is a no-op success')
    assert.equal(bulk.body.results[3].error.code, 'MCPO_ERR_NOT_FOUND')
    assert.equal((await api.call(alice, 'GET', '/api/auth/me')).status, 401, 'enabling does not revive old sessions')
    const login = await api.call(null, 'POST', '/api/auth/login', { email: alice.email, password: PASSWORD })
    assert.equal(login.status, 200)
    alice = { ...alice, token: login.body.token }
    const disable = await api.call(api.admin, 'POST', '/api/users/bulk', {
      ids: [carol.id, api.admin.id],
      action: 'disable',
    })
    assert.deepEqual(
      disable.body.results.map((r: { ok: boolean }) => r.ok),
      [true, false],
    )
    assert.match(disable.body.results[1].error.message, /your own account/)
    const invalid = await api.call(api.admin, 'POST', '/api/users/bulk', { ids: ['nope'], action: 'zap' })
    assert.equal(invalid.status, 400)
    assert.deepEqual(fieldsOf(invalid).sort(), ['action', 'ids.0'])
    assert.equal((await api.call(api.admin, 'POST', '/api/users/bulk', { ids: [], action: 'enable' })).status, 400)
  })

  it('deletes users, but not while they are the last owner of a project or team', async () => {
    const dora = await api.user('dora')
    await api.call(dora, 'POST', '/api/projects', { id: 'doras', name: 'Dora’s' })
    await api.addMember(dora, '/api/projects/doras/members', alice, 'developer')
    const refused = await api.call(api.admin, 'DELETE', `/api/users/${dora.id}`)
    assert.equal(refused.status, 409)
    assert.match(refused.body.error.message, /last owner of project "Dora’s"/)
    assert.equal((await api.call(dora, 'POST', '/api/projects/doras/transfer', { userId: alice.id })).status, 200)
    assert.equal((await api.call(api.admin, 'DELETE', `/api/users/${dora.id}`)).status, 204)
    assert.equal((await api.call(api.admin, 'GET', `/api/users/${dora.id}`)).status, 404)
    assert.ok(api.audits.some((e) => e.action === 'user.deleted' && e.target?.id === dora.id))
    const page = (await api.call(api.admin, 'GET', '/api/users?search=page')).body.items.map(
      (u: { id: string }) => u.id,
    )
    const bulk = await api.call(api.admin, 'POST', '/api/users/bulk', { ids: page, action: 'delete' })
    assert.equal(bulk.body.changed, 5)
    assert.equal((await api.call(api.admin, 'GET', '/api/users?search=page')).body.items.length, 0)
  })
})

describe('favorites', () => {
  it('marks projects I can see as favorites, lists and removes them', async () => {
    await api.call(bob, 'POST', '/api/projects', { id: 'bobs', name: 'Bob’s' })
    assert.equal((await api.call(alice, 'PUT', '/api/me/favorites/bobs')).status, 404, 'not visible to alice')
    assert.equal((await api.call(null, 'PUT', '/api/me/favorites/bobs')).status, 401)
    assert.equal((await api.call(bob, 'PUT', '/api/me/favorites/bobs')).status, 204)
    assert.equal((await api.call(bob, 'PUT', '/api/me/favorites/bobs')).status, 204, 'idempotent')
    assert.equal((await api.call(bob, 'PUT', '/api/me/favorites/doras')).status, 404)
    const list = await api.call(bob, 'GET', '/api/me/favorites')
    assert.deepEqual(
      list.body.items.map((f: { projectId: string; project: { role: string } }) => [f.projectId, f.project.role]),
      [['bobs', 'owner']],
    )
    assert.equal((await api.call(bob, 'GET', '/api/me/favorites/bobs')).status, 200)
    assert.equal((await api.call(bob, 'GET', '/api/me/favorites/doras')).status, 404)
    assert.equal((await api.call(bob, 'DELETE', '/api/me/favorites/bobs')).status, 204)
    assert.equal((await api.call(bob, 'GET', '/api/me/favorites')).body.items.length, 0)
  })

  it('hides a favorite once access to the project is gone', async () => {
    await api.addMember(bob, '/api/projects/bobs/members', alice, 'reporter')
    assert.equal((await api.call(alice, 'PUT', '/api/me/favorites/bobs')).status, 204)
    assert.equal((await api.call(alice, 'GET', '/api/me/favorites')).body.items.length, 1)
    await api.call(bob, 'DELETE', `/api/projects/bobs/members/${alice.id}`)
    assert.equal((await api.call(alice, 'GET', '/api/me/favorites')).body.items.length, 0)
    assert.equal((await api.call(alice, 'GET', '/api/me/favorites/bobs')).status, 404)
  })
})
