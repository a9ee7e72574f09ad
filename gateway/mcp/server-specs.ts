// Loads servers from storage into the relay, decrypting their secrets only in memory.

import type { Keyring } from '../../plugins/secrets/keyring.ts'
import type { Server, Store } from '../../plugins/storage/port.ts'
import { openServerAuth, openServerSecrets } from '../server-secrets.ts'
import type { Relay } from './relay.ts'
import type { ServerSpec } from './supervisor.ts'

export function toSpec(row: Server, keyring: Keyring): ServerSpec {
  const { env, headers } = openServerSecrets(keyring, row)
  return {
    projectId: row.projectId,
    name: row.name,
    transport: row.transport,
    command: row.command,
    args: row.args,
    env,
    cwd: row.cwd,
    url: row.url,
    headers,
    timeoutMs: row.timeoutMs,
    isolation: row.isolation,
    enabled: row.enabled,
    autoStart: row.autoStart,
    healthCheckIntervalMs: row.healthCheckIntervalMs,
    protocol: row.protocol,
    auth: openServerAuth(keyring, row),
  }
}

/** Loads every live project's servers; archived projects serve nothing. */
export async function loadAllServers(store: Store, relay: Relay, keyring: Keyring): Promise<void> {
  const projects = await store.projects.list({ includeArchived: false })
  const servers = await store.servers.listAll()
  const byProject = new Map<string, ServerSpec[]>(projects.map((p) => [p.id, []]))
  for (const row of servers) byProject.get(row.projectId)?.push(toSpec(row, keyring))
  for (const [projectId, specs] of byProject) await relay.setServers(projectId, specs)
}
