// The one reader of Cookie headers for the gateway and its plugins. Two readers that disagreed (the first value
// against the last) let `mcpo_session=<jwt>; mcpo_session=` pass as signed in to one and as no session to the CSRF
// check, so every cookie is read here and a repeated name is reported, never resolved by picking one.

/**
 * A parsed Cookie header. Names are case-sensitive (RFC 6265 §5.4); values are percent-decoded when they decode.
 * @example
 * const c = parseCookies('a=1; b=2; b=3')
 * c.get('a') // '1'
 * c.get('b') // null: sent twice, so no value can be trusted (c.count('b') === 2)
 */
export interface Cookies {
  /** The value of a cookie sent exactly once; null when it is absent or repeated. */
  get(name: string): string | null
  /** How many times the name was sent. */
  count(name: string): number
  /** Every pair in header order, repeats included. */
  readonly entries: readonly (readonly [name: string, value: string])[]
}

export function parseCookies(header: string | undefined): Cookies {
  const entries: [string, string][] = []
  if (header) {
    for (const part of header.split(';')) {
      const eq = part.indexOf('=')
      if (eq === -1) continue
      const name = part.slice(0, eq).trim()
      if (name) entries.push([name, safeDecode(part.slice(eq + 1).trim())])
    }
  }
  return {
    entries,
    count(name) {
      let n = 0
      for (const [k] of entries) if (k === name) n++
      return n
    },
    get(name) {
      let found: string | null = null
      for (const [k, v] of entries) {
        if (k !== name) continue
        if (found !== null) return null
        found = v
      }
      return found
    },
  }
}

/** Cookies are set by anyone (other apps on the domain, the client itself): a malformed escape is kept as is. */
function safeDecode(value: string): string {
  if (!value.includes('%')) return value
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}
