import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Store } from '../plugins/storage/port.ts'
import { type InjectedResponse, inject } from './inject.ts'
import { addOpsRoutes } from './ops.ts'
import { Router } from './router.ts'

function app(store: Partial<Store>, closing = false) {
  const router = new Router()
  addOpsRoutes(router, { store: store as Store, state: { closing }, readyCacheMs: 0 })
  return router.handler(
    (_req, res) => res.send(404, null),
    (_req, res) => res.send(405, null),
  )
}

const get = async (h: ReturnType<typeof app>, url: string) => (await inject(h, { url })) as InjectedResponse

describe('health and readiness', () => {
  it('is ready when storage answers and is migrated', async () => {
    const h = app({ ping: async () => {}, isMigrated: async () => true })
    assert.equal((await get(h, '/readyz')).status, 200)
    assert.equal((await get(h, '/healthz')).status, 200)
  })

  it('is live but not ready when storage is unreachable, slow or not migrated', async () => {
    const down = await get(
      app({ ping: async () => Promise.reject(new Error('ECONNREFUSED')), isMigrated: async () => true }),
      '/readyz',
    )
    assert.equal(down.status, 503)
    assert.deepEqual(down.json(), { status: 'unavailable', reason: 'storage unreachable' })
    const pending = await get(app({ ping: async () => {}, isMigrated: async () => false }), '/readyz')
    assert.deepEqual([pending.status, pending.json()], [503, { status: 'unavailable', reason: 'migrations pending' }])
    const hung = app({ ping: () => new Promise(() => {}), isMigrated: async () => true })
    const started = Date.now()
    assert.equal((await get(hung, '/readyz')).status, 503)
    assert.ok(Date.now() - started < 3000, 'a hung database does not hang the probe')
    assert.equal((await get(hung, '/healthz')).status, 200)
  })

  it('is not ready while shutting down', async () => {
    const res = await get(app({ ping: async () => {}, isMigrated: async () => true }, true), '/readyz')
    assert.equal(res.status, 503)
  })
})
