// biome-ignore-all lint/suspicious/noTemplateCurlyInString: client configs hold ${env:…} placeholders literally.
// The admin UI in Debian's Chromium against a real gateway: first-run set-up → a team → a project → server-everything
// → an API key → the Cline config read off the page → an MCP SDK client connected with exactly that config's URL and
// header calls a tool → the call shows in Activity; a reporter sees read-only views. No console errors anywhere.
// Screenshots of every tab (1280 px, and some at 390 px) go to test/ui/screenshots/.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { audit } from '../../plugins/audit/index.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { everythingServer, startTestGateway, type TestGateway } from '../harness.ts'
import { launchChromium, layoutProblems, SHOTS, skip } from './chromium.ts'

const PASSWORD = 'journey password 1234'

let gw: TestGateway
let browser: Browser
const contexts: BrowserContext[] = []
const consoleErrors: string[] = []
const mcpClients: Client[] = []
/** Console lines a step provokes on purpose (a request the API refuses); each must appear exactly once. */
const expected: RegExp[] = []
const expectConsole = (re: RegExp) => expected.push(re)

async function newPage(width = 1280, height = 900): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height }, baseURL: gw.url })
  contexts.push(context)
  const page = await context.newPage()
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`)
  })
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: uncaught ${e.message}`))
  page.setDefaultTimeout(15_000)
  return page
}

async function shot(page: Page, name: string): Promise<void> {
  // Let polling renders and fonts settle so the picture shows the finished page.
  await page.waitForTimeout(150)
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
}

async function tab(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name: label, exact: true }).click()
}

