// Redaction of audit payloads: secrets never reach the audit table, whatever shape a route gives `before`/`after`.
import { compileGlobs, type Glob } from '../glob.ts'

export const REDACTED = '[redacted]'

/** Keys whose value is a credential wherever they appear. */
const SECRET_KEY = /pass(word|phrase)?|token|secret|authori[sz]ation|cookie|api[-_]?key|private[-_]?key|credential/i
/** Maps whose every value may be a credential (server env, upstream headers): names stay, values go. */
const VALUE_MAPS = new Set(['env', 'headers', 'environment'])

/**
 * A deep copy of `value` with secret-looking fields replaced; bounded depth so a cycle cannot hang the writer.
 * `extra` also redacts keys it matches (a project's own redaction rules for captured tool arguments).
 */
export function redact(value: unknown, depth = 0, extra: Glob | null = null): unknown {
  if (value === null || typeof value !== 'object') return value
  if (depth > 12) return REDACTED
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, extra))
  if (value instanceof Date) return value.toISOString()
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_KEY.test(k) || extra?.test(k)) out[k] = v === null || v === undefined || v === '' ? v : REDACTED
    else if (VALUE_MAPS.has(k.toLowerCase()) && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.keys(v).map((name) => [name, REDACTED]))
    } else out[k] = redact(v, depth + 1, extra)
  }
  return out
}

/** Key globs (`*` any run of characters, case-insensitive) as one matcher; null when there are none. */
export function keyPatterns(globs: readonly string[]): Glob | null {
  return compileGlobs(globs, { ignoreCase: true })
}
