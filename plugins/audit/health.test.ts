// The audit plugin's health for /readyz: healthy while writes succeed, unhealthy once they keep failing (here the
// real embedded database is closed under it), and recovered writes are never lost silently.
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, it } from 'node:test'
import { templateDataDir } from '../../test/harness.ts'
import type { Logger, PluginContext } from '../contract.ts'
import { openEmbeddedStore } from '../storage/embedded.ts'
import { audit } from './index.ts'

const quiet: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  fatal() {},
  child: () => quiet,
}
const dir = mkdtempSync(join(tmpdir(), 'mcpo-audit-health-'))
after(() => rmSync(dir, { recursive: true, force: true }))

it('reports unhealthy after repeated write failures and when the queue is nearly full', async () => {
  cpSync(await templateDataDir(), dir, { recursive: true })
  const store = await openEmbeddedStore({ dir })
  await store.migrate()
  const plugin = audit({ batchMs: 60_000, queueLimit: 10 })
  const ctx: PluginContext = {
    logger: quiet,
    storage: store,
    clock: { now: () => Date.now() },
    deriveKey: () => new Uint8Array(32),
    service: () => null,
  }
  await plugin.setup?.(ctx)
  const event = (i: number) => ({ action: `t.${i}`, at: Date.now(), actor: null })
  plugin.audit?.(event(0))
  await plugin.flush()
  assert.deepEqual(plugin.health?.(), { ok: true })
  assert.equal(plugin.stats().written, 1)

  for (let i = 1; i <= 9; i++) plugin.audit?.(event(i))
  const full = await plugin.health?.()
  assert.equal(full?.ok, false)
  assert.match(full?.reason ?? '', /queue nearly full \(9 waiting\)/)

  await store.close()
  for (let i = 0; i < 3; i++) await plugin.flush()
  const failing = await plugin.health?.()
  assert.equal(failing?.ok, false)
  assert.match(failing?.reason ?? '', /the last 3 audit writes failed/)
  assert.equal(plugin.stats().writeFailures, 3)
  await plugin.close?.()
})
