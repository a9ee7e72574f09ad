// The embedded database's directory is its owner's only (issue 16 point 9): with umask 022, ~970 of ~1,080 files of
// a data directory (the WAL with password and key hashes, the catalog) were readable by every local user. A gateway
// started on such a directory (and on a new one) leaves nothing in it open to group or others, and another local
// user (`nobody`, when the tests run as root) can neither list it nor read a file in it.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, cpSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { openEmbeddedStore } from '../../plugins/storage/embedded.ts'
import { startTestGateway, type TestGateway, templateDataDir } from '../harness.ts'

const dirs: string[] = []
let previousUmask = 0
before(() => {
  previousUmask = process.umask(0o022)
})
after(() => {
  process.umask(previousUmask)
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function worldReadableDir(): string {
  const dir = join(tmpdir(), `mcpo-data-${process.pid}-${dirs.length}`)
  mkdirSync(dir, { mode: 0o755 })
  chmodSync(dir, 0o755)
  dirs.push(dir)
  return dir
}

/** Entries below `dir` (and `dir` itself) that group or others may read, write or enter. */
function openEntries(dir: string): string[] {
  const out = (statSync(dir).mode & 0o077) === 0 ? [] : [dir]
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isSymbolicLink()) continue
    const path = join(e.parentPath, e.name)
    if ((statSync(path).mode & 0o077) !== 0) out.push(path)
  }
  return out
}

/** True when another local user could do this; null when the tests cannot switch user (not root). */
function asNobody(...argv: string[]): boolean | null {
  if (process.getuid?.() !== 0) return null
  const r = spawnSync('runuser', ['-u', 'nobody', '--', ...argv], { stdio: 'ignore', timeout: 10_000 })
  if (r.error) return null
  return r.status === 0
}

describe('data directory permissions', () => {
  it('a gateway started on a world-readable copy of a database closes it to everyone but its owner', async () => {
    const dir = worldReadableDir()
    cpSync(await templateDataDir(), dir, { recursive: true })
    for (const e of readdirSync(dir, { recursive: true, withFileTypes: true }))
      if (e.isFile()) chmodSync(join(e.parentPath, e.name), 0o644)
    assert.ok(openEntries(dir).length > 100, 'the copy starts out readable by others')
    assert.equal(asNobody('cat', join(dir, 'PG_VERSION')) ?? true, true, 'nobody can read it before')
    let gw: TestGateway | null = null
    try {
      gw = await startTestGateway({ dataDir: dir })
      await gw.gateway.store.users.create({ email: 'someone@example.com', name: 'S', passwordHash: 'x' })
      assert.deepEqual(openEntries(dir), [])
      assert.notEqual(asNobody('ls', dir), true, 'another local user lists the data directory')
      assert.notEqual(asNobody('cat', join(dir, 'PG_VERSION')), true, 'another local user reads a data file')
      assert.notEqual(asNobody('cat', join(dir, 'secret.key')), true, 'another local user reads the key file')
    } finally {
      await gw?.close()
    }
  })

  it('a new database is created owner-only under umask 022', async () => {
    const dir = join(worldReadableDir(), 'data')
    const store = await openEmbeddedStore({ dir })
    try {
      await store.migrate()
      assert.deepEqual(openEntries(dir), [])
    } finally {
      await store.close()
    }
  })
})
