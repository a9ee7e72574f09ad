import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DEFAULT_BLOCKED_NETWORKS } from '../../config/schema.ts'
import { blockedBy, blockListOf, embeddedIPv4, ipv6Groups } from './network-guard.ts'

describe('blockedBy', () => {
  it('checks every spelling of a blocked IPv4 network, loopback included', () => {
    const list = blockListOf(['127.0.0.0/8'])
    for (const address of [
      '127.0.0.1',
      '127.9.8.7',
      '::1',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      '::FFFF:127.0.0.1',
      '::ffff:7f00:1',
      '0:0:0:0:0:ffff:7f00:1',
      '::7f00:1',
      '::127.0.0.1',
      '::ffff:0:7f00:1',
      '64:ff9b::7f00:1',
      '64:ff9b::127.0.0.1',
    ]) {
      assert.ok(blockedBy(list, address), address)
    }
    for (const address of ['10.0.0.1', '::2', '::ffff:10.0.0.1', '64:ff9b::a00:1', '2001:db8::7f00:1', 'fe80::1']) {
      assert.ok(!blockedBy(list, address), address)
    }
  })

  it('treats :: as 0.0.0.0 and ::1 as loopback, in both directions', () => {
    const unspecified = blockListOf(['0.0.0.0/8'])
    assert.ok(blockedBy(unspecified, '::'))
    assert.ok(blockedBy(unspecified, '0:0:0:0:0:0:0:0'))
    assert.ok(blockedBy(unspecified, '::ffff:0.0.0.0'))
    assert.ok(!blockedBy(unspecified, '::1'), '::1 is loopback, not 0.0.0.1')
    const v6only = blockListOf(['::1/128', '::/128'])
    assert.ok(blockedBy(v6only, '127.0.0.1') && blockedBy(v6only, '127.1.2.3') && blockedBy(v6only, '::ffff:127.0.0.1'))
    assert.ok(blockedBy(v6only, '0.0.0.0'))
    assert.ok(!blockedBy(v6only, '10.0.0.1'))
  })

  it('checks IPv4 addresses against IPv6 rules on the mapped range', () => {
    const mapped = blockListOf(['::ffff:10.0.0.0/104'])
    assert.ok(blockedBy(mapped, '10.1.2.3'))
    assert.ok(!blockedBy(mapped, '11.1.2.3'))
  })

  it('ignores zones, and blocks what is not an address', () => {
    const list = blockListOf(DEFAULT_BLOCKED_NETWORKS)
    assert.ok(blockedBy(list, 'fe80::1%eth0'))
    assert.ok(blockedBy(list, 'fe80::1%1'))
    assert.ok(blockedBy(list, ''))
    assert.ok(blockedBy(list, 'localhost'))
  })

  it('keeps the defaults: link-local, metadata and unspecified closed, loopback and private open', () => {
    const list = blockListOf(DEFAULT_BLOCKED_NETWORKS)
    for (const address of ['169.254.169.254', '::ffff:a9fe:a9fe', '64:ff9b::169.254.169.254', '::', '0.0.0.0']) {
      assert.ok(blockedBy(list, address), address)
    }
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.0.0.1', 'fd12::1', '2606:4700::1111']) {
      assert.ok(!blockedBy(list, address), address)
    }
  })
})

describe('ipv6Groups and embeddedIPv4', () => {
  it('expand every notation', () => {
    assert.deepEqual(ipv6Groups('::'), [0, 0, 0, 0, 0, 0, 0, 0])
    assert.deepEqual(ipv6Groups('1::'), [1, 0, 0, 0, 0, 0, 0, 0])
    assert.deepEqual(ipv6Groups('1:2:3:4:5:6:7:8'), [1, 2, 3, 4, 5, 6, 7, 8])
    assert.deepEqual(ipv6Groups('::ffff:1.2.3.4'), [0, 0, 0, 0, 0, 0xffff, 0x102, 0x304])
    assert.deepEqual(ipv6Groups('fe80::1:2'), [0xfe80, 0, 0, 0, 0, 0, 1, 2])
    assert.equal(embeddedIPv4(ipv6Groups('::ffff:c0a8:101')), '192.168.1.1')
    assert.equal(embeddedIPv4(ipv6Groups('2001:db8::1')), null)
  })
})
