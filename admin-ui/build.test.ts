// The bundle the gateway builds at boot: a missing dist is built, an up-to-date one is reused as is, a stale one
// (its manifest names other sources) is rebuilt; the page it writes loads only files, never inline code.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { ensureAdminUi, readManifest, sourceHash } from './build.ts'

const dist = mkdtempSync(join(tmpdir(), 'mcpo-ui-dist-'))
after(() => rmSync(dist, { recursive: true, force: true }))

describe('ensureAdminUi', () => {
  it('builds a missing dist, reuses a fresh one, rebuilds a stale one', async () => {
    const logged: string[] = []
    const logger = { info: (_: object, msg: string) => void logged.push(msg) }
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
})