describe('admin UI journey in Chromium', { skip }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true })
    gw = await startTestGateway({
      plugins: [sessions(), apiKeys({ refreshMs: 200 }), toolPolicies(), audit({ batchMs: 100 })],
      projects: [],
    })
    browser = await launchChromium()
  })

  after(async () => {
    for (const c of mcpClients) await c.close().catch(() => {})
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close().catch(() => {})
    await gw?.close()
  })

  it('first-run set-up → team → project → server → key → Cline config → SDK call → Activity; a reporter is read-only', async () => {
    const token = gw.gateway.setupToken
    assert.ok(token, 'a fresh gateway prints a set-up link')
    const page = await newPage()

    // `/` leads to the console; signed out, it shows sign-in and says where the set-up link is.
    await page.goto('/')
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    await page.getByText('has no administrator yet').waitFor()
    await shot(page, '01-sign-in')

    await page.goto(`/admin/setup#token=${token}`)
    await page.getByLabel('Your name').fill('Ada Admin')
    await page.getByLabel('Email').fill('admin@example.com')
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await page.getByLabel('Repeat the password').fill('something else entirely')
    await page.getByRole('button', { name: 'Create the administrator' }).click()
    await page.getByText('the two passwords differ').waitFor()
    await shot(page, '02-setup-error')
    await page.getByLabel('Repeat the password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Create the administrator' }).click()
    await page.getByRole('heading', { name: 'My Projects' }).waitFor()
    assert.equal(new URL(page.url()).hash, '', 'the spent token left the address bar')
    await page.getByText('No projects yet').waitFor()
    await shot(page, '03-my-projects-empty')

    // A team, through the Teams menu.
    await page.getByRole('button', { name: 'Teams' }).click()
    await page.getByRole('menuitem', { name: /All teams/ }).click()
    await page.getByRole('button', { name: 'New team' }).click()
    await page.getByRole('button', { name: 'Create team' }).click()
    await page.locator('#t-name-error').getByText('is required').waitFor()
    // A slug the API refuses: its answer lands under the slug field (the browser logs that 400 once).
    await page.getByLabel('Name', { exact: true }).fill('Platform')
    await page.getByLabel(/Slug/).fill('Bad Slug!')
    expectConsole(/status of 400/)
    await page.getByRole('button', { name: 'Create team' }).click()
    await page
      .locator('#t-slug-error')
      .getByText(/lower-case letters/)
      .waitFor()
    await shot(page, '04-team-field-error')
    await page.getByLabel(/Slug/).fill('')
    await page.getByRole('button', { name: 'Create team' }).click()
    await page.getByRole('heading', { name: 'Platform' }).waitFor()
    assert.match(page.url(), /\/admin\/teams\/platform$/)
    await shot(page, '04b-team-projects-empty')
    await page.getByRole('navigation', { name: 'Team' }).getByRole('link', { name: 'Members' }).click()
    await page.getByRole('cell', { name: /Ada Admin/ }).waitFor()
    await shot(page, '04c-team-members')
    await page.getByRole('navigation', { name: 'Team' }).getByRole('link', { name: 'Projects' }).click()

    // A project in the team, with the id its endpoints will use.
    await page.getByRole('button', { name: 'New project in Platform' }).click()
    await page.getByLabel('Name', { exact: true }).fill('Demo Project')
    await page.getByLabel(/Project id/).fill('demo')
    await page.getByRole('button', { name: 'Create project' }).click()
    await page.getByRole('heading', { name: /Demo Project/ }).waitFor()
    assert.match(page.url(), /\/admin\/projects\/demo$/)

    // Both ways in: the Teams menu (team → its projects and members) and My Projects (every project).
    await page.getByRole('button', { name: 'Teams' }).click()
    await page.getByRole('menuitem', { name: 'Platform: members' }).waitFor()
    await shot(page, '05a-menu-teams')
    await page.keyboard.press('Escape')
    await page.getByRole('button', { name: 'My Projects' }).click()
    await page.getByRole('menuitem', { name: /Demo Project/ }).waitFor()
    await shot(page, '05b-menu-my-projects')
    await page.keyboard.press('Escape')
    // The keyboard alone: ArrowDown opens the menu on its first item, Enter follows it, Back returns.
    await page.getByRole('button', { name: 'Teams' }).focus()
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/admin\/teams\/platform$/)
    await page.goBack()
    await page.waitForURL(/\/admin\/projects\/demo$/)

    // server-everything over stdio (an administrator may define commands).
    await tab(page, 'Servers')
    await page.getByText('No servers yet').waitFor()
    await page.getByRole('button', { name: 'Add server' }).first().click()
    await page.getByRole('button', { name: 'Add server' }).last().click()
    await page.locator('#s-name-error').waitFor()
    const everything = everythingServer()
    await page.getByLabel('Name', { exact: true }).fill('everything')
    await page.getByLabel('Description').fill('The MCP reference server')
    await page.getByLabel('Command', { exact: true }).fill(everything.command)
    await page.getByLabel(/Arguments/).fill(everything.args.join('\n'))
    await page.getByRole('button', { name: 'Test connection' }).click()
    await page.getByText(/Connected in \d+ ms/).waitFor({ timeout: 30_000 })
    await shot(page, '05-server-form')
    await page.getByRole('button', { name: 'Add server', exact: true }).last().click()
    const card = page.getByRole('article', { name: 'everything' })
    await card.waitFor()
    await shot(page, '06-tab-servers')

    // A key, shown once.
    await tab(page, 'Settings')
    await page.getByRole('button', { name: 'Create key' }).click()
    await page.getByLabel('Name', { exact: true }).last().fill('journey')
    await page.getByRole('button', { name: 'Create', exact: true }).click()
    const key = (await page.locator('code[data-new-key]').textContent())?.trim() ?? ''
    assert.match(key, /^mcp_proj_[A-Za-z0-9]{20,}$/)
    await shot(page, '07-tab-settings')

    // The Cline config, read off the page, and the same text from its copy button.
    await tab(page, 'Overview')
    const pre = page.locator('pre[data-config="cline"]')
    await pre.waitFor()
    const shown = (await pre.textContent()) ?? ''
    const copied = page.evaluate(
      () =>
        new Promise<string>((resolve) =>
          window.addEventListener('mcpo-copied', (e) => resolve((e as CustomEvent<string>).detail), { once: true }),
        ),
    )
    await page.getByRole('button', { name: 'Copy config' }).click()
    assert.equal(await copied, shown, 'the copy button copies what the page shows')
    await shot(page, '08-tab-overview')
    const cline = JSON.parse(shown) as {
      mcpServers: Record<string, { type: string; url: string; headers: Record<string, string> }>
    }
    const entry = cline.mcpServers.everything
    assert.equal(entry.type, 'streamableHttp')
    assert.equal(entry.url, `${gw.url}/projects/demo/servers/everything/mcp`)
    const header = entry.headers.Authorization
    assert.match(header, /^Bearer \$\{env:MCPO_DEMO_KEY\}$/)

    // What Cline does with that entry: expand ${env:MCPO_DEMO_KEY} and connect to the url with the header.
    const env: Record<string, string> = { MCPO_DEMO_KEY: key }
    const authorization = header.replace(/\$\{env:([A-Z0-9_]+)\}/g, (_, v: string) => env[v] ?? '')
    const client = new Client({ name: 'journey-cline-stand-in', version: '1.0.0' })
    mcpClients.push(client)
    await client.connect(
      new StreamableHTTPClientTransport(new URL(entry.url), {
        requestInit: { headers: { Authorization: authorization } },
      }),
    )
    const result = await client.callTool({ name: 'echo', arguments: { message: 'hello from the journey' } })
    assert.match(JSON.stringify(result.content), /hello from the journey/)

    // The call in Activity (tool calls are written in batches: reload until it is there).
    await tab(page, 'Activity')
    const activity = page.locator('mcpo-activity-tab')
    await activity.waitFor()
    for (let i = 0; i < 40 && !(await activity.getByText('everything__echo').count()); i++) {
      await page.waitForTimeout(250)
      if (i % 4 === 3) await page.reload()
    }
    await activity.getByText('everything__echo').first().waitFor()
    await shot(page, '09-tab-activity')

    await tab(page, 'Tools')
    await page.locator('mcpo-tools-tab').getByText('everything__echo').first().waitFor()
    await shot(page, '10-tab-tools')

    // Members: invite an existing user as reporter.
    const created = await fetch(`${gw.url}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await adminToken()}` },
      body: JSON.stringify({ email: 'rita@example.com', name: 'Rita Reporter', password: PASSWORD }),
    })
    assert.equal(created.status, 201, await created.text())
    await tab(page, 'Members')
    await page.getByLabel('Email').fill('rita@example.com')
    await page.getByLabel('Role', { exact: true }).selectOption('reporter')
    await page.getByRole('button', { name: 'Invite', exact: true }).click()
    await page.getByRole('heading', { name: 'Pending invitations' }).waitFor()
    await shot(page, '11-tab-members')

    // An external invitation: the one-time link creates an account and joins.
    await page.getByRole('button', { name: 'External', exact: true }).click()
    await page.getByLabel('Email').fill('eve@example.com')
    await page.getByRole('button', { name: 'Invite', exact: true }).click()
    const link = (await page.locator('.link code').textContent())?.trim() ?? ''
    assert.match(link, /\/admin\/invite#token=[\w-]{16,}$/)
    const eve = await newPage()
    await eve.goto(link)
    await eve.getByText(/You are invited to/).waitFor()
    await eve.getByLabel('Your name').fill('Eve External')
    await eve.getByLabel('Choose a password').fill(PASSWORD)
    await shot(eve, '11b-invitation-link')
    await eve.getByRole('button', { name: 'Create account and join' }).click()
    await eve.getByRole('heading', { name: 'Sign in' }).waitFor()
    await eve.getByLabel('Email').fill('eve@example.com')
    await eve.getByLabel('Password').fill(PASSWORD)
    await eve.getByRole('button', { name: 'Sign in' }).click()
    await eve.getByRole('heading', { name: /Demo Project/ }).waitFor()
    assert.match(eve.url(), /\/admin\/projects\/demo$/)

    await page.getByRole('button', { name: /Account menu/ }).click()
    await page.getByRole('menuitem', { name: 'Profile and password' }).click()
    await page.getByRole('heading', { name: 'Change password' }).waitFor()
    await shot(page, '11c-profile')
    await page.goto('/admin/projects/demo/members')

    // The server detail modal over the Servers tab.
    await tab(page, 'Servers')
    await card.getByRole('link', { name: 'Details' }).click()
    await page.locator('mcpo-server-detail').getByRole('dialog').waitFor()
    await shot(page, '12-server-detail')
    await page.keyboard.press('Escape')
    await page.waitForURL(/\/admin\/projects\/demo\/servers$/)

    // Narrow screens.
    const phone = await newPage(390, 844)
    await phone.goto('/admin/signin')
    await phone.getByLabel('Email').fill('admin@example.com')
    await phone.getByLabel('Password').fill(PASSWORD)
    await phone.getByRole('button', { name: 'Sign in' }).click()
    await phone.getByRole('heading', { name: 'My Projects' }).waitFor()
    await phone.getByRole('link', { name: /Demo Project/ }).waitFor()
    await shot(phone, '13-narrow-my-projects')
    const narrow: string[] = []
    const measure = async () => {
      for (const p of await layoutProblems(phone)) narrow.push(`${new URL(phone.url()).pathname}: ${p}`)
    }
    await measure()
    await phone.goto('/admin/projects/demo')
    await phone.locator('pre[data-config="cline"]').waitFor()
    await shot(phone, '14-narrow-overview')
    await measure()
    await phone.goto('/admin/projects/demo/servers')
    await phone.getByRole('article', { name: 'everything' }).waitFor()
    await shot(phone, '15-narrow-servers')
    await measure()
    await phone.goto('/admin/projects/demo/members')
    await phone.getByRole('heading', { name: 'Pending invitations' }).waitFor()
    await shot(phone, '15b-narrow-members')
    await measure()
    await phone.goto('/admin/projects/demo/settings')
    await phone.getByRole('heading', { name: 'Danger zone' }).waitFor()
    await shot(phone, '15c-narrow-settings')
    await measure()
    assert.deepEqual(narrow, [], 'the project fits a phone')

    // The reporter: accepts the invitation, then sees every tab without edit controls.
    const rita = await newPage()
    await rita.goto('/admin/teams')
    await rita.getByRole('heading', { name: 'Sign in' }).waitFor()
    assert.match(rita.url(), /\/admin\/signin\?next=%2Fadmin%2Fteams$/)
    await rita.getByLabel('Email').fill('rita@example.com')
    await rita.getByLabel('Password').fill(PASSWORD)
    await rita.getByRole('button', { name: 'Sign in' }).click()
    // Back where she was going; she is in no team, and My Projects offers the invitation.
    await rita.getByText('You are in no team yet').waitFor()
    await rita.getByRole('button', { name: 'My Projects' }).click()
    await rita.getByRole('menuitem', { name: /All my projects/ }).click()
    await rita.getByRole('heading', { name: 'Invitations for you' }).waitFor()
    await rita.getByRole('button', { name: 'Accept' }).click()
    await rita.getByRole('link', { name: /Demo Project/ }).click()
    await rita.getByRole('heading', { name: /Demo Project/ }).waitFor()
    await rita.locator('pre[data-config="cline"]').waitFor()
    await tab(rita, 'Servers')
    await rita.getByRole('article', { name: 'everything' }).waitFor()
    for (const label of ['Add server', 'Restart', 'Disable', 'Edit', 'Delete', 'Import JSON']) {
      assert.equal(
        await rita.getByRole('button', { name: label, exact: true }).count(),
        0,
        `no "${label}" for a reporter`,
      )
    }
    await shot(rita, '16-reporter-servers')
    await tab(rita, 'Members')
    await rita.getByRole('cell', { name: /Ada Admin/ }).waitFor()
    assert.equal(await rita.getByRole('button', { name: 'Invite', exact: true }).count(), 0)
    assert.equal(await rita.getByRole('combobox', { name: /Role of/ }).count(), 0, 'no role pickers')
    assert.equal(await rita.getByRole('button', { name: 'Remove', exact: true }).count(), 0)
    await shot(rita, '17-reporter-members')
    await tab(rita, 'Settings')
    await rita.getByRole('heading', { name: 'API keys', exact: true }).waitFor()
    assert.equal(await rita.getByRole('heading', { name: 'Danger zone' }).count(), 0)
    assert.equal(await rita.getByRole('button', { name: 'Save', exact: true }).count(), 0)
    await shot(rita, '18-reporter-settings')
    await tab(rita, 'Tools')
    await rita.locator('mcpo-tools-tab').getByText('everything__echo').first().waitFor()
    await shot(rita, '19-reporter-tools')

    // Ownership goes to Eve after a confirmation; the members list shows it.
    await page.goto('/admin/projects/demo/settings')
    await page.getByLabel('New owner').selectOption({ label: 'Eve External' })
    await page.getByRole('button', { name: 'Transfer', exact: true }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Transfer ownership' }).click()
    await page.getByText('eve@example.com now owns the project').waitFor()
    await tab(page, 'Members')
    await page.getByRole('combobox', { name: 'Role of eve@example.com' }).waitFor()
    assert.equal(await page.getByRole('combobox', { name: 'Role of eve@example.com' }).inputValue(), 'owner')
    assert.equal(await page.getByRole('combobox', { name: 'Role of admin@example.com' }).inputValue(), 'developer')

    // Sign out through the user menu.
    await page.getByRole('button', { name: /Account menu/ }).click()
    await page.getByRole('menuitem', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()

    const unexpected = consoleErrors.filter((line) => {
      const i = expected.findIndex((re) => re.test(line))
      if (i === -1) return true
      expected.splice(i, 1)
      return false
    })
    assert.deepEqual(unexpected, [], 'no console errors')
    assert.deepEqual(expected, [], 'every deliberate failed request was seen once')
  })
})

async function adminToken(): Promise<string> {
  const r = await fetch(`${gw.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@example.com', password: PASSWORD }),
  })
  return ((await r.json()) as { token: string }).token
}
