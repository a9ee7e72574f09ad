// Reads of the environment beyond the settings resolve.ts applies: what a stdio upstream inherits of the gateway's,
// and the storage's development checks. Here, so that the rest of mcpo never looks at process.env.
import type { StorageFactory } from '../plugins/storage/index.ts'
import type { Env } from './resolve.ts'

// Like the SDK's getDefaultEnvironment(), plus the locale and time zone. Everything else in the gateway's environment
// (database URLs, keys) must never reach a child.
const INHERITED_ENV = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER', 'LANG', 'TZ'] as const

/** The part of `parent` (default: this process's environment) a stdio upstream starts with. */
export function inheritedEnvironment(parent: Env = process.env): Record<string, string> {
  const env: Record<string, string> = {}
  for (const key of INHERITED_ENV) {
    const value = parent[key]
    // Exported shell functions ("() { …") are a known injection vector; the SDK skips them too.
    if (value !== undefined && !value.startsWith('()')) env[key] = value
  }
  return env
}

/**
 * With MCPO_DEBUG_STORE=1 the storage opens with its development checks on (a query on the embedded store made inside
 * one of its transactions fails instead of waiting forever). Off by default: the check costs every promise.
 */
export function withStorageChecks(storage: StorageFactory, env: Env): StorageFactory {
  if (env.MCPO_DEBUG_STORE !== '1') return storage
  return { ...storage, open: (ctx) => storage.open({ ...ctx, checkTransactions: true }) } as StorageFactory
}
