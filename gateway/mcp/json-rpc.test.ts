import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { classify, findTopLevelMember, idKey, replaceTopLevelId } from './json-rpc.ts'

describe('json-rpc', () => {
  it('classifies requests, notifications, responses and invalid messages', () => {
    assert.equal(classify({ jsonrpc: '2.0', id: 1, method: 'ping' }).kind, 'request')
    assert.equal(classify({ jsonrpc: '2.0', method: 'notifications/initialized' }).kind, 'notification')
    assert.equal(classify({ jsonrpc: '2.0', id: 'a', result: {} }).kind, 'response')
    assert.equal(classify({ jsonrpc: '2.0', id: 'a', error: { code: 1, message: 'x' } }).kind, 'response')
    for (const bad of [
      null,
      [],
      'x',
      { id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: null, method: 'x' },
      { jsonrpc: '2.0', method: 'x', params: 3 },
      { jsonrpc: '2.0' },
    ]) {
      assert.equal(classify(bad).kind, 'invalid', JSON.stringify(bad))
    }
  })

  it('keeps 1 and "1" apart', () => {
    assert.notEqual(idKey(1), idKey('1'))
  })

  it('replaces only the top-level id, leaving every other byte alone', () => {
    const text = '{"jsonrpc":"2.0", "params":{"id":"inner","x":[{"id":3}]},"id" : "abc","method":"tools/call"}'
    assert.equal(
      replaceTopLevelId(text, '42'),
      '{"jsonrpc":"2.0", "params":{"id":"inner","x":[{"id":3}]},"id" : 42,"method":"tools/call"}',
    )
    assert.equal(replaceTopLevelId('{"jsonrpc":"2.0","method":"x"}', '1'), null)
    assert.equal(replaceTopLevelId('{"a":"\\"id\\":1","id":7}', '"s"'), '{"a":"\\"id\\":1","id":"s"}')
  })

  it('finds the id of any message JSON.stringify can produce', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer(), fc.string()),
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.oneof(fc.integer(), fc.string()),
        (id, params, next) => {
          const msg = { jsonrpc: '2.0', params, id, method: 'm' }
          const text = JSON.stringify(msg)
          const span = findTopLevelMember(text, 'id')
          assert.ok(span)
          assert.deepEqual(JSON.parse(text.slice(span[0], span[1])), id)
          const replaced = replaceTopLevelId(text, JSON.stringify(next))
          assert.deepEqual(JSON.parse(replaced ?? 'null'), JSON.parse(JSON.stringify({ ...msg, id: next })))
        },
      ),
      { numRuns: 2000 },
    )
  })
})
