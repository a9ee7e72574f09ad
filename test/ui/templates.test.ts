// Project templates and masked secrets in Debian's Chromium against a real gateway: an admin builds a project template
// from the server catalog on its admin page, creates a project from it in the new-project form (the template's
// server must exist in the new project, with the variable typed in), deletes the template; then a stdio server with
// an env secret is added and edited without touching the secret, and the running server still gets the secret (its
// own `get-env` tool, called through the gateway, says so). Screenshots go to test/ui/screenshots/.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
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

let gw: TestGateway
let browser: Browser | null = null
let page: Page
let token = ''
let dir = ''
const consoleErrors: string[] = []

const api = apiClient(
  () => gw.url,
  () => token,
)

const { shot, step } = pageTools(() => page)

describe('project templates and secrets in Chromium', { skip }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcpo-ui-templates-'))
    gw = await startTestGateway({ plugins: [sessions()], projects: [] })
    const admin = await signInFirstAdmin(gw, PASSWORD)
    token = admin.token
    // A real catalog entry with a variable: the memory server from node_modules (npx would need the network).
    const catalog = await api('POST', '/api/templates', {
      name: 'Memory',
      description: 'A knowledge-graph memory server.',
      transport: 'stdio',
      command: process.execPath,
      args: [createRequire(import.meta.url).resolve('@modelcontextprotocol/server-memory/dist/index.js')],
      envTemplate: { MEMORY_FILE_PATH: join(dir, 'default.json') },
    })
    assert.equal(catalog.status, 201, JSON.stringify(catalog.body))
    browser = await launchChromium()
    page = (await watchedPage(browser, consoleErrors, { cookies: admin.cookies })).page
  })

  after(async () => {
    await browser?.close()
    await gw?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it(
    'an admin creates a project template from the catalog; a project made from it has its server',
    step('project-template', async () => {
      await page.goto(`${gw.url}/admin/system/project-templates`)
      await page.getByText('No project templates yet').waitFor({ timeout: 30_000 })
      await page.getByRole('button', { name: 'New template' }).click()
      await page.getByLabel('Name', { exact: true }).fill('Knowledge base')
      await page.getByLabel('Description').fill('A project with a memory server ready.')
      await page.getByLabel('Memory A knowledge-graph memory server.').check()
      const serverName = page.getByLabel('Server name for Memory')
      assert.equal(await serverName.inputValue(), 'memory', 'the catalog name made a server name')
      await serverName.fill('kb-memory')
      await shot('project-template-form')
      await page.getByRole('button', { name: 'Create template' }).click()
      await page.locator('tr', { hasText: 'Knowledge base' }).getByText('kb-memory').waitFor()
      await shot('project-templates')
      await page.setViewportSize({ width: 390, height: 844 })
      await page.getByRole('button', { name: 'New template' }).click()
      await page.getByLabel('Server name for Memory').waitFor()
      await shot('project-templates-390')
      assert.deepEqual(await layoutProblems(page), [], 'the templates page at 390 px')
      await page.setViewportSize({ width: 1280, height: 860 })
      const templates = await api('GET', '/api/project-templates')
      assert.equal(templates.body.length, 1)
      assert.deepEqual(
        templates.body[0].servers.map((s: { name: string }) => s.name),
        ['kb-memory'],
      )

      await page.goto(`${gw.url}/admin/projects`)
      // With no project yet the page shows both buttons once the list has loaded; either opens the same dialog.
      await page
        .getByRole('button', { name: /New project|Create your first project/ })
        .first()
        .click()
      await page.getByLabel('Name', { exact: true }).fill('Research')
      await page.getByLabel(/Start from a template/).selectOption({ label: 'Knowledge base' })
      const variable = page.getByLabel('kb-memory: MEMORY_FILE_PATH')
      assert.equal(await variable.inputValue(), join(dir, 'default.json'), "the catalog's default is filled in")
      const memoryFile = join(dir, 'research.json')
      await variable.fill(memoryFile)
      await shot('project-create-from-template')
      await page.getByRole('button', { name: 'Create project' }).click()
      await page.waitForURL(/\/admin\/projects\/research/)
      const servers = await api('GET', '/api/projects/research/servers')
      assert.equal(servers.status, 200)
      const items = (servers.body.items ?? servers.body) as { name: string; env: Record<string, string> }[]
      assert.deepEqual(
        items.map((s) => s.name),
        ['kb-memory'],
      )
      // The variable reached the server: the memory server writes its graph where it was told to.
      const call = await api('POST', '/api/projects/research/servers/kb-memory/tools/create_entities/call', {
        arguments: { entities: [{ name: 'mcpo', entityType: 'gateway', observations: ['made from a template'] }] },
      })
      assert.equal(call.body.ok, true, JSON.stringify(call.body))
      assert.ok(existsSync(memoryFile), 'the memory file is where the form said')

      await page.goto(`${gw.url}/admin/system/project-templates`)
      const row = page.locator('tr', { hasText: 'Knowledge base' })
      await row.getByRole('button', { name: 'Delete' }).click()
      await page.getByRole('button', { name: 'Delete' }).last().click()
      await page.getByText('No project templates yet').waitFor()
      assert.deepEqual((await api('GET', '/api/project-templates')).body, [])
    }),
  )

  it(
    'editing a stdio server leaves its env secret masked in the form and unchanged in the running server',
    step('secret-edit', async () => {
      assert.equal((await api('POST', '/api/projects', { id: 'secrets', name: 'Secrets' })).status, 201)
      const secret = 's3cret-value-not-for-browsers'
      const everything = everythingServer()
      await page.goto(`${gw.url}/admin/projects/secrets/servers`)
      await page.getByRole('button', { name: 'Add server' }).first().click({ timeout: 30_000 })
      await page.getByLabel('Name', { exact: true }).fill('envcheck')
      await page.getByLabel('stdio (local command)').check()
      await page.getByRole('textbox', { name: 'Command' }).fill(everything.command)
      await page.getByLabel(/Arguments/).fill(everything.args.join('\n'))
      await page.getByRole('button', { name: 'Add variable' }).click()
      await page.getByLabel('Environment variables name 1').fill('API_TOKEN')
      await page.getByLabel('Environment variables value 1').fill(secret)
      await page.getByRole('button', { name: 'Add server' }).last().click()
      const card = page.locator('article', { hasText: 'envcheck' })
      await card.getByText('1 secret', { exact: true }).waitFor()
      const stored = await api('GET', '/api/projects/secrets/servers/envcheck')
      assert.equal(stored.status, 200)
      assert.notEqual(stored.body.env.API_TOKEN, secret, 'the API never shows the value')

      await card.getByRole('button', { name: 'Edit' }).click()
      const value = page.getByLabel('Environment variables value 1')
      assert.equal(await page.getByLabel('Environment variables name 1').inputValue(), 'API_TOKEN')
      assert.equal(await page.getByLabel('Environment variables name 1').getAttribute('readonly'), '')
      assert.equal(await value.inputValue(), '', 'the stored value is not in the page')
      assert.equal(await value.getAttribute('placeholder'), 'stored · leave empty to keep')
      assert.equal(await value.getAttribute('type'), 'password')
      assert.equal((await page.content()).includes(secret), false)
      await page.getByLabel('Description').fill('edited without touching the secret')
      await shot('server-edit-masked-secret')
      assert.deepEqual(await layoutProblems(page), [], 'the edit form')
      await page.getByRole('button', { name: 'Save changes' }).click()
      await card.getByText('edited without touching the secret').waitFor()

      const after = await api('GET', '/api/projects/secrets/servers/envcheck')
      assert.equal(after.body.description, 'edited without touching the secret')
      assert.deepEqual(Object.keys(after.body.env), ['API_TOKEN'])
      // The running server's own view of its environment, through the gateway's relay.
      const env = await api('POST', '/api/projects/secrets/servers/envcheck/tools/get-env/call', { arguments: {} })
      assert.equal(env.body.ok, true, JSON.stringify(env.body))
      const text = (env.body.result.content as { type: string; text: string }[]).map((c) => c.text).join('')
      assert.equal(JSON.parse(text).API_TOKEN, secret, 'the stored secret survived the edit')
    }),
  )

  it('logged no console errors', () => {
    assert.deepEqual(consoleErrors, [], consoleErrors.join('\n'))
  })
})
