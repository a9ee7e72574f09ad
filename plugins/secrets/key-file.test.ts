import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { decrypt, encrypt } from './cipher.ts'
import { KEY_FILE_NAME, loadOrCreateSecretKey, type SecretsLogger } from './key-file.ts'
import { keyId, parseKeyring } from './keyring.ts'

const posix = process.platform !== 'win32'

function recorder(): SecretsLogger & { lines: { level: string; obj: unknown; msg?: string }[]; text(): string } {
  const lines: { level: string; obj: unknown; msg?: string }[] = []
  const log = (level: string) => (obj: object | string, msg?: string) => lines.push({ level, obj, msg })
  return { lines, info: log('info'), warn: log('warn'), error: log('error'), text: () => JSON.stringify(lines) }
}

describe('loadOrCreateSecretKey', () => {
  let root: string
  let n = 0
  const freshDir = () => join(root, `case-${++n}`)

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'mcpo-secrets-'))
  })
  after(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('creates <dataDir>/secret.key with mode 0600 on first start and says where, never what', async () => {
    const dataDir = freshDir()
    const logger = recorder()
    const loaded = await loadOrCreateSecretKey({ dataDir, logger })
    const path = join(dataDir, KEY_FILE_NAME)
    assert.equal(loaded.source, 'created')
    assert.equal(loaded.path, path)
    if (posix) assert.equal((await stat(path)).mode & 0o777, 0o600)

    const content = (await readFile(path, 'utf8')).trim()
    assert.match(content, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(loaded.keyring.activeKid, keyId(Buffer.from(content, 'base64url')))

    const info = logger.lines.filter((l) => l.level === 'info')
    assert.equal(info.length, 1)
    assert.deepEqual(info[0].obj, { path })
    assert.ok(!logger.text().includes(content))
    assert.deepEqual(await readdir(dataDir), [KEY_FILE_NAME], 'no temp file left behind')
  })

  it('reuses the file on the next start, so values stay readable', async () => {
    const dataDir = freshDir()
    const first = await loadOrCreateSecretKey({ dataDir, logger: recorder() })
    const value = encrypt(first.keyring, 'survives restarts')
    const logger = recorder()
    const second = await loadOrCreateSecretKey({ dataDir, logger })
    assert.equal(second.source, 'file')
    assert.equal(second.path, join(dataDir, KEY_FILE_NAME))
    assert.equal(second.keyring.activeKid, first.keyring.activeKid)
    assert.equal(decrypt(second.keyring, value), 'survives restarts')
    assert.deepEqual(logger.lines, [], 'a correct existing file logs nothing')
  })

  it('agrees on one key when many starts race in one process', async () => {
    const dataDir = freshDir()
    const results = await Promise.all(
      Array.from({ length: 12 }, () => loadOrCreateSecretKey({ dataDir, logger: recorder() })),
    )
    assert.equal(results.filter((r) => r.source === 'created').length, 1)
    assert.equal(new Set(results.map((r) => r.keyring.activeKid)).size, 1)
    assert.deepEqual(await readdir(dataDir), [KEY_FILE_NAME])
    const content = (await readFile(join(dataDir, KEY_FILE_NAME), 'utf8')).trim()
    assert.equal(results[0].keyring.activeKid, keyId(Buffer.from(content, 'base64url')))
  })

  it('agrees on one key when separate processes race', async () => {
    const dataDir = freshDir()
    const module = fileURLToPath(new URL('./key-file.ts', import.meta.url))
    const script = `
      const { loadOrCreateSecretKey } = await import(${JSON.stringify(module)})
      const noop = () => {}
      const r = await loadOrCreateSecretKey({ dataDir: ${JSON.stringify(dataDir)}, logger: { info: noop, warn: noop, error: noop } })
      console.log(JSON.stringify({ source: r.source, kid: r.keyring.activeKid }))`
    const run = promisify(execFile)
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () => run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script])),
    )
    const results = outputs.map((o) => JSON.parse(o.stdout) as { source: string; kid: string })
    assert.equal(new Set(results.map((r) => r.kid)).size, 1, JSON.stringify(results))
    assert.ok(results.filter((r) => r.source === 'created').length <= 1, JSON.stringify(results))
    assert.deepEqual(await readdir(dataDir), [KEY_FILE_NAME])
  })

  it('uses the environment value when given, without reading or creating a file', async () => {
    const dataDir = freshDir()
    const envKey = randomBytes(32)
    const fromEnv = await loadOrCreateSecretKey({ envValue: envKey.toString('hex'), dataDir, logger: recorder() })
    assert.equal(fromEnv.source, 'env')
    assert.equal(fromEnv.path, undefined)
    assert.equal(fromEnv.keyring.activeKid, keyId(envKey))
    await assert.rejects(readdir(dataDir), { code: 'ENOENT' })
  })

  it('prefers the environment over an existing file', async () => {
    const dataDir = freshDir()
    const fromFile = await loadOrCreateSecretKey({ dataDir, logger: recorder() })
    const envValue = `new:${randomBytes(32).toString('base64url')},old:${randomBytes(32).toString('hex')}`
    const loaded = await loadOrCreateSecretKey({ envValue, dataDir, logger: recorder() })
    assert.equal(loaded.source, 'env')
    assert.deepEqual(loaded.keyring.kids, ['new', 'old'])
    assert.ok(!loaded.keyring.has(fromFile.keyring.activeKid))
  })

  it('treats a set but empty environment value as an error, not as unset', async () => {
    const dataDir = freshDir()
    await assert.rejects(loadOrCreateSecretKey({ envValue: '', dataDir, logger: recorder() }), {
      code: 'MCPO_ERR_CONFIG',
      message: /^MCPO_SECRET_KEY: is empty/,
    })
    await assert.rejects(readdir(dataDir), { code: 'ENOENT' })
  })

  it('rejects a bad environment value without echoing it', async () => {
    const envValue = randomBytes(30).toString('base64url')
    await assert.rejects(loadOrCreateSecretKey({ envValue, dataDir: freshDir(), logger: recorder() }), (err: Error) => {
      assert.match(err.message, /^MCPO_SECRET_KEY: must be 32 bytes/)
      assert.ok(!err.message.includes(envValue))
      return true
    })
  })

  it('warns when the file is readable by group or others, and still uses it', { skip: !posix }, async () => {
    const dataDir = freshDir()
    const first = await loadOrCreateSecretKey({ dataDir, logger: recorder() })
    const path = join(dataDir, KEY_FILE_NAME)
    await chmod(path, 0o644)
    const logger = recorder()
    const loaded = await loadOrCreateSecretKey({ dataDir, logger })
    assert.equal(loaded.keyring.activeKid, first.keyring.activeKid)
    const warnings = logger.lines.filter((l) => l.level === 'warn')
    assert.equal(warnings.length, 1)
    assert.deepEqual(warnings[0].obj, { path, mode: '0644' })
    assert.match(warnings[0].msg ?? '', /chmod 600/)
    assert.ok(!logger.text().includes((await readFile(path, 'utf8')).trim()))
  })

  it('reads a rotation list from the file', async () => {
    const dataDir = freshDir()
    await loadOrCreateSecretKey({ dataDir, logger: recorder() }) // creates the directory
    const setting = `k2:${randomBytes(32).toString('base64url')},k1:${randomBytes(32).toString('base64url')}`
    await writeFile(join(dataDir, KEY_FILE_NAME), `${setting}\n`, { mode: 0o600 })
    const loaded = await loadOrCreateSecretKey({ dataDir, logger: recorder() })
    assert.deepEqual(loaded.keyring.kids, parseKeyring(setting).kids)
  })

  it('names the file, not its content, when the file holds a bad key', async () => {
    const dataDir = freshDir()
    await loadOrCreateSecretKey({ dataDir, logger: recorder() })
    const path = join(dataDir, KEY_FILE_NAME)
    const bad = randomBytes(16).toString('hex')
    await writeFile(path, bad, { mode: 0o600 })
    await assert.rejects(loadOrCreateSecretKey({ dataDir, logger: recorder() }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'MCPO_ERR_CONFIG')
      assert.ok(err.message.startsWith(`${path}: must be 32 bytes`), err.message)
      assert.ok(!err.message.includes(bad))
      return true
    })
  })

  it('refuses a secret.key that is not a regular file', async () => {
    const dataDir = freshDir()
    await loadOrCreateSecretKey({ dataDir, logger: recorder() })
    const nested = join(dataDir, 'nested')
    await mkdir(join(nested, KEY_FILE_NAME), { recursive: true })
    await assert.rejects(loadOrCreateSecretKey({ dataDir: nested, logger: recorder() }), /is not a regular file/)
  })
})
