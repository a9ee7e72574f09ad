// Contract tests for cluster mode: the node registry, the leases of shared upstreams, and notifications.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type GetStore, rejectsWith, uid } from './store-tests-helpers.ts'

const HOUR = 3_600_000

/** Resolves once `check` holds, polling; fails after `ms`. */
async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

export function clusterTests(get: GetStore): void {
  describe('nodes', () => {
    it('registers, registers again after a restart, records heartbeats, lists the alive', async () => {
      const s = get()
      const id = `node-${uid()}`
      const started = new Date('2030-01-01T00:00:00.000Z')
      const n = await s.nodes.upsert({ id, address: 'http://10.0.0.1:8080', startedAt: started, heartbeatAt: started })
      assert.equal(n.startedAt.toISOString(), started.toISOString())
      assert.ok((await s.nodes.list({ aliveSince: started })).some((x) => x.id === id))
      assert.ok(!(await s.nodes.list({ aliveSince: new Date('2031-01-01T00:00:00Z') })).some((x) => x.id === id))

      // Without times, the database clock's now: a restarted node starts again.
      const again = await s.nodes.upsert({ id, address: 'http://10.0.0.2:8080' })
      assert.ok(again.startedAt < started && Math.abs(again.startedAt.getTime() - Date.now()) < HOUR)
      assert.equal(again.address, 'http://10.0.0.2:8080')

      assert.equal(await s.nodes.heartbeat(id, 'http://10.0.0.3:8080'), true)
      const [beat] = (await s.nodes.list()).filter((x) => x.id === id)
      assert.equal(beat.address, 'http://10.0.0.3:8080')
      assert.ok(beat.heartbeatAt >= again.heartbeatAt)
      assert.equal(beat.startedAt.toISOString(), again.startedAt.toISOString(), 'a heartbeat keeps the start time')
      assert.equal(await s.nodes.heartbeat(`node-${uid()}`, 'http://x'), false, 'an unknown node')

      assert.equal(await s.nodes.delete(id), true)
      assert.ok(!(await s.nodes.list()).some((x) => x.id === id))
      assert.equal(await s.nodes.delete(id), false)
    })

    it('says which nodes are alive by the database clock, and prunes the long silent', async () => {
      const s = get()
      const [fresh, quiet, gone] = [`fresh-${uid()}`, `quiet-${uid()}`, `gone-${uid()}`]
      // Times relative to the database clock, not this process's.
      const dbNow = (await s.nodes.upsert({ id: fresh, address: 'http://fresh' })).heartbeatAt.getTime()
      await s.nodes.upsert({ id: quiet, address: 'http://quiet', heartbeatAt: new Date(dbNow - HOUR) })
      await s.nodes.upsert({ id: gone, address: 'http://gone', heartbeatAt: new Date(dbNow - 48 * HOUR) })
      const alive = (rows: { id: string; alive: boolean }[]) =>
        Object.fromEntries(rows.filter((r) => [fresh, quiet, gone].includes(r.id)).map((r) => [r.id, r.alive]))
      assert.deepEqual(alive(await s.nodes.liveness(60_000)), { [fresh]: true, [quiet]: false, [gone]: false })
      assert.deepEqual(alive(await s.nodes.liveness(2 * HOUR)), { [fresh]: true, [quiet]: true, [gone]: false })

      assert.ok((await s.nodes.prune(24 * HOUR)) >= 1)
      const left = (await s.nodes.list()).map((n) => n.id)
      assert.ok(left.includes(fresh) && left.includes(quiet) && !left.includes(gone))
      await s.nodes.delete(fresh)
      await s.nodes.delete(quiet)
    })
  })

  describe('leases of shared upstreams', () => {
    it('one holder at a time: taken when free, renewed by its holder, refused to others while it lasts', async () => {
      const s = get()
      const [a, b] = [`a-${uid()}`, `b-${uid()}`]
      await s.nodes.upsert({ id: a, address: 'http://a:1' })
      const key = { projectId: `p-${uid()}`, serverName: 'shared' }
      assert.deepEqual(await s.leases.acquire({ ...key, nodeId: a, ttlMs: HOUR }), { nodeId: a, address: 'http://a:1' })
      assert.deepEqual(await s.leases.acquire({ ...key, nodeId: a, ttlMs: HOUR }), { nodeId: a, address: 'http://a:1' })
      // Another node is told who holds it, with the holder's address.
      assert.deepEqual(await s.leases.acquire({ ...key, nodeId: b, ttlMs: HOUR }), { nodeId: a, address: 'http://a:1' })
      assert.deepEqual(await s.leases.renew(a, HOUR), [key])
      assert.deepEqual(await s.leases.renew(b, HOUR), [])
      assert.equal(await s.leases.release({ ...key, nodeId: b }), false, 'only the holder releases')
      assert.equal(await s.leases.release({ ...key, nodeId: a }), true)
      // Free again; b is not registered, so its address is unknown.
      assert.deepEqual(await s.leases.acquire({ ...key, nodeId: b, ttlMs: HOUR }), { nodeId: b, address: null })
      assert.equal(await s.leases.releaseAll(b), 1)
      assert.equal(await s.leases.releaseAll(b), 0)
      await s.nodes.delete(a)
    })

    it('nodes racing for a free lease are all told the one holder', async () => {
      const s = get()
      const nodes = Array.from({ length: 6 }, () => `n-${uid()}`)
      for (const id of nodes) await s.nodes.upsert({ id, address: `http://${id}:1` })
      for (let round = 0; round < 5; round++) {
        const key = { projectId: `p-${uid()}`, serverName: 'shared' }
        // On PostgreSQL these run on several pooled connections at once; the losers wait on the winner's insert.
        const seen = await Promise.all(nodes.map((nodeId) => s.leases.acquire({ ...key, nodeId, ttlMs: HOUR })))
        const holders = new Set(seen.map((h) => h?.nodeId))
        assert.equal(holders.size, 1, `round ${round}: ${JSON.stringify(seen)}`)
        const [holder] = holders
        assert.ok(holder && nodes.includes(holder))
        for (const h of seen) assert.equal(h?.address, `http://${holder}:1`)
        await s.leases.releaseAll(holder)
      }
      for (const id of nodes) await s.nodes.delete(id)
    })

    it('an expired lease goes to the next node, and its old holder no longer renews it', async () => {
      const s = get()
      const [a, b] = [`a-${uid()}`, `b-${uid()}`]
      const key = { projectId: `p-${uid()}`, serverName: 'shared' }
      const other = { projectId: key.projectId, serverName: 'other' }
      assert.equal((await s.leases.acquire({ ...key, nodeId: a, ttlMs: 1 }))?.nodeId, a)
      assert.equal((await s.leases.acquire({ ...other, nodeId: a, ttlMs: HOUR }))?.nodeId, a)
      await new Promise((r) => setTimeout(r, 20))
      assert.equal((await s.leases.acquire({ ...key, nodeId: b, ttlMs: HOUR }))?.nodeId, b, 'taken over')
      assert.deepEqual(await s.leases.renew(a, HOUR), [other], 'a learns it lost one')
      assert.equal(await s.leases.releaseAll(a), 1)
      assert.equal(await s.leases.releaseAll(b), 1)
    })
  })

  describe('notifications', () => {
    it('delivers to listeners until they stop; a transaction sends on commit only', async () => {
      const s = get()
      const channel = `mcpo_t_${uid()}`
      const got: string[] = []
      const stop = await s.listen(channel, (payload) => got.push(payload))
      try {
        await s.notify(channel, 'one')
        await until(() => got.length === 1, 'the first notification')
        await s.transaction(async (tx) => {
          await tx.notify(channel, 'two')
          await new Promise((r) => setTimeout(r, 50))
          assert.deepEqual(got, ['one'], 'not before the commit')
        })
        await until(() => got.length === 2, 'the committed notification')
        await assert.rejects(
          s.transaction(async (tx) => {
            await tx.notify(channel, 'rolled back')
            throw new Error('roll back')
          }),
          /roll back/,
        )
        await s.notify(channel, JSON.stringify({ three: '"quoted" \\ \u00e9' }))
        await until(() => got.length === 3, 'the third notification')
        assert.deepEqual(got, ['one', 'two', JSON.stringify({ three: '"quoted" \\ \u00e9' })])
      } finally {
        await stop()
      }
      await stop()
      await s.notify(channel, 'after')
      await new Promise((r) => setTimeout(r, 100))
      assert.equal(got.length, 3, 'nothing after unlisten')
    })

    it('refuses a channel that is not a plain identifier, and listening inside a transaction', async () => {
      const s = get()
      await rejectsWith(s.notify('x"; DROP TABLE users; --', 'p'), 'MCPO_ERR_VALIDATION', 'channel')
      await rejectsWith(
        s.listen('Upper', () => {}),
        'MCPO_ERR_VALIDATION',
        'channel',
      )
      await rejectsWith(
        s.transaction((tx) => tx.listen('mcpo_tx', () => {})),
        'MCPO_ERR_INTERNAL',
      )
    })
  })
}
