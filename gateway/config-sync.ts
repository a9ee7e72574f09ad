// Applies the teams, projects, servers and keys declared in mcpo.config.ts at boot. Idempotent, and it never
// deletes what was made in the UI: config-owned rows are upserted, nothing else is touched.
import type { ResolvedConfig } from '../config/define-config.ts'
import { displayParts, hashApiKey } from '../plugins/api-keys/keys.ts'
import type { Logger } from '../plugins/contract.ts'
import type { Keyring } from '../plugins/secrets/keyring.ts'
import type { Store } from '../plugins/storage/port.ts'
import { type ConfigPlan, planConfig } from './config-plan.ts'
import { sealServerAuth, sealServerSecrets } from './server-secrets.ts'

/** Applies the file and returns what it changed (`changes: false` when storage already matched). */
export async function applyConfig(
  config: ResolvedConfig,
  store: Store,
  keyring: Keyring,
  logger: Logger,
): Promise<ConfigPlan> {
  if (config.teams.length === 0 && config.projects.length === 0) return { items: [], changes: false }
  const plan = await planConfig(config, store, keyring)
  await store.transaction(async (tx) => {
    const teamIds = new Map<string, string>()
    for (const t of config.teams) {
      const team = await tx.teams.upsertBySlug({ slug: t.slug, name: t.name })
      teamIds.set(t.slug, team.id)
    }
    for (const p of config.projects) {
      const project = await tx.projects.upsert({
        id: p.id,
        name: p.name,
        description: p.description ?? '',
        teamId: p.team ? (teamIds.get(p.team) ?? null) : null,
        source: 'config',
      })
      if (p.authMode && project.settings.authMode !== p.authMode) {
        await tx.projects.update(p.id, { settings: { ...project.settings, authMode: p.authMode } })
      }
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
          healthCheckIntervalMs: s.healthCheckIntervalMs ?? null,
          protocol: s.protocol ?? null,
          auth: sealServerAuth(keyring, { projectId: p.id, name: s.name }, s.auth),
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
    {
      teams: config.teams.length,
      projects: config.projects.length,
      changed: plan.items.filter((i) => i.action === 'create' || i.action === 'update').map((i) => `${i.kind} ${i.id}`),
    },
    'applied the projects declared in the config file',
  )
  return plan
}

/** The audit record of an apply: what changed, by kind and id, never values. */
export function configAppliedEvent(plan: ConfigPlan, via: 'boot' | 'cli') {
  return {
    action: 'config.applied',
    at: Date.now(),
    actor: { type: 'system' as const, id: `config-file:${via}` },
    target: { type: 'config', id: 'mcpo.config.ts' },
    after: {
      changes: plan.items
        .filter((i) => i.action === 'create' || i.action === 'update')
        .map((i) => ({ action: i.action, kind: i.kind, id: i.id, fields: i.fields })),
    },
  }
}
