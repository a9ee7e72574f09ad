// The migration runner: applies sql/NNN_name.sql in order, each once, under a database-wide lock
// so that nodes starting together migrate once. The only place raw multi-statement SQL runs.
import { readdir, readFile } from 'node:fs/promises'
import { GatewayError, isGatewayError } from '../contract.ts'
import type { StorageLogger } from './port.ts'
import { createSql, type Driver, type Sql, toStorageError } from './sql.ts'

export interface Migration {
  version: number
  /** File name without `.sql`, e.g. '001_init'. */
  name: string
  text: string
}

const SQL_DIR = new URL('./sql/', import.meta.url)
const FILE = /^(\d{3,})_([a-z0-9_-]+)\.sql$/

// Arbitrary but fixed: every mcpo node must use the same key for pg_advisory_xact_lock.
const MIGRATION_LOCK_KEY = 0x6d63706f // 'mcpo'

/** Reads and orders the migration files; a malformed name or a duplicate version fails loudly. */
export async function loadMigrations(dir: URL = SQL_DIR): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort()
  const migrations: Migration[] = []
  for (const file of names) {
    const m = FILE.exec(file)
    if (!m) throw new GatewayError('MCPO_ERR_CONFIG', `migration file ${file} must be named NNN_name.sql`)
    const version = Number(m[1])
    if (migrations.some((x) => x.version === version)) {
      throw new GatewayError('MCPO_ERR_CONFIG', `two migration files share version ${version}`)
    }
    migrations.push({ version, name: file.slice(0, -4), text: await readFile(new URL(file, dir), 'utf8') })
  }
  return migrations.sort((a, b) => a.version - b.version)
}

async function appliedVersions(sql: Sql): Promise<Set<number>> {
  const [t] = await sql<{ exists: boolean }>`SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`
  if (!t.exists) return new Set()
  const rows = await sql<{ version: number }>`SELECT version FROM schema_migrations`
  return new Set(rows.map((r) => r.version))
}

/** Migrations not yet recorded in schema_migrations (without taking the lock). */
export async function pendingMigrations(driver: Driver, migrations: Migration[]): Promise<Migration[]> {
  const applied = await appliedVersions(createSql(driver))
  return migrations.filter((m) => !applied.has(m.version))
}

/**
 * Applies each pending migration in its own transaction. The advisory lock is taken first and
 * schema_migrations re-read under it, so a node that waited for another sees its work and skips.
 */
export async function runMigrations(
  driver: Driver,
  migrations: Migration[],
  logger?: StorageLogger,
): Promise<{ applied: string[] }> {
  const applied: string[] = []
  for (const m of await pendingMigrations(driver, migrations)) {
    const ran = await driver.begin(async (tx) => {
      const sql = createSql(tx)
      await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}::bigint)`
      await sql`
        CREATE TABLE IF NOT EXISTS schema_migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`
      const done = await sql`SELECT 1 FROM schema_migrations WHERE version = ${m.version}::int`
      if (done.length > 0) return false
      try {
        await tx.unsafe(m.text)
      } catch (err) {
        const mapped = toStorageError(err)
        if (isGatewayError(mapped, 'MCPO_ERR_STORAGE_UNAVAILABLE')) throw mapped
        throw new GatewayError('MCPO_ERR_INTERNAL', `migration ${m.name} failed`, { cause: err })
      }
      await sql`INSERT INTO schema_migrations (version, name) VALUES (${m.version}::int, ${m.name}::text)`
      return true
    })
    if (ran) {
      applied.push(m.name)
      logger?.info({ migration: m.name }, 'storage: migration applied')
    }
  }
  return { applied }
}
