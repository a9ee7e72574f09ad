// A drain that answers (issue 17 point 4): on SIGTERM or SIGINT, calls still running when the grace period ends get a
// JSON-RPC error saying the gateway is shutting down (-32013) before their streams close, on the legacy SSE, the
// Streamable HTTP and the unified endpoints, instead of `SSE error: undefined` and a callTool that never settles.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ensureStopped, type GatewayProcess, prepareDir, spawnGateway } from './spawn.ts'

const KEY = 'mcp_proj_drainTestKey00000000000000000000001'
const root = join(import.meta.dirname, '../..')
const fixture = join(root, 'test/fixtures/fixture-server.ts')
const running: GatewayProcess[] = []
const dirs: string[] = []
after(async () => {
  for (const p of running) await ensureStopped(p)
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const GRACE_MS = 800
const config = `export default defineConfig({
  plugins: [apiKeys()],
  limits: { shutdownGraceMs: ${GRACE_MS} },
  projects: [{ id: 'demo', name: 'Demo',
    servers: [{ name: 'fixture', transport: 'stdio', command: process.execPath, args: ['--import', 'tsx', ${JSON.stringify(fixture)}], cwd: ${JSON.stringify(root)} }],
    apiKeys: [{ name: 'ci', key: '${KEY}' }] }],
})`

async function connect(url: string, legacy: boolean): Promise<Client> {
  const client = new Client({ name: 'drain-test', version: '1' })
  const headers = { Authorization: `Bearer ${KEY}` }
  await client.connect(
    legacy
      ? new SSEClientTransport(new URL(url), {
          requestInit: { headers },
          eventSourceInit: { fetch: (u, init) => fetch(u, { ...init, headers: { ...init?.headers, ...headers } }) },
        })
      : new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }),
  )
  return client
}

/** How a call ended: its JSON-RPC error code and message, or 'result' / 'pending'. */
async function outcome(call: Promise<unknown>, ms: number): Promise<{ code?: number; message: string }> {
  const timeout = new Promise<{ message: string }>((r) => setTimeout(() => r({ message: 'pending' }), ms))
  return Promise.race([
    call.then(
      () => ({ message: 'result' }),
      (err: { code?: number; message: string }) => ({ code: err.code, message: err.message }),
    ),
    timeout,
  ])
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  describe(`drain on ${signal}`, () => {
    it('answers every call still open after the grace period with -32013, on every transport, then exits 0', async () => {
      const dir = await prepareDir(config)
      dirs.push(dir)
      const p = spawnGateway(dir)
      running.push(p)
      const url = await p.ready
      const clients = await Promise.all([
        connect(`${url}/projects/demo/servers/fixture/sse`, true),
        connect(`${url}/projects/demo/servers/fixture/mcp`, false),
        connect(`${url}/projects/demo/mcp`, false),
      ])
      const calls = clients.map((c, i) =>
        c.callTool({ name: i === 2 ? 'fixture__slow' : 'slow', arguments: { steps: 40, ms: 250 } }, undefined, {
          timeout: 60_000,
        }),
      )
      // A call that ends within the grace period still gets its real answer.
      const quick = clients[1].callTool({ name: 'slow', arguments: { steps: 2, ms: 200 } })
      await new Promise((r) => setTimeout(r, 300))
      const started = Date.now()
      p.child.kill(signal)
      assert.equal((await outcome(quick, 5000)).message, 'result')
      const ends = await Promise.all(calls.map((c) => outcome(c, GRACE_MS + 5000)))
      for (const [i, end] of ends.entries()) {
        assert.equal(end.code, -32013, `client ${i}: ${end.message}`)
        assert.match(end.message, /shutting down/)
      }
      assert.ok(Date.now() - started < GRACE_MS + 4000, 'the errors came at the end of the grace period')
      const { code } = await p.exited
      assert.equal(code, 0)
      await Promise.all(clients.map((c) => c.close().catch(() => {})))
    })
  })
}

describe('Ctrl-C through npm start', () => {
  it('drains: the terminal group and npm each pass the SIGINT on, and the copies do not cut the drain short', async () => {
    const dir = await prepareDir(config)
    dirs.push(dir)
    // A terminal's Ctrl-C signals its whole foreground process group: npm, its shell and the gateway.
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        MCPO_CONFIG: join(dir, 'mcpo.config.ts'),
        MCPO_DATA_DIR: join(dir, 'data'),
        PORT: '0',
      },
    })
    const group = npm.pid ?? 0
    let out = ''
    npm.stderr?.on('data', (d) => {
      out += d
    })
    const exited = new Promise<number | null>((r) => npm.on('exit', (code) => r(code)))
    try {
      const url = await new Promise<string>((resolve, reject) => {
        npm.stdout?.on('data', (d) => {
          out += d
          const m = /"msg":"mcpo listening on (http:\/\/[^"]+)"/.exec(out)
          if (m) resolve(m[1])
        })
        exited.then(() => reject(new Error(`npm start exited: ${out}`)))
      })
      const client = await connect(`${url}/projects/demo/servers/fixture/mcp`, false)
      const call = client.callTool({ name: 'slow', arguments: { steps: 3, ms: 150 } })
      await new Promise((r) => setTimeout(r, 100))
      process.kill(-group, 'SIGINT')
      assert.equal((await outcome(call, 5000)).message, 'result', out)
      await exited
      assert.match(out, /"msg":"shutting down"/)
      assert.match(out, /"msg":"mcpo stopped"/)
      assert.doesNotMatch(out, /second signal/)
      await client.close().catch(() => {})
    } finally {
      try {
        process.kill(-group, 'SIGKILL')
      } catch {
        // The group is gone: what the test wanted.
      }
    }
  })
})
