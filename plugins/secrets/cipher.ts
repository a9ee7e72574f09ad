// AES-256-GCM for secrets at rest: self-describing `v1:<kid>:<iv>:<ciphertext+tag>` strings, rotation, masking.
// Every failure throws; nothing here ever returns or logs a plaintext in place of a ciphertext.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { GatewayError } from '../contract.ts'
import { type Keyring, KID_CHARS } from './keyring.ts'

const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16
// v1 : kid : 12-byte IV (16 base64url chars) : ciphertext + 16-byte tag (at least 22 chars).
const ENCRYPTED = new RegExp(`^${VERSION}:${KID_CHARS}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22,}$`)

/** What `maskRecord` shows in place of every value; the same for all, so it reveals no length. */
export const MASK = '••••••'

/**
 * Encrypts `plaintext` under the keyring's active key with a fresh random IV. `aad` binds the value to
 * where it is stored (say `server:<id>:env`): decrypting needs the same `aad`. No `aad` equals `''`.
 * @example const stored = encrypt(keyring, token, `server:${id}:headers`) // 'v1:3f2a9c1d:…:…'
 */
export function encrypt(keyring: Keyring, plaintext: string, aad?: string): string {
  if (typeof plaintext !== 'string') throw new GatewayError('MCPO_ERR_INTERNAL', 'only strings can be encrypted')
  const kid = keyring.activeKid
  try {
    // Random 96-bit IVs: fine for far more values than a gateway stores under one key (NIST SP 800-38D §8.3).
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', keyring.key(kid)!, iv, { authTagLength: TAG_BYTES })
    cipher.setAAD(additionalData(kid, aad))
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
    return `${VERSION}:${kid}:${iv.toString('base64url')}:${body.toString('base64url')}`
  } catch (cause) {
    throw new GatewayError('MCPO_ERR_INTERNAL', 'could not encrypt a secret', { cause, details: { kid } })
  }
}

/**
 * Decrypts a value from `encrypt`, with whichever keyring key its id names. Throws on an unknown key id,
 * a malformed value, or a failed authentication (wrong key, altered bytes, or another `aad`).
 */
export function decrypt(keyring: Keyring, value: string, aad?: string): string {
  const { kid, iv, body } = parse(value)
  const key = keyring.key(kid)
  if (key === undefined) {
    throw new GatewayError(
      'MCPO_ERR_CONFIG',
      `a secret is encrypted with key id "${kid}", which the keyring does not hold (it has ${keyring.kids.join(', ')}); ` +
        'list that key after the active one (MCPO_SECRET_KEY or secret.key)',
      { details: { kid } },
    )
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
    decipher.setAAD(additionalData(kid, aad))
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
    const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()])
    return plain.toString('utf8')
  } catch (cause) {
    throw new GatewayError(
      'MCPO_ERR_INTERNAL',
      `could not decrypt a secret with key id "${kid}": it was altered, or stored with another context`,
      { cause, details: { kid } },
    )
  }
}

/** Whether `value` has the shape `encrypt` produces. It checks the shape only, not the key or the tag. */
export function isEncrypted(value: unknown): value is string {
  return typeof value === 'string' && ENCRYPTED.test(value)
}

/** The key id a value was encrypted with; throws when `value` is not an encrypted value. */
export function keyIdOf(value: string): string {
  return parse(value).kid
}

/**
 * Re-encrypts `value` under the active key. A value already under it is returned as is, unverified,
 * so a rotation pass over many rows costs nothing for rows it already did.
 */
export function rotate(keyring: Keyring, value: string, aad?: string): string {
  if (parse(value).kid === keyring.activeKid) return value
  return encrypt(keyring, decrypt(keyring, value, aad), aad)
}

/** Encrypts every value of an env or header map; all values share `aad`. */
export function encryptRecord(
  keyring: Keyring,
  record: Readonly<Record<string, string>>,
  aad?: string,
): Record<string, string> {
  return mapValues(record, (v) => encrypt(keyring, v, aad))
}

/** Decrypts every value of a map from `encryptRecord`; a plaintext value among them is an error, not passed through. */
export function decryptRecord(
  keyring: Keyring,
  record: Readonly<Record<string, string>>,
  aad?: string,
): Record<string, string> {
  return mapValues(record, (v) => decrypt(keyring, v, aad))
}

/** Rotates every value of a map from `encryptRecord` to the active key. */
export function rotateRecord(
  keyring: Keyring,
  record: Readonly<Record<string, string>>,
  aad?: string,
): Record<string, string> {
  return mapValues(record, (v) => rotate(keyring, v, aad))
}

/** The same keys with every value replaced by `MASK`, for API responses. */
export function maskRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return mapValues(record, () => MASK)
}

// Binds the header to the ciphertext too; kids never contain ':', so the join is unambiguous.
function additionalData(kid: string, aad: string | undefined): Buffer {
  return Buffer.from(`${VERSION}:${kid}:${aad ?? ''}`, 'utf8')
}

function parse(value: string): { kid: string; iv: Buffer; body: Buffer } {
  // The message never quotes the value: a plaintext secret may have landed here by mistake.
  if (!isEncrypted(value)) {
    throw new GatewayError('MCPO_ERR_INTERNAL', `a stored secret is not an encrypted ${VERSION} value`)
  }
  const [, kid, iv, body] = value.split(':')
  return { kid, iv: Buffer.from(iv, 'base64url'), body: Buffer.from(body, 'base64url') }
}

// Object.fromEntries defines own properties, so a key such as '__proto__' stays an ordinary key.
function mapValues(record: Readonly<Record<string, string>>, fn: (v: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v)]))
}
