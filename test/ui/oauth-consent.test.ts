// OAuth in the admin UI, in Debian's Chromium against a real gateway: the MCP SDK client starts a real authorization
// and the signed-in browser follows it to the consent page, where a member allows (the client then connects and lists
// tools), denies (the client gets access_denied) and an outsider can only cancel; a project's Owner switches its
// authentication mode and revokes a connected app (its token is refused at once); a user disconnects an app from the
// profile. Screenshots go to test/ui/screenshots/.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { hashPassword } from '../../plugins/users/password.ts'
import { assertNoLeftovers, everythingServer, startTestGateway, type TestGateway } from '../harness.ts'
import { initializeRequest, postMcp } from '../kit/mcp-wire.ts'
import { consent, TestOAuthProvider } from '../kit/oauth.ts'
import { rest } from '../kit/rest.ts'
import { sleep } from '../kit/waiting.ts'
import { launchChromium, layoutProblems, pageTools, signInApi, skip } from './chromium.ts'

const PASSWORD = 'correct horse battery staple'
const ENDPOINT = '/projects/oa/servers/everything/mcp'
const CLIENT_NAME = 'Desk Assistant'

let gw: TestGateway
let browser: Browser | null = null
let page: Page
const contexts: BrowserContext[] = []
const clients: Client[] = []
const errors: string[] = []
const { shot, step } = pageTools(() => page)
/** The member's client from the first test, whose grant the Owner revokes later. */
let allowed: { provider: TestOAuthProvider } | null = null
/**
 * The client's loopback callback listener (as desktop MCP clients run one), on a free port: the browser really ends
 * there. Playwright's routing cannot stand in for it, since Chromium follows the 303 to it without asking the route.
 */
let callback: Server
let redirectUrl = ''
const newProvider = () => new TestOAuthProvider({ clientName: CLIENT_NAME, redirectUrl })
const atClient = (u: URL) => u.href.startsWith(`${redirectUrl}?`)

async function addUser(email: string, name: string, role: 'owner' | 'developer' | null) {
  const store = gw.gateway.store
  const user = await store.users.create({
    email,
    name,
    passwordHash: await hashPassword(PASSWORD),
    emailVerifiedAt: new Date(),
  })
  if (role) await store.projectMembers.add({ projectId: 'oa', userId: user.id, role })
  return user
}

