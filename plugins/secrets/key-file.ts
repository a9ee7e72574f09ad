// Finds the secret key at boot: MCPO_SECRET_KEY if given, else `<dataDir>/secret.key`, created (mode 0600) on first start.
// The key never reaches a log line or an error message; only the file's path does.

import { randomBytes } from 'node:crypto'
import { type FileHandle, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { GatewayError } from '../contract.ts'
import { generateSecretKey, type Keyring, parseKeyring } from './keyring.ts'

export const KEY_FILE_NAME = 'secret.key'

/** The subset of a pino logger this module writes to. */
export interface SecretsLogger {
  info(objOrMsg: object | string, msg?: string): void
  warn(objOrMsg: object | string, msg?: string): void
  error(objOrMsg: object | string, msg?: string): void
}

export interface SecretKeyOptions {
  /** The setting from the environment, read by `config/`; when given it wins and no file is touched. */
  envValue?: string
  /** Names the setting in errors. Default `MCPO_SECRET_KEY`. */
  envName?: string
  dataDir: string
  logger: SecretsLogger
}

export interface LoadedSecretKey {
  keyring: Keyring
  source: 'env' | 'file' | 'created'
  /** The key file, unless the key came from the environment. */
  path?: string
}

/**
 * Loads the keyring from the environment or the data dir's key file, creating that file on first start.
 * Concurrent first starts on one data dir agree on a single key: the losers read the winner's file.
 * @example const { keyring, source } = await loadOrCreateSecretKey({ envValue, dataDir: './data', logger })
 */
export async function loadOrCreateSecretKey(options: SecretKeyOptions): Promise<LoadedSecretKey> {
  const { envValue, envName = 'MCPO_SECRET_KEY', dataDir, logger } = options
  // An empty variable is an error, not "unset": silently keying from a fresh file in a throwaway
  // container would leave every secret written there unreadable later.
  if (envValue !== undefined) return { keyring: parseKeyring(envValue, envName), source: 'env' }

  const path = join(dataDir, KEY_FILE_NAME)
  const existing = await readKeyFile(path, logger)
  if (existing !== undefined) return { keyring: existing, source: 'file', path }

  const encoded = generateSecretKey()
  if (await createExclusive(dataDir, path, `${encoded}\n`)) {
    logger.info(
      { path },
      'created a secret key file for secrets at rest; back it up, or set MCPO_SECRET_KEY: without it stored secrets cannot be read',
    )
    return { keyring: parseKeyring(encoded, path), source: 'created', path }
  }
  // Another process created the file between our read and our link: use its key, not ours.
  const winner = await readKeyFile(path, logger)
  if (winner === undefined) throw new GatewayError('MCPO_ERR_CONFIG', `${path}: vanished right after it was created`)
  return { keyring: winner, source: 'file', path }
}

// The keyring in the file, or undefined when there is no file.
async function readKeyFile(path: string, logger: SecretsLogger): Promise<Keyring | undefined> {
  try {
    const info = await stat(path)
    if (!info.isFile()) throw new GatewayError('MCPO_ERR_CONFIG', `${path}: is not a regular file`)
    // POSIX modes mean nothing on Windows, where every file reports 0o666.
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0')
      logger.warn(
        { path, mode },
        `the secret key file is readable by group or others (mode ${mode}); run chmod 600 on it`,
      )
    }
    let text = await readFile(path, 'utf8')
    // Without hard links a starting peer writes the file in place, so it can be empty for a moment.
    for (let attempt = 0; text.trim() === '' && attempt < 20; attempt++) {
      await sleep(50)
      text = await readFile(path, 'utf8')
    }
    return parseKeyring(text, path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    if (err instanceof GatewayError) throw err
    throw new GatewayError('MCPO_ERR_CONFIG', `${path}: cannot read the secret key file`, { cause: err })
  }
}

/**
 * Publishes `content` at `path` only if no file is there, and never half-written: write a private temp
 * file, then hard-link it into place. link(2) fails with EEXIST instead of replacing, unlike rename(2).
 * Returns false when another process won.
 */
async function createExclusive(dir: string, path: string, content: string): Promise<boolean> {
  const temp = join(dir, `.${KEY_FILE_NAME}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await writePrivate(temp, content)
    try {
      await link(temp, path)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST') return false
      if (!NO_HARD_LINKS.has(code ?? '')) throw err
      // Without hard links, 'wx' still lets one process win; a loser may briefly see the file empty.
      try {
        await writePrivate(path, content)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
        throw err
      }
    }
    await syncDir(dir)
    return true
  } catch (err) {
    throw new GatewayError('MCPO_ERR_CONFIG', `${path}: cannot create the secret key file`, { cause: err })
  } finally {
    await unlink(temp).catch((err: NodeJS.ErrnoException) => {
      // ENOENT: the temp file was never created. Otherwise a stray 0600 file is left, which is worth failing on.
      if (err.code !== 'ENOENT') throw err
    })
  }
}

// Filesystems (some network and FUSE mounts) that refuse link(2) answer with one of these.
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'])

// Creates the file (failing if it exists) readable by its owner only, and flushes it: a key lost
// after a crash, once it has encrypted data, cannot be recovered.
async function writePrivate(path: string, content: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600)
  try {
    await handle.writeFile(content, 'utf8')
    await handle.sync()
  } finally {
    await handle.close()
  }
}

// Persists the new directory entry. Some platforms (Windows) cannot open a directory for fsync.
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw err
  } finally {
    await handle?.close()
  }
}
