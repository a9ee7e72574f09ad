// "Sign out everywhere" in Debian's Chromium against a real gateway (issue 16 point 5): from the profile page a user
// ends every session of their account (another device's token stops working and the page returns to sign-in), and
// an administrator ends another user's sessions from the Users page. Screenshots go to test/ui/screenshots/.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { startTestGateway, type TestGateway } from '../harness.ts'
import { apiClient, launchChromium, pageTools, signInApi, signInFirstAdmin, skip } from './chromium.ts'

const PASSWORD = 'correct horse battery staple'

let gw: TestGateway
let browser: Browser | null = null
let page: Page
let adminToken = ''
const api = apiClient(
  () => gw.url,
  () => adminToken,
)
const { shot, step } = pageTools(() => page)

/** Whether a session token still signs in. */
async function alive(token: string): Promise<boolean> {
  const res = await fetch(`${gw.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })
  await res.arrayBuffer()
  return res.status === 200
}

async function signInPage(email: string): Promise<void> {
  await page.goto(`${gw.url}/admin/signin`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(/\/admin\/projects/)
}

describe('sign out everywhere in Chromium', { skip }, () => {
  before(async () => {
    gw = await startTestGateway({ plugins: [sessions(), apiKeys()], projects: [] })
    adminToken = (await signInFirstAdmin(gw, PASSWORD)).token
    for (const email of ['sam@example.com', 'kim@example.com']) {
      const r = await api('POST', '/api/users', { email, name: email.split('@')[0], password: PASSWORD })
      assert.equal(r.status, 201, JSON.stringify(r.body))
    }
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
    await gw?.close()
  })

  it(
    'a user ends every session of their own account from the profile page',
    step('sessions-profile', async () => {
      page = await (await browser!.newContext({ viewport: { width: 1280, height: 860 } })).newPage()
      const elsewhere = (await signInApi(gw.url, 'sam@example.com', PASSWORD)).token
      await signInPage('sam@example.com')
      await page.goto(`${gw.url}/admin/profile`)
      await page.getByRole('heading', { name: 'Sessions' }).waitFor()
      await shot('sessions-profile-1280')
      await page.getByRole('button', { name: 'Sign out everywhere' }).click()
      await page.getByRole('button', { name: 'Sign out', exact: true }).click()
      await page.waitForURL(/\/admin\/signin/)
      assert.equal(await alive(elsewhere), false, 'the other device is still signed in')
      await page.context().close()
    }),
  )

  it(
    'an administrator ends another user’s sessions from the Users page',
    step('sessions-admin', async () => {
      page = await (await browser!.newContext({ viewport: { width: 1280, height: 860 } })).newPage()
      const kim = (await signInApi(gw.url, 'kim@example.com', PASSWORD)).token
      assert.equal(await alive(kim), true)
      await signInPage('admin@example.com')
      await page.goto(`${gw.url}/admin/system/users`)
      const row = page.getByRole('row').filter({ hasText: 'kim@example.com' })
      await row.getByRole('button', { name: 'Sign out everywhere' }).click()
      await row.getByRole('button', { name: 'Sign out', exact: true }).click()
      await page.getByText('kim@example.com is signed out everywhere').waitFor()
      await shot('sessions-admin-users-1280')
      assert.equal(await alive(kim), false, 'kim is still signed in')
      assert.equal(await alive(adminToken), true, 'the admin lost their own session')
      await page.context().close()
    }),
  )
})
