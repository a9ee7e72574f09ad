// Issue 16 point 10: five wrong passwords locked any account, the administrator's included, for 15 minutes, even
// for the right password, so anyone could lock anyone out. Failures now count per (account, client address): the
// attacker's address is stopped, the owner signs in from theirs. Guessing stays throttled: per address across
// accounts, and a distributed guess at one account is spaced to one attempt a second except from addresses it
// signed in from. Addresses come from X-Forwarded-For here (security.trustProxy).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { hashPassword } from '../../plugins/users/password.ts'
import { type ApiHarness, PASSWORD, startApi } from '../api/tenancy-harness.ts'

const ATTACKER = '203.0.113.7'
const OWNER = '198.51.100.9'

let h: ApiHarness
before(async () => {
  h = await startApi({ security: { trustProxy: true } })
})
after(() => h?.close())

async function signIn(email: string, password: string, from: string) {
  const res = await fetch(`${h.gw.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
    body: JSON.stringify({ email, password }),
  })
  await res.arrayBuffer()
  return { status: res.status, retryAfter: Number(res.headers.get('retry-after') ?? 0) }
}

describe('sign-in throttling by account and address', () => {
  it('locks the attacker’s address out of the admin account, not the admin', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await signIn('admin@example.com', 'wrong guess', ATTACKER)).status, 401)
    for (let i = 0; i < 5; i++) {
      const r = await signIn('admin@example.com', 'wrong guess', ATTACKER)
      assert.equal(r.status, 429)
      assert.ok(r.retryAfter > 60, `Retry-After ${r.retryAfter}`)
    }
    assert.equal((await signIn('admin@example.com', PASSWORD, ATTACKER)).status, 429, 'even the right password')
    assert.equal((await signIn('admin@example.com', PASSWORD, OWNER)).status, 200, 'the admin from their address')
  })

  it('lets the owner make their own typos without being locked out by the attacker’s', async () => {
    for (let i = 0; i < 4; i++) await signIn('admin@example.com', 'my own typo', OWNER)
    assert.equal((await signIn('admin@example.com', PASSWORD, OWNER)).status, 200)
  })

  it('stops an address that tries one password on many accounts', async () => {
    const passwordHash = await hashPassword(PASSWORD)
    for (let i = 0; i < 21; i++) {
      await h.gw.gateway.store.users.create({ email: `spray${i}@example.com`, passwordHash })
    }
    for (let i = 0; i < 20; i++) await signIn(`spray${i}@example.com`, 'Summer2026!', '203.0.113.50')
    assert.equal((await signIn('spray20@example.com', PASSWORD, '203.0.113.50')).status, 429)
    assert.equal((await signIn('spray20@example.com', PASSWORD, '203.0.113.51')).status, 200)
  })

  it('spaces a guess spread over many addresses, but not for the owner’s usual address', async () => {
    await h.gw.gateway.store.users.create({ email: 'target@example.com', passwordHash: await hashPassword(PASSWORD) })
    assert.equal((await signIn('target@example.com', PASSWORD, OWNER)).status, 200)
    for (let i = 0; i < 100; i++) await signIn('target@example.com', `guess ${i}`, `10.66.${i >> 8}.${i & 255}`)
    const first = await signIn('target@example.com', 'guess again', '10.77.0.1')
    const second = await signIn('target@example.com', 'guess again', '10.77.0.2')
    assert.equal(first.status, 401)
    assert.deepEqual(second, { status: 429, retryAfter: 1 }, 'one attempt a second on this account')
    assert.equal((await signIn('target@example.com', PASSWORD, OWNER)).status, 200, 'the owner is not spaced')
    await new Promise((r) => setTimeout(r, 1100))
    assert.equal((await signIn('target@example.com', PASSWORD, '10.77.0.3')).status, 200, 'nor locked elsewhere')
  })
})
