// Health you can see, in Debian's Chromium (issue 17 point 5): saving a server whose connection test fails asks
// "Save anyway?" with the error shown and saves nothing until answered; once saved anyway its card is marked failing
// (red, not a grey "idle") with the error and when; a server whose probes opened the circuit reads "circuit open";
// the Overview's config leaves both out and says so. At 1280 px and 390 px, with screenshots
// (test/ui/screenshots/health-*.png) and the layout checks of chromium.ts.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { type HttpFixture, startHttpFixture } from '../fixtures/fixture-server.ts'
import { assertNoLeftovers, startTestGateway, type TestGateway } from '../harness.ts'
import { freePort } from '../kit/ports.ts'
import {
  apiClient,
  launchChromium,
  layoutProblems,
  pageTools,
  signInFirstAdmin,
  skip,
  watchedPage,
} from './chromium.ts'

const PASSWORD = 'correct horse battery staple'
const P = 'health'

let gw: TestGateway
let good: HttpFixture
let browser: Browser | null = null
let page: Page
let token = ''
let deadUrl = ''
const consoleErrors: string[] = []

const api = apiClient(
  () => gw.url,
  () => token,
)
const { shot, step } = pageTools(() => page)

const servers = () => page.goto(`${gw.url}/admin/projects/${P}/servers`)

