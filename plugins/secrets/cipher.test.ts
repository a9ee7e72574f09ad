import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { isGatewayError } from '../contract.ts'
import {
  decrypt,
  decryptRecord,
  encrypt,
  encryptRecord,
  isEncrypted,
  keyIdOf,
  MASK,
  maskRecord,
  rotate,
  rotateRecord,
} from './cipher.ts'
import { Keyring } from './keyring.ts'

const oldKey = randomBytes(32)
const newKey = randomBytes(32)
const before = new Keyring([{ kid: 'k1', key: oldKey }])
// After rotation: k2 encrypts, k1 stays to read what it wrote.
const after = new Keyring([
  { kid: 'k2', key: newKey },
  { kid: 'k1', key: oldKey },
])

// Replaces one byte of a base64url field, keeping the value well formed.
function flipByte(value: string, field: 2 | 3, index: number): string {
  const parts = value.split(':')
  const bytes = Buffer.from(parts[field], 'base64url')
  bytes[index < 0 ? bytes.length + index : index] ^= 0x01
  parts[field] = bytes.toString('base64url')
  return parts.join(':')
}

describe('encrypt and decrypt', () => {
  it('round-trips ASCII, unicode, the empty string and long values', () => {
    for (const plain of ['ghp_abc123', 'pässwörd 🔑 秘密 \u0000 \n', '', 'x'.repeat(100_000)]) {
      const value = encrypt(before, plain)
      assert.ok(isEncrypted(value))
      assert.equal(decrypt(before, value), plain)
    }
  })

  it('writes v1:<kid>:<12-byte iv>:<ciphertext+16-byte tag> without the plaintext', () => {
    const plain = 'super-secret-token'
    const value = encrypt(before, plain, 'server:1:env')
    const [version, kid, iv, body] = value.split(':')
    assert.equal(version, 'v1')
    assert.equal(kid, 'k1')
    assert.equal(Buffer.from(iv, 'base64url').length, 12)
    assert.equal(Buffer.from(body, 'base64url').length, Buffer.byteLength(plain) + 16)
    assert.ok(!value.includes(plain))
    assert.ok(!value.includes(Buffer.from(plain).toString('base64url')))
    assert.equal(keyIdOf(value), 'k1')
  })

  it('uses a fresh random IV per value, so equal plaintexts encrypt differently', () => {
    const values = new Set(Array.from({ length: 50 }, () => encrypt(before, 'same')))
    const ivs = new Set([...values].map((v) => v.split(':')[2]))
    assert.equal(values.size, 50)
    assert.equal(ivs.size, 50)
  })

  it('binds the value to its aad: another or a missing aad fails', () => {
    const value = encrypt(before, 'token', 'project:a:server:1')
    assert.equal(decrypt(before, value, 'project:a:server:1'), 'token')
    assert.throws(() => decrypt(before, value, 'project:b:server:1'), { code: 'MCPO_ERR_INTERNAL' })
    assert.throws(() => decrypt(before, value), { code: 'MCPO_ERR_INTERNAL' })
    // No aad and an empty aad are the same context.
    assert.equal(decrypt(before, encrypt(before, 'x'), ''), 'x')
  })

  it('detects a flipped bit in the ciphertext, the tag or the IV, and truncation', () => {
    const value = encrypt(before, 'a secret worth altering')
    const altered = [
      flipByte(value, 3, 0), // ciphertext
      flipByte(value, 3, -1), // tag
      flipByte(value, 2, 5), // iv
      value.slice(0, -4), // truncated tag
    ]
    for (const bad of altered) {
      assert.notEqual(bad, value)
      assert.throws(
        () => decrypt(before, bad),
        (err) => isGatewayError(err, 'MCPO_ERR_INTERNAL') && /could not decrypt/.test(err.message),
      )
    }
  })

  it('fails when the key id in the header is swapped for another known key', () => {
    const value = encrypt(after, 'token')
    const relabelled = value.replace(/^v1:k2:/, 'v1:k1:')
    assert.throws(() => decrypt(after, relabelled), /could not decrypt a secret with key id "k1"/)
  })

  it('names an unknown key id and the keys it has, as a config error', () => {
    const value = encrypt(new Keyring([{ kid: 'gone', key: randomBytes(32) }]), 'token')
    assert.throws(
      () => decrypt(after, value),
      (err) =>
        isGatewayError(err, 'MCPO_ERR_CONFIG') &&
        err.message.includes('"gone"') &&
        err.message.includes('k2, k1') &&
        err.details?.kid === 'gone',
    )
  })

  it('refuses a plaintext or malformed value without quoting it', () => {
    for (const bad of ['hunter2-plaintext', 'v2:k1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA', 'v1:k1:short:body', '']) {
      assert.throws(
        () => decrypt(before, bad),
        (err) => isGatewayError(err, 'MCPO_ERR_INTERNAL') && (bad === '' || !err.message.includes(bad)),
      )
    }
  })

  it('never puts the plaintext or the key in a decryption error', () => {
    const plain = 'plaintext-that-must-not-leak'
    const value = encrypt(before, plain, 'ctx')
    try {
      decrypt(before, value, 'other')
      assert.fail('decrypt should have thrown')
    } catch (err) {
      const shown = `${(err as Error).message} ${JSON.stringify((err as { details?: unknown }).details)} ${String((err as Error).cause)}`
      assert.ok(!shown.includes(plain))
      assert.ok(!shown.includes(oldKey.toString('hex').slice(0, 16)))
      assert.ok(!shown.includes(oldKey.toString('base64url').slice(0, 16)))
    }
  })

  it('throws rather than return a plaintext when given a non-string', () => {
    assert.throws(() => encrypt(before, 42 as unknown as string), { code: 'MCPO_ERR_INTERNAL' })
    assert.throws(() => encrypt(before, undefined as unknown as string), { code: 'MCPO_ERR_INTERNAL' })
  })
})

