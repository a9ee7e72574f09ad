// Applies the teams, projects, servers and keys declared in mcpo.config.ts at boot. Idempotent, and it never
// deletes what was made in the UI: config-owned rows are upserted, nothing else is touched.
import type { ResolvedConfig } from '../config/define-config.ts'
import { displayParts, hashApiKey } from '../plugins/api-keys/keys.ts'
import type { Logger } from '../plugins/contract.ts'
import type { Keyring } from '../plugins/secrets/keyring.ts'
import type { Store } from '../plugins/storage/port.ts'
import { sealServerSecrets } from './server-secrets.ts'

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
          ...sealServerSecrets(keyring, { projectId: p.id, name: s.name }, s),
          cwd: s.cwd ?? null,
          url: s.url ?? null,
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
