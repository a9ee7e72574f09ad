// Applies the teams, projects, servers and keys declared in mcpo.config.ts at boot. Idempotent, and it never
// deletes what was made in the UI: config-owned rows are upserted, nothing else is touched.
import type { ResolvedConfig } from '../config/define-config.ts'
import { displayParts, hashApiKey } from '../plugins/api-keys/keys.ts'
import type { Logger } from '../plugins/contract.ts'
import { encryptRecord, rotateRecord } from '../plugins/secrets/cipher.ts'
import type { Keyring } from '../plugins/secrets/keyring.ts'
import type { Store } from '../plugins/storage/port.ts'

export function serverAad(projectId: string, name: string, field: 'env' | 'headers'): string {
  return `server:${projectId}:${name}:${field}`
}

export async function applyConfig(
  config: ResolvedConfig,
  store: Store,
  keyring: Keyring,
  logger: Logger,
): Promise<void> {
  if (config.teams.length === 0 && config.projects.length === 0) return
  await store.transaction(async (tx) => {
    const teamIds = new Map<string, string>()
    for (const t of config.teams) {
      const team = await tx.teams.upsertBySlug({ slug: t.slug, name: t.name })
      teamIds.set(t.slug, team.id)
    }
    for (const p of config.projects) {
      await tx.projects.upsert({
        id: p.id,
        name: p.name,
        description: p.description ?? '',
        teamId: p.team ? (teamIds.get(p.team) ?? null) : null,
        source: 'config',
      })
      for (const s of p.servers) {
        await tx.servers.upsert({
          projectId: p.id,
          name: s.name,
          description: s.description ?? '',
          transport: s.transport,
          command: s.command ?? null,
          args: [...s.args],
          env: encryptRecord(keyring, s.env, serverAad(p.id, s.name, 'env')),
          cwd: s.cwd ?? null,
          url: s.url ?? null,
          headers: encryptRecord(keyring, s.headers, serverAad(p.id, s.name, 'headers')),
          timeoutMs: s.timeoutMs,
          isolation: s.isolation ?? null,
          enabled: s.enabled,
          autoStart: s.autoStart,
          source: 'config',
        })
      }
      for (const k of p.apiKeys) {
        await tx.apiKeys.upsertConfigKey({
          projectId: p.id,
          name: k.name,
          keyHash: hashApiKey(k.key),
          ...displayParts(k.key),
          expiresAt: k.expiresAt ? new Date(k.expiresAt) : null,
        })
      }
    }
  })
  logger.info(
    { teams: config.teams.length, projects: config.projects.length },
    'applied the projects declared in the config file',
  )
}

/** Re-encrypts every server's env and headers under the keyring's active key; returns how many servers changed. */
export async function rotateServerSecrets(store: Store, keyring: Keyring): Promise<number> {
  let changed = 0
  await store.transaction(async (tx) => {
    for (const s of await tx.servers.listAll()) {
      const env = rotateRecord(keyring, s.env, serverAad(s.projectId, s.name, 'env'))
      const headers = rotateRecord(keyring, s.headers, serverAad(s.projectId, s.name, 'headers'))
      if (JSON.stringify(env) === JSON.stringify(s.env) && JSON.stringify(headers) === JSON.stringify(s.headers))
        continue
      await tx.servers.update(s.projectId, s.name, { env, headers })
      changed++
    }
  })
  return changed
}
