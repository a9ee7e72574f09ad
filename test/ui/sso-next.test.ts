// Single sign-on from the sign-in page in Debian's Chromium: a sign-in that a consent page asked for (next=…) goes
// through the OpenID provider (test/fixtures/oidc-provider.ts) and comes back to that consent page, not to /admin.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { oidc } from '../../plugins/oidc/index.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { type FakeProvider, startFakeProvider } from '../fixtures/oidc-provider.ts'
import { assertNoLeftovers, startTestGateway, type TestGateway } from '../harness.ts'
import { launchChromium, skip } from './chromium.ts'

const CLIENT_ID = 'mcpo-ui'
const CLIENT_SECRET = 'ui-client-secret-5e0b2f9a'

let idp: FakeProvider
let gw: TestGateway
let browser: Browser | null = null

describe('single sign-on from the sign-in page in Chromium', { skip }, () => {
  before(async () => {
    idp = await startFakeProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
    idp.user = { sub: 'ui-1', email: 'ui@example.com', email_verified: true, name: 'Uma Ui' }
    gw = await startTestGateway({
      projects: [],
      plugins: [
        sessions(),
        oidc({ issuer: idp.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, label: 'Test IdP' }),
      ],
    })
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
    await gw?.close()
    await idp?.close()
    await assertNoLeftovers()
  })

  it('"Continue with" a provider, started from a consent page, ends on that consent page', async () => {
    const page = await (await browser!.newContext()).newPage()
    await page.goto(`${gw.url}/admin/signin?next=${encodeURIComponent('/oauth/interaction/abc')}`)
    const button = page.getByRole('link', { name: 'Continue with Test IdP' })
    assert.equal(await button.getAttribute('href'), '/api/auth/oidc/login?next=%2Foauth%2Finteraction%2Fabc')
    await button.click()
    await page.waitForURL(`${gw.url}/oauth/interaction/abc`)
    const me = await page.request.get(`${gw.url}/api/auth/me`)
    assert.equal((await me.json()).email, 'ui@example.com', 'signed in on the way')
  })
})
