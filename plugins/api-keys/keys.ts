// Project API keys: `mcp_proj_` + 32 random bytes in base62. Only a SHA-256 hash and a display prefix are stored.
import { hash, randomBytes } from 'node:crypto'

export const KEY_PREFIX = 'mcp_proj_'
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** A new key; shown to its owner once and never stored. */
export function generateApiKey(): string {
  let n = BigInt(`0x${randomBytes(32).toString('hex')}`)
  let out = ''
  while (n > 0n) {
    out = BASE62[Number(n % 62n)] + out
    n /= 62n
  }
  return KEY_PREFIX + out.padStart(43, '0')
}

export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex')
}

/** What lists show: enough to recognise a key, never enough to use it. */
export function displayParts(key: string): { prefix: string; suffix: string } {
  return { prefix: key.slice(0, KEY_PREFIX.length + 4), suffix: key.slice(-4) }
}

/** The key in `Authorization: Bearer mcp_proj_…`, or null. */
export function bearerKey(authorization: string | undefined): string | null {
  if (!authorization) return null
  const m = /^Bearer\s+(mcp_proj_[A-Za-z0-9]{1,200})\s*$/i.exec(authorization)
  return m ? m[1] : null
}
