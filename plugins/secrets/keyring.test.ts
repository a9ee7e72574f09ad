import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { inspect } from 'node:util'
import { isGatewayError } from '../contract.ts'
import { generateSecretKey, Keyring, keyId, parseKeyring } from './keyring.ts'

// Asserts that parsing fails with a config error whose message, details and cause hold none of `secret`.
function rejectsWithoutEcho(setting: string, secret: string, pattern: RegExp) {
  let caught: unknown
  try {
    parseKeyring(setting, 'MCPO_SECRET_KEY')
  } catch (err) {
    caught = err
  }
  assert.ok(isGatewayError(caught, 'MCPO_ERR_CONFIG'), `expected a config error, got ${String(caught)}`)
  assert.match(caught.message, pattern)
  assert.match(caught.message, /^MCPO_SECRET_KEY/)
  const everything = `${caught.message} ${JSON.stringify(caught.details ?? {})} ${String(caught.cause ?? '')}`
  for (const piece of [secret, secret.slice(0, 12), secret.slice(-12)]) {
    if (piece.length >= 8) assert.ok(!everything.includes(piece), `error echoes part of the key: ${caught.message}`)
  }
}

describe('parseKeyring', () => {
  const raw = randomBytes(32)

  it('accepts hex, base64 and base64url encodings of the same key as the same key', () => {
    const encodings = [
      raw.toString('hex'),
      raw.toString('hex').toUpperCase(),
      raw.toString('base64'),
      raw.toString('base64').replace(/=$/, ''),
      raw.toString('base64url'),
      ` ${raw.toString('base64url')}\n`,
    ]
    for (const encoded of encodings) {
      const keyring = parseKeyring(encoded)
      assert.equal(keyring.activeKid, keyId(raw))
      assert.deepEqual(keyring.key(keyring.activeKid)!.export(), raw)
    }
  })

  it('derives the key id from the SHA-256 of the key: 8 hex characters, stable', () => {
    assert.match(keyId(raw), /^[0-9a-f]{8}$/)
    assert.equal(parseKeyring(raw.toString('hex')).activeKid, parseKeyring(raw.toString('base64url')).activeKid)
    assert.notEqual(keyId(raw), keyId(randomBytes(32)))
  })

  it('reads a kid:key list with the first entry active and the rest kept for decryption', () => {
    const old1 = randomBytes(32)
    const old2 = randomBytes(32)
    const keyring = parseKeyring(
      `k3:${raw.toString('base64url')}, k2:${old1.toString('hex')},${old2.toString('base64')}`,
    )
    assert.equal(keyring.activeKid, 'k3')
    assert.deepEqual(keyring.kids, ['k3', 'k2', keyId(old2)])
    assert.deepEqual(keyring.key('k2')!.export(), old1)
    assert.ok(keyring.has(keyId(old2)))
    assert.equal(keyring.key('nope'), undefined)
  })

  it('accepts generated keys', () => {
    const encoded = generateSecretKey()
    assert.match(encoded, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(parseKeyring(encoded).kids.length, 1)
    assert.notEqual(generateSecretKey(), encoded)
  })

  it('rejects keys of the wrong length without echoing them', () => {
    const short = randomBytes(31).toString('hex')
    rejectsWithoutEcho(short, short, /32 bytes.*got 62 hex characters/)
    const long = randomBytes(33).toString('base64url')
    rejectsWithoutEcho(long, long, /got 44 base64 characters/)
    const b64of16 = randomBytes(16).toString('base64')
    rejectsWithoutEcho(b64of16, b64of16, /32 bytes/)
  })

  it('rejects characters outside hex and base64, and mixed base64 alphabets', () => {
    const key = raw.toString('base64url')
    const bad = `${key.slice(0, 20)}!${key.slice(21)}`
    rejectsWithoutEcho(bad, bad, /outside hex and base64/)
    const mixed = `${'+'}${'_'}${key.slice(2)}`
    rejectsWithoutEcho(mixed, mixed, /32 bytes/)
    const spaced = `${key.slice(0, 20)} ${key.slice(20)}`
    rejectsWithoutEcho(spaced, key.slice(0, 20), /whitespace/)
  })

  it('rejects a non-canonical base64 last character, which would decode to a key different from the text', () => {
    // 43 characters carry 258 bits; the last character's low two bits must be zero.
    const key = Buffer.alloc(32, 7).toString('base64url')
    const last = key.at(-1)!
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const twisted = key.slice(0, -1) + alphabet[alphabet.indexOf(last) + 1]
    rejectsWithoutEcho(twisted, twisted, /not a valid base64 encoding/)
  })

  it('rejects an empty setting, empty list entries and an all-zero placeholder key', () => {
    rejectsWithoutEcho('', 'unused-secret-text', /is empty/)
    rejectsWithoutEcho('   ', 'unused-secret-text', /is empty/)
    const key = raw.toString('base64url')
    rejectsWithoutEcho(`a:${key},`, key, /entry 2: is empty/)
    rejectsWithoutEcho('0'.repeat(64), 'unused-secret-text', /all zero/)
  })

  it('names the failing entry of a list without echoing any key in it', () => {
    const good = raw.toString('base64url')
    const bad = randomBytes(20).toString('hex')
    rejectsWithoutEcho(`new:${good},old:${bad}`, bad, /^MCPO_SECRET_KEY: entry 2: must be 32 bytes/)
  })

  it('rejects invalid and duplicate key ids, without echoing a key written where the id goes', () => {
    const key = raw.toString('base64url')
    rejectsWithoutEcho(`${key}:main`, key, /key id must be.*got 43 characters/)
    rejectsWithoutEcho(`bad id:${key}`, key, /key id must be/)
    rejectsWithoutEcho(`:${key}`, key, /key id must be.*got 0 characters/)
    rejectsWithoutEcho(`a:${key},a:${randomBytes(32).toString('hex')}`, key, /entry 2: key id "a" is used twice/)
    rejectsWithoutEcho(`${key},${raw.toString('hex')}`, key, /is used twice/)
  })
})

describe('Keyring', () => {
  it('never shows key bytes when logged, inspected or serialized', () => {
    const raw = randomBytes(32)
    const keyring = new Keyring([{ kid: 'k1', key: raw }, { key: randomBytes(32) }])
    const shown = `${inspect(keyring, { depth: 5, showHidden: true })} ${JSON.stringify(keyring)} ${String(keyring)}`
    for (const encoding of ['hex', 'base64', 'base64url'] as const) {
      assert.ok(!shown.includes(raw.toString(encoding).slice(0, 16)), shown)
    }
    assert.match(JSON.stringify(keyring), /"activeKid":"k1"/)
    assert.ok(Object.isFrozen(keyring))
  })

  it('refuses no keys, wrong sizes and bad ids', () => {
    assert.throws(() => new Keyring([]), { code: 'MCPO_ERR_CONFIG' })
    assert.throws(() => new Keyring([{ key: randomBytes(16) }]), { code: 'MCPO_ERR_CONFIG', message: /32 bytes/ })
    assert.throws(() => new Keyring([{ kid: 'a:b', key: randomBytes(32) }]), /key id must be/)
    assert.throws(
      () =>
        new Keyring([
          { kid: 'a', key: randomBytes(32) },
          { kid: 'a', key: randomBytes(32) },
        ]),
      /used twice/,
    )
  })
})