/** A fresh browser context and page at `width` px, its console errors and uncaught exceptions collected. */
async function newPage(width = 1280): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width, height: 900 } })
  contexts.push(context)
  page = await context.newPage()
  page.on('console', (m) => {
    // The console logs every error answer; the expired request's is the one a page expects and explains.
    const expected = /status of 400/.test(m.text()) && /\/oauth\/interaction\/[^/]+\/details$/.test(m.location().url)
    if (m.type() === 'error' && !expected) errors.push(`${page.url()}: ${m.text()}`)
  })
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`))
  return page
}

async function signInForm(email: string): Promise<void> {
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

async function signInPage(email: string): Promise<void> {
  await page.goto(`${gw.url}/admin/signin`)
  await signInForm(email)
  await page.waitForURL(/\/admin\/projects/)
}

/** The SDK client's first connect: 401, registration, and the authorization URL it would open in a browser. */
async function startAuthorization(provider: TestOAuthProvider): Promise<URL> {
  const url = new URL(gw.url + ENDPOINT)
  await assert.rejects(
    new Client({ name: 'desk', version: '1.0.0' }).connect(
      new StreamableHTTPClientTransport(url, { authProvider: provider }),
    ),
    UnauthorizedError,
  )
  assert.ok(provider.authorizationUrl, 'the SDK asked for a browser')
  return provider.authorizationUrl
}

const consentCard = () => page.locator('mcpo-consent section.card')

/** A POST with an access token to the endpoint: its status. */
async function tokenStatus(token: string): Promise<number> {
  const res = await postMcp(gw.url + ENDPOINT, initializeRequest(1, '2025-06-18'), { authorization: `Bearer ${token}` })
  await res.arrayBuffer()
  return res.status
}

describe('OAuth consent, auth mode and connected apps in Chromium', { skip }, () => {
  before(async () => {
    gw = await startTestGateway({
      projects: [{ id: 'oa', name: 'Apps Lab', authMode: 'oauth', servers: [everythingServer()] }],
    })
    await addUser('dev@example.com', 'Dana Dev', 'developer')
    await addUser('outsider@example.com', 'Otto Outsider', null)
    await addUser('owner@example.com', 'Olga Owner', 'owner')
    // A project of the UI's (config projects take their mode from the config file), in the default keys mode.
    const owner = await signInApi(gw.url, 'owner@example.com', PASSWORD)
    const created = await rest(gw.url, 'POST', '/api/projects', {
      token: owner.token,
      body: { id: 'kp', name: 'Key Project' },
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    callback = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/plain' }).end('back at the client'),
    )
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve))
    redirectUrl = `http://127.0.0.1:${(callback.address() as { port: number }).port}/callback`
    browser = await launchChromium()
  })
  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})))
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close()
    callback?.closeAllConnections()
    await new Promise((resolve) => (callback ? callback.close(resolve) : resolve(null)))
    await gw?.close()
    await assertNoLeftovers()
  })

  it(
    'a member signs in on the way, reads what the client asks for, allows, and the client connects',
    step('oauth-consent-allow', async () => {
      await newPage()
      const provider = newProvider()
      // Signed out: the authorization leads to sign-in, and sign-in back to the same consent page.
      await page.goto((await startAuthorization(provider)).href)
      await page.waitForURL(/\/admin\/signin\?next=%2Foauth%2Finteraction%2F/)
      await signInForm('dev@example.com')
      await page.waitForURL(/\/oauth\/interaction\/[A-Za-z0-9_-]+$/)
      const card = consentCard()
      await card.getByRole('heading', { name: `Allow ${CLIENT_NAME} to use Apps Lab?` }).waitFor()
      const text = (await card.innerText()).replace(/\s+/g, ' ')
      for (const expected of [
        'Registered itself with this gateway (unverified)',
        'Apps Lab oa',
        'Server everything',
        "call the project's tools as you, with your role Developer",
        `Sends you back to ${new URL(redirectUrl).host}`,
        'Dana Dev (dev@example.com)',
      ]) {
        assert.ok(text.includes(expected), `the consent page says "${expected}": ${text}`)
      }
      await shot('oauth-consent-1280')
      assert.deepEqual(await layoutProblems(page, 'mcpo-consent'), [])
      await page.setViewportSize({ width: 390, height: 844 })
      await shot('oauth-consent-390')
      assert.deepEqual(await layoutProblems(page, 'mcpo-consent'), [])
      await page.setViewportSize({ width: 1280, height: 900 })

      await card.getByRole('button', { name: 'Allow' }).click()
      await page.waitForURL(atClient)
      const back = new URL(page.url())
      const code = back.searchParams.get('code')
      assert.ok(code, `a code came back: ${back}`)
      assert.equal(back.searchParams.get('iss'), gw.url)

      const url = new URL(gw.url + ENDPOINT)
      await new StreamableHTTPClientTransport(url, { authProvider: provider }).finishAuth(code)
      const client = new Client({ name: 'desk', version: '1.0.0' })
      await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }))
      clients.push(client)
      assert.ok((await client.listTools()).tools.length > 0)
      allowed = { provider }
    }),
  )

  it(
    'a member who denies sends the client access_denied',
    step('oauth-consent-deny', async () => {
      const provider = newProvider()
      await page.goto((await startAuthorization(provider)).href)
      await consentCard().getByRole('button', { name: 'Deny' }).click()
      await page.waitForURL(atClient)
      const back = new URL(page.url())
      assert.equal(back.searchParams.get('error'), 'access_denied')
      assert.equal(back.searchParams.get('code'), null)
    }),
  )

  it(
    'an outsider is told only members can connect apps and can only cancel',
    step('oauth-consent-outsider', async () => {
      await newPage()
      await signInPage('outsider@example.com')
      const provider = newProvider()
      await page.goto((await startAuthorization(provider)).href)
      const card = consentCard()
      await card.locator('[data-not-member]').waitFor()
      assert.match(await card.locator('[data-not-member]').innerText(), /Only members of the project can connect apps/)
      assert.equal(await card.getByRole('button', { name: 'Allow' }).count(), 0)
      assert.ok(!(await card.innerText()).includes('with your role'))
      await shot('oauth-consent-outsider-1280')
      await page.setViewportSize({ width: 390, height: 844 })
      await shot('oauth-consent-outsider-390')
      assert.deepEqual(await layoutProblems(page, 'mcpo-consent'), [])
      await card.getByRole('button', { name: 'Cancel and return to the app' }).click()
      await page.waitForURL(atClient)
      assert.equal(new URL(page.url()).searchParams.get('error'), 'access_denied')
    }),
  )

  it(
    'a request that expired or began in another browser says so',
    step('oauth-consent-expired', async () => {
      // The outsider's browser holds no interaction cookie for this request.
      const other = await startAuthorization(newProvider())
      const first = await fetch(other, { redirect: 'manual' })
      await first.arrayBuffer()
      const location = first.headers.get('location')
      assert.ok(location?.startsWith('/oauth/interaction/'), `the authorization led to consent: ${location}`)
      await page.setViewportSize({ width: 1280, height: 900 })
      await page.goto(gw.url + location)
      const card = consentCard()
      await card.getByRole('heading', { name: 'This request cannot be completed' }).waitFor()
      assert.match(await card.innerText(), /Expired or was started in another browser/i)
      assert.equal(await card.getByRole('button').count(), 0)
      await shot('oauth-consent-expired-1280')
    }),
  )

  it(
    "an Owner switches a project's authentication mode and back, and revokes a connected app",
    step('oauth-settings', async () => {
      await newPage()
      await signInPage('owner@example.com')
      const owner = await signInApi(gw.url, 'owner@example.com', PASSWORD)
      const mode = async (id: string) =>
        (
          (await rest(gw.url, 'GET', `/api/projects/${id}`, { token: owner.token })).body as {
            settings: { authMode?: string }
          }
        ).settings.authMode ?? 'keys'

      await page.goto(`${gw.url}/admin/projects/kp/settings`)
      const auth = page.locator('mcpo-project-auth')
      await auth.getByRole('heading', { name: 'MCP client authentication' }).waitFor()
      assert.equal(
        await auth.getByRole('heading', { name: 'Connected apps', exact: true }).count(),
        0,
        'keys: no connected apps',
      )
      await auth.getByRole('radio', { name: /^Both/ }).check()
      await auth.getByRole('button', { name: 'Save' }).click()
      await auth.getByRole('heading', { name: 'Connected apps', exact: true }).waitFor()
      assert.equal(await mode('kp'), 'both')
      await auth.getByText('No connected apps').waitFor()
      await shot('oauth-settings-both-1280')
      await auth.getByRole('radio', { name: /^API keys/ }).check()
      await auth.getByRole('button', { name: 'Save' }).click()
      await auth.getByRole('heading', { name: 'Connected apps', exact: true }).waitFor({ state: 'detached' })
      assert.equal(await mode('kp'), 'keys')

      // The config project: its mode is read-only here, and the member's app is listed.
      await page.goto(`${gw.url}/admin/projects/oa/settings`)
      await auth.locator('[data-auth-mode="oauth"]').waitFor()
      assert.match(await auth.locator('[data-auth-mode]').innerText(), /Set in mcpo\.config\.ts/)
      const row = auth.getByRole('row').filter({ hasText: CLIENT_NAME })
      await row.waitFor()
      assert.match(await row.innerText(), /dev@example\.com/)
      assert.match(await row.innerText(), /self-registered \(unverified\)/)
      // Keys open nothing on an OAuth-only project: the keys card says so.
      assert.match(await page.locator('mcpo-api-keys [data-keys-unused]').innerText(), /refuse keys/)
      await shot('oauth-settings-connected-1280')
      await page.setViewportSize({ width: 390, height: 844 })
      await shot('oauth-settings-connected-390')
      assert.deepEqual(await layoutProblems(page), [])
      await page.setViewportSize({ width: 1280, height: 900 })

      const token = allowed?.provider.saved?.access_token
      assert.ok(token, 'the first test left a token')
      assert.equal(await tokenStatus(token), 200)
      await row.getByRole('button', { name: 'Revoke' }).click()
      await row.getByRole('button', { name: 'Revoke' }).click()
      await auth.getByText('No connected apps').waitFor()
      // The resource server re-reads a grant at most 500 ms stale.
      let status = 0
      for (let i = 0; i < 20 && status !== 401; i++) {
        status = await tokenStatus(token)
        if (status !== 401) await sleep(100)
      }
      assert.equal(status, 401, 'the revoked app’s token is refused')
    }),
  )

  it(
    'a user sees the app in the profile and disconnects it',
    step('oauth-profile', async () => {
      const dev = await signInApi(gw.url, 'dev@example.com', PASSWORD)
      const provider = newProvider()
      const granted = await consent(await startAuthorization(provider), { userToken: dev.token })
      assert.ok(granted.code, JSON.stringify(granted.decision))

      await newPage()
      await signInPage('dev@example.com')
      await page.goto(`${gw.url}/admin/profile`)
      const apps = page.locator('mcpo-connected-apps')
      const row = apps.getByRole('row').filter({ hasText: CLIENT_NAME })
      await row.waitFor()
      assert.match(await row.innerText(), /oa/)
      await shot('oauth-profile-1280')
      await page.setViewportSize({ width: 390, height: 844 })
      await shot('oauth-profile-390')
      assert.deepEqual(await layoutProblems(page), [])
      await row.getByRole('button', { name: 'Disconnect' }).click()
      await row.getByRole('button', { name: 'Disconnect' }).click()
      await apps.getByText('No connected apps').waitFor()
      const left = await rest(gw.url, 'GET', '/api/me/connected-apps', { token: dev.token })
      assert.deepEqual((left.body as { items: unknown[] }).items, [])
      assert.deepEqual(errors, [])
    }),
  )
})