describe('isEncrypted', () => {
  it('recognises encrypted values only', () => {
    assert.ok(isEncrypted(encrypt(before, '')))
    for (const v of ['', 'plain', 'v1:k1:x:y', 'Bearer abc', 'v1::AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA', 42, null]) {
      assert.equal(isEncrypted(v), false, String(v))
    }
  })
})

describe('rotation', () => {
  it('still decrypts values written under an old key', () => {
    const value = encrypt(before, 'written before rotation', 'ctx')
    assert.equal(decrypt(after, value, 'ctx'), 'written before rotation')
  })

  it('encrypts new values under the active key', () => {
    assert.equal(keyIdOf(encrypt(after, 'new')), 'k2')
  })

  it('rotate moves a value to the active key, keeping plaintext and aad', () => {
    const old = encrypt(before, 'rotate me', 'ctx')
    const moved = rotate(after, old, 'ctx')
    assert.equal(keyIdOf(moved), 'k2')
    assert.equal(decrypt(after, moved, 'ctx'), 'rotate me')
    // Once the old key is retired, the rotated value is still readable and the old one is not.
    const retired = new Keyring([{ kid: 'k2', key: newKey }])
    assert.equal(decrypt(retired, moved, 'ctx'), 'rotate me')
    assert.throws(() => decrypt(retired, old, 'ctx'), { code: 'MCPO_ERR_CONFIG' })
  })

  it('rotate is a no-op for a value already under the active key', () => {
    const current = encrypt(after, 'already new')
    assert.equal(rotate(after, current), current)
  })

  it('rotate fails on the wrong aad instead of re-encrypting garbage', () => {
    const old = encrypt(before, 'x', 'ctx')
    assert.throws(() => rotate(after, old, 'other'), { code: 'MCPO_ERR_INTERNAL' })
  })
})

describe('records', () => {
  const env: Record<string, string> = { GITHUB_TOKEN: 'ghp_secret', EMPTY: '', UNICODE: 'ключ' }
  const headers = JSON.parse('{"Authorization":"Bearer t0ken","__proto__":"proto-header-value"}') as Record<
    string,
    string
  >

  it('encryptRecord/decryptRecord round-trip every value and keep the keys', () => {
    for (const record of [env, headers, {}]) {
      const sealed = encryptRecord(after, record, 'server:1')
      assert.deepEqual(Object.keys(sealed), Object.keys(record))
      for (const [k, v] of Object.entries(sealed)) {
        assert.ok(isEncrypted(v), k)
        // Only long values: a short one can occur in base64 by chance.
        if (record[k].length >= 8) assert.ok(!v.includes(record[k]))
      }
      assert.deepEqual(decryptRecord(after, sealed, 'server:1'), { ...record })
    }
    assert.equal(Object.hasOwn(encryptRecord(after, headers), '__proto__'), true)
  })

  it('decryptRecord rejects a plaintext value instead of passing it through', () => {
    const sealed = { ...encryptRecord(after, { A: 'a' }), B: 'plain' }
    assert.throws(() => decryptRecord(after, sealed), { code: 'MCPO_ERR_INTERNAL' })
  })

  it('decryptRecord checks the aad of every value', () => {
    const sealed = encryptRecord(after, { A: 'a' }, 'server:1')
    assert.throws(() => decryptRecord(after, sealed, 'server:2'), { code: 'MCPO_ERR_INTERNAL' })
  })

  it('rotateRecord moves every value to the active key', () => {
    const sealed = encryptRecord(before, { A: 'a', B: 'b' })
    const rotated = rotateRecord(after, sealed)
    assert.deepEqual(Object.values(rotated).map(keyIdOf), ['k2', 'k2'])
    assert.deepEqual(decryptRecord(after, rotated), { A: 'a', B: 'b' })
  })

  it('maskRecord keeps the keys and shows no plaintext, nor its length', () => {
    const masked = maskRecord(env)
    assert.deepEqual(Object.keys(masked), Object.keys(env))
    const text = JSON.stringify(masked)
    for (const v of Object.values(env)) if (v !== '') assert.ok(!text.includes(v), v)
    assert.ok(Object.values(masked).every((v) => v === MASK))
    assert.deepEqual(maskRecord({}), {})
  })
})
