import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { dateValue, keyEditBody } from './key-edit.ts'

describe('keyEditBody', () => {
  const now = new Date(2030, 5, 15, 12, 0, 0).getTime()

  it('empty fields mean no expiry and no rate limit', () => {
    assert.deepEqual(keyEditBody({ expires: '', requests: '', perSeconds: ' ' }, now), {
      ok: true,
      body: { expiresAt: null, rateLimit: null },
    })
  })

  it('a day expires at its local end; today still counts, yesterday does not', () => {
    const today = keyEditBody({ expires: '2030-06-15', requests: '', perSeconds: '' }, now)
    assert.ok(today.ok)
    assert.equal(today.body.expiresAt, new Date(2030, 5, 15, 23, 59, 59).toISOString())
    const past = keyEditBody({ expires: '2030-06-14', requests: '', perSeconds: '' }, now)
    assert.deepEqual(past, { ok: false, errors: { expiresAt: 'Choose a day from today on' } })
  })

  it('a rate limit needs both whole numbers from 1', () => {
    assert.deepEqual(keyEditBody({ expires: '', requests: '60', perSeconds: '60' }, now), {
      ok: true,
      body: { expiresAt: null, rateLimit: { requests: 60, perSeconds: 60 } },
    })
    const half = keyEditBody({ expires: '', requests: '60', perSeconds: '' }, now)
    assert.equal(half.ok, false)
    assert.deepEqual(Object.keys(!half.ok ? half.errors : {}), ['perSeconds'])
    const bad = keyEditBody({ expires: '', requests: '1.5', perSeconds: '0' }, now)
    assert.deepEqual(Object.keys(!bad.ok ? bad.errors : {}).sort(), ['perSeconds', 'requests'])
  })

  it('dateValue round-trips with the body', () => {
    const body = keyEditBody({ expires: '2030-07-01', requests: '', perSeconds: '' }, now)
    assert.ok(body.ok)
    assert.equal(dateValue(body.body.expiresAt), '2030-07-01')
    assert.equal(dateValue(null), '')
  })
})
