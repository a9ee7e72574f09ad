// The console at phone width (390 px) and desktop width (1280 px) in Debian's Chromium against a real gateway with
// data on every page: no page scrolls sideways, nothing reaches past the screen unless it sits in a frame meant to
// scroll, no tab or primary button is cut or ellipsised (layoutProblems in chromium.ts). Then what the eye caught
// once: endpoint URLs show their distinguishing end, the config's file name breaks only at a slash, a project card
// never ends a line with a separator, empty states have body text no larger than their heading, and the place that
// holds the keys has one name. Screenshots of every page at both widths go to test/ui/screenshots/layout-*.png.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { audit } from '../../plugins/audit/index.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { everythingServer, startTestGateway, type TestGateway } from '../harness.ts'
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
const P = 'payments-gateway'

let gw: TestGateway
let browser: Browser | null = null
let context: BrowserContext
let page: Page
let token = ''
const consoleErrors: string[] = []

const api = apiClient(
  () => gw.url,
  () => token,
)
const { shot, step } = pageTools(() => page)

/** Every main page, and what shows it has loaded. */
const PAGES: [name: string, path: string, ready: (p: Page) => Locator][] = [
  ['projects', '/admin/projects', (p) => p.getByRole('link', { name: /Scratchpad/ })],
  ['overview', `/admin/projects/${P}`, (p) => p.locator('pre[data-config="cline"]')],
  ['servers', `/admin/projects/${P}/servers`, (p) => p.getByRole('article', { name: 'github-issues-tracker' })],
  ['tools', `/admin/projects/${P}/tools`, (p) => p.getByLabel('Disable everything__echo')],
  ['members', `/admin/projects/${P}/members`, (p) => p.getByRole('cell', { name: /Dana Developer/ })],
  ['activity', `/admin/projects/${P}/activity`, (p) => p.locator('mcpo-activity-tab tr', { hasText: 'echo' }).first()],
  ['settings', `/admin/projects/${P}/settings`, (p) => p.getByText('ci-deploy-pipeline', { exact: true })],
  [
    'server-detail',
    `/admin/projects/${P}/servers/everything`,
    (p) => p.getByRole('dialog').getByText('Streamable HTTP').first(),
  ],
  ['empty-servers', '/admin/projects/scratchpad/servers', (p) => p.getByText('No servers yet')],
  ['teams', '/admin/teams', (p) => p.getByRole('link', { name: /Platform Engineering/ }).first()],
  ['team', '/admin/teams/platform-engineering', (p) => p.getByRole('link', { name: /Payments Gateway/ })],
  ['profile', '/admin/profile', (p) => p.getByRole('heading', { name: 'Change password' })],
  ['system-users', '/admin/system/users', (p) => p.locator('tbody tr', { hasText: 'dana@example.com' })],
  ['system-teams', '/admin/system/teams', (p) => p.locator('tbody tr', { hasText: 'Platform Engineering' })],
  ['system-projects', '/admin/system/projects', (p) => p.locator('tbody tr', { hasText: 'Payments Gateway' })],
  ['system-keys', '/admin/system/keys', (p) => p.getByText('ci-deploy-pipeline', { exact: true })],
  ['system-catalog', '/admin/system/catalog', (p) => p.getByText('Reference server', { exact: true })],
  ['system-templates', '/admin/system/project-templates', (p) => p.getByText('No project templates yet')],
  ['system-events', '/admin/system/events', (p) => p.locator('mcpo-admin-events tbody tr').first()],
  ['system-status', '/admin/system/status', (p) => p.getByRole('heading', { name: 'System status' })],
]

async function visit(path: string, ready: (p: Page) => Locator): Promise<void> {
  await page.goto(gw.url + path)
  await ready(page).waitFor({ timeout: 30_000 })
  // Polling renders and fonts settle, so the measurements and the picture show the finished page.
  await page.waitForTimeout(200)
}

/** Whether an element shows all its content: nothing clipped or ellipsised, and all of it on the screen. */
function fitsWhole(el: Locator): Promise<boolean> {
  return el.evaluate((e) => {
    const r = e.getBoundingClientRect()
    return e.scrollWidth <= e.clientWidth && r.left >= 0 && r.right <= document.documentElement.clientWidth
  })
}

/** The text before each line break inside an element, e.g. ["…/projects/"] for a URL wrapped once. */
function breaksIn(el: Locator): Promise<string[]> {
  return el.evaluate((e) => {
    const out: string[] = []
    let text = ''
    let top: number | null = null
    const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const s = n.textContent ?? ''
      for (let i = 0; i < s.length; i++) {
        const range = document.createRange()
        range.setStart(n, i)
        range.setEnd(n, i + 1)
        const t = range.getClientRects()[0]?.top
        if (t === undefined) continue
        if (top !== null && t > top + 2) out.push(text)
        top = t
        text += s[i]
      }
    }
    return out
  })
}

