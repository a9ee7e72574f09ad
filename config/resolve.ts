// Turns mcpo.config.ts plus the environment into a ResolvedConfig. The only module that reads process.env.
import { existsSync } from 'node:fs'
import { resolve as resolvePath } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { z } from 'zod'
import { GatewayError } from '../gateway/errors.ts'
import { embeddedStorage, postgresStorage } from '../plugins/storage/index.ts'
import { defaultPlugins, pluginProblems } from './default-plugins.ts'
import type { ResolvedConfig, UserConfig } from './define-config.ts'
import { withStorageChecks } from './env.ts'
import { configSchema, crossFieldProblems } from './schema.ts'
import { closest, knownKeysAt } from './suggest.ts'

/** Every environment variable mcpo reads, documented in the README. */
export const ENV_VARS = [
  'MCPO_CONFIG',
  'MCPO_HOST',
  'PORT',
  'DATABASE_URL',
  'MCPO_SECRET_KEY',
  'MCPO_DATA_DIR',
  'MCPO_ADMIN_EMAIL',
  'MCPO_ADMIN_PASSWORD',
  'MCPO_METRICS_TOKEN',
  'LOG_LEVEL',
  'MCPO_CLUSTER_INTERNAL_URL',
  'MCPO_NODE_ID',
  'MCPO_DEBUG_STORE',
] as const

/** An IPv4 or IPv6 address or a host name, as uWebSockets.js binds it. */
const LISTEN_HOST = /^(?:[A-Za-z0-9.-]{1,253}|[0-9A-Fa-f:.]{2,45})$/

export type Env = Readonly<Partial<Record<string, string | undefined>>>

/** Field paths whose values are secrets: reported as "hidden", never echoed. */
const SECRET_PATH = /(^secretKey$|^admin\.password$|\.apiKeys\.\d+\.key$|\.env\.|\.headers\.|\.auth\.clientSecret$)/

export interface LoadOptions {
  env?: Env
  cwd?: string
}

/** Finds and imports the config file (`MCPO_CONFIG`, else ./mcpo.config.ts), then resolves it. */
export async function loadConfig(options: LoadOptions = {}): Promise<ResolvedConfig> {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const explicit = env.MCPO_CONFIG
  const path = resolvePath(cwd, explicit ?? 'mcpo.config.ts')
  if (!existsSync(path)) {
    if (explicit)
      throw new GatewayError('MCPO_ERR_CONFIG', `MCPO_CONFIG: file not found (got ${JSON.stringify(explicit)})`)
    return resolveConfig({}, { env, cwd, configPath: null })
  }
  let mod: { default?: unknown }
  try {
    mod = await import(pathToFileURL(path).href)
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    throw new GatewayError('MCPO_ERR_CONFIG', `${path}: could not be loaded: ${reason}`, { cause: err })
  }
  if (typeof mod.default !== 'object' || mod.default === null) {
    throw new GatewayError('MCPO_ERR_CONFIG', `${path}: must \`export default defineConfig({...})\``)
  }
  return resolveConfig(mod.default as UserConfig, { env, cwd, configPath: path })
}

