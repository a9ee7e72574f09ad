import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { peekStateId, RequestStates, requestDigest } from './request-state.ts'

const key = new Uint8Array(32).fill(7)
const claims = { id: 'n1.abc#1.1', node: 'n1', sub: 'api-key:k1', exp: Date.now() + 60_000, req: 'd' }

describe('requestState', () => {
  it('opens what it minted, on any holder of the same key', () => {
    const token = new RequestStates(key).mint(claims)
    assert.deepEqual(new RequestStates(new Uint8Array(32).fill(7)).open(token), claims)
    assert.equal(peekStateId(token), claims.id)
  })

  it('refuses tampered, foreign-key, expired and malformed states', () => {
    const states = new RequestStates(key)
    const token = states.mint(claims)
    const [payload, mac] = token.split('.')
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'api-key:attacker' })).toString('base64url')
    assert.match(String(states.open(`${forged}.${mac}`)), /integrity/)
    assert.match(String(states.open(`${payload}.${mac}x`)), /integrity/)
    assert.match(String(new RequestStates(new Uint8Array(32).fill(8)).open(token)), /integrity/)
    assert.match(String(states.open(states.mint({ ...claims, exp: Date.now() - 1 }))), /expired/)
    for (const bad of [42, '', 'nodot', '.x', 'a'.repeat(5000)]) assert.equal(typeof states.open(bad), 'string')
    assert.equal(peekStateId('garbage.x'), null)
  })

  it('binds to the method and the request params, not to _meta or the answers', () => {
    const a = requestDigest('tools/call', { name: 't', arguments: { x: 1 }, _meta: { a: 1 } })
    const b = requestDigest('tools/call', {
      name: 't',
      arguments: { x: 1 },
      inputResponses: { k: {} },
      requestState: 's',
    })
    assert.equal(a, b)
    assert.notEqual(a, requestDigest('tools/call', { name: 't', arguments: { x: 2 } }))
    assert.notEqual(a, requestDigest('prompts/get', { name: 't', arguments: { x: 1 } }))
  })
})