/** The visible words of an element, line by line: text clipped by an `overflow` frame is left out. */
function visibleLines(el: Locator): Promise<string[][]> {
  return el.evaluate((e) => {
    const pieces: { top: number; bottom: number; left: number; text: string }[] = []
    const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = (n.textContent ?? '').trim()
      if (!text) continue
      const range = document.createRange()
      range.selectNodeContents(n)
      for (const r of Array.from(range.getClientRects())) {
        let clipped = false
        for (let a = n.parentElement; a && a !== e.parentElement; a = a.parentElement) {
          const ar = a.getBoundingClientRect()
          if (getComputedStyle(a).overflowX !== 'visible' && (r.right <= ar.left + 0.5 || r.left >= ar.right - 0.5))
            clipped = true
        }
        if (!clipped && r.width > 0) pieces.push({ top: r.top, bottom: r.bottom, left: r.left, text })
      }
    }
    pieces.sort((a, b) => a.top - b.top)
    const lines: (typeof pieces)[] = []
    for (const p of pieces) {
      const line = lines.at(-1)
      const mid = (p.top + p.bottom) / 2
      if (line && mid >= line[0].top && mid <= line[0].bottom) line.push(p)
      else lines.push([p])
    }
    return lines.map((l) => l.sort((a, b) => a.left - b.left).map((p) => p.text))
  })
}

