// Connecting an OAuth-protected server in the console (issue 22), in Debian's Chromium. Gateway B is the protected
// server with its own authorization server, as in test/conformance/upstream-oauth.test.ts; gateway A's console shows
// the server view's Authorization block. An Owner's Connect link starts the real flow (B's consent is played through
// its API) and brings the browser back to the server view, now connected; Disconnect revokes. A Developer sees the
// project's connection read-only, and connects and disconnects their own account on a per-user server, whose member
// count the Owner sees. The server form adds a server behind OAuth with a write-only client secret. At 1280 px and
// 390 px, with screenshots (test/ui/screenshots/upstream-oauth-*.png) and the layout checks of chromium.ts.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { hashPassword } from '../../plugins/users/password.ts'
import { assertNoLeftovers, fixtureServer, startTestGateway, type TestGateway } from '../harness.ts'
import { consent } from '../kit/oauth.ts'
import { rest } from '../kit/rest.ts'
import { launchChromium, layoutProblems, pageTools, signInApi, skip } from './chromium.ts'

const PASSWORD = 'correct horse battery staple 22'
let a: TestGateway
let b: TestGateway
let browser: Browser | null = null
let page: Page
const contexts: BrowserContext[] = []
const errors: string[] = []
const { shot, step } = pageTools(() => page)
type Session = Awaited<ReturnType<typeof signInApi>> & { id: string }
const users: Record<string, Session> = {}
let protectedUrl = ''

async function addUser(gw: TestGateway, email: string, name: string, memberships: [string, 'owner' | 'developer'][]) {
  const store = gw.gateway.store
  const user = await store.users.create({
    email,
    name,
    passwordHash: await hashPassword(PASSWORD),
    emailVerifiedAt: new Date(),
  })
  for (const [projectId, role] of memberships) await store.projectMembers.add({ projectId, userId: user.id, role })
  return { id: user.id, ...(await signInApi(gw.url, email, PASSWORD)) }
}

