// Routing without a browser: every path parses to the route it names and back, unknown paths are not-found,
// sign-in's `next` never leaves the UI, and the Router notifies on navigate and on back/forward.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type HistoryPort, hashParams, hrefOf, isRouterClick, parseRoute, Router } from './router.ts'

describe('parseRoute / hrefOf', () => {
  it('round-trips every canonical path', () => {
    for (const p of [
      '/admin',
      '/admin/signin',
      '/admin/setup',
      '/admin/invite',
      '/admin/verify-email',
      '/admin/profile',
      '/admin/projects',
      '/admin/teams',
      '/admin/teams/platform',
      '/admin/teams/platform/members',
      '/admin/projects/demo',
      '/admin/projects/demo/members',
      '/admin/projects/demo/servers',
      '/admin/projects/demo/servers/every%20thing',
      '/admin/projects/demo/tools',
      '/admin/projects/demo/activity',
      '/admin/projects/demo/settings',
      '/admin/system/users',
      '/admin/system/teams',
      '/admin/system/projects',
      '/admin/system/keys',
      '/admin/system/catalog',
      '/admin/system/project-templates',
      '/admin/system/events',
      '/admin/system/status',
      '/oauth/interaction/Ab_c-9',
    ]) {
      const r = parseRoute(p)
      assert.notEqual(r.name, 'not-found', p)
      assert.equal(hrefOf(r), p)
    }
    assert.deepEqual(parseRoute('/admin/projects/demo/servers/x'), {
      name: 'project',
      projectId: 'demo',
      tab: 'servers',
      server: 'x',
    })
  })

  it('unknown paths, tabs and bad escapes are not-found', () => {
    for (const p of [
      '/',
      '/administrator',
      '/admin/nope',
      '/admin/projects/demo/nope',
      '/admin/projects/d/tools/x',
      '/admin/teams/a/b/c',
      '/admin/system/x',
      '/admin/projects/%E0%A4%A',
      '/oauth/interaction',
      '/oauth/interaction/a/details',
      '/oauth/interaction/a%2Fb',
      '/oauth/authorize',
    ]) {
      assert.equal(parseRoute(p).name, 'not-found', p)
    }
  })

  it('sign-in keeps `next` only when it is a path inside the UI', () => {
    assert.deepEqual(parseRoute('/admin/signin', '?next=%2Fadmin%2Fprojects%2Fdemo'), {
      name: 'signin',
      next: '/admin/projects/demo',
    })
    assert.deepEqual(parseRoute('/admin/signin', '?next=https%3A%2F%2Fevil.example'), { name: 'signin', next: null })
    assert.deepEqual(parseRoute('/admin/signin', '?next=%2F%2Fevil.example'), { name: 'signin', next: null })
    assert.equal(hrefOf({ name: 'signin', next: '/admin/teams' }), '/admin/signin?next=%2Fadmin%2Fteams')
  })

  it('maps the consent page outside /admin, and sign-in may return to it', () => {
    assert.deepEqual(parseRoute('/oauth/interaction/u1D'), { name: 'consent', uid: 'u1D' })
    assert.deepEqual(parseRoute('/admin/signin', '?next=%2Foauth%2Finteraction%2Fu1D'), {
      name: 'signin',
      next: '/oauth/interaction/u1D',
    })
    for (const next of ['/oauth/authorize', '/oauth/interaction/u1D/decision', '/oauth/interaction/u1D?x=//evil']) {
      assert.deepEqual(parseRoute('/admin/signin', `?next=${encodeURIComponent(next)}`), { name: 'signin', next: null })
    }
  })

  it('reads fragment parameters', () => {
    assert.deepEqual(hashParams('#token=abc-_1&x=2'), { token: 'abc-_1', x: '2' })
    assert.deepEqual(hashParams(''), {})
  })
})

function fakeHistory(start: string) {
  const entries = [start]
  let index = 0
  let listener: (() => void) | null = null
  const port: HistoryPort = {
    location() {
      const u = new URL(entries[index], 'http://x')
      return { pathname: u.pathname, search: u.search, hash: u.hash }
    },
    push(url) {
      entries.splice(index + 1, entries.length, url)
      index++
    },
    replace(url) {
      entries[index] = url
    },
    listen(cb) {
      listener = cb
      return () => (listener = null)
    },
  }
  return {
    port,
    entries,
    back() {
      index--
      listener?.()
    },
  }
}

describe('Router', () => {
  it('navigates, notifies, ignores same-URL navigation, follows back, and replaces when asked', () => {
    const h = fakeHistory('/admin/setup#token=t1')
    const router = new Router(h.port)
    assert.equal(router.route.name, 'setup')
    assert.equal(router.hash.token, 't1')
    const seen: string[] = []
    router.subscribe((r) => seen.push(hrefOf(r)))
    router.navigate('/admin/projects')
    router.navigate('/admin/projects')
    router.navigate({ name: 'project', projectId: 'p', tab: 'servers', server: null })
    assert.deepEqual(seen, ['/admin/projects', '/admin/projects/p/servers'])
    h.back()
    assert.equal(router.route.name, 'projects')
    router.navigate('/admin/teams', { replace: true })
    assert.deepEqual(h.entries, ['/admin/setup#token=t1', '/admin/teams', '/admin/projects/p/servers'])
    router.dispose()
    h.back()
    assert.equal(seen.length, 4, 'no notifications after dispose')
  })
})

describe('isRouterClick', () => {
  const click = { button: 0, metaKey: false, ctrlKey: false, shiftKey: false, altKey: false, defaultPrevented: false }
  const link = (href: string, target = '') => ({ href, target, hasDownload: false })
  const origin = 'http://127.0.0.1:8080'
  it('takes plain clicks on /admin links of this origin only', () => {
    assert.equal(isRouterClick(click, link('http://127.0.0.1:8080/admin/teams?x=1'), origin), '/admin/teams?x=1')
    assert.equal(isRouterClick({ ...click, ctrlKey: true }, link('/admin/teams'), origin), null)
    assert.equal(isRouterClick(click, link('/admin/teams', '_blank'), origin), null)
    assert.equal(isRouterClick(click, link('https://other.example/admin'), origin), null)
    assert.equal(isRouterClick(click, link('/api/openapi.json'), origin), null)
    assert.equal(isRouterClick({ ...click, button: 1 }, link('/admin'), origin), null)
  })
})
