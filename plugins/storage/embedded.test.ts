// The storage contract on PGlite, plus what only the embedded adapter has: reopening a data
// directory, the open timeout, durability across kill -9, and the guard against self-deadlock.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { isGatewayError } from '../contract.ts'
import { openEmbeddedStore } from './embedded.ts'
import { embeddedStorage } from './index.ts'
import type { StorageLogger, Store } from './port.ts'
import { storeTests } from './store-tests.ts'
import { rejectsWith } from './store-tests-helpers.ts'

const root = await mkdtemp(join(tmpdir(), 'mcpo-storage-'))
after(() => rm(root, { recursive: true, force: true }))

// initdb in WebAssembly takes seconds: run it once, then give each test a copy of the closed directory.
let base: Promise<string> | undefined
async function freshDir(name: string): Promise<string> {
  base ??= (async () => {
    const dir = join(root, 'base')
    await (await openEmbeddedStore({ dir })).close()
    return dir
  })()
  const dir = join(root, name)
  await cp(await base, dir, { recursive: true })
  return dir
}

// The child is a plain script, not a test file: without NODE_TEST_CONTEXT it does not report to the runner.
function childEnv(dir: string): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env
  return { ...env, MCPO_TEST_DIR: dir }
}

const silent: StorageLogger = { debug() {}, info() {}, warn() {}, error() {} }

storeTests('embedded (PGlite)', async () => {
  const store = await openEmbeddedStore({ dir: await freshDir('contract'), checkTransactions: true })
  return { store, cleanup: () => store.close() }
})

describe('embedded adapter', () => {
  it('with checkTransactions, fails a query on the outer store inside a transaction instead of waiting forever', async () => {
    const store = await openEmbeddedStore({ dir: await freshDir('tx-scope'), checkTransactions: true })
    try {
      await store.migrate()
      await rejectsWith(
        store.transaction(() => store.projects.get('nope')),
        'MCPO_ERR_INTERNAL',
      )
      assert.equal(await store.projects.get('nope'), null, 'the store still answers after the failed transaction')
    } finally {
      await store.close()
    }
  })

  it('refuses a data directory another live process holds, and takes over one a dead process left', async () => {
    const { writeFileSync } = await import('node:fs')
    const dir = await freshDir('locked')
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' })
    try {
      writeFileSync(join(dir, 'mcpo.lock'), String(holder.pid))
      await assert.rejects(openEmbeddedStore({ dir }), (err: Error) => {
        assert.ok(isGatewayError(err, 'MCPO_ERR_STORAGE_UNAVAILABLE'))
        assert.match(err.message, new RegExp(`in use by another mcpo process \\(pid ${holder.pid}\\)`))
        return true
      })
    } finally {
      holder.kill('SIGKILL')
      await new Promise((r) => holder.once('exit', r))
    }
    // The holder is dead now: its lock is stale and the directory opens.
    const store = await openEmbeddedStore({ dir })
    await store.close()
  })

  it('reopens one data directory 20 times without hanging and keeps every write', { timeout: 180_000 }, async () => {
    const dir = await freshDir('reopen')
    for (let i = 0; i < 20; i++) {
      const store = await openEmbeddedStore({ dir, openTimeoutMs: 15_000 })
      try {
        if (i === 0) await store.migrate()
        assert.equal(await store.isMigrated(), true)
        await store.nodes.upsert({ id: `node-${String(i).padStart(2, '0')}`, address: `http://127.0.0.1:${8000 + i}` })
        const nodes = await store.nodes.list()
        assert.equal(nodes.length, i + 1, `open #${i + 1} sees every earlier write`)
      } finally {
        await store.close()
      }
    }
  })

  it('a committed write survives kill -9 of the process', { timeout: 60_000 }, async () => {
    const dir = await freshDir('kill')
    const child = spawn(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        '--input-type=module',
        '-e',
        `
          import { openEmbeddedStore } from ${JSON.stringify(new URL('./embedded.ts', import.meta.url).href)}
          const store = await openEmbeddedStore({ dir: process.env.MCPO_TEST_DIR })
          await store.migrate()
          await store.transaction((tx) => tx.projects.create({ id: 'in-tx', name: 'committed in a transaction' }))
          await store.projects.create({ id: 'plain', name: 'committed alone' })
          process.kill(process.pid, 'SIGKILL')
        `,
      ],
      { env: childEnv(dir), stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)))
    assert.equal(signal, 'SIGKILL', `the child should die by SIGKILL after its writes; stderr: ${stderr}`)

    const store = await openEmbeddedStore({ dir })
    try {
      assert.equal((await store.projects.get('in-tx'))?.name, 'committed in a transaction')
      assert.equal((await store.projects.get('plain'))?.name, 'committed alone')
    } finally {
      await store.close()
    }
  })

  it('gives up opening after openTimeoutMs with an error naming the directory', async () => {
    const dir = await freshDir('timeout')
    const started = Date.now()
    await assert.rejects(openEmbeddedStore({ dir, openTimeoutMs: 1, logger: silent }), (err: unknown) => {
      assert.ok(isGatewayError(err, 'MCPO_ERR_STORAGE_TIMEOUT'), String(err))
      assert.match(err.message, /opening the embedded database in .* took longer than 1ms/)
      assert.ok(err.message.includes(dir))
      return true
    })
    assert.ok(Date.now() - started < 1000, 'the timeout fires promptly')
  })

  describe('one open store', () => {
    let store: Store | undefined
    before(async () => {
      // Through the config factory: the directory defaults to the gateway's data dir, and the check is asked for.
      const factory = embeddedStorage()
      assert.equal(factory.kind, 'embedded')
      store = await factory.open({ logger: silent, dataDir: await freshDir('factory'), checkTransactions: true })
      await store.migrate()
    })
    after(() => store?.close())

    it('fails fast when the outer store is used inside a transaction, instead of waiting forever', async () => {
      const s = store!
      await rejectsWith(
        s.transaction(async (tx) => {
          await tx.projects.create({ id: 'guarded', name: 'rolled back' })
          await s.projects.get('guarded')
        }),
        'MCPO_ERR_INTERNAL',
      )
      assert.equal(await s.projects.get('guarded'), null, 'the transaction rolled back')
    })

    it('queues concurrent transactions and plain queries on the one connection', async () => {
      const s = store!
      await s.projects.create({ id: 'queue', name: 'Queue' })
      const work = Array.from({ length: 30 }, (_, i) =>
        i % 3 === 0
          ? s.projects.get('queue').then((p) => assert.equal(p?.id, 'queue'))
          : s.transaction(async (tx) => {
              await tx.servers.create({
                projectId: 'queue',
                name: `q${i}`,
                transport: 'sse',
                url: 'http://127.0.0.1:9/',
              })
              await new Promise((r) => setTimeout(r, 1))
              await tx.toolCalls.append([{ projectId: 'queue', serverName: `q${i}`, toolName: 't', status: 'ok' }])
            }),
      )
      await Promise.all(work)
      assert.equal((await s.servers.list('queue')).length, 20)
      assert.equal((await s.toolCalls.list({ projectId: 'queue' })).length, 20)
    })

    it('close is idempotent and later queries report the store unavailable', async () => {
      const s = store!
      await s.close()
      await s.close()
      await rejectsWith(s.projects.get('queue'), 'MCPO_ERR_STORAGE_UNAVAILABLE')
      await rejectsWith(s.ping(), 'MCPO_ERR_STORAGE_UNAVAILABLE')
    })
  })
})
