// Credentials written into a remote server's URL (userinfo, `?api_key=`-style parameters): the masked form every
// answer and audit row shows, and the values error messages must not carry. The stored URL keeps them: it is dialled.

/**
 * What stands for a credential inside a URL. Not `MASK`: its bullets would be percent-encoded by any URL parser, so
 * the masked URL a client sends back would no longer match the one it was shown.
 */
export const URL_MASK = '***'

/** Query parameters whose value is a credential (matched on the name, lowercased, `-` and `.` read as `_`). */
const SECRET_PARAM =
  /^(key|code|sig|auth|jwt)$|token|secret|passw|pwd|api_?key|_key$|^key_|signature|credential|session|bearer|authori[sz]/

/** A username with no password that reads as a name (`git`, `x-access-token`), not a credential; anything else is masked. */
const PLAIN_USER = /^[a-z][a-z._-]{0,31}$/i

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return s
  }
}

function isSecretParam(rawName: string): boolean {
  return SECRET_PARAM.test(decode(rawName).toLowerCase().replace(/[-.]/g, '_'))
}

/** The query (without `?`) with each secret parameter's value masked; other bytes unchanged. */
function maskQuery(query: string, found: string[]): string {
  return query
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=')
      if (eq < 0 || eq === part.length - 1 || !isSecretParam(part.slice(0, eq))) return part
      const value = part.slice(eq + 1)
      found.push(value, decode(value))
      return `${part.slice(0, eq)}=${URL_MASK}`
    })
    .join('&')
}

interface Scan {
  masked: string
  /** The credential values it hid, raw and decoded (for redacting error text). */
  found: string[]
}

function scan(raw: string): Scan {
  const found: string[] = []
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { masked: scanText(raw, found), found }
  }
  let userinfo = ''
  if (url.password) {
    found.push(url.password, decode(url.password), url.username, decode(url.username))
    userinfo = `${URL_MASK}:${URL_MASK}@`
  } else if (url.username) {
    const user = decode(url.username)
    if (PLAIN_USER.test(user)) userinfo = `${url.username}@`
    else {
      found.push(url.username, user)
      userinfo = `${URL_MASK}@`
    }
  }
  const search = url.search ? `?${maskQuery(url.search.slice(1), found)}` : ''
  if (found.length === 0) return { masked: raw, found }
  // Rebuilt by hand: setting `search` or `username` on the URL would re-encode the parts that are not secret.
  return { masked: `${url.protocol}//${userinfo}${url.host}${url.pathname}${search}${url.hash}`, found }
}

/**
 * An unparseable URL is still scrubbed as text: everything between `//` and the last `@` of the authority, and the
 * secret parameters of whatever follows the first `?`.
 */
function scanText(raw: string, found: string[]): string {
  let out = raw
  const auth = /^([^:/?#]*:?\/\/)([^/?#]*)@/.exec(out)
  if (auth) {
    found.push(auth[2])
    out = `${auth[1]}${URL_MASK}@${out.slice(auth[0].length)}`
  }
  const q = out.indexOf('?')
  if (q >= 0) {
    const hash = out.indexOf('#', q)
    const end = hash < 0 ? out.length : hash
    out = `${out.slice(0, q + 1)}${maskQuery(out.slice(q + 1, end), found)}${out.slice(end)}`
  }
  return out
}

/**
 * The URL as it may be shown or logged: a password (with its username), a username that looks like a token, and the
 * values of secret-looking query parameters become `***`. Unchanged when it holds none; never throws.
 * @example maskUrl('https://me:tok@h.example/mcp?api_key=k&x=1') // 'https://***:***@h.example/mcp?api_key=***&x=1'
 */
export function maskUrl(raw: string): string {
  return scan(raw).masked
}

/** The nullable form for views: `null` stays `null`. */
export function maskOptionalUrl(raw: string | null | undefined): string | null {
  return raw == null ? null : maskUrl(raw)
}

/** The credential values `maskUrl` hides, to scrub from error text that may quote the URL. */
export function urlSecrets(raw: string | null | undefined): string[] {
  if (!raw) return []
  return [...new Set(scan(raw).found.filter((s) => s.length > 0))]
}

/**
 * A URL sent back by a client: the masked form of the stored URL means "keep the stored one" (the admin UI returns
 * what it was shown). Anything else, including a mask with another host or path, is taken as typed, so a stored
 * credential never follows an edit elsewhere.
 */
export function unmaskUrl(sent: string, stored: string | null | undefined): string {
  if (!stored || sent === stored) return sent
  return maskUrl(stored) === sent ? stored : sent
}
