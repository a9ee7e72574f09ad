import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Exchange, Principal } from '../contract.ts'
import { rateLimits, TokenBuckets } from './index.ts'

function ex(principal: Principal | null, ip = '10.0.0.1'): Exchange {
  return {
    requestId: 'r',
    method: 'POST',
    path: '/',
    query: '',
    headers: {},
    ip,
    params: {},
    principal,
  }
}
const key: Principal = { kind: 'api-key', id: 'k1', projectId: 'p' }
const call = { projectId: 'p', serverName: 's', method: 'tools/call', toolName: 'echo' }

describe('token buckets', () => {
  it('allows a burst, then refills at the rate', () => {
    let now = 0
    const b = new TokenBuckets(() => now)
    const bucket = { rate: 2, burst: 3 }
    assert.deepEqual([b.take('x', bucket), b.take('x', bucket), b.take('x', bucket)], [0, 0, 0])
    assert.equal(b.take('x', bucket), 500, 'the next token is 500 ms away at 2/s')
    now += 500
    assert.equal(b.take('x', bucket), 0)
    now += 10 * 60_000 + 1
    b.sweep(10 * 60_000)
    assert.equal(b.size, 0)
  })
})

describe('rateLimits()', () => {
  it('limits tools/call per key and answers with a retry time; listing costs nothing', async () => {
    let now = 0
    const plugin = rateLimits({ perKey: { tools: { rate: 1, burst: 2 } }, clock: () => now })
    const authorize = (target = call) => plugin.authorize?.(ex(key), target)
    for (let i = 0; i < 50; i++)
      assert.deepEqual(await plugin.authorize?.(ex(key), { ...call, listing: true }), { allow: true })
    assert.deepEqual(await authorize(), { allow: true })
    assert.deepEqual(await authorize(), { allow: true })
    const denied = await authorize()
    assert.equal(denied?.allow, false)
    assert.ok(denied && !denied.allow && denied.status === 429 && denied.retryAfterMs === 1000)
    now += 1000
    assert.deepEqual(await authorize(), { allow: true })
    // Another key has its own bucket.
    assert.deepEqual(await plugin.authorize?.(ex({ ...key, id: 'k2' }), call), { allow: true })
  })

  it('limits a whole project across keys, and API requests per user', async () => {
    const plugin = rateLimits({
      perProject: { tools: { rate: 1, burst: 3 } },
      perUser: { api: { rate: 1, burst: 1 } },
      clock: () => 0,
    })
    const results = []
    for (let i = 0; i < 4; i++) results.push((await plugin.authorize?.(ex({ ...key, id: `k${i}` }), call))?.allow)
    assert.deepEqual(results, [true, true, true, false])
    const user: Principal = { kind: 'user', id: 'u', userId: 'u' }
    const api = { projectId: '', serverName: null, method: 'api:get' }
    assert.equal((await plugin.authorize?.(ex(user), api))?.allow, true)
    assert.equal((await plugin.authorize?.(ex(user), api))?.allow, false)
  })

  it('counts anonymous sign-in attempts per IP', async () => {
    const plugin = rateLimits({ perUser: { auth: { rate: 1, burst: 2 } }, clock: () => 0 })
    const login = { projectId: '', serverName: null, method: 'api:auth' }
    const from = (ip: string) => plugin.authorize?.(ex(null, ip), login)
    assert.equal((await from('1.1.1.1'))?.allow, true)
    assert.equal((await from('1.1.1.1'))?.allow, true)
    assert.equal((await from('1.1.1.1'))?.allow, false)
    assert.equal((await from('2.2.2.2'))?.allow, true)
  })

  it('in a cluster, each node enforces its share: rate and burst divided by the live node count', async () => {
    let nodes = 4
    const plugin = rateLimits({ perKey: { tools: { rate: 4, burst: 8 } }, clock: () => 0 })
    await plugin.setup?.({ liveNodes: () => nodes } as never)
    const allowed = async () => {
      let n = 0
      while ((await plugin.authorize?.(ex({ ...key, id: `k-${nodes}` }), call))?.allow) n++
      return n
    }
    assert.equal(await allowed(), 2, 'a burst of 8 over 4 nodes is 2 here')
    nodes = 1
    assert.equal(await allowed(), 8, 'alone again, the whole budget')
    await plugin.close?.()
  })
})
