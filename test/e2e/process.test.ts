// The gateway as an operator runs it: boot, health, readiness, 404s, config errors, SIGTERM and kill -9.
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { findProcesses, listDescendants, pidAlive, waitFor } from '../fixtures/processes.ts'
import { freePort } from '../kit/ports.ts'
import { ensureStopped, type GatewayProcess, prepareDir, spawnGateway } from './spawn.ts'

const KEY = 'mcp_proj_processTestKey000000000000000000001'
const fixture = join(import.meta.dirname, '../fixtures/fixture-server.ts')
const running: GatewayProcess[] = []
const dirs: string[] = []
const strays: number[] = []
after(async () => {
  for (const p of running) await ensureStopped(p)
  for (const pid of strays) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // Already gone: what the test wanted.
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

async function boot(body: string, env: Record<string, string> = {}) {
  const dir = await prepareDir(body)
  dirs.push(dir)
  const p = spawnGateway(dir, env)
  running.push(p)
  const url = await p.ready
  return { p, url, dir }
}

const projectConfig = `export default defineConfig({
  plugins: [apiKeys()],
  limits: { shutdownGraceMs: 5000 },
  projects: [{ id: 'demo', name: 'Demo',
    servers: [{ name: 'fixture', transport: 'stdio', command: process.execPath, args: ['--import', 'tsx', ${JSON.stringify(fixture)}], cwd: ${JSON.stringify(join(import.meta.dirname, '../..'))} }],
    apiKeys: [{ name: 'ci', key: '${KEY}' }] }],
})`

describe('gateway process', () => {
  it('boots, prints its URL, answers /healthz and /readyz, and a JSON 404 for unknown routes', async () => {
    const { url } = await boot('export default defineConfig({ plugins: [apiKeys()] })')
    const health = await fetch(`${url}/healthz`)
    assert.equal(health.status, 200)
    assert.deepEqual(await health.json(), { status: 'ok' })
    const ready = await fetch(`${url}/readyz`)
    assert.equal(ready.status, 200)
    assert.deepEqual(await ready.json(), { status: 'ready' })
    const missing = await fetch(`${url}/no/such/route`)
    assert.equal(missing.status, 404)
    assert.equal(missing.headers.get('content-type'), 'application/json')
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'MCPO_ERR_NOT_FOUND')
  })

  it('exits 1 on a bad config with every problem listed and no stack trace', async () => {
    const dir = await prepareDir(
      `export default defineConfig({ listen: { port: 'x' }, projects: [{ id: 'p', name: 'P', servers: [{ name: 'S S', transport: 'stdio' }] }] })`,
    )
    dirs.push(dir)
    const p = spawnGateway(dir, { PORT: '' })
    running.push(p)
    p.ready.catch(() => {})
    const { code } = await p.exited
    assert.equal(code, 1)
    const err = p.stderr()
    assert.match(err, /listen\.port: .*\(got "x"\)/)
    assert.match(err, /projects\[0\]\.servers\[0\]\.name: .*\(got "S S"\)/)
    assert.match(err, /projects\[0\]\.servers\[0\]\.command: is required for stdio servers/)
    assert.doesNotMatch(err, /\n\s+at /, 'no stack trace')
  })

  it('drains an in-flight request on SIGTERM, then stops its upstreams and exits 0', async () => {
    const { p, url } = await boot(projectConfig)
    const client = new Client({ name: 'drain', version: '1' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/projects/demo/servers/fixture/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${KEY}` } },
      }),
    )
    const mine = new Set(listDescendants(p.child.pid ?? -1))
    const pids = findProcesses('fixture-server.ts')
      .map((x) => x.pid)
      .filter((pid) => mine.has(pid))
    assert.ok(pids.length >= 1)
    const call = client.callTool({ name: 'slow', arguments: { steps: 5, ms: 200 } })
    await new Promise((r) => setTimeout(r, 200))
    p.child.kill('SIGTERM')
    const result = await call
    assert.deepEqual(result.content, [{ type: 'text', text: 'done' }])
    const { code } = await p.exited
    assert.equal(code, 0)
    assert.ok(await waitFor(() => pids.every((pid) => !pidAlive(pid)), 3000))
    await client.close().catch(() => {})
  })

  it('keeps committed config writes across kill -9 and restarts on the same data dir', async () => {
    const { p, url, dir } = await boot(projectConfig)
    const headers = { Authorization: `Bearer ${KEY}` }
    assert.equal(
      (await fetch(`${url}/projects/demo/servers/fixture/sse`, { headers, signal: AbortSignal.timeout(2000) })).status,
      200,
    )
    p.child.kill('SIGKILL')
    await p.exited
    // Restart without the projects in the config: what the first run committed must still be served.
    const { writeFileSync } = await import('node:fs')
    const cfg = join(dir, 'mcpo.config.ts')
    const { readFileSync } = await import('node:fs')
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/projects: \[[\s\S]*\]\s*\}\],\n/, ''))
    const again = spawnGateway(dir)
    running.push(again)
    const url2 = await again.ready
    const res = await fetch(`${url2}/projects/demo/servers/fixture/sse`, { headers, signal: AbortSignal.timeout(2000) })
    assert.equal(res.status, 200)
    await res.body?.cancel()
    again.child.kill('SIGTERM')
    assert.equal((await again.exited).code, 0)
  })

  it('kills on its next start an upstream that outlived a kill -9 of the gateway by ignoring SIGTERM and stdin EOF', async () => {
    const stubborn = projectConfig.replace(`${JSON.stringify(fixture)}]`, `${JSON.stringify(fixture)}, '--stubborn']`)
    assert.notEqual(stubborn, projectConfig)
    const { p, url, dir } = await boot(stubborn)
    const client = new Client({ name: 'orphan', version: '1' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/projects/demo/servers/fixture/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${KEY}` } },
      }),
    )
    await client.listTools()
    const mine = new Set(listDescendants(p.child.pid ?? -1))
    const pids = findProcesses('--stubborn')
      .map((x) => x.pid)
      .filter((pid) => mine.has(pid))
    assert.ok(pids.length >= 1, 'the upstream runs')
    strays.push(...pids)
    await client.close().catch(() => {})
    p.child.kill('SIGKILL')
    await p.exited
    // No exit handler ran: the upstream saw its stdin end and a SIGTERM-free death of its parent, and lives on.
    await new Promise((r) => setTimeout(r, 500))
    assert.ok(pids.every(pidAlive), 'the stubborn upstream outlived the gateway')
    const again = spawnGateway(dir)
    running.push(again)
    await again.ready
    assert.ok(await waitFor(() => pids.every((pid) => !pidAlive(pid)), 3000), 'the next start killed it')
    assert.match(again.stdout(), /killed upstream processes left by a gateway that died/)
    again.child.kill('SIGTERM')
    assert.deepEqual(await again.exited, { code: 0, signal: null }, again.stderr() + again.stdout().slice(-3000))
  })

  it('answers with the security headers while it boots on a fresh data directory, then serves', async () => {
    const dir = await prepareDir('export default defineConfig({ plugins: [apiKeys()] })')
    dirs.push(dir)
    // No database yet: creating it takes seconds, and the boot listener answers meanwhile.
    rmSync(join(dir, 'data'), { recursive: true, force: true })
    // A fixed port, as in production: the gateway takes over the boot listener's port after requests were answered
    // there. (With PORT=0, rebinding the ephemeral port fails once it has carried a connection; seen here, not with a
    // fixed port.)
    const p = spawnGateway(dir, { PORT: String(await freePort()) })
    running.push(p)
    let bootUrl = ''
    assert.ok(
      await waitFor(() => {
        bootUrl = /"msg":"mcpo starting on (http:\/\/[^"]+)"/.exec(p.stdout())?.[1] ?? ''
        return bootUrl !== ''
      }, 30_000),
      'the boot listener announces itself',
    )
    const health = await fetch(`${bootUrl}/healthz`)
    const other = await fetch(`${bootUrl}/api/projects`)
    const url = await p.ready
    assert.equal(health.status, 200)
    assert.equal(health.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(url, bootUrl, 'the gateway takes the port over')
    assert.equal(other.status, 503)
    assert.equal(other.headers.get('retry-after'), '1')
    assert.equal(other.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(other.headers.get('referrer-policy'), 'no-referrer')
    p.child.kill('SIGTERM')
    assert.deepEqual(await p.exited, { code: 0, signal: null })
  })
})