describe('the console at 390 px and 1280 px in Chromium', { skip }, () => {
  before(async () => {
    gw = await startTestGateway({
      plugins: [sessions(), apiKeys({ refreshMs: 200 }), toolPolicies(), audit({ batchMs: 100 })],
      projects: [],
    })
    const admin = await signInFirstAdmin(gw, PASSWORD)
    token = admin.token
    const ok = async (r: Promise<{ status: number; body: unknown }>, status = 201) => {
      const res = await r
      assert.equal(res.status, status, JSON.stringify(res.body))
      return res.body as { id: string; key: string }
    }
    const team = await ok(api('POST', '/api/teams', { name: 'Platform Engineering', description: 'the platform' }))
    await ok(
      api('POST', '/api/projects', {
        id: P,
        name: 'Payments Gateway',
        teamId: team.id,
        description: 'Card payments, refunds and the ledger, with their MCP servers.',
      }),
    )
    await ok(api('POST', '/api/projects', { id: 'scratchpad', name: 'Scratchpad' }))
    for (const name of ['everything', 'github-issues-tracker']) {
      await ok(api('POST', `/api/projects/${P}/servers`, { ...everythingServer(name), description: `${name} tools` }))
    }
    const dana = await ok(
      api('POST', '/api/users', { email: 'dana@example.com', name: 'Dana Developer', password: PASSWORD }),
    )
    // Adding by email invites (the person accepts); the layout wants one member who accepted and one still pending.
    await gw.gateway.store.projectMembers.add({ projectId: P, userId: dana.id, role: 'developer' })
    await ok(api('POST', `/api/projects/${P}/members`, { email: 'erin@example.com', role: 'reporter' }), 202)
    const key = await ok(
      api('POST', `/api/projects/${P}/api-keys`, { name: 'ci-deploy-pipeline', description: 'deploys from CI' }),
    )
    await ok(api('POST', `/api/projects/${P}/api-keys`, { name: 'laptop-cline' }))
    await ok(
      api('POST', '/api/templates', {
        ...everythingServer(),
        name: 'Reference server',
        description: 'The MCP reference server with every feature, for trying clients out.',
      }),
    )
    // One tool call, so Activity has a row.
    const client = new Client({ name: 'layout-test', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gw.url}/projects/${P}/servers/everything/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${key.key}` } },
      }),
    )
    await client.callTool({ name: 'echo', arguments: { message: 'hello' } })
    await client.close()

    browser = await launchChromium()
    const opened = await watchedPage(browser, consoleErrors, { cookies: admin.cookies })
    context = opened.context
    page = opened.page
  })

  after(async () => {
    await browser?.close()
    await gw?.close()
  })

  for (const width of [390, 1280]) {
    it(
      `fits ${width} px: no sideways scrolling, nothing cut, every tab and primary button whole`,
      step(`layout-${width}`, async () => {
        await page.setViewportSize({ width, height: 844 })
        const problems: string[] = []
        for (const [name, path, ready] of PAGES) {
          await visit(path, ready)
          await shot(`layout-${width}-${name}`)
          for (const p of await layoutProblems(page)) problems.push(`${path}: ${p}`)
        }
        assert.deepEqual(problems, [], problems.join('\n'))
      }),
    )
  }

  it(
    'shows long values whole: every endpoint URL, the config file name, a new key',
    step('values', async () => {
      const discovery = await api('GET', `/projects/${P}/.well-known/mcp-servers`)
      assert.equal(discovery.status, 200)
      const d = discovery.body as {
        unified: { endpoints: Record<string, string> }
        servers: { endpoints: Record<string, string> }[]
      }
      const expected = [d.unified.endpoints.mcp, d.unified.endpoints.sse, ...d.servers.map((s) => s.endpoints.mcp)]
      for (const width of [390, 1280]) {
        await page.setViewportSize({ width, height: 844 })
        await visit(`/admin/projects/${P}`, (p) => p.locator('pre[data-config="cline"]'))
        const codes = page.locator('mcpo-overview-tab .endpoint code')
        assert.deepEqual(await codes.allTextContents(), expected, `${width} px: each endpoint shows its whole URL`)
        for (const code of await codes.all()) {
          assert.ok(await fitsWhole(code), `${width} px: ${await code.textContent()} is cut`)
          for (const b of await breaksIn(code)) assert.match(b, /[/-]$/, `${width} px: a URL breaks after "${b}"`)
        }
        // The file name wraps between path segments, never inside a name.
        const file = page.locator('mcpo-overview-tab .file code').first()
        assert.equal(await file.textContent(), '~/.cline/data/settings/cline_mcp_settings.json')
        for (const b of await breaksIn(file)) assert.match(b, /\/$/, `${width} px: the file name breaks after "${b}"`)
        // The server modal shows its endpoints whole too.
        await visit(`/admin/projects/${P}/servers/everything`, (p) =>
          p.locator('mcpo-server-detail .copy-field code').first(),
        )
        for (const code of await page.locator('mcpo-server-detail .copy-field code').all()) {
          assert.ok(await fitsWhole(code), `${width} px: ${await code.textContent()} is cut in the server modal`)
        }
      }

      // A new key at phone width: shown whole, once, with nothing reaching past the screen.
      await page.setViewportSize({ width: 390, height: 844 })
      await visit(`/admin/projects/${P}/settings`, (p) => p.getByText('ci-deploy-pipeline', { exact: true }))
      await page.getByRole('button', { name: 'Create key' }).click()
      await page.locator('#k-name').fill('phone-key')
      await page.getByRole('button', { name: 'Create', exact: true }).click()
      const key = page.locator('code[data-new-key]')
      await key.waitFor()
      assert.match((await key.textContent()) ?? '', /^mcp_proj_\w{20,}$/)
      assert.ok(await fitsWhole(key), 'the new key is cut')
      await shot('layout-390-new-key')
      assert.deepEqual(await layoutProblems(page), [])
      // The project's keys table fits a phone whole: no column hides behind a sideways scroll.
      const frame = page.locator('mcpo-api-keys .table-wrap')
      await page.getByRole('cell', { name: /phone-key/ }).waitFor()
      assert.ok(await fitsWhole(frame), 'the keys table scrolls sideways')
    }),
  )

  it(
    'project cards never leave a separator at the end or start of a line',
    step('separators', async () => {
      for (const width of [390, 1280, 1000, 760]) {
        await page.setViewportSize({ width, height: 844 })
        for (const [path, name] of [
          ['/admin/projects', 'Scratchpad'],
          ['/admin/teams/platform-engineering', 'Payments Gateway'],
        ]) {
          await visit(path, (p) => p.getByRole('link', { name: new RegExp(name) }))
          const metas = page.locator('.project .meta')
          assert.ok((await metas.count()) > 0)
          for (const meta of await metas.all()) {
            const lines = await visibleLines(meta)
            for (const line of lines) {
              assert.ok(
                line[0] !== '·' && line.at(-1) !== '·',
                `${width} px ${path}: a card line reads "${line.join(' ')}"`,
              )
            }
          }
        }
      }
    }),
  )

  it(
    'empty states: the body text is no larger than the heading',
    step('empty', async () => {
      await page.setViewportSize({ width: 1280, height: 844 })
      for (const [path, text] of [
        ['/admin/projects/scratchpad/servers', 'No servers yet'],
        ['/admin/system/project-templates', 'No project templates yet'],
        [`/admin/projects/${P}/tools`, 'No policies'],
      ]) {
        await visit(path, (p) => p.getByText(text, { exact: true }))
        const heading = page.locator('.empty h3', { hasText: text })
        const size = (l: Locator) => l.evaluate((e) => Number.parseFloat(getComputedStyle(e).fontSize))
        const [h, body] = [await size(heading), await size(heading.locator('xpath=following-sibling::p[1]'))]
        assert.ok(body < h, `${path}: "${text}" has body text of ${body}px under a ${h}px heading`)
      }
    }),
  )

  it(
    'calls the place with the keys by one name: the Settings tab',
    step('naming', async () => {
      await page.setViewportSize({ width: 1280, height: 844 })
      await visit(`/admin/projects/${P}`, (p) => p.locator('pre[data-config="cline"]'))
      const tab = page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name: 'Settings', exact: true })
      const href = await tab.getAttribute('href')
      const links = page.locator(`mcpo-overview-tab a[href="${href}"]`)
      assert.ok((await links.count()) > 0, 'the Overview links to where keys are made')
      for (const text of await links.allTextContents()) assert.equal(text.trim(), 'Settings')
      const notes = (await page.locator('mcpo-overview-tab .notes').textContent()) ?? ''
      assert.match(notes, /create one in the project's Settings tab/)
      await tab.click()
      await page.getByRole('heading', { name: 'API keys', exact: true }).waitFor()
      assert.equal(await page.getByText(/under API keys/).count(), 0)
    }),
  )

  it('logged no console errors', () => {
    assert.deepEqual(consoleErrors, [], consoleErrors.join('\n'))
  })
})
