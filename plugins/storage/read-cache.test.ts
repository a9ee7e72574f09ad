import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ReadCache } from './read-cache.ts'

describe('read cache', () => {
  const loader = (value: unknown) => {
    let calls = 0
    return {
      load: async () => {
        calls++
        return [{ value }]
      },
      get calls() {
        return calls
      },
    }
  }

  test('serves a repeated read from memory until its table is written', async () => {
    const cache = new ReadCache()
    const l = loader(1)
    await cache.read(['projects'], 'k', l.load)
    await cache.read(['projects'], 'k', l.load)
    assert.equal(l.calls, 1)
    cache.wrote('INSERT INTO audit_events (project_id) VALUES (')
    await cache.read(['projects'], 'k', l.load)
    assert.equal(l.calls, 1, 'a write to another table keeps the entry')
    cache.wrote('\n        UPDATE projects SET name = ')
    await cache.read(['projects'], 'k', l.load)
    assert.equal(l.calls, 2, 'an update of its table invalidates it')
    cache.wrote('SELECT * FROM projects WHERE id = ')
    await cache.read(['projects'], 'k', l.load)
    assert.equal(l.calls, 2, 'a read invalidates nothing')
  })

  test('a DELETE (cascades), a WITH … UPDATE or a transaction end invalidates everything', async () => {
    const cache = new ReadCache()
    for (const write of ['DELETE FROM users WHERE id = ', 'WITH p AS (SELECT ', 'SAVEPOINT mcpo_nested', null]) {
      const l = loader(1)
      await cache.read(['project_members'], 'k', l.load)
      await cache.read(['project_members'], 'k', l.load)
      if (write === null) cache.clear()
      else cache.wrote(write)
      await cache.read(['project_members'], 'k', l.load)
      assert.equal(l.calls, 2, `${write ?? 'clear()'} invalidates`)
      cache.clear()
    }
  })

  test('a read that overlapped a write is answered but not kept', async () => {
    const cache = new ReadCache()
    let release: () => void = () => {}
    const slow = cache.read(['servers'], 'k', async () => {
      await new Promise<void>((r) => {
        release = r
      })
      return [{ value: 'old' }]
    })
    cache.wrote('UPDATE servers SET enabled = ')
    release()
    assert.deepEqual(await slow, [{ value: 'old' }])
    const l = loader('new')
    assert.deepEqual(await cache.read(['servers'], 'k', l.load), [{ value: 'new' }])
    assert.equal(l.calls, 1)
  })

  test('entries expire after ttlMs, and callers get copies they may change', async () => {
    let now = 0
    const cache = new ReadCache({ ttlMs: 1000, now: () => now })
    const l = loader({ nested: 1 })
    const first = await cache.read(['teams'], 'k', l.load)
    ;(first[0].value as { nested: number }).nested = 99
    const second = await cache.read(['teams'], 'k', l.load)
    assert.deepEqual(second[0].value, { nested: 1 })
    second[0].value = 'changed'
    assert.deepEqual((await cache.read(['teams'], 'k', l.load))[0].value, { nested: 1 })
    now = 1000
    await cache.read(['teams'], 'k', l.load)
    assert.equal(l.calls, 2)
  })
})
