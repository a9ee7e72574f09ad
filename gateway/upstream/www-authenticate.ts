// Reading the Bearer challenge of a WWW-Authenticate header, for OAuth discovery (a 401's resource_metadata) and
// step-up (a 403's insufficient_scope and the scopes it needs).

/**
 * The auth-params of the Bearer challenge in a WWW-Authenticate value (RFC 9110 §11.6.1): `name=token` or
 * `name="quoted"` pairs. One pass over the text, so a hostile header costs linear time.
 */
export function bearerParams(header: string): Record<string, string> {
  const out: Record<string, string> = {}
  let i = 0
  const n = Math.min(header.length, 8192)
  const skipSpace = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t' || header[i] === ',')) i++
  }
  const word = () => {
    const start = i
    while (i < n && !' \t,="'.includes(header[i])) i++
    return header.slice(start, i)
  }
  let inBearer = false
  while (i < n) {
    skipSpace()
    const name = word()
    if (name === '') {
      i++
      continue
    }
    let j = i
    while (j < n && header[j] === ' ') j++
    if (header[j] !== '=') {
      // A scheme name starts a new challenge.
      inBearer = name.toLowerCase() === 'bearer'
      continue
    }
    i = j + 1
    while (i < n && header[i] === ' ') i++
    let value = ''
    if (header[i] === '"') {
      i++
      while (i < n && header[i] !== '"') {
        if (header[i] === '\\' && i + 1 < n) i++
        value += header[i]
        i++
      }
      i++
    } else value = word()
    if (inBearer) out[name.toLowerCase()] = value
  }
  return out
}
