import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Worker } from 'node:worker_threads'
import { templateDataDir } from '../../test/harness.ts'
import { isGatewayError } from '../contract.ts'
import { PgliteThread, threadDriver } from './pglite-thread.ts'

const textOf = (s: TemplateStringsArray) => s.reduce((acc, part, i) => `${acc}$${i}${part}`)
const q = (strings: TemplateStringsArray, ...values: unknown[]) => ({ strings, values })

describe('the embedded database thread', () => {
  let dir: string
  before(async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'mcpo-thread-')), 'data')
    cpSync(await templateDataDir(), dir, { recursive: true })
  })
  after(() => rmSync(join(dir, '..'), { recursive: true, force: true }))

  test('round-trips parameters and rows (dates, json, bytes, nulls) and rolls back a failed transaction', async () => {
    const thread = await PgliteThread.start(dir)
    try {
      await thread.ready
      const driver = threadDriver(thread, textOf)
      const at = new Date('2026-01-02T03:04:05.000Z')
      const { strings, values } = q`SELECT ${at}::timestamptz AS at, ${'{"a":[1,2]}'}::jsonb AS doc,
        ${new Uint8Array([1, 2, 255])}::bytea AS raw, ${null}::text AS nothing`
      const [row] = await driver.query(strings, values)
      assert.deepEqual(row.at, at)
      assert.deepEqual(row.doc, { a: [1, 2] })
      assert.deepEqual([...(row.raw as Uint8Array)], [1, 2, 255])
      assert.equal(row.nothing, null)

      await driver.unsafe('CREATE TABLE IF NOT EXISTS thread_probe (n int PRIMARY KEY)')
      await assert.rejects(
        driver.begin(async (tx) => {
          const ins = q`INSERT INTO thread_probe VALUES (${1})`
          await tx.query(ins.strings, ins.values)
          throw new Error('abort')
        }),
        /abort/,
      )
      const count = q`SELECT count(*)::int AS n FROM thread_probe WHERE n = ${1}`
      assert.equal((await driver.query(count.strings, count.values))[0].n, 0, 'the failed transaction left nothing')

      // A database error keeps the fields storage error mapping reads.
      const dup = q`INSERT INTO thread_probe VALUES (${2})`
      await driver.query(dup.strings, dup.values)
      const err = await driver.query(dup.strings, dup.values).then(
        () => null,
        (e: unknown) => e as { code?: string; constraint?: string },
      )
      assert.equal(err?.code, '23505')
      assert.equal(err?.constraint, 'thread_probe_pkey')
    } finally {
      await thread.close()
    }
  })

  test('a dead thread fails waiting and later queries at once with STORAGE_UNAVAILABLE', async () => {
    const thread = await PgliteThread.start(dir)
    await thread.ready
    const driver = threadDriver(thread, textOf)
    const { strings, values } = q`SELECT pg_sleep(${2})`
    const slow = driver.query(strings, values)
    await (thread as unknown as { worker: Worker }).worker.terminate()
    for (const attempt of [slow, driver.query(strings, values)]) {
      await assert.rejects(attempt, (e: unknown) => isGatewayError(e) && e.code === 'MCPO_ERR_STORAGE_UNAVAILABLE')
    }
  })

  test('an idle open store does not keep the process alive', () => {
    // A CLI that forgets close() must still exit; the thread holds the process only while a request is in flight.
    const script = `
      import { openEmbeddedStore } from ${JSON.stringify(new URL('./embedded.ts', import.meta.url).href)}
      const store = await openEmbeddedStore({ dir: ${JSON.stringify(dir)} })
      await store.ping()
      console.log('queried')`
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
      encoding: 'utf8',
      timeout: 30_000,
    })
    assert.equal(r.error, undefined, `the process did not exit by itself: ${r.error}`)
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /queried/)
  })

  test('creates the database of an empty directory, then serves it with the small buffer pool', async () => {
    const fresh = join(mkdtempSync(join(tmpdir(), 'mcpo-thread-fresh-')), 'data')
    try {
      const thread = await PgliteThread.start(fresh)
      try {
        await thread.ready
        assert.ok(existsSync(join(fresh, 'PG_VERSION')))
        const driver = threadDriver(thread, textOf)
        const { strings } = q`SHOW shared_buffers`
        const [row] = await driver.query(strings, [])
        assert.equal(row.shared_buffers, '8MB')
      } finally {
        await thread.close()
      }
    } finally {
      rmSync(join(fresh, '..'), { recursive: true, force: true })
    }
  })

  test('a database that cannot be created fails the start with the reason', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'mcpo-thread-bad-'))
    try {
      writeFileSync(join(parent, 'file'), '')
      await assert.rejects(PgliteThread.start(join(parent, 'file', 'data')), /creating the database failed/)
    } finally {
      rmSync(parent, { recursive: true, force: true })
    }
  })
})
