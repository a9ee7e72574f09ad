// Glob matching for patterns that users type (tool policies, redaction keys): `*` matches any run of characters and
// everything else is literal. Never a regular expression: a pattern such as `*a*a*a*a*b` compiled to `.*a.*a.*a.*b`
// backtracks exponentially, and one tools/call would stall every tenant on the event loop.

/** A compiled glob. `test` runs without backtracking, in O(name length × pattern length) at worst. */
export interface Glob {
  readonly source: string
  test(name: string): boolean
}

export interface GlobOptions {
  /** Compare without regard to case (ASCII and Unicode simple case folding through toLowerCase). */
  ignoreCase?: boolean
}

export function compileGlob(pattern: string, options: GlobOptions = {}): Glob {
  const fold = options.ignoreCase === true
  const parts = (fold ? pattern.toLowerCase() : pattern).split('*')
  if (parts.length === 1) {
    const literal = parts[0]
    return { source: pattern, test: (name) => (fold ? name.toLowerCase() : name) === literal }
  }
  const head = parts[0]
  const tail = parts[parts.length - 1]
  const middle = parts.slice(1, -1).filter((p) => p.length > 0)
  const minLength = head.length + tail.length + middle.reduce((n, p) => n + p.length, 0)
  return {
    source: pattern,
    test(input) {
      const name = fold ? input.toLowerCase() : input
      if (name.length < minLength || !name.startsWith(head) || !name.endsWith(tail)) return false
      // With only `*` as a wildcard, taking each middle piece at its leftmost place is always right: a later place
      // leaves less room for the pieces after it and never more. So one forward scan decides, with no going back.
      let at = head.length
      const end = name.length - tail.length
      for (const piece of middle) {
        const found = name.indexOf(piece, at)
        if (found === -1 || found + piece.length > end) return false
        at = found + piece.length
      }
      return true
    },
  }
}

/** Several globs as one test: true when any matches. */
export function compileGlobs(patterns: readonly string[], options: GlobOptions = {}): Glob | null {
  if (patterns.length === 0) return null
  const globs = patterns.map((p) => compileGlob(p, options))
  if (globs.length === 1) return globs[0]
  return { source: patterns.join(','), test: (name) => globs.some((g) => g.test(name)) }
}
