// The bundle the gateway builds at boot: a missing dist is built, an up-to-date one is reused as is, a stale one
// (its manifest names other sources) is rebuilt; the page it writes loads only files, never inline code. A read-only
// tree is never written: a stale bundle is served as built, a missing one is a clear error.
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { canWrite, ensureAdminUi, readManifest, sourceHash } from './build.ts'

const dist = mkdtempSync(join(tmpdir(), 'mcpo-ui-dist-'))
after(() => rmSync(dist, { recursive: true, force: true }))

describe('ensureAdminUi', () => {
  it('builds a missing dist, reuses a fresh one, rebuilds a stale one', async () => {
    const logged: string[] = []
    const logger = { info: (_: object, msg: string) => void logged.push(msg), warn: () => {} }
    const first = await ensureAdminUi({ dist, logger })
    assert.equal(first.sourceHash, sourceHash())
    assert.deepEqual(logged, ['built the admin UI'])
    for (const name of first.assets) assert.ok(existsSync(join(dist, 'assets', name)), name)
    assert.match(first.entry.script, /^main-[A-Z0-9]+\.js$/)
    assert.ok(readFileSync(join(dist, 'embed', first.embed.script), 'utf8').includes('mcpo-embed-servers'))
    assert.ok(existsSync(join(dist, 'embed', first.embed.example)), 'the example page beside the embed bundle')

    const html = readFileSync(join(dist, 'index.html'), 'utf8')
    assert.ok(html.includes(`<script type="module" src="/admin/assets/${first.entry.script}"></script>`))
    assert.ok(html.includes(`href="/admin/assets/${first.entry.style}"`))
    assert.doesNotMatch(html, /<style|\sstyle=|<script>|\son\w+=/, 'nothing inline')

    const again = await ensureAdminUi({ dist, logger })
    assert.equal(again.builtAt, first.builtAt, 'up to date: not rebuilt')
    assert.equal(logged.length, 1)

    writeFileSync(join(dist, 'manifest.json'), JSON.stringify({ ...first, sourceHash: 'older-sources' }))
    const rebuilt = await ensureAdminUi({ dist, logger })
    assert.notEqual(rebuilt.builtAt, first.builtAt)
    assert.equal(readManifest(dist)?.sourceHash, sourceHash())
    assert.deepEqual(logged, ['built the admin UI', 'rebuilt the admin UI (sources changed)'])
  })
  it('never writes a read-only tree: a stale bundle is served as built, a missing one names the build step', async () => {
    const warned: string[] = []
    const logger = {
      info: () => assert.fail('nothing is built'),
      warn: (_: object, msg: string) => void warned.push(msg),
    }
    const built = readManifest(dist)!
    writeFileSync(join(dist, 'manifest.json'), JSON.stringify({ ...built, sourceHash: 'older-sources' }))
    const before = readdirSync(dist).map((n) => [n, statSync(join(dist, n)).mtimeMs])
    const served = await ensureAdminUi({ dist, logger, readOnly: true })
    assert.equal(served.sourceHash, 'older-sources')
    assert.equal(served.entry.script, built.entry.script)
    assert.deepEqual(
      readdirSync(dist).map((n) => [n, statSync(join(dist, n)).mtimeMs]),
      before,
      'nothing written',
    )
    assert.match(warned[0], /read-only: serving it as built/)

    const missing = join(dist, 'missing')
    await assert.rejects(
      ensureAdminUi({ dist: missing, logger, readOnly: true }),
      /no admin UI bundle.*npm run build:ui/s,
    )
    assert.equal(existsSync(missing), false)
  })

  it('a read-only tree is detected from the directory, or its nearest existing parent', () => {
    assert.equal(canWrite(dist), true)
    assert.equal(canWrite(join(dist, 'not', 'yet')), true)
    // Root may write anything: as root, test/e2e/image.test.ts runs the gateway as another user instead.
    if (process.getuid?.() === 0) return
    const locked = join(dist, 'locked')
    mkdirSync(locked, { mode: 0o555 })
    assert.equal(canWrite(join(locked, 'dist')), false)
  })
})