describe('server health in the console', { skip }, () => {
  before(async () => {
    good = await startHttpFixture({ transport: 'streamable-http' })
    deadUrl = `http://127.0.0.1:${await freePort()}/mcp`
    gw = await startTestGateway({
      plugins: [sessions(), apiKeys({ refreshMs: 200 }), toolPolicies()],
      upstreams: { restartInitialMs: 100, restartMaxMs: 60_000, maxConsecutiveFailures: 2 },
      projects: [],
    })
    const admin = await signInFirstAdmin(gw, PASSWORD)
    token = admin.token
    assert.equal((await api('POST', '/api/projects', { id: P, name: 'Health' })).status, 201)
    // A working server, tested before it was saved (so it reads as up), and one whose probes open its circuit.
    const reference = { name: 'reference', transport: 'streamable-http', url: good.url }
    assert.equal((await api('POST', `/api/projects/${P}/servers/test`, reference)).body.ok, true)
    assert.equal((await api('POST', `/api/projects/${P}/servers`, reference)).status, 201)
    const tripped = { name: 'tripped', transport: 'streamable-http', url: deadUrl, healthCheckIntervalMs: 1000 }
    assert.equal((await api('POST', `/api/projects/${P}/servers`, tripped)).status, 201)

    browser = await launchChromium()
    page = (await watchedPage(browser, consoleErrors, { cookies: admin.cookies })).page
  })

  after(async () => {
    await browser?.close()
    await gw?.close()
    await good?.close()
    await assertNoLeftovers()
  })

  it(
    'asks before saving a server whose connection test fails, and saves nothing until told',
    step('health-confirm', async () => {
      await servers()
      await page.getByRole('article', { name: 'reference' }).waitFor({ timeout: 30_000 })
      await page.getByRole('button', { name: 'Add server' }).first().click()
      await page.getByLabel('Name', { exact: true }).fill('broken')
      await page.locator('mcpo-server-form .seg label', { hasText: 'Streamable HTTP' }).click()
      await page.getByLabel('URL', { exact: true }).fill(deadUrl)
      await page.getByLabel('Health check every (seconds)').fill('0')
      await page.getByRole('button', { name: 'Add server', exact: true }).last().click()

      const saveAnyway = page.getByRole('button', { name: 'Save anyway' })
      await saveAnyway.waitFor({ timeout: 30_000 })
      const alert = page.locator('mcpo-server-form .test-result')
      assert.match((await alert.textContent()) ?? '', /Connection failed/)
      assert.match((await alert.textContent()) ?? '', /left out of\s+client configs/)
      assert.ok(await saveAnyway.evaluate((b) => b === (b.getRootNode() as ShadowRoot).activeElement), 'focused')
      assert.equal((await api('GET', `/api/projects/${P}/servers/broken`)).status, 404, 'nothing saved yet')
      assert.deepEqual(await layoutProblems(page), [], 'the confirmation at 1280 px')
      await shot('health-confirm-1280')

      // Keep editing closes the question; submitting the same form asks again without testing again.
      await page.getByRole('button', { name: 'Keep editing' }).click()
      assert.equal(await saveAnyway.count(), 0)
      let tests = 0
      const count = (r: { method(): string; url(): string }) => {
        if (r.method() === 'POST' && r.url().endsWith('/servers/test')) tests++
      }
      page.on('request', count)
      await page.getByRole('button', { name: 'Add server', exact: true }).last().click()
      await saveAnyway.waitFor({ timeout: 2000 })
      assert.equal(tests, 0, 'the form was tested as it is: not again')
      await saveAnyway.click()
      page.off('request', count)

      const card = page.getByRole('article', { name: 'broken' })
      await card.waitFor()
      assert.equal((await card.locator('.badge').first().textContent())?.trim(), 'failing')
      assert.match((await card.locator('.last-error').textContent()) ?? '', /Failing · just now:\s+connection test:/)
      const saved = await api('GET', `/api/projects/${P}/servers/broken`)
      assert.equal(saved.body.status.health, 'down')
      assert.equal(saved.body.healthCheckIntervalMs, 0)
    }),
  )

  it(
    'marks failing and circuit-open servers on their cards, at 1280 px and 390 px',
    step('health-cards', async () => {
      await servers()
      const tripped = page.getByRole('article', { name: 'tripped' })
      await tripped.locator('.badge', { hasText: 'circuit open' }).waitFor({ timeout: 20_000 })
      assert.match((await tripped.getAttribute('class')) ?? '', /\bdown\b/)
      assert.match((await tripped.locator('.last-error').textContent()) ?? '', /health probe:/)
      const reference = page.getByRole('article', { name: 'reference' })
      assert.equal((await reference.locator('.badge').first().textContent())?.trim(), 'idle')
      assert.equal(await reference.locator('.last-error').count(), 0)
      const colour = (sel: string) =>
        page
          .getByRole('article', { name: sel })
          .locator('.badge')
          .first()
          .evaluate((e) => getComputedStyle(e).color)
      assert.notEqual(await colour('broken'), await colour('reference'), 'failing is not the grey of idle')
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 844 })
        await page.waitForTimeout(200)
        assert.deepEqual(await layoutProblems(page), [], `servers tab at ${width} px`)
        await shot(`health-cards-${width}`)
      }

      // At phone width: editing where a server connects tests on save and asks the same question.
      await page.getByRole('article', { name: 'broken' }).getByRole('button', { name: 'Edit' }).click()
      await page.getByLabel('URL', { exact: true }).fill(`${deadUrl}/other`)
      await page.getByRole('button', { name: 'Save changes' }).click()
      await page.getByRole('button', { name: 'Save anyway' }).waitFor({ timeout: 30_000 })
      assert.deepEqual(await layoutProblems(page), [], 'the confirmation at 390 px')
      await page.locator('mcpo-server-form').scrollIntoViewIfNeeded()
      await shot('health-confirm-390')
      await page.getByRole('button', { name: 'Keep editing' }).click()
      await page.getByRole('button', { name: 'Cancel' }).click()
      await page.setViewportSize({ width: 1280, height: 860 })
    }),
  )

  it(
    'leaves down servers out of the Overview config and says which, and shows them in the server view',
    step('health-overview', async () => {
      await page.goto(`${gw.url}/admin/projects/${P}`)
      const config = page.locator('pre[data-config="cline"]')
      await config.waitFor({ timeout: 30_000 })
      const text = (await config.textContent()) ?? ''
      assert.match(text, /reference/)
      assert.doesNotMatch(text, /broken|tripped/)
      const notes = (await page.locator('mcpo-overview-tab .notes').textContent()) ?? ''
      assert.match(notes, /Left out because they are down: .*broken \(failing\).*tripped \(circuit open\)/)
      // The console still lists every endpoint, down servers' too.
      const endpoints = await page.locator('mcpo-overview-tab .endpoint code').allTextContents()
      assert.ok(
        endpoints.some((u) => u.includes('/servers/broken/')),
        endpoints.join('\n'),
      )
      await shot('health-overview-1280')

      await page.goto(`${gw.url}/admin/projects/${P}/servers/broken`)
      const dialog = page.getByRole('dialog')
      await dialog.locator('.error-text').waitFor({ timeout: 30_000 })
      assert.match((await dialog.locator('.error-text').textContent()) ?? '', /connection test/)
      assert.match((await dialog.textContent()) ?? '', /Health checkoff/)
      await shot('health-detail-1280', false)
      assert.deepEqual(consoleErrors, [])
    }),
  )
})