/** Applies the environment, validates, reports every problem at once, and deep-freezes the result. */
export function resolveConfig(
  user: UserConfig,
  options: { env?: Env; cwd?: string; configPath?: string | null } = {},
): ResolvedConfig {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const problems: string[] = []
  const input: Record<string, unknown> = { ...user }

  if (env.PORT !== undefined) {
    const port = Number(env.PORT)
    if (!/^\d+$/.test(env.PORT) || port > 65535)
      problems.push(`PORT: must be a port number (got ${JSON.stringify(env.PORT)})`)
    else input.listen = { ...(user.listen ?? {}), port }
  }
  if (env.MCPO_HOST !== undefined) {
    if (!LISTEN_HOST.test(env.MCPO_HOST))
      problems.push(
        `MCPO_HOST: must be an address or host name such as 127.0.0.1 or 0.0.0.0 (got ${JSON.stringify(env.MCPO_HOST)})`,
      )
    else input.listen = { ...((input.listen as object | undefined) ?? user.listen ?? {}), host: env.MCPO_HOST }
  }
  if (env.MCPO_DATA_DIR) input.dataDir = env.MCPO_DATA_DIR
  if (env.LOG_LEVEL) input.logLevel = env.LOG_LEVEL
  if (env.MCPO_SECRET_KEY) input.secretKey = env.MCPO_SECRET_KEY
  // Either variable turns cluster mode on, so a compose file needs no per-node config file.
  if (env.MCPO_CLUSTER_INTERNAL_URL || env.MCPO_NODE_ID) {
    input.cluster = {
      ...(user.cluster ?? {}),
      ...(env.MCPO_CLUSTER_INTERNAL_URL ? { internalUrl: env.MCPO_CLUSTER_INTERNAL_URL } : {}),
      ...(env.MCPO_NODE_ID ? { nodeId: env.MCPO_NODE_ID } : {}),
    }
  }
  if (env.MCPO_ADMIN_EMAIL || env.MCPO_ADMIN_PASSWORD) {
    input.admin = {
      ...(user.admin ?? {}),
      ...(env.MCPO_ADMIN_EMAIL ? { email: env.MCPO_ADMIN_EMAIL } : {}),
      ...(env.MCPO_ADMIN_PASSWORD ? { password: env.MCPO_ADMIN_PASSWORD } : {}),
    }
  }

  const parsed = configSchema.safeParse(input, { reportInput: true })
  if (!parsed.success) problems.push(...parsed.error.issues.flatMap(formatIssue))
  problems.push(...crossFieldProblems(input).flatMap((p) => formatIssue(p as unknown as z.core.$ZodIssue)))
  const plugins = user.plugins ?? defaultPlugins(env)
  if (parsed.success) problems.push(...pluginProblems(plugins, parsed.data))
  if (problems.length || !parsed.success) {
    throw new GatewayError('MCPO_ERR_CONFIG', `invalid configuration:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    })
  }

  const out = parsed.data
  const dataDir = resolvePath(cwd, out.dataDir)
  const storage = withStorageChecks(
    user.storage ?? (env.DATABASE_URL ? postgresStorage({ url: env.DATABASE_URL }) : embeddedStorage({ dir: dataDir })),
    env,
  )
  const resolved = {
    ...out,
    dataDir,
    storage,
    plugins,
    configPath: options.configPath ?? null,
  }
  return deepFreeze(resolved) as ResolvedConfig
}

/** One line per problem: an unknown-fields issue names each field, with the one it was probably meant to be. */
function formatIssue(issue: z.core.$ZodIssue): string[] {
  const path = issue.path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`
    return acc ? `${acc}.${String(part)}` : String(part)
  }, '')
  const dotted = issue.path.map(String).join('.')
  const input = (issue as { input?: unknown }).input
  let got: string
  if (SECRET_PATH.test(dotted) && input !== undefined) got = 'a hidden value'
  else if (input === undefined) got = 'nothing'
  else got = preview(input)
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(configSchema, issue.path)
    return issue.keys.map((key) => {
      const where = path ? `${path}.${key}` : key
      const hint = closest(key, known)
      return `${where}: unknown field${hint ? `; did you mean "${hint}"?` : known.length ? ` (known: ${known.join(', ')})` : ''}`
    })
  }
  const message = issue.message.replace(/^Invalid input: /, '')
  return [`${path || '(root)'}: ${message} (got ${got})`]
}

function preview(value: unknown): string {
  let text: string
  try {
    text = typeof value === 'function' ? 'a function' : (JSON.stringify(value) ?? String(value))
  } catch {
    text = String(value)
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/** Plugins and the storage factory are frozen shallowly: they own live state, the data around them does not. */
function deepFreeze<T>(value: T, seen = new WeakSet<object>()): T {
  if (value === null || typeof value !== 'object' || seen.has(value)) return value
  seen.add(value)
  for (const [key, child] of Object.entries(value)) {
    if (key === 'plugins' && Array.isArray(child)) Object.freeze(child)
    else if (key === 'storage') Object.freeze(child)
    else deepFreeze(child, seen)
  }
  return Object.freeze(value)
}
