// The mcpo command line: config check, plan and apply, key and secret generation.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { hashApiKey } from '../../plugins/api-keys/keys.ts'
import { parseKeyring } from '../../plugins/secrets/keyring.ts'
import { templateDataDir } from '../harness.ts'

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

describe('mcpo config plan / apply', () => {
  const data = join(dir, 'data')
  const file = join(dir, 'sync.config.ts')
  const env = () => ({ MCPO_CONFIG: file, MCPO_DATA_DIR: data, MCPO_SECRET_KEY: 'b'.repeat(64) })
  const HEADER_SECRET = 'hdr-secret-Qm4xP9'
  const CLIENT_SECRET = 'oauth-client-secret-Vt7'
  const write = (url: string, header: string, withServer = true, clientSecret = CLIENT_SECRET) =>
    writeFileSync(
      file,
      `import { defineConfig } from ${JSON.stringify(join(root, 'config/index.ts'))}
export default defineConfig({
  teams: [{ slug: 'ops', name: 'Ops' }],
  projects: [{
    id: 'synced', name: 'Synced', team: 'ops',
    servers: ${withServer ? `[{ name: 'remote', transport: 'streamable-http', url: ${JSON.stringify(url)}, headers: { 'x-api-key': ${JSON.stringify(header)} }, auth: { type: 'oauth', credentials: 'user', clientId: 'cli', clientSecret: ${JSON.stringify(clientSecret)} } }]` : '[]'},
    apiKeys: [{ name: 'ci', key: 'mcp_proj_clisyncAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA01' }],
  }],
})
`,
    )

  it('plans, applies, re-plans as unchanged, reports changed fields by name only, and keeps what the file dropped', async () => {
    cpSync(await templateDataDir(), data, { recursive: true })
    write('http://127.0.0.1:9/mcp', HEADER_SECRET)
    const first = await mcpo(['config', 'plan'], env())
    assert.equal(first.code, 3, first.stderr)
    for (const line of ['+ team ops', '+ project synced', '+ server synced/remote', '+ key synced/ci'])
      assert.ok(first.stdout.includes(line), `${line} missing in:\n${first.stdout}`)
    const applied = await mcpo(['config', 'apply'], env())
    assert.equal(applied.code, 0, applied.stderr)
    assert.match(applied.stdout, /recorded as config\.applied/)
    const again = await mcpo(['config', 'plan', '-v'], env())
    assert.equal(again.code, 0, again.stdout)
    assert.match(again.stdout, /0 to create, 0 to update, 4 unchanged/)
    assert.match(again.stdout, /= server synced\/remote/)

    write('http://127.0.0.1:9/v2/mcp', 'hdr-rotated-Lk2', true, 'oauth-rotated-Zx1')
    const changed = await mcpo(['config', 'plan'], env())
    assert.equal(changed.code, 3)
    assert.match(changed.stdout, /~ server synced\/remote \(url, headers, auth\)/)
    for (const secret of ['hdr-rotated', HEADER_SECRET, 'oauth-rotated', CLIENT_SECRET])
      assert.ok(!changed.stdout.includes(secret), secret)

    write('http://127.0.0.1:9/mcp', HEADER_SECRET, false)
    const dropped = await mcpo(['config', 'plan'], env())
    assert.match(dropped.stdout, /! server synced\/remote \(no longer in the file; kept/)

    const verify = await mcpo(['audit', 'verify'], env())
    assert.equal(verify.code, 0, verify.stdout + verify.stderr)
    assert.match(verify.stdout, /audit chain OK: 1 events/)
  })
})
