import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { compileGlob, compileGlobs } from './glob.ts'

/** The obvious translation, used only as an oracle on inputs too small to backtrack for long. */
function oracle(pattern: string, name: string, flags = ''): boolean {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${body}$`, flags).test(name)
}

describe('globs', () => {
  it('match whole names, * any run, other characters literally', () => {
    assert.ok(compileGlob('delete_*').test('delete_repo'))
    assert.ok(!compileGlob('delete_*').test('undelete_repo'))
    assert.ok(compileGlob('*').test(''))
    assert.ok(compileGlob('a.b').test('a.b'))
    assert.ok(!compileGlob('a.b').test('axb'))
    assert.ok(compileGlob('git*-*').test('github-write'))
    assert.ok(!compileGlob('a*a').test('a'))
    assert.ok(compileGlob('a*a').test('aa'))
    assert.ok(!compileGlob('ab*bc').test('abc'))
    assert.ok(compileGlob('**x**').test('x'))
  })

  it('agree with the regular-expression translation on every small pattern and name', () => {
    const alphabet = fc.constantFrom('a', 'b', '*', '.', '_')
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('a', 'b', '.', '_', 'A'), maxLength: 12 }),
        (pattern, name) => {
          assert.equal(compileGlob(pattern).test(name), oracle(pattern, name), `${pattern} on ${name}`)
          assert.equal(
            compileGlob(pattern, { ignoreCase: true }).test(name),
            oracle(pattern, name, 'i'),
            `${pattern} on ${name}, ignoring case`,
          )
        },
      ),
      { numRuns: 5000 },
    )
  })

  it('decide a pattern that makes a regular expression backtrack for seconds in microseconds', () => {
    // `*a*a*…*b` against a run of `a`s is the catastrophic case of `.*a.*a…b`: every split of the run is tried.
    const glob = compileGlob(`${'*a'.repeat(100)}*b`)
    const name = 'a'.repeat(10_000)
    const started = performance.now()
    for (let i = 0; i < 100; i++) assert.equal(glob.test(name), false)
    const ms = (performance.now() - started) / 100
    assert.ok(ms < 20, `one match took ${ms.toFixed(2)} ms`)
  })

  it('combine several patterns, any of which matches', () => {
    const keys = compileGlobs(['customer*', 'ssn'], { ignoreCase: true })
    assert.ok(keys?.test('CustomerName'))
    assert.ok(keys?.test('SSN'))
    assert.ok(!keys?.test('name'))
    assert.equal(compileGlobs([]), null)
  })
})
