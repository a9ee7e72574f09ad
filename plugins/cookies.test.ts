import assert from 'node:assert/strict'
import { it } from 'node:test'
import { parseCookies } from './cookies.ts'

it('reads each cookie sent once, decoded when it decodes', () => {
  const c = parseCookies(' a=1;b = two ; c=%41%42; d=%E0%A4%A; noequals; =anon; e=')
  assert.equal(c.get('a'), '1')
  assert.equal(c.get('b'), 'two')
  assert.equal(c.get('c'), 'AB')
  assert.equal(c.get('d'), '%E0%A4%A', 'a malformed escape is kept as sent')
  assert.equal(c.get('e'), '', 'present but empty')
  assert.equal(c.get('missing'), null)
  assert.equal(c.get('noequals'), null)
  assert.deepEqual(
    c.entries.map(([k]) => k),
    ['a', 'b', 'c', 'd', 'e'],
  )
})

it('gives no value for a name sent twice, whichever copy is empty', () => {
  for (const header of ['s=jwt; s=', 's=; s=jwt', 's=jwt; s=jwt', 's=a; x=1; s=b']) {
    const c = parseCookies(header)
    assert.equal(c.get('s'), null, header)
    assert.equal(c.count('s'), 2, header)
  }
  assert.equal(parseCookies('S=1; s=2').get('s'), '2', 'names are case-sensitive')
})

it('reads nothing from an absent or empty header', () => {
  assert.equal(parseCookies(undefined).get('a'), null)
  assert.equal(parseCookies('').count('a'), 0)
})
