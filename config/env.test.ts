import assert from 'node:assert/strict'
import { cpSync } from 'node:fs'
import { after, describe, it } from 'node:test'
import { isGatewayError } from '../gateway/errors.ts'
import { embeddedStorage } from '../plugins/storage/index.ts'
import { templateDataDir } from '../test/harness.ts'
import { tempDir } from '../test/kit/temp-dir.ts'
import { inheritedEnvironment, withStorageChecks } from './env.ts'
import { resolveConfig } from './resolve.ts'

describe('environment outside the settings', () => {
  it('a stdio upstream inherits only the minimal set, without exported shell functions', () => {
    assert.deepEqual(
      inheritedEnvironment({ PATH: '/bin', HOME: '/h', DATABASE_URL: 'postgres://x', SHELL: '() { evil; }' }),
      { PATH: '/bin', HOME: '/h' },
    )
  })

  const dir = tempDir('env-checks')
  after(() => dir.cleanup())
  // A copy of an initialised database: creating one takes seconds.
  const data = async () => {
    cpSync(await templateDataDir(), dir.path, { recursive: true })
    return dir.path
  }

  it('MCPO_DEBUG_STORE=1 opens the embedded store with its transaction check on, and only then', async () => {
    const logger = { debug() {}, info() {}, warn() {}, error() {} }
    const checked = resolveConfig({ dataDir: await data() }, { env: { MCPO_DEBUG_STORE: '1' } })
    assert.equal(checked.storage.kind, 'embedded')
    const store = await checked.storage.open({ logger, dataDir: checked.dataDir })
    try {
      await store.migrate()
      await assert.rejects(
        store.transaction(() => store.projects.get('nope')),
        (err: unknown) => isGatewayError(err, 'MCPO_ERR_INTERNAL'),
      )
    } finally {
      await store.close()
    }
    const factory = embeddedStorage({ dir: dir.path })
    assert.equal(withStorageChecks(factory, { MCPO_DEBUG_STORE: '0' }), factory, 'unchanged without the flag')
  })
})
