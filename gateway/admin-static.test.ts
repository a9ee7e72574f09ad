// The admin UI as the gateway serves it: `/` leads to /admin, every UI path gets the same index.html under a strict
// CSP with no inline script or style, hashed assets are immutable (and gzipped when asked), unknown assets are 404.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { readManifest } from '../admin-ui/build.ts'
import { startTestGateway, type TestGateway } from '../test/harness.ts'
import type { InjectedResponse } from './inject.ts'

let gw: TestGateway

async function get(url: string, headers: Record<string, string> = {}): Promise<InjectedResponse> {
  const r = await gw.gateway.inject({ url, headers })
  assert.ok('body' in r, 'a plain response')
  return r
}

before(async () => {
  gw = await startTestGateway({ projects: [] })
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
})
