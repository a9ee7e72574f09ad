// What every browser test shares: Debian's Chromium with the flags this closed network needs, where screenshots go,
// and the rule that a missing browser skips the tests only outside CI.
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { setUpAdmin as setUpFirstAdmin } from '../kit/first-admin.ts'
import { rest } from '../kit/rest.ts'

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
  return (method: string, path: string, body?: unknown) => rest(base(), method, path, { token: token(), body })
}

/**
 * A desktop-sized page in a new context of `browser`, signed in with `cookies` when given, that reports console errors
 * and uncaught exceptions, with the page's URL, into `errors`. Console errors matching `expected` are left out.
 */
export async function watchedPage(
  browser: Browser,
  errors: string[],
  opts: { cookies?: Parameters<BrowserContext['addCookies']>[0]; expected?: RegExp } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
  if (opts.cookies) await context.addCookies(opts.cookies)
  const page = await context.newPage()
  page.on('console', (m) => {
    if (m.type() === 'error' && !opts.expected?.test(m.text())) errors.push(`${page.url()}: ${m.text()}`)
  })
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`))
  return { context, page }
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

/** Debian's Chromium with the flags above; the caller closes it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
}

/**
 * Sets up the first admin of the browser suites, Ada (admin@example.com), whose name the screenshots show, and signs
 * her in through the API: her token, and the cookies a browser context needs for her session.
 */
export async function signInFirstAdmin(gw: { url: string; gateway: { setupToken: string | null } }, password: string) {
  await setUpFirstAdmin(gw, password, { name: 'Ada Admin' })
  return signInApi(gw.url, 'admin@example.com', password)
}

/** Signs in through the API: the session token, and the cookies a browser context needs for the same session. */
export async function signInApi(url: string, email: string, password: string) {
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  })
  if (login.status !== 200) throw new Error(`sign-in of ${email} failed: ${login.status}`)
  const cookies = login.headers.getSetCookie().map((c) => {
    const [pair] = c.split(';')
    const eq = pair.indexOf('=')
    return {
      name: pair.slice(0, eq),
      value: pair.slice(eq + 1),
      url,
      httpOnly: /HttpOnly/i.test(c),
      sameSite: 'Strict' as const,
    }
  })
  return { token: ((await login.json()) as { token: string }).token, cookies }
}

/**
 * What does not fit the page's width, as sentences (empty when all fits):
 * - the page itself scrolls sideways (`document.scrollingElement`);
 * - an element (shadow roots included) reaches past the viewport's left or right edge, unless a scroll container
 *   (`overflow-x: auto | scroll`) that itself fits holds it: a wide table in its frame is meant to scroll, a table
 *   cut off by an `overflow: hidden` card is not;
 * - a code block (`pre`) scrolls sideways (its lines should wrap);
 * - a tab or button has its text ellipsised or clipped;
 * - a tab (`nav.tabs a`) or primary button lies partly outside the viewport or outside what its clipping container
 *   shows, unless that container scrolls with a visible scrollbar (the browser's own affordance). Headless Chromium
 *   hides scrollbars, so there every tab and primary button must be whole on the screen.
 * `within` narrows the element checks to what is under these selectors (searched through shadow roots).
 */
export async function layoutProblems(page: Page, within = 'mcpo-top-bar, main'): Promise<string[]> {
  // tsx keeps function names with an `__name` helper that the page does not have.
  await page.evaluate('globalThis.__name ??= (f) => f')
  return page.evaluate((within) => {
    const problems: string[] = []
    const se = document.scrollingElement ?? document.documentElement
    if (se.scrollWidth > se.clientWidth)
      problems.push(`the page scrolls sideways by ${se.scrollWidth - se.clientWidth}px`)
    const vw = document.documentElement.clientWidth
    const all: Element[] = []
    const walk = (root: Document | ShadowRoot | Element) => {
      for (const el of Array.from(root.querySelectorAll('*'))) {
        all.push(el)
        if (el.shadowRoot) walk(el.shadowRoot)
      }
    }
    walk(document)
    const roots = all.filter((el) => el.matches(within))
    const inside = new Set<Element>()
    for (const r of roots) {
      inside.add(r)
      const sub: Element[] = []
      const collect = (root: Element | ShadowRoot) => {
        for (const el of Array.from(root.querySelectorAll('*'))) {
          sub.push(el)
          if (el.shadowRoot) collect(el.shadowRoot)
        }
      }
      if (r.shadowRoot) collect(r.shadowRoot)
      collect(r)
      for (const el of sub) inside.add(el)
    }
    const parentOf = (el: Element): Element | null =>
      el.assignedSlot ?? el.parentElement ?? ((el.getRootNode() as ShadowRoot).host || null)
    const style = (el: Element) => getComputedStyle(el)
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect()
      if (r.width === 0 || r.height === 0) return false
      const s = style(el)
      if (s.visibility === 'hidden' || s.position === 'fixed') return false
      // Screen-reader-only text is 1 px and clipped on purpose.
      if (s.clip !== 'auto' && s.position === 'absolute') return false
      return true
    }
    const scrolls = (el: Element) => /auto|scroll/.test(style(el).overflowX)
    const clips = (el: Element) => style(el).overflowX !== 'visible'
    const name = (el: Element) => {
      const text = (el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 40)
      const cls = el.getAttribute('class') ? `.${el.getAttribute('class')!.trim().split(/\s+/).join('.')}` : ''
      return `<${el.tagName.toLowerCase()}${cls}>${text ? ` "${text}"` : ''}`
    }
    /** The nearest ancestor that clips or scrolls sideways, and whether it scrolls. */
    const clipper = (el: Element) => {
      for (let p = parentOf(el); p && p !== document.documentElement; p = parentOf(p)) if (clips(p)) return p
      return null
    }
    const reported = new Set<Element>()
    for (const el of all) {
      if (!inside.has(el) || !visible(el)) continue
      const r = el.getBoundingClientRect()
      if (r.right <= vw + 0.5 && r.left >= -0.5) continue
      // Inside a container meant to scroll (which fits itself): fine. Report each offender once, at the outermost.
      let held = false
      for (let p = parentOf(el); p && p !== document.documentElement; p = parentOf(p)) {
        if (reported.has(p)) held = true
        if (scrolls(p)) {
          const pr = p.getBoundingClientRect()
          if (pr.right <= vw + 0.5 && pr.left >= -0.5) held = true
          break
        }
      }
      if (held) continue
      reported.add(el)
      problems.push(`${name(el)} reaches ${Math.round(r.left)}..${Math.round(r.right)}px of a ${vw}px viewport`)
    }
    // Code blocks wrap their lines: a config is read without scrolling it sideways.
    for (const el of all) {
      if (!inside.has(el) || el.tagName !== 'PRE' || !visible(el)) continue
      const h = el as HTMLElement
      if (h.scrollWidth > h.clientWidth + 1)
        problems.push(`${name(el).slice(0, 60)} scrolls sideways by ${h.scrollWidth - h.clientWidth}px`)
    }
    // Tabs and buttons readable; tabs and primary buttons whole, on the screen or behind a visible scrollbar.
    for (const el of all) {
      if (!inside.has(el) || !visible(el)) continue
      if (!el.matches('nav.tabs a, button, .btn')) continue
      const r = el.getBoundingClientRect()
      const h = el as HTMLElement
      if (h.scrollWidth > h.clientWidth + 1 && style(el).overflowX !== 'visible')
        problems.push(`${name(el)} has its text cut (${h.scrollWidth}px of text in ${h.clientWidth}px)`)
      if (!el.matches('nav.tabs a, button.primary, .btn.primary')) continue
      const c = clipper(el)
      const cr = c?.getBoundingClientRect()
      const whole = r.left >= Math.max(-0.5, (cr?.left ?? 0) - 0.5) && r.right <= Math.min(vw, cr?.right ?? vw) + 0.5
      if (whole) continue
      const ch = c as HTMLElement | null
      const scrollbar =
        ch && scrolls(ch) && ch.offsetHeight - ch.clientHeight > 0 && style(ch).scrollbarWidth !== 'none'
      if (!scrollbar)
        problems.push(`${name(el)} is not whole on the screen (${Math.round(r.left)}..${Math.round(r.right)}px)`)
    }
    return problems
  }, within)
}
