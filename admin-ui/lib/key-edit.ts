// The admin key console's edit form: a key's expiry (a day) and rate limit (requests per seconds) as the body of
// PUT /api/projects/:id/api-keys/:keyId. Mirrors the API's rules (gateway/api/api-keys.ts): a future expiry or none,
// whole numbers from 1, or no limit at all.

export interface RateLimit {
  requests: number
  perSeconds: number
}

/** The form's fields as typed: empty expiry means never, both rate fields empty means no limit. */
export interface KeyDraft {
  expires: string
  requests: string
  perSeconds: string
}

export type KeyEdit =
  | { ok: true; body: { expiresAt: string | null; rateLimit: RateLimit | null } }
  | { ok: false; errors: Record<string, string> }

/** A date input's value (YYYY-MM-DD, local time: the input has no zone) for an ISO time. */
export function dateValue(iso: string | null): string {
  if (!iso) return ''
  const d = new Date(iso)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

/** The draft as the PUT body, or the field errors that stop it. */
export function keyEditBody(d: KeyDraft, now = Date.now()): KeyEdit {
  const errors: Record<string, string> = {}
  // A key expires at the end of the chosen day, so "today" still works until midnight.
  const expiresAt = d.expires ? new Date(`${d.expires}T23:59:59`) : null
  if (expiresAt && !(expiresAt.getTime() > now)) errors.expiresAt = 'Choose a day from today on'
  const [req, per] = [d.requests.trim(), d.perSeconds.trim()]
  let rateLimit: RateLimit | null = null
  if (req || per) {
    const requests = Number(req)
    const perSeconds = Number(per)
    if (!req || !Number.isInteger(requests) || requests < 1) errors.requests = 'A whole number, 1 or more'
    if (!per || !Number.isInteger(perSeconds) || perSeconds < 1)
      errors.perSeconds = 'A whole number of seconds, 1 or more'
    rateLimit = { requests, perSeconds }
  }
  if (Object.keys(errors).length) return { ok: false, errors }
  return { ok: true, body: { expiresAt: expiresAt?.toISOString() ?? null, rateLimit } }
}
