import assert from 'node:assert/strict'
import { it } from 'node:test'
import { addressKey, SignInThrottle } from './throttle.ts'

function clock() {
  const c = { t: 1_000_000, now: () => c.t }
  return c
}

it('locks an (account, address) pair after five failures, not the account from elsewhere', () => {
  const c = clock()
  const t = new SignInThrottle({}, c)
  for (let i = 0; i < 5; i++) {
    assert.equal(t.retryAfter('admin', '203.0.113.7'), 0)
    t.fail('admin', '203.0.113.7')
  }
  assert.ok(t.retryAfter('admin', '203.0.113.7') > 0, 'the attacker waits')
  assert.equal(t.retryAfter('admin', '198.51.100.9'), 0, 'the owner elsewhere does not')
  assert.equal(t.retryAfter('other', '203.0.113.7'), 0, 'the address may still try other accounts')
  c.t += 15 * 60_000
  assert.equal(t.retryAfter('admin', '203.0.113.7'), 0, 'until the window passes')
})

it('stops an address that fails on many accounts', () => {
  const t = new SignInThrottle({}, clock())
  for (let i = 0; i < 20; i++) t.fail(`user${i}`, '203.0.113.7')
  assert.ok(t.retryAfter('fresh', '203.0.113.7') > 0)
  assert.equal(t.retryAfter('fresh', '203.0.113.8'), 0)
})

it('spaces a distributed guess at one account, except from addresses it signed in from', () => {
  const c = clock()
  const t = new SignInThrottle({}, c)
  t.succeed('admin', '198.51.100.9')
  for (let i = 0; i < 100; i++) t.fail('admin', `10.0.${i >> 8}.${i & 255}`)
  assert.equal(t.retryAfter('admin', '10.9.9.9'), 0, 'one attempt gets through')
  assert.equal(t.retryAfter('admin', '10.9.9.10'), 1, 'the next waits a second, whatever its address')
  assert.equal(t.retryAfter('admin', '198.51.100.9'), 0, 'the owner’s usual address is not spaced')
  assert.equal(t.retryAfter('admin', '198.51.100.9'), 0)
  c.t += 1000
  assert.equal(t.retryAfter('admin', '10.9.9.10'), 0, 'a second later the next one does')
})

it('forgets the pair on success and bounds what it tracks', () => {
  const c = clock()
  const t = new SignInThrottle({ maxKeys: 50 }, c)
  for (let i = 0; i < 4; i++) t.fail('admin', '203.0.113.7')
  t.succeed('admin', '203.0.113.7')
  for (let i = 0; i < 4; i++) t.fail('admin', '203.0.113.7')
  assert.equal(t.retryAfter('admin', '203.0.113.7'), 0)
  for (let i = 0; i < 1000; i++) t.fail(`spray${i}`, `10.1.${i >> 8}.${i & 255}`)
  const failures = (t as unknown as { failures: Map<string, number[]> }).failures
  assert.ok(failures.size <= 50, `${failures.size} keys`)
})

it('counts IPv6 by /64 and IPv4-mapped addresses as IPv4', () => {
  assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64')
  assert.equal(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64')
  assert.equal(addressKey('2001:DB8:0001:0002::1%eth0'), '2001:db8:1:2::/64')
  assert.equal(addressKey('::ffff:192.0.2.1'), '192.0.2.1')
  assert.equal(addressKey('::ffff:c000:201'), '192.0.2.1')
  assert.equal(addressKey('::1'), '0:0:0:0::/64')
  assert.equal(addressKey('192.0.2.1'), '192.0.2.1')
  const t = new SignInThrottle({}, clock())
  for (let i = 0; i < 5; i++) t.fail('admin', `2001:db8:1:2::${i + 1}`)
  assert.ok(t.retryAfter('admin', '2001:db8:1:2:dead:beef::1') > 0, 'walking through the /64 does not help')
})
