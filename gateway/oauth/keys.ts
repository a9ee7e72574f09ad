// The keys mcpo signs access tokens with. They live in the database, sealed with the keyring, so every node of a
// cluster signs with the same newest key and verifies with all of them. A key signs for `rotateAfterS`; then a new
// one is made and the old one stays published (and accepted) until every token it signed has expired.
import { randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import { decrypt, encrypt } from '../../plugins/secrets/cipher.ts'
import type { Keyring } from '../../plugins/secrets/keyring.ts'
import type { Store } from '../../plugins/storage/port.ts'

export const SIGNING_ALG = 'ES256'
const AAD = 'oauth signing key'

export interface SigningKeySet {
  /** Private JWKs, the signing one first. */
  privateKeys: JWK[]
  /** Public JWKs of every key still accepted. */
  publicKeys: JWK[]
  /** When the newest key was made (ms). */
  newestAt: number
}

export class SigningKeys {
  constructor(
    private readonly store: Store,
    private readonly keyring: Keyring,
    private readonly options: { rotateAfterS: number; graceS: number },
  ) {}

  /** The current set, making a key first when there is none or the newest is due for rotation. */
  async load(): Promise<SigningKeySet> {
    let keys = await this.store.oauth.signingKeys()
    const newest = keys.find((k) => k.retiredAt === null)
    if (!newest || Date.now() - newest.createdAt.getTime() > this.options.rotateAfterS * 1000) {
      const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true })
      const jwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: SIGNING_ALG, use: 'sig' }
      await this.store.oauth.addSigningKey(jwk.kid, encrypt(this.keyring, JSON.stringify(jwk), AAD))
      // Another node may have rotated at the same moment: both keys are valid, the newest of them signs.
      for (const k of keys) if (k.retiredAt === null) await this.store.oauth.retireSigningKey(k.kid)
      await this.store.oauth.dropRetiredKeys(this.options.graceS)
      keys = await this.store.oauth.signingKeys()
    }
    const privateKeys = keys.map((k) => JSON.parse(decrypt(this.keyring, k.sealedJwk, AAD)) as JWK)
    return {
      privateKeys,
      publicKeys: privateKeys.map(({ d: _d, ...pub }) => pub),
      newestAt: keys[0].createdAt.getTime(),
    }
  }
}
