// The admin console's security events page in Debian's Chromium against a real gateway (issue 16 point 11): invalid
// MCP keys sent to the gateway show up as refusal rows with their source address, count and path; the filter narrows
// to refusals, to one kind (empty state) or to everything; "Load more" follows the cursor; a failing API shows its
// error with a retry; and at 390 px the page does not scroll sideways. Screenshots go to test/ui/screenshots/.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { audit } from '../../plugins/audit/index.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { startTestGateway, type TestGateway } from '../harness.ts'
import { bearer, postMcp } from '../kit/mcp-wire.ts'
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
const BOGUS = `mcp_proj_${'Z'.repeat(43)}`
const USERS = 55

let gw: TestGateway
let browser: Browser | null = null
let page: Page
let token = ''
const consoleErrors: string[] = []

const api = apiClient(
  () => gw.url,
  () => token,
)
const { shot, step } = pageTools(() => page)

interface EventView {
  action: string
  after: { count?: number } | null
}

/** Every event of no project (one page of 1000 is plenty here). */
async function allEvents(action = ''): Promise<EventView[]> {
  const r = await api('GET', `/api/admin/events?limit=1000${action ? `&action=${action}` : ''}`)
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body.items
}

describe('admin console: security events in Chromium', { skip }, () => {
  before(async () => {
    gw = await startTestGateway({
      // A short batch and refusal window, so the first refusal and the aggregated rest are both written in a second.
      plugins: [sessions(), apiKeys({ refreshMs: 200 }), audit({ batchMs: 50 })],
      security: { refusalWindowMs: 500 },
      projects: [{ id: 'demo', name: 'Demo', servers: [] }],
    })
    token = (await signInFirstAdmin(gw, PASSWORD)).token

    // More global events than one page (50), so "Load more" has something to fetch; then the refusals, the newest.
    for (let i = 0; i < USERS; i++) {
      const u = await api('POST', '/api/users', {
        email: `user${i}@example.com`,
        name: `User ${i}`,
        password: PASSWORD,
      })
      assert.equal(u.status, 201, JSON.stringify(u.body))
    }
    for (let i = 0; i < 3; i++) {
      const res = await postMcp(
        `${gw.url}/projects/demo/mcp`,
        '{"jsonrpc":"2.0","id":1,"method":"ping"}',
        bearer(BOGUS),
      )
      assert.equal(res.status, 401)
      await res.body?.cancel()
    }
    // The first refusal is written at once, the other two as one count when the window closes.
    let counted = 0
    for (let i = 0; i < 100 && counted < 3; i++) {
      counted = (await allEvents('security.mcp_key_invalid')).reduce((n, e) => n + (e.after?.count ?? 0), 0)
      if (counted < 3) await new Promise((r) => setTimeout(r, 100))
    }
    assert.equal(counted, 3, 'three invalid keys counted in the audit trail')

    browser = await launchChromium()
    // The failed request the error test fakes is logged by the browser; it is expected.
    page = (await watchedPage(browser, consoleErrors, { expected: /503/ })).page
  })

  after(async () => {
    await browser?.close()
    await gw?.close()
  })

  it(
    'shows refusals with source, count and path; filters; pages with Load more; fits a phone',
    step('admin-events', async () => {
      // Sign in through the form, then reach the page from the account menu.
      await page.goto(`${gw.url}/admin/signin`)
      await page.getByLabel('Email').fill('admin@example.com')
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.waitForURL((u) => !u.pathname.startsWith('/admin/signin'))
      await page.getByRole('button', { name: /Account menu/ }).click()
      await page.getByRole('menuitem', { name: 'Security events' }).click()
      await page.waitForURL(`${gw.url}/admin/system/events`)
      await page.getByRole('heading', { name: 'Security events' }).waitFor()

      const el = page.locator('mcpo-admin-events')
      const rows = el.locator('tbody tr')
      const refusals = el.locator('tbody tr[data-action="security.mcp_key_invalid"]')
      await refusals.first().waitFor({ timeout: 30_000 })
      // Newest first: the aggregated rest of the window (2), then the first refusal (1), with what was asked for.
      assert.equal(await refusals.count(), 2)
      const cells = async (i: number) =>
        (await refusals.nth(i).locator('td').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim())
      const [newer, older] = [await cells(0), await cells(1)]
      for (const row of [newer, older]) {
        assert.match(row[1], /Invalid MCP key/)
        assert.match(row[2], /127\.0\.0\.1/, 'the source address is shown')
        assert.match(row[5], /POST \/projects\/demo\/mcp/)
      }
      assert.equal(older[4], '1')
      assert.equal(newer[4], '2')
      assert.match(newer[5], /repeated (at \d\d:\d\d:\d\d|\d\d:\d\d:\d\d–\d\d:\d\d:\d\d)/)
      assert.ok(![...newer, ...older].join(' ').includes('Z'.repeat(20)), 'the presented key is not shown')
      // Everything: 50 rows, then the rest through the cursor.
      const total = (await allEvents()).length
      assert.ok(total > 50, `${total} events`)
      assert.equal(await rows.count(), 50)
      await el.getByText('50 shown', { exact: true }).waitFor()
      await shot('admin-events-all', false)
      await el.getByRole('button', { name: 'Load more' }).click()
      await el.getByText(`${total} shown, no more.`).waitFor()
      assert.equal(await rows.count(), total)
      assert.equal(await el.locator('tbody tr[data-action="user.created"]').count(), USERS)

      // Refusals only: just the two rows.
      await el.getByLabel('Show').selectOption({ label: 'Refusals only' })
      await el.getByText('2 shown, no more.').waitFor()
      assert.equal(await rows.count(), 2)
      assert.equal(await refusals.count(), 2)
      await shot('admin-events')

      // One kind with nothing in it: the empty state.
      await el.getByLabel('Show').selectOption({ label: 'Failed sign-in' })
      await el.getByRole('heading', { name: 'No refusals' }).waitFor()
      assert.equal(await rows.count(), 0)
      await shot('admin-events-empty')

      // Another family: user administration, with who did it and what changed.
      await el.getByLabel('Show').selectOption({ label: 'User administration' })
      await el.getByText('50 shown', { exact: true }).waitFor()
      const actions = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-action') ?? ''))
      assert.ok(
        actions.every((a) => a.startsWith('user.')),
        actions.join(' '),
      )
      const created = el.locator('tbody tr[data-action="user.created"]').first()
      await created.getByText('by admin@example.com').waitFor()
      await created.getByText('Changes').click()
      await created
        .locator('pre')
        .getByText(/user54@example\.com/)
        .waitFor()
      await shot('admin-events-changes', false)

      // On a phone the page does not scroll sideways; the table scrolls inside its frame.
      await el.getByLabel('Show').selectOption({ label: 'Refusals only' })
      await el.getByText('2 shown, no more.').waitFor()
      await page.setViewportSize({ width: 390, height: 844 })
      await shot('admin-events-390')
      assert.deepEqual(await layoutProblems(page), [])
      const frame = await el.locator('.table-wrap').evaluate((w) => ({ client: w.clientWidth, scroll: w.scrollWidth }))
      assert.ok(frame.client <= 390, `the table's frame is ${frame.client}px wide`)
      assert.ok(frame.scroll > frame.client, 'the table scrolls inside its frame')
      // The rest of the row (count, detail) is there to scroll to.
      await el.locator('.table-wrap').evaluate((w) => w.scrollTo({ left: w.scrollWidth }))
      await refusals.first().locator('td').nth(4).getByText('2', { exact: true }).waitFor()
      await shot('admin-events-390-scrolled', false)
      await el.locator('.table-wrap').evaluate((w) => w.scrollTo({ left: 0 }))
      await el.getByLabel('Show').selectOption({ label: 'All events' })
      await el.getByText('50 shown', { exact: true }).waitFor()
      assert.deepEqual(await layoutProblems(page), [], 'with every event')
      await page.setViewportSize({ width: 1280, height: 860 })
    }),
  )

  it(
    'shows an API error with a way to try again',
    step('admin-events-error', async () => {
      await page.route('**/api/admin/events*', (route) =>
        route.fulfill({
          status: 503,
          contentType: 'application/json',
          body: JSON.stringify({
            error: { code: 'MCPO_ERR_UNAVAILABLE', message: 'The audit store is not reachable' },
          }),
        }),
      )
      await page.goto(`${gw.url}/admin/system/events`)
      const el = page.locator('mcpo-admin-events')
      await el.getByRole('alert').getByText('The audit store is not reachable').waitFor({ timeout: 30_000 })
      await shot('admin-events-error')
      await page.unroute('**/api/admin/events*')
      await el.getByRole('button', { name: 'Try again' }).click()
      await el.locator('tbody tr').first().waitFor()
      assert.equal(await el.getByRole('alert').count(), 0)
      assert.deepEqual(consoleErrors, [])
    }),
  )
})
