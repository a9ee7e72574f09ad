import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { isGatewayError } from '../plugins/contract.ts'
import { orderPlugins } from '../plugins/host.ts'
import { defaultPlugins } from './default-plugins.ts'
import { apiKeys, oidc, sessions } from './index.ts'
import { resolveConfig } from './resolve.ts'

const root = join(import.meta.dirname, '..')
const names = (plugins: readonly { name: string }[]) => plugins.map((p) => p.name)
const keyed = [{ id: 'demo', name: 'Demo', apiKeys: [{ name: 'ci', key: `mcp_proj_${'k'.repeat(32)}` }] }]

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err) => {
    assert.ok(isGatewayError(err, 'MCPO_ERR_CONFIG'), String(err))
    assert.match(err.message, pattern)
    return true
  })
}

describe('plugins in the config', () => {
  it('left out, they are the default set: the shipped mcpo.config.ts set', async () => {
    const resolved = resolveConfig({}, { env: {} })
    assert.deepEqual(names(resolved.plugins), names(defaultPlugins({})))
    const shipped = (await import(join(root, 'mcpo.config.ts'))).default as { plugins: { name: string }[] }
    assert.deepEqual(names(resolved.plugins), names(shipped.plugins), 'README and mcpo.config.ts promise the same set')
    assert.deepEqual(names(resolved.plugins), [
      'mcpo:sessions',
      'mcpo:api-keys',
      'mcpo:tool-policies',
      'mcpo:rate-limits',
      'mcpo:audit',
      'mcpo:metrics',
    ])
  })

  it('left out, the metrics token still comes from MCPO_METRICS_TOKEN', () => {
    const resolved = resolveConfig({}, { env: { MCPO_METRICS_TOKEN: 'scrape-secret' } })
    const m = resolved.plugins.find((p) => p.name === 'mcpo:metrics') as unknown as { bearerToken: string | null }
    assert.equal(m.bearerToken, 'scrape-secret')
  })

  it('the README client example leaves plugins out, so its key is checked', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const example = /## Connecting a client[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1]
    assert.ok(example, 'the README has the example')
    assert.ok(example.includes('apiKeys: [{'), 'the example declares a key')
    assert.doesNotMatch(example, /plugins:/)
  })

  it('declared API keys without a plugin that checks them fail boot, naming apiKeys()', () => {
    refused(
      () => resolveConfig({ plugins: [sessions()], projects: keyed }, { env: {} }),
      /projects\[0\]\.apiKeys: project "demo" declares keys, but no plugin checks them.*add apiKeys\(\) to plugins/,
    )
    refused(() => resolveConfig({ plugins: [], projects: keyed }, { env: {} }), /add apiKeys\(\)/)
    // A project without keys needs no key checker.
    resolveConfig({ plugins: [], projects: [{ id: 'demo', name: 'Demo' }] }, { env: {} })
  })

  it('an admin account from the environment without sessions() fails boot, naming sessions()', () => {
    const env = { MCPO_ADMIN_EMAIL: 'ops@example.com', MCPO_ADMIN_PASSWORD: 'a long admin password' }
    refused(
      () => resolveConfig({ plugins: [apiKeys()] }, { env }),
      /admin \(MCPO_ADMIN_EMAIL, MCPO_ADMIN_PASSWORD\): the admin signs in with a password, which needs sessions\(\): add it to plugins/,
    )
    resolveConfig({ plugins: [sessions(), apiKeys()] }, { env })
  })

  it('oidc() without sessions() fails boot, naming sessions()', () => {
    const sso = () => oidc({ issuer: 'https://idp.example.com', clientId: 'mcpo', clientSecret: 'secret' })
    assert.throws(
      () => orderPlugins([apiKeys(), sso()]),
      (err) =>
        isGatewayError(err, 'MCPO_ERR_PLUGIN') &&
        /plugin "mcpo:oidc" needs the sessions service: add sessions\(\) to plugins in mcpo.config.ts/.test(
          err.message,
        ),
    )
    assert.deepEqual(names(orderPlugins([sso(), sessions()])), ['mcpo:oidc', 'mcpo:sessions'])
  })
})
