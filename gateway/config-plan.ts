// `mcpo config plan`: what applying mcpo.config.ts would change in storage, without changing it. Secret values are
// compared in memory and reported only by name. Config-owned rows the file no longer declares are listed as kept:
// config sync never deletes.
import type { ResolvedConfig } from '../config/define-config.ts'
import { hashApiKey } from '../plugins/api-keys/keys.ts'
import type { Keyring } from '../plugins/secrets/keyring.ts'
import type { Store } from '../plugins/storage/port.ts'
import { openServerAuth, openServerSecrets } from './server-secrets.ts'

export interface PlanItem {
  action: 'create' | 'update' | 'unchanged' | 'kept'
  kind: 'team' | 'project' | 'server' | 'key'
  /** `slug`, `project`, `project/server` or `project/key`. */
  id: string
  /** Names of the fields that differ (values never: some are secrets). */
  fields: string[]
}

export interface ConfigPlan {
  items: PlanItem[]
  /** True when applying would change something. */
  changes: boolean
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
const sameMap = (a: Record<string, string>, b: Readonly<Record<string, string>>) =>
  same(Object.entries(a).sort(), Object.entries(b).sort())

function diff(pairs: Record<string, [unknown, unknown]>): string[] {
  return Object.entries(pairs)
    .filter(([, [a, b]]) => !same(a, b))
    .map(([k]) => k)
}

export async function planConfig(config: ResolvedConfig, store: Store, keyring: Keyring): Promise<ConfigPlan> {
  const items: PlanItem[] = []
  const push = (kind: PlanItem['kind'], id: string, exists: boolean, fields: string[]) =>
    items.push({ kind, id, action: !exists ? 'create' : fields.length ? 'update' : 'unchanged', fields })

  const teamIds = new Map<string, string | null>()
  for (const t of config.teams) {
    const row = await store.teams.getBySlug(t.slug)
    teamIds.set(t.slug, row?.id ?? null)
    push('team', t.slug, row !== null, row ? diff({ name: [row.name, t.name] }) : [])
  }
  for (const p of config.projects) {
    const row = await store.projects.get(p.id)
    const teamId = p.team ? (teamIds.get(p.team) ?? null) : null
    push(
      'project',
      p.id,
      row !== null,
      row
        ? diff({
            name: [row.name, p.name],
            description: [row.description, p.description ?? ''],
            // A team the plan creates has no id yet: the project moves to it.
            team: [row.teamId, p.team && teamId === null ? `new:${p.team}` : teamId],
            source: [row.source, 'config'],
          })
        : [],
    )
    const stored = row ? await store.servers.list(p.id) : []
    for (const s of p.servers) {
      const cur = stored.find((x) => x.name === s.name)
      let fields: string[] = []
      if (cur) {
        const secrets = openServerSecrets(keyring, cur)
        fields = diff({
          description: [cur.description, s.description ?? ''],
          transport: [cur.transport, s.transport],
          command: [cur.command, s.command ?? null],
          args: [cur.args, [...s.args]],
          cwd: [cur.cwd, s.cwd ?? null],
          url: [cur.url, s.url ?? null],
          timeoutMs: [cur.timeoutMs, s.timeoutMs],
          isolation: [cur.isolation, s.isolation ?? null],
          autoStart: [cur.autoStart, s.autoStart],
          healthCheckIntervalMs: [cur.healthCheckIntervalMs, s.healthCheckIntervalMs ?? null],
          protocol: [cur.protocol, s.protocol ?? null],
          source: [cur.source, 'config'],
        })
        if (!sameMap(secrets.env, s.env)) fields.push('env')
        if (!sameMap(secrets.headers, s.headers)) fields.push('headers')
        // Compared in clear, in memory: a sealed client secret differs on every seal.
        const auth = s.auth && {
          type: s.auth.type,
          credentials: s.auth.credentials,
          clientId: s.auth.clientId ?? null,
          clientSecret: s.auth.clientSecret ?? null,
          scopes: s.auth.scopes,
        }
        if (!same(openServerAuth(keyring, cur), auth)) fields.push('auth')
      }
      push('server', `${p.id}/${s.name}`, cur !== undefined, fields)
    }
    for (const s of stored) {
      if (s.source === 'config' && !p.servers.some((x) => x.name === s.name))
        items.push({ kind: 'server', id: `${p.id}/${s.name}`, action: 'kept', fields: [] })
    }
    const keys = row ? (await store.apiKeys.list(p.id)).filter((k) => k.source === 'config') : []
    for (const k of p.apiKeys) {
      const cur = keys.find((x) => x.name === k.name)
      const fields = cur
        ? diff({
            key: [cur.keyHash, hashApiKey(k.key)],
            expiresAt: [cur.expiresAt?.toISOString() ?? null, k.expiresAt ? new Date(k.expiresAt).toISOString() : null],
            revoked: [cur.revokedAt !== null, false],
          })
        : []
      push('key', `${p.id}/${k.name}`, cur !== undefined, fields)
    }
    for (const k of keys) {
      if (!p.apiKeys.some((x) => x.name === k.name))
        items.push({ kind: 'key', id: `${p.id}/${k.name}`, action: 'kept', fields: [] })
    }
  }
  return { items, changes: items.some((i) => i.action === 'create' || i.action === 'update') }
}

const SIGN: Record<PlanItem['action'], string> = { create: '+', update: '~', unchanged: '=', kept: '!' }

/** One line per object; `=` lines only with `verbose`. */
export function formatPlan(plan: ConfigPlan, verbose = false): string {
  const lines = plan.items
    .filter((i) => verbose || i.action !== 'unchanged')
    .map((i) => {
      const what = `${SIGN[i.action]} ${i.kind} ${i.id}`
      if (i.action === 'update') return `${what} (${i.fields.join(', ')})`
      if (i.action === 'kept') return `${what} (no longer in the file; kept, config sync never deletes)`
      return what
    })
  const n = (a: PlanItem['action']) => plan.items.filter((i) => i.action === a).length
  lines.push(`${n('create')} to create, ${n('update')} to update, ${n('unchanged')} unchanged, ${n('kept')} kept`)
  return `${lines.join('\n')}\n`
}