/** A page signed in as `who` on A, at `width` px, its console errors collected. */
async function pageAs(who: string, width = 1280): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width, height: 900 } })
  contexts.push(context)
  await context.addCookies(users[who].cookies)
  page = await context.newPage()
  page.on('console', (m) => {
    // B's consent page, whose loads are refused on purpose (see the first test), is not under test.
    if (m.type() === 'error' && !page.url().startsWith(`${b.url}/`)) errors.push(`${page.url()}: ${m.text()}`)
  })
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`))
  return page
}

const block = () => page.locator('mcpo-server-oauth')
const headline = () => block().locator('.headline')

async function openServer(name: string) {
  await page.goto(`${a.url}/admin/projects/demo/servers/${name}`)
  await headline().waitFor({ timeout: 30_000 })
}

const api = (who: string, method: string, path: string, body?: unknown) =>
  rest(a.url, method, path, { token: users[who].token, body })

describe('OAuth-protected servers in the console', { skip }, () => {
  before(async () => {
    b = await startTestGateway({
      plugins: [sessions(), apiKeys(), toolPolicies()],
      projects: [{ id: 'up', name: 'Upstream', authMode: 'oauth', servers: [fixtureServer('tools')] }],
    })
    protectedUrl = `${b.url}/projects/up/servers/tools/mcp`
    a = await startTestGateway({
      plugins: [sessions(), apiKeys(), toolPolicies()],
      projects: [
        {
          id: 'demo',
          name: 'Demo',
          servers: [
            {
              name: 'team',
              transport: 'streamable-http',
              url: protectedUrl,
              auth: { type: 'oauth', credentials: 'project' },
            },
            {
              name: 'mine',
              transport: 'streamable-http',
              url: protectedUrl,
              auth: { type: 'oauth', credentials: 'user' },
            },
          ],
        },
      ],
    })
    users.bAlice = await addUser(b, 'alice@provider.example', 'Alice', [['up', 'developer']])
    users.owner = await addUser(a, 'owner@mcpo.example', 'Olive Owner', [['demo', 'owner']])
    users.dev = await addUser(a, 'dev@mcpo.example', 'Dev Eloper', [['demo', 'developer']])
    browser = await launchChromium()
  })

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close()
    await a?.close()
    await b?.close()
    await assertNoLeftovers()
  })

  it(
    'an Owner connects the project’s credentials through the provider and comes back to the server, connected',
    step('upstream-oauth-connect', async () => {
      await pageAs('owner')
      await openServer('team')
      assert.equal(await headline().getAttribute('data-oauth-state'), 'not-connected')
      assert.equal((await headline().textContent())?.trim(), 'Not connected')
      const connect = block().getByRole('link', { name: 'Connect', exact: true })
      const href = new URL((await connect.getAttribute('href')) ?? '')
      assert.equal(href.origin + href.pathname, `${a.url}/api/projects/demo/servers/team/oauth/connect`)
      assert.equal(href.searchParams.get('returnTo'), '/admin/projects/demo/servers/team', 'back to this view')
      assert.equal(href.searchParams.get('for'), null)
      assert.equal(await block().getByRole('button', { name: 'Disconnect' }).count(), 0, 'nothing to disconnect')
      assert.deepEqual(await layoutProblems(page, 'mcpo-server-detail'), [], 'not connected at 1280 px')
      await block().screenshot({ path: `${import.meta.dirname}/screenshots/upstream-oauth-not-connected-1280.png` })

      // The browser follows the link: A starts the flow (a cookie for its callback) and redirects it to B, whose
      // authorization endpoint sends it on to B's consent page. That page is another gateway's console on the same
      // host (cookies do not tell ports apart), so what it loads is refused here and its consent is played through
      // B's API; the browser then follows B's redirect back to A.
      const toProvider = page.waitForRequest((r) => r.url().startsWith(`${b.url}/`))
      const atB = (u: URL) => u.origin === b.url
      await page.route(atB, (route) => route.abort())
      await connect.click()
      const authorization = new URL((await toProvider).url())
      await page.waitForURL(atB, { waitUntil: 'commit' })
      assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256')
      const result = await consent(authorization, { userToken: users.bAlice.token })
      assert.ok(result.code, `B sent a code back: ${result.redirect}`)
      await page.goto(result.redirect.href)
      await page.waitForURL(`${a.url}/admin/projects/demo/servers/team`)
      await page.unroute(atB)
      await headline().waitFor({ timeout: 30_000 })
      assert.equal(await headline().getAttribute('data-oauth-state'), 'connected')
      assert.equal((await headline().textContent())?.replace(/\s+/g, ''), `Connectedto${b.url}`)
      assert.match((await block().locator('section').textContent()) ?? '', /Access token expires in/)
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 })
        await page.waitForTimeout(200)
        assert.deepEqual(await layoutProblems(page, 'mcpo-server-detail'), [], `connected at ${width} px`)
        await block().screenshot({ path: `${import.meta.dirname}/screenshots/upstream-oauth-connected-${width}.png` })
        await shot(`upstream-oauth-detail-${width}`, false)
      }
      await page.setViewportSize({ width: 1280, height: 900 })
    }),
  )

  it(
    'a Developer sees the project’s connection read-only',
    step('upstream-oauth-developer', async () => {
      await pageAs('dev')
      await openServer('team')
      assert.equal(await headline().getAttribute('data-oauth-state'), 'connected')
      assert.equal(await block().getByRole('link').count(), 0)
      assert.equal(await block().getByRole('button').count(), 0)
      await api('owner', 'DELETE', '/api/projects/demo/servers/team/oauth').then((r) => assert.equal(r.status, 204))
      await page.reload()
      await headline().waitFor({ timeout: 30_000 })
      assert.match((await block().locator('section').textContent()) ?? '', /an Owner must connect this server/)
      assert.equal(await block().getByRole('link').count(), 0)
      // Connected again for the next test, as the Owner would.
      await a.gateway.store.upstreamOAuth.saveCredential({
        projectId: 'demo',
        serverName: 'team',
        userId: null,
        issuer: b.url,
        accessToken: 'not-a-real-token',
        refreshToken: null,
        expiresAt: new Date(Date.now() + 3_600_000),
        scope: 'mcp',
      })
    }),
  )

  it(
    'Disconnect asks first, then revokes and deletes the project’s tokens',
    step('upstream-oauth-disconnect', async () => {
      await pageAs('owner')
      await openServer('team')
      assert.equal(await headline().getAttribute('data-oauth-state'), 'connected')
      await block().getByRole('button', { name: 'Disconnect' }).click()
      const confirm = block().getByRole('group', { name: /Disconnect\?/ })
      await confirm.waitFor()
      await shot('upstream-oauth-confirm-1280', false)
      await confirm.getByRole('button', { name: 'Disconnect' }).click()
      await block().locator('[data-oauth-state="not-connected"]').waitFor({ timeout: 10_000 })
      assert.equal(await a.gateway.store.upstreamOAuth.credential('demo', 'team', null), null)
      assert.ok(await block().getByRole('link', { name: 'Connect', exact: true }).isVisible())
    }),
  )

  it(
    'on a per-user server every member connects their own account; the Owner sees how many did',
    step('upstream-oauth-per-user', async () => {
      const dev = await pageAs('dev', 390)
      await openServer('mine')
      assert.equal((await headline().textContent())?.trim(), 'Your account: not connected')
      const connect = block().getByRole('link', { name: 'Connect your account' })
      const href = new URL((await connect.getAttribute('href')) ?? '')
      assert.equal(href.pathname, '/api/projects/demo/servers/mine/oauth/connect')
      assert.equal(href.searchParams.get('for'), 'me')
      assert.equal(href.searchParams.get('returnTo'), '/admin/projects/demo/servers/mine')
      assert.equal(await block().locator('[data-members]').count(), 0, 'a Developer sees no member count')
      assert.deepEqual(await layoutProblems(page, 'mcpo-server-detail'), [], 'per-user, not connected, 390 px')
      await block().screenshot({ path: `${import.meta.dirname}/screenshots/upstream-oauth-mine-390.png` })

      await a.gateway.store.upstreamOAuth.saveCredential({
        projectId: 'demo',
        serverName: 'mine',
        userId: users.dev.id,
        issuer: b.url,
        accessToken: 'not-a-real-token',
        refreshToken: null,
        expiresAt: null,
        scope: null,
      })
      await page.reload()
      await headline().waitFor({ timeout: 30_000 })
      assert.equal((await headline().textContent())?.replace(/\s+/g, ''), `Youraccount:connectedto${b.url}`)

      await pageAs('owner')
      await openServer('mine')
      assert.equal((await headline().textContent())?.trim(), 'Your account: not connected', 'the Owner’s own account')
      assert.equal((await block().locator('[data-members]').textContent())?.trim(), '1 member connected')
      assert.equal(await block().getByRole('button', { name: 'Disconnect my account' }).count(), 0)

      page = dev
      await block().getByRole('button', { name: 'Disconnect my account' }).click()
      await block().getByRole('group').getByRole('button', { name: 'Disconnect' }).click()
      await block().locator('[data-oauth-state="not-connected"]').waitFor({ timeout: 10_000 })
      assert.equal(await a.gateway.store.upstreamOAuth.credential('demo', 'mine', users.dev.id), null)
    }),
  )

  it(
    'the server form adds a server behind OAuth, its client secret write-only',
    step('upstream-oauth-form', async () => {
      await pageAs('owner')
      await page.goto(`${a.url}/admin/projects/demo/servers`)
      await page.getByRole('button', { name: 'Add server' }).first().click()
      const form = page.locator('mcpo-server-form')
      await form.getByLabel('Name', { exact: true }).fill('github')
      await form.getByLabel('URL', { exact: true }).fill(protectedUrl)
      await form.locator('.seg label', { hasText: 'OAuth' }).click()
      await form.locator('.seg label', { hasText: 'Each member' }).click()
      await form.getByLabel('Client ID').fill('mcpo-console')
      await form.getByLabel('Client secret', { exact: true }).fill('s3cret-value')
      await form.getByLabel('Scopes').fill('mcp  tools:read')
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 })
        await page.waitForTimeout(200)
        assert.deepEqual(await layoutProblems(page), [], `the form at ${width} px`)
        await shot(`upstream-oauth-form-${width}`)
      }
      await page.setViewportSize({ width: 1280, height: 900 })
      let tests = 0
      page.on('request', (r) => {
        if (r.method() === 'POST' && r.url().endsWith('/servers/test')) tests++
      })
      await form.getByRole('button', { name: 'Add server', exact: true }).click()
      await page.getByRole('article', { name: 'github' }).waitFor({ timeout: 30_000 })
      assert.equal(tests, 0, 'no connection test before anyone connected')
      const saved = await api('owner', 'GET', '/api/projects/demo/servers/github')
      assert.deepEqual(saved.body.auth, {
        type: 'oauth',
        credentials: 'user',
        clientId: 'mcpo-console',
        clientSecret: '••••••',
        scopes: ['mcp', 'tools:read'],
      })

      // Editing shows the secret as stored, never its value, and keeps it when left empty.
      await page.getByRole('article', { name: 'github' }).getByRole('button', { name: 'Edit' }).click()
      const secret = form.getByLabel('Client secret', { exact: true })
      assert.equal(await secret.inputValue(), '')
      assert.equal(await secret.getAttribute('placeholder'), 'stored · leave empty to keep')
      await page.setViewportSize({ width: 390, height: 900 })
      await page.waitForTimeout(200)
      assert.deepEqual(await layoutProblems(page), [], 'editing at 390 px')
      await shot('upstream-oauth-form-edit-390')
      await page.setViewportSize({ width: 1280, height: 900 })
      await form.getByLabel('Scopes').fill('mcp')
      await form.getByRole('button', { name: 'Save changes' }).click()
      await form.waitFor({ state: 'detached', timeout: 30_000 })
      const edited = await api('owner', 'GET', '/api/projects/demo/servers/github')
      assert.deepEqual(edited.body.auth.scopes, ['mcp'])
      assert.equal(edited.body.auth.clientSecret, '••••••', 'still stored')
      const stored = await a.gateway.store.servers.get('demo', 'github')
      assert.ok(stored?.auth?.clientSecret && !stored.auth.clientSecret.includes('s3cret-value'), 'sealed at rest')
      assert.deepEqual(errors, [])
    }),
  )
})
