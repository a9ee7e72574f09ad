// The MCP project's own conformance suite (@modelcontextprotocol/conformance, pinned in devDependencies), run
// against its reference server (test/fixtures/conformance) directly and then through a per-server Streamable HTTP
// endpoint of mcpo that has the same server as a remote upstream. A gateway that relays faithfully passes every check
// the server passes directly: this test fails on any check that passes directly and fails through mcpo, unless its
// scenario is in EXPECTED_FAILURES with the reason, and it fails when a listed scenario passes, so the list only
// shrinks.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { assertNoLeftovers, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { type ReferenceServer, startReferenceServer } from '../kit/conformance/reference-server.ts'
import { tempDir } from '../kit/temp-dir.ts'

const root = join(import.meta.dirname, '../..')
const CLI = join(root, 'node_modules/@modelcontextprotocol/conformance/dist/index.js')
const SHIM = join(root, 'test/kit/conformance/register-fs-shim.mjs')

/**
 * Scenarios that pass against the server directly and fail through mcpo today, with why. Empty: a scenario that fails
 * through mcpo is a regression.
 */
const EXPECTED_FAILURES: Record<string, string> = {}

interface Check {
  id: string
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO'
}

interface Outcome {
  scenario: string
  passed: boolean
  /** The suite only noted this check as not applicable (INFO): the server chose an optional behaviour it skips. */
  info?: boolean
}

/** Check id → outcome, for every scenario folder (`server-<scenario>-<time>`) of a results directory. */
function results(dir: string): Map<string, Outcome> {
  const out = new Map<string, Outcome>()
  const noted = new Map<string, string>()
  for (const folder of readdirSync(dir)) {
    const scenario = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(folder)?.[1]
    // A scenario that broke off before writing its checks counts as failing every check it has directly.
    if (!scenario || !existsSync(join(dir, folder, 'checks.json'))) continue
    const checks = JSON.parse(readFileSync(join(dir, folder, 'checks.json'), 'utf8')) as Check[]
    for (const c of checks) {
      const key = `${scenario} › ${c.id}`
      // INFO entries are mostly the suite's log of what it sent and saw, not checks; see `noted` below.
      if (c.status === 'INFO') {
        noted.set(key, scenario)
        continue
      }
      // The suite counts a WARNING (a SHOULD not met) as passed, and so does this test.
      const passed = c.status !== 'FAILURE'
      // A check id may repeat within a scenario (one per case): it passes only if every instance does.
      out.set(key, { scenario, passed: passed && (out.get(key)?.passed ?? true) })
    }
  }
  // A check id the suite reported only as INFO was not applicable to this server (for example SSE answers when it
  // answers with JSON, which the transport allows): that is not a failure, but it is not a pass of the check either.
  for (const [key, scenario] of noted) if (!out.has(key)) out.set(key, { scenario, passed: true, info: true })
  return out
}

function expectedReason(scenario: string): string | undefined {
  const prefix = Object.keys(EXPECTED_FAILURES).find((p) => scenario === p || scenario.startsWith(`${p}-`))
  return prefix === undefined ? undefined : EXPECTED_FAILURES[prefix]
}

function runSuite(url: string, outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', SHIM, CLI, 'server', '--url', url, '--suite', 'all', '-o', outDir],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let log = ''
    child.stdout.on('data', (d) => (log += d))
    child.stderr.on('data', (d) => (log += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('error', reject)
    // The suite exits non-zero whenever a check fails; the result files are what count.
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (signal) reject(new Error(`the conformance suite was killed (${signal}):\n${log.slice(-2000)}`))
      else if (!/Total: \d+ passed/.test(log))
        reject(new Error(`the conformance suite did not finish (${code}):\n${log.slice(-2000)}`))
      else resolve()
    })
  })
}

/**
 * The suite sends no Authorization header: this loopback forwarder adds the project key and otherwise passes requests
 * and streamed answers through unchanged, with its own origin mapped to the gateway's (as a reverse proxy would).
 */
async function keyForwarder(target: string, path: string): Promise<{ url: string; server: Server }> {
  const to = new URL(target)
  let self = ''
  const server = createServer((req, res) => {
    // Only the forwarder's own Host and Origin are mapped: a foreign one (the suite's DNS-rebinding case) passes as is.
    const headers = { ...req.headers, authorization: `Bearer ${TEST_KEY}` }
    if (headers.host === self) headers.host = to.host
    if (headers.origin === `http://${self}`) headers.origin = to.origin
    const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers)
      ur.pipe(res)
    })
    up.on('error', () => res.destroy())
    res.on('close', () => up.destroy())
    req.pipe(up)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  self = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return { url: `http://${self}${path}`, server }
}

describe('the official MCP conformance suite, directly and through mcpo', { timeout: 300_000 }, () => {
  let reference: ReferenceServer | undefined
  let gw: TestGateway | undefined
  let forwarder: Server | undefined
  const out = tempDir('mcpo-conformance-')
  let direct = new Map<string, Outcome>()
  let viaMcpo = new Map<string, Outcome>()

  before(async () => {
    reference = await startReferenceServer()
    const refUrl = reference.url
    gw = await startTestGateway({
      projects: [
        {
          id: 'demo',
          name: 'Demo',
          servers: [{ name: 'reference', transport: 'streamable-http', url: refUrl, protocol: 'auto' }],
          apiKeys: [{ name: 'test', key: TEST_KEY }],
        },
      ],
    })
    const fwd = await keyForwarder(gw.url, '/projects/demo/servers/reference/mcp')
    forwarder = fwd.server
    await runSuite(refUrl, join(out.path, 'direct'))
    await runSuite(fwd.url, join(out.path, 'mcpo'))
    direct = results(join(out.path, 'direct'))
    viaMcpo = results(join(out.path, 'mcpo'))
  })

  after(async () => {
    forwarder?.closeAllConnections()
    await new Promise((r) => forwarder?.close(r) ?? r(null))
    await gw?.close()
    reference?.stop()
    out.cleanup()
    await assertNoLeftovers()
  })

  it('ran the whole suite both ways', (t) => {
    const passing = [...direct].filter(([, d]) => d.passed && !d.info)
    const both = passing.filter(([key]) => viaMcpo.get(key)?.passed)
    t.diagnostic(`${passing.length} checks pass against the reference server, ${both.length} of them through mcpo`)
    for (const [key] of passing) if (!viaMcpo.get(key)?.passed) t.diagnostic(`fails through mcpo: ${key}`)
    assert.ok(passing.length > 150, `${passing.length} checks passed against the reference server`)
    assert.ok(viaMcpo.size > 0, 'checks ran through mcpo')
  })

  it('every check that passes directly passes through mcpo, but for the listed scenarios', () => {
    const regressions: string[] = []
    for (const [key, d] of direct) {
      if (!d.passed || d.info || viaMcpo.get(key)?.passed) continue
      if (expectedReason(d.scenario) === undefined) regressions.push(key)
    }
    assert.deepEqual(regressions, [], 'checks that pass against the server directly and fail through mcpo')
  })

  it('every listed scenario still fails through mcpo (a fixed one leaves the list)', () => {
    const failing = new Set<string>()
    for (const [key, d] of direct) if (d.passed && !d.info && !viaMcpo.get(key)?.passed) failing.add(d.scenario)
    const stale = Object.keys(EXPECTED_FAILURES).filter(
      (p) => ![...failing].some((s) => s === p || s.startsWith(`${p}-`)),
    )
    assert.deepEqual(stale, [], 'listed as expected failures but passing through mcpo')
  })
})
