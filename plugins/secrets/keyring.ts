// The keyring for secrets at rest: one active 256-bit key that encrypts, plus old keys kept only to decrypt.
// It parses the MCPO_SECRET_KEY setting; no message it raises ever contains key material.

import { createHash, createSecretKey, hkdfSync, type KeyObject, randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { GatewayError } from '../contract.ts'

export const KEY_BYTES = 32

/** What a key id may contain: it is written into every encrypted value, where ':' separates fields. */
export const KID_CHARS = '[A-Za-z0-9._-]{1,32}'
export const KID_PATTERN = new RegExp(`^${KID_CHARS}$`)
const KID_RULE = 'a key id must be 1-32 characters of A-Z a-z 0-9 . _ -'

const HEX_KEY = /^[0-9a-fA-F]{64}$/
// 32 bytes are 43 base64 characters plus one '=' of padding; one alphabet per key, never mixed.
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=?$/
const BASE64URL_KEY = /^[A-Za-z0-9_-]{43}=?$/

/** One key of a keyring, as given to `new Keyring()`. */
export interface KeyringEntry {
  /** Defaults to `keyId(key)`. */
  kid?: string
  key: Uint8Array
}

/**
 * Keys by id. The first entry is the active key: it encrypts. The others only decrypt, so values
 * written under a previous key stay readable until they are rotated.
 * @example const keyring = parseKeyring('k2:<new key>,k1:<old key>') // encrypts with k2, reads k1 and k2
 */
export class Keyring {
  /** The id of the key that encrypts. */
  readonly activeKid: string
  /** Every key id, the active one first. */
  readonly kids: readonly string[]
  // KeyObjects rather than Buffers: inspecting or logging one never prints the key bytes.
  readonly #keys: ReadonlyMap<string, KeyObject>

  constructor(entries: readonly KeyringEntry[]) {
    if (entries.length === 0) throw new GatewayError('MCPO_ERR_CONFIG', 'a keyring needs at least one key')
    const keys = new Map<string, KeyObject>()
    for (const [i, entry] of entries.entries()) {
      if (entry.key.length !== KEY_BYTES) {
        throw new GatewayError('MCPO_ERR_CONFIG', `key ${i + 1} must be ${KEY_BYTES} bytes (got ${entry.key.length})`)
      }
      const kid = entry.kid ?? keyId(entry.key)
      if (!KID_PATTERN.test(kid)) {
        throw new GatewayError('MCPO_ERR_CONFIG', `key ${i + 1}: ${KID_RULE} (got ${kid.length} characters)`)
      }
      if (keys.has(kid)) throw new GatewayError('MCPO_ERR_CONFIG', `key ${i + 1}: key id "${kid}" is used twice`)
      keys.set(kid, createSecretKey(entry.key))
    }
    this.#keys = keys
    this.kids = Object.freeze([...keys.keys()])
    this.activeKid = this.kids[0]
    Object.freeze(this)
  }

  has(kid: string): boolean {
    return this.#keys.has(kid)
  }

  /** The key with this id, or `undefined` when the keyring does not hold it. */
  key(kid: string): KeyObject | undefined {
    return this.#keys.get(kid)
  }

  toJSON(): { activeKid: string; kids: readonly string[] } {
    return { activeKid: this.activeKid, kids: this.kids }
  }

  [inspect.custom](): string {
    return `Keyring { activeKid: '${this.activeKid}', kids: [${this.kids.map((k) => `'${k}'`).join(', ')}] }`
  }
}

/** A key's default id: the first 8 hex characters of its SHA-256. Ids are public; they appear in every value. */
export function keyId(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8)
}

/** A new random key, encoded as the setting expects (base64url, no padding). */
export function generateSecretKey(): string {
  return randomBytes(KEY_BYTES).toString('base64url')
}

