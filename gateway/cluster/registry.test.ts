// The node registry against the machine's PostgreSQL: a node that joined after the last heartbeat is found (its
// sessions used to answer 404 elsewhere until the next one), made-up ids cost shared lookups, not one each, and a
// shared upstream's lease has one holder, passed on when it stops running the upstream or leaves.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Store } from '../../plugins/storage/index.ts'
import { openPostgresStore } from '../../plugins/storage/postgres.ts'
import { requirePostgres } from '../../test/kit/postgres.ts'
import { NodeRegistry, type RegistryOptions, type RegistryStore } from './registry.ts'

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child: () => silent }

async function waitFor(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    assert.ok(Date.now() < end, `timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const pg = await requirePostgres('cluster node registry')
if (pg) {
  describe('cluster node registry', () => {
    let store: Store
    const registries: NodeRegistry[] = []
    const registry = (id: string, options: Partial<RegistryOptions> = {}) => {
      const r = new NodeRegistry({
        nodeId: id,
        address: `http://127.0.0.1:${id.slice(1)}`,
        heartbeatMs: 60_000,
        deadAfterMs: 120_000,
        logger: silent as never,
        ...options,
      })
      registries.push(r)
      return r
    }
    before(async () => {
      store = await openPostgresStore({ url: pg.url, schema: pg.schema('mcpo_registry'), max: 3 })
      await store.migrate()
    })
    after(async () => {
      for (const r of registries) await r.stop()
      await store?.close()
    })

    it('finds a node that joined since the last heartbeat, and shares one lookup among made-up ids', async () => {
      let lookups = 0
      const counted: RegistryStore = {
        leases: store.leases,
        nodes: {
          ...store.nodes,
          list: (filter) => {
            lookups++
            return store.nodes.list(filter)
          },
        },
      }
      const r1 = registry('n1')
      await r1.start(counted)
      assert.equal((await r1.find('n1'))?.address, 'http://127.0.0.1:1', 'itself, without a lookup')
      assert.equal(lookups, 0)
      await store.nodes.upsert({ id: 'n2', address: 'http://127.0.0.1:2' })
      assert.equal((await r1.find('n2'))?.address, 'http://127.0.0.1:2')
      assert.equal(lookups, 1)
      assert.equal((await r1.find('n2'))?.address, 'http://127.0.0.1:2', 'then known')
      const t0 = Date.now()
      const made = await Promise.all(Array.from({ length: 50 }, (_, i) => r1.find(`x${i}`)))
      assert.ok(
        made.every((n) => n === undefined),
        'unknown ids stay unknown',
      )
      assert.equal(lookups, 2, '50 made-up ids: one shared lookup')
      assert.ok(Date.now() - t0 < 1500, 'within the once-a-second pace')
      await r1.stop()
      await store.nodes.delete('n2')
    })

    it('gives a lease one holder, frees it when the upstream stops, and sees a node leave', async () => {
      const beat = { heartbeatMs: 50, deadAfterMs: 500 }
      const [r3, r4] = [registry('n3', beat), registry('n4', beat)]
      const gone: string[][] = []
      r3.ondead = (ids) => gone.push(ids)
      await r3.start(store)
      await r4.start(store)
      await waitFor(() => r3.liveCount === 2 && r4.liveCount === 2, 'both nodes to see each other')

      assert.deepEqual(await r3.acquire('p', 'shared'), { owner: 'n3', address: 'http://127.0.0.1:3' })
      let running = true
      r3.adopt('p', 'shared', () => running)
      assert.ok(r3.holds('p', 'shared'))
      assert.deepEqual(await r4.acquire('p', 'shared'), { owner: 'n3', address: 'http://127.0.0.1:3' })

      // The upstream stopped: the next heartbeat releases the lease, and the other node gets it.
      running = false
      await waitFor(() => !r3.holds('p', 'shared'), 'the lease to be released')
      assert.deepEqual(await r4.acquire('p', 'shared'), { owner: 'n4', address: 'http://127.0.0.1:4' })

      await r4.stop()
      await waitFor(() => gone.length === 1, 'n3 to see n4 leave')
      assert.deepEqual(gone, [['n4']])
      assert.equal(r3.isLive('n4'), false)
      assert.equal(r3.node('n4')?.address, 'http://127.0.0.1:4', 'still known, for its sessions')
      assert.deepEqual(await r3.acquire('p', 'shared'), { owner: 'n3', address: 'http://127.0.0.1:3' }, 'n4 left it')
      await r3.stop()
    })
  })
}
