// Runs `gateway/main.ts` as a real child process for tests of boot, signals and crashes.
import { type ChildProcess, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { templateDataDir } from '../harness.ts'

const root = join(import.meta.dirname, '../..')

export interface GatewayProcess {
  child: ChildProcess
  url: string
  stdout: () => string
  stderr: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Writes a config file into a fresh dir (with a migrated data dir) and returns the dir. */
export async function prepareDir(configBody: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'mcpo-proc-'))
  cpSync(await templateDataDir(), join(dir, 'data'), { recursive: true })
  writeFileSync(
    join(dir, 'mcpo.config.ts'),
    `import { apiKeys, defineConfig } from ${JSON.stringify(join(root, 'config/index.ts'))}\n${configBody}\n`,
  )
  return dir
}

export function spawnGateway(
  dir: string,
  env: Record<string, string> = {},
): GatewayProcess & { ready: Promise<string> } {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(root, 'gateway/main.ts')], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      MCPO_CONFIG: join(dir, 'mcpo.config.ts'),
      MCPO_DATA_DIR: join(dir, 'data'),
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  )
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      out += d
      const m = /"msg":"mcpo listening on (http:\/\/[^"]+)"/.exec(out)
      if (m) resolve(m[1])
    })
    child.stderr?.on('data', (d) => {
      err += d
    })
    exited.then(({ code }) => reject(new Error(`gateway exited with ${code} before listening: ${err}${out}`)))
  })
  const proc = { child, url: '', stdout: () => out, stderr: () => err, exited, ready }
  ready.then(
    (u) => {
      proc.url = u
    },
    () => {},
  )
  return proc
}

/** Kills the child if it is still running (used in `after` so a failing test leaves nothing behind). */
export function ensureStopped(p: { child: ChildProcess } | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    p.child.once('exit', () => resolve())
    p.child.kill('SIGKILL')
  })
}