/**
 * Parses a secret-key setting: one key, or `kid:key` entries separated by commas, the first being
 * active. A key is 32 bytes as hex (64 characters) or base64/base64url (43, or 44 with padding).
 * An entry without `kid:` gets `keyId(key)`. `name` (the variable or file) prefixes every error.
 * @example parseKeyring(resolved.secretKey, 'MCPO_SECRET_KEY') // the value config/ read from the environment
 */
export function parseKeyring(setting: string, name = 'secret key'): Keyring {
  const trimmed = setting.trim()
  if (trimmed === '') throw new GatewayError('MCPO_ERR_CONFIG', `${name}: is empty (expected a 32-byte key)`)
  const parts = trimmed.split(',')
  const entries: KeyringEntry[] = []
  for (const [i, part] of parts.entries()) {
    // Entry numbers, not values, locate a problem: the value may be the key itself.
    const where = parts.length > 1 ? `${name}: entry ${i + 1}` : name
    const entry = part.trim()
    if (entry === '') throw new GatewayError('MCPO_ERR_CONFIG', `${where}: is empty`)
    const colon = entry.indexOf(':')
    const kid = colon === -1 ? undefined : entry.slice(0, colon).trim()
    const encoded = colon === -1 ? entry : entry.slice(colon + 1).trim()
    if (kid !== undefined && !KID_PATTERN.test(kid)) {
      throw new GatewayError('MCPO_ERR_CONFIG', `${where}: ${KID_RULE} (got ${kid.length} characters)`)
    }
    const key = decodeKey(encoded, where)
    const id = kid ?? keyId(key)
    // Defaulted ids collide too, when the same key is listed twice.
    if (entries.some((e) => e.kid === id)) {
      throw new GatewayError('MCPO_ERR_CONFIG', `${where}: key id "${id}" is used twice`)
    }
    entries.push({ kid: id, key })
  }
  return new Keyring(entries)
}

/** Decodes one 32-byte key from hex, base64 or base64url; `where` prefixes errors, which never echo the input. */
export function decodeKey(encoded: string, where = 'secret key'): Buffer {
  let key: Buffer
  if (HEX_KEY.test(encoded)) {
    key = Buffer.from(encoded, 'hex')
  } else if (BASE64_KEY.test(encoded) || BASE64URL_KEY.test(encoded)) {
    key = Buffer.from(encoded, 'base64')
    // Buffer decoding ignores the low bits of the last character; refuse a non-canonical form (a typo).
    const canonical = key.toString(encoded.includes('+') || encoded.includes('/') ? 'base64' : 'base64url')
    if (canonical.replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
      throw new GatewayError('MCPO_ERR_CONFIG', `${where}: is not a valid base64 encoding of ${KEY_BYTES} bytes`)
    }
  } else {
    throw new GatewayError(
      'MCPO_ERR_CONFIG',
      `${where}: must be ${KEY_BYTES} bytes as 64 hex or 43 base64/base64url characters (got ${describe(encoded)})`,
    )
  }
  if (key.every((b) => b === 0)) {
    throw new GatewayError('MCPO_ERR_CONFIG', `${where}: is all zero bytes (a placeholder?)`)
  }
  return key
}

// Says what is wrong with a bad key without echoing any of it.
function describe(encoded: string): string {
  if (encoded === '') return 'nothing'
  if (/\s/.test(encoded)) return `${encoded.length} characters including whitespace`
  if (/^[0-9a-fA-F]+$/.test(encoded)) return `${encoded.length} hex characters`
  if (/^[A-Za-z0-9+/_-]+=*$/.test(encoded)) return `${encoded.length} base64 characters`
  return `${encoded.length} characters, some outside hex and base64`
}

/**
 * A 32-byte key for one purpose (e.g. signing session tokens), derived from the active key with HKDF-SHA256, so
 * plugins never hold the master key. Rotating the master key changes every derived key.
 */
export function deriveKey(keyring: Keyring, purpose: string): Uint8Array {
  const master = keyring.key(keyring.activeKid)
  if (!master) throw new Error('the keyring has no active key')
  return new Uint8Array(hkdfSync('sha256', master.export(), 'mcpo', purpose, 32))
}
