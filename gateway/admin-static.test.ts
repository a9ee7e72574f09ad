// The admin UI as the gateway serves it: `/` leads to /admin, every UI path gets the same index.html under a strict
// CSP with no inline script or style, hashed assets are immutable (and gzipped when asked), unknown assets are 404;
// the embeddable views' bundle has a stable URL other portals may load (CORS for the allowed origins), with its example.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { readManifest } from '../admin-ui/build.ts'
import { startTestGateway, type TestGateway } from '../test/harness.ts'
import type { InjectedResponse } from './inject.ts'

let gw: TestGateway
const PORTAL = 'https://portal.example.com'

async function get(url: string, headers: Record<string, string> = {}): Promise<InjectedResponse> {
  const r = await gw.gateway.inject({ url, headers })
  assert.ok('body' in r, 'a plain response')
  return r
}

before(async () => {
  gw = await startTestGateway({ projects: [], security: { corsOrigins: [PORTAL] } })
})
after(() => gw?.close())

describe('admin UI serving', () => {
  it('redirects / to /admin', async () => {
    const r = await get('/')
    assert.equal(r.status, 302)
    assert.equal(r.headers.location, '/admin')
  })

  it('answers index.html for every UI path, revalidated, with a strict CSP and no inline code', async () => {
    for (const path of ['/admin', '/admin/', '/admin/projects/demo/servers', '/admin/setup']) {
      const r = await get(path)
      assert.equal(r.status, 200, path)
      assert.match(String(r.headers['content-type']), /^text\/html/)
      assert.equal(r.headers['cache-control'], 'no-cache')
      assert.match(String(r.headers['content-security-policy']), /default-src 'self'/)
      assert.doesNotMatch(String(r.headers['content-security-policy']), /unsafe-inline/)
      assert.match(r.body, /<mcpo-app>/)
      assert.doesNotMatch(r.body, /<script>|<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=/, 'no inline script or style')
    }
    const again = await get('/admin', { 'if-none-match': String((await get('/admin')).headers.etag) })
    assert.equal(again.status, 304)
  })

  it('serves every hashed asset as immutable, gzipped on request; an unknown asset is 404, not the page', async () => {
    const manifest = readManifest()
    assert.ok(manifest, 'the gateway built the UI at boot')
    const html = (await get('/admin')).body
    assert.ok(html.includes(`/admin/assets/${manifest.entry.script}`))
    assert.ok(html.includes(`/admin/assets/${manifest.entry.style}`))
    const js = await get(`/admin/assets/${manifest.entry.script}`)
    assert.equal(js.status, 200)
    assert.match(String(js.headers['content-type']), /^text\/javascript/)
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable')
    assert.ok(js.body.includes('mcpo-app'))
    const res = await fetch(`${gw.url}/admin/assets/${manifest.entry.script}`, {
      headers: { 'accept-encoding': 'gzip' },
    })
    assert.equal(res.headers.get('content-encoding'), 'gzip')
    assert.ok((await res.text()).includes('mcpo-app'), 'fetch inflates it back')
    const missing = await get('/admin/assets/main-NOPE.js')
    assert.equal(missing.status, 404)
  })

  it('serves the embed bundle at a stable URL, briefly cached, revalidated, CORS only for allowed origins', async () => {
    const manifest = readManifest()
    assert.ok(manifest?.embed, 'the boot build made the embed bundle too')
    const js = await get('/admin/embed/mcpo-embed.js', { origin: PORTAL })
    assert.equal(js.status, 200)
    assert.match(String(js.headers['content-type']), /^text\/javascript/)
    assert.equal(js.headers['cache-control'], 'public, max-age=300')
    assert.equal(js.headers['access-control-allow-origin'], PORTAL)
    for (const tag of ['mcpo-embed-servers', 'mcpo-embed-members', 'mcpo-embed-keys', 'mcpo-embed-activity'])
      assert.ok(js.body.includes(tag), tag)
    const again = await get('/admin/embed/mcpo-embed.js', { 'if-none-match': String(js.headers.etag) })
    assert.equal(again.status, 304)
    const other = await get('/admin/embed/mcpo-embed.js', { origin: 'https://evil.example.com' })
    assert.equal(other.status, 200, 'the file itself is public')
    assert.equal(other.headers['access-control-allow-origin'], undefined, 'but no other origin may read it')
    assert.equal((await get('/admin/embed/other.js')).status, 404)
  })

  it('serves the example page beside the bundle, its own inline code allowed by hash only', async () => {
    const moved = await get('/admin/examples/embed.html')
    assert.equal(moved.status, 302)
    assert.equal(moved.headers.location, '/admin/embed/embed.html')
    const page = await get('/admin/embed/embed.html')
    assert.equal(page.status, 200)
    assert.match(String(page.headers['content-type']), /^text\/html/)
    assert.ok(page.body.includes('<script type="module" src="./mcpo-embed.js"></script>'))
    const csp = String(page.headers['content-security-policy'])
    assert.doesNotMatch(csp, /unsafe-inline/)
    assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]{44}'/)
    assert.match(csp, /style-src 'self' 'sha256-[A-Za-z0-9+/=]{44}'/)
    assert.match(csp, /frame-ancestors 'none'/)
  })
})
