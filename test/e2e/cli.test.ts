// The mcpo command line: config check, key and secret generation.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { hashApiKey } from '../../plugins/api-keys/keys.ts'
import { parseKeyring } from '../../plugins/secrets/keyring.ts'

const run = promisify(execFile)
const root = join(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'mcpo-cli-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function mcpo(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, ['--import', import.meta.resolve('tsx'), join(root, 'bin/mcpo.ts'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  )
}

describe('mcpo CLI', () => {
  it('config check validates the repository config and reports a broken one', async () => {
    const ok = await mcpo(['config', 'check'])
    assert.equal(ok.code, 0)
    assert.match(ok.stdout, /mcpo\.config\.ts: valid/)
    const bad = join(dir, 'bad.config.ts')
    writeFileSync(bad, `export default { listen: { port: -1 }, projects: [{ id: 'x', name: '' }] }\n`)
    const res = await mcpo(['config', 'check'], { MCPO_CONFIG: bad })
    assert.equal(res.code, 1)
    assert.match(res.stderr, /listen\.port: .*\(got -1\)/)
    assert.match(res.stderr, /projects\[0\]\.name: /)
  })

  it('generates project keys and secret keys in the formats mcpo accepts', async () => {
    const key = (await mcpo(['key', 'generate'])).stdout.trim()
    assert.match(key, /^mcp_proj_[A-Za-z0-9]{43}$/)
    assert.equal(hashApiKey(key).length, 64)
    const secret = (await mcpo(['secret', 'generate'])).stdout.trim()
    assert.doesNotThrow(() => parseKeyring(secret))
    assert.equal((await mcpo([])).code, 2)
  })
})
