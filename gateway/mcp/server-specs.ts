// Loads servers from storage into the relay, decrypting their secrets only in memory.

import { decryptRecord } from '../../plugins/secrets/cipher.ts'
import type { Keyring } from '../../plugins/secrets/keyring.ts'
import type { Server, Store } from '../../plugins/storage/port.ts'
import { serverAad } from '../config-sync.ts'
import type { Relay } from './relay.ts'
import type { ServerSpec } from './supervisor.ts'

export function toSpec(row: Server, keyring: Keyring): ServerSpec {
  return {
    projectId: row.projectId,
    name: row.name,
    transport: row.transport,
    command: row.command,
    args: row.args,
    env: decryptRecord(keyring, row.env, serverAad(row.projectId, row.name, 'env')),
    cwd: row.cwd,
    url: row.url,
    headers: decryptRecord(keyring, row.headers, serverAad(row.projectId, row.name, 'headers')),
    timeoutMs: row.timeoutMs,
    isolation: row.isolation,
    enabled: row.enabled,
    autoStart: row.autoStart,
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
