import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { resolveConfig } from '../../config/resolve.ts'
import { createLogger } from '../logger.ts'
import { Cluster } from './index.ts'

const logger = createLogger('silent')
const keyring = {} as never

describe('cluster mode', () => {
  it('is off without a cluster section, and refused on the embedded store', () => {
    assert.equal(Cluster.open({ config: resolveConfig({}, { env: {} }), keyring, logger }), null)
    assert.throws(
      () => Cluster.open({ config: resolveConfig({}, { env: { MCPO_NODE_ID: 'n1' } }), keyring, logger }),
      /cluster: needs PostgreSQL storage/,
    )
  })

  it('takes its node id and address from the environment, and checks them', () => {
    const config = resolveConfig(
      {},
      {
        env: { MCPO_NODE_ID: 'node-7', MCPO_CLUSTER_INTERNAL_URL: 'http://node7:8080', DATABASE_URL: 'postgres://x/y' },
      },
    )
    assert.deepEqual(config.cluster, {
      nodeId: 'node-7',
      internalUrl: 'http://node7:8080',
      heartbeatMs: 2000,
      deadAfterMs: 10_000,
      connectTimeoutMs: 2000,
    })
    assert.throws(() => resolveConfig({}, { env: { MCPO_NODE_ID: 'a.b' } }), /cluster\.nodeId: must be 1-40 letters/)
    assert.throws(
      () => resolveConfig({ cluster: { heartbeatMs: 1000, deadAfterMs: 1500 } }, { env: {} }),
      /cluster\.deadAfterMs: deadAfterMs must be at least twice heartbeatMs/,
    )
  })
})
