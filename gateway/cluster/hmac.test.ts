import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { NodeAuth } from './hmac.ts'

const key = new Uint8Array(32).fill(7)

describe('node-to-node signatures', () => {
  it('verifies a signed request once, with the sender and the client address it vouches for', () => {
    const a = new NodeAuth(key, 'a')
    const b = new NodeAuth(key, 'b')
    const body = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping"}')
    const headers = a.sign('POST', '/projects/p/mcp?x=1', body, '10.1.2.3')
    assert.deepEqual(b.verify('POST', '/projects/p/mcp?x=1', headers, body), {
      ok: true,
      node: 'a',
      clientIp: '10.1.2.3',
    })
    // The same bytes again are a replay, even inside the time window.
    assert.deepEqual(b.verify('POST', '/projects/p/mcp?x=1', headers, body), { ok: false, reason: 'replayed request' })
  })

  it('refuses a changed method, path, body, client address, or another key', () => {
    const a = new NodeAuth(key, 'a')
    const body = Buffer.from('{}')
    const fresh = () => a.sign('POST', '/p', body, '1.1.1.1')
    const b = () => new NodeAuth(key, 'b')
    assert.equal(b().verify('GET', '/p', fresh(), body).ok, false)
    assert.equal(b().verify('POST', '/q', fresh(), body).ok, false)
    assert.equal(b().verify('POST', '/p', fresh(), Buffer.from('{ }')).ok, false)
    assert.equal(b().verify('POST', '/p', { ...fresh(), 'x-mcpo-client-ip': '6.6.6.6' }, body).ok, false)
    assert.equal(new NodeAuth(new Uint8Array(32).fill(8), 'b').verify('POST', '/p', fresh(), body).ok, false)
    assert.deepEqual(b().verify('POST', '/p', {}, body), { ok: false, reason: 'missing node signature' })
  })

  it('refuses timestamps outside the window, either way', () => {
    let now = 1_000_000
    const a = new NodeAuth(key, 'a', 30_000, () => now)
    const b = new NodeAuth(key, 'b', 30_000, () => now)
    const old = a.sign('GET', '/p', null)
    now += 30_001
    assert.deepEqual(b.verify('GET', '/p', old, null), { ok: false, reason: 'stale timestamp' })
    const future = a.sign('GET', '/p', null)
    now -= 60_000
    assert.deepEqual(b.verify('GET', '/p', future, null), { ok: false, reason: 'stale timestamp' })
  })

  it('treats no body and an empty body alike (GET through undici, GET at the uWS edge)', () => {
    const a = new NodeAuth(key, 'a')
    const b = new NodeAuth(key, 'b')
    assert.equal(b.verify('GET', '/p', a.sign('GET', '/p', null), Buffer.alloc(0)).ok, true)
  })
})
