// Content-Type as RFC 9110 §8.3.1 defines it: a type/subtype pair compared case-insensitively, then parameters. A
// substring test took `text/plain; charset=application/json` for JSON, and text/plain is what a cross-site form or
// a no-preflight fetch may send.

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

export interface MediaType {
  /** `type/subtype`, lower-case. */
  essence: string
  /** Parameter names lower-case; values unquoted, as sent. */
  params: Record<string, string>
}

/** The parsed header, or null when it is absent or malformed (two headers joined by a comma are malformed). */
export function parseMediaType(header: string | undefined): MediaType | null {
  if (header === undefined) return null
  const semi = header.indexOf(';')
  const essence = (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase()
  const slash = essence.indexOf('/')
  if (slash === -1 || !TOKEN.test(essence.slice(0, slash)) || !TOKEN.test(essence.slice(slash + 1))) return null
  const params: Record<string, string> = {}
  let i = semi === -1 ? header.length : semi
  while (i < header.length) {
    // At a ';': skip it and the whitespace after it, then read name=value (a token, or a quoted string with escapes).
    i++
    while (header[i] === ' ' || header[i] === '\t') i++
    if (i >= header.length) break
    const eq = header.indexOf('=', i)
    if (eq === -1) return null
    const name = header.slice(i, eq).toLowerCase()
    if (!TOKEN.test(name)) return null
    i = eq + 1
    let value = ''
    if (header[i] === '"') {
      i++
      for (; i < header.length && header[i] !== '"'; i++) {
        if (header[i] === '\\') i++
        value += header[i] ?? ''
      }
      if (header[i] !== '"') return null
      i++
    } else {
      const end = header.indexOf(';', i)
      value = header.slice(i, end === -1 ? header.length : end).trim()
      if (!TOKEN.test(value)) return null
      i = end === -1 ? header.length : end
    }
    while (header[i] === ' ' || header[i] === '\t') i++
    if (i < header.length && header[i] !== ';') return null
    params[name] = value
  }
  return { essence, params }
}

/** True for `application/json`, parameters allowed (`charset=utf-8`): the body is then parsed as JSON. */
export function isJsonMediaType(header: string | undefined): boolean {
  return parseMediaType(header)?.essence === 'application/json'
}
