// Key rotation: every stored server secret (env, headers, OAuth client secret) is re-encrypted under the new key and
// still decrypts without the old one.
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, it } from 'node:test'
import { openServerAuth, rotateServerSecrets, sealServerAuth, serverAad } from '../../gateway/server-secrets.ts'
import { decryptRecord, encryptRecord, keyIdOf } from '../../plugins/secrets/cipher.ts'
import { parseKeyring } from '../../plugins/secrets/keyring.ts'
import { openEmbeddedStore } from '../../plugins/storage/embedded.ts'
import { templateDataDir } from '../harness.ts'

const dir = mkdtempSync(join(tmpdir(), 'mcpo-rotate-'))
after(() => rmSync(dir, { recursive: true, force: true }))

it('re-encrypts server env, headers and OAuth client secret under the active key', async () => {
  cpSync(await templateDataDir(), dir, { recursive: true })
  const oldKey = `old:${'a'.repeat(64)}`
  const newKey = `new:${'b'.repeat(64)}`
  const before = parseKeyring(oldKey)
  const store = await openEmbeddedStore({ dir })
  try {
    await store.projects.create({ id: 'p', name: 'P' })
    const env = { TOKEN: 'ghp_supersecretvalue' }
    const headers = { authorization: 'Bearer upstream-secret' }
    await store.servers.create({
      projectId: 'p',
      name: 's',
      transport: 'streamable-http',
      url: 'http://127.0.0.1:1/mcp',
      env: encryptRecord(before, env, serverAad('p', 's', 'env')),
      headers: encryptRecord(before, headers, serverAad('p', 's', 'headers')),
      auth: sealServerAuth(
        before,
        { projectId: 'p', name: 's' },
        { type: 'oauth', credentials: 'user', clientId: 'c', clientSecret: 'oauth-client-secret', scopes: [] },
      ),
    })
    const both = parseKeyring(`${newKey},${oldKey}`)
    assert.equal(await rotateServerSecrets(store, both), 1)
    assert.equal(await rotateServerSecrets(store, both), 0, 'a second run has nothing to do')
    const row = await store.servers.get('p', 's')
    assert.ok(row)
    assert.equal(keyIdOf(row.env.TOKEN), 'new')
    assert.equal(keyIdOf(row.headers.authorization), 'new')
    assert.equal(keyIdOf(row.auth?.clientSecret ?? ''), 'new')
    assert.doesNotMatch(JSON.stringify(row), /supersecret|upstream-secret|oauth-client-secret/)
    const onlyNew = parseKeyring(newKey)
    assert.deepEqual(decryptRecord(onlyNew, row.env, serverAad('p', 's', 'env')), env)
    assert.deepEqual(decryptRecord(onlyNew, row.headers, serverAad('p', 's', 'headers')), headers)
    assert.equal(openServerAuth(onlyNew, row)?.clientSecret, 'oauth-client-secret')
  } finally {
    await store.close()
  }
})
