// The MCP conformance suite's reference server (test/fixtures/conformance), started on a free loopback port for tests
// that need a real remote upstream speaking both protocol eras.
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { freePort } from '../ports.ts'
import { sleep } from '../waiting.ts'

const root = join(import.meta.dirname, '../../..')
const REFERENCE = join(root, 'test/fixtures/conformance/everything-server.ts')

export interface ReferenceServer {
  /** Its Streamable HTTP endpoint. */
  url: string
  child: ChildProcess
  stop(): void
}

export async function startReferenceServer(): Promise<ReferenceServer> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', REFERENCE], {
    cwd: root,
    env: { ...process.env, PORT: String(port) },
    stdio: 'ignore',
  })
  const url = `http://127.0.0.1:${port}/mcp`
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill()
  }
  for (let i = 0; ; i++) {
    const up = await fetch(url, { method: 'GET' }).then(
      () => true,
      () => false,
    )
    if (up) return { url, child, stop }
    if (i > 300) {
      stop()
      throw new Error('the reference server did not start')
    }
    await sleep(100)
  }
}
