// What every browser test shares: Debian's Chromium with the flags this closed network needs, where screenshots go,
// and the rule that a missing browser skips the tests only outside CI.
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

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
