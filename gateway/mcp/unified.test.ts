import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { exposedName } from './unified.ts'

const opts = { separator: '__', maxNameLength: 64 }

describe('unified names', () => {
  it('is <server>__<tool> when that fits the common client limits', () => {
    assert.equal(exposedName('github', 'create_issue', opts), 'github__create_issue')
  })

  it('sanitises and hashes names with other characters or too long, deterministically', () => {
    const dotted = exposedName('fs', 'read.file', opts)
    assert.match(dotted, /^fs__read_file_[0-9a-f]{8}$/)
    assert.equal(exposedName('fs', 'read.file', opts), dotted, 'stable across calls and restarts')
    const long = exposedName('a-very-long-server-name', 'x'.repeat(80), opts)
    assert.ok(long.length <= 64)
    assert.match(long, /^[A-Za-z0-9_-]{1,64}$/)
    assert.notEqual(
      exposedName('fs', 'read_file', opts),
      exposedName('fs', 'read.file', opts),
      'no collision after sanitising',
    )
  })

  it('honours a configured separator and length', () => {
    assert.equal(exposedName('s', 't', { separator: '-', maxNameLength: 32 }), 's-t')
    assert.ok(exposedName('s', 'y'.repeat(40), { separator: '-', maxNameLength: 32 }).length <= 32)
  })
})
