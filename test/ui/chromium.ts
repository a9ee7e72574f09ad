// What every browser test shares: Debian's Chromium with the flags this closed network needs, where screenshots go,
// and the rule that a missing browser skips the tests only outside CI.
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
// Without the background-networking flags Chromium keeps dialling Google's hosts, which this network refuses.
export const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
]
export const SHOTS = join(import.meta.dirname, 'screenshots')
mkdirSync(SHOTS, { recursive: true })

const missing = !existsSync(CHROMIUM)
if (missing && process.env.CI) throw new Error(`${CHROMIUM} is missing; browser tests must run under CI`)
/** The `skip` option of a browser suite: false, or why it is skipped. */
export const skip = missing
  ? `Chromium not found at ${CHROMIUM} (apt-get install chromium); browser tests skipped`
  : false

/** The gateway's JSON API as the tests call it: bearer token, JSON body, parsed answer. Getters: both change. */
export function apiClient(base: () => string, token: () => string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base() + path, {
      method,
      headers: { authorization: `Bearer ${token()}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }
}

/** Screenshots of the suite's current page, and test bodies that leave one behind when they fail. */
export function pageTools(current: () => Page | undefined) {
  return {
    async shot(name: string, fullPage = true) {
      const page = current()!
      // The top bar is sticky: from the top, a full-page shot shows it once, where it belongs.
      await page.evaluate(() => window.scrollTo(0, 0))
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage })
    },
    step(name: string, fn: () => Promise<void>) {
      return async () => {
        try {
          await fn()
        } catch (err) {
          await current()
            ?.screenshot({ path: join(SHOTS, `failed-${name}.png`), fullPage: true })
            .catch(() => {})
          throw err
        }
      }
    },
  }
}

/** Creates the first admin account through the set-up endpoint, as the first-run page does. */
export async function setUpAdmin(gw: { url: string; gateway: { setupToken: string | null } }, password: string) {
  const res = await fetch(`${gw.url}/api/auth/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: gw.gateway.setupToken, email: 'admin@example.com', name: 'Ada Admin', password }),
  })
  if (res.status !== 200) throw new Error(`first-run set-up failed: ${res.status} ${await res.text()}`)
}
