// Server env values and upstream headers at rest: sealed with AES-256-GCM bound to project, server and field,
// opened only in memory. Every path that stores, reads or rotates them goes through here.
import { decryptRecord, encryptRecord, rotateRecord } from '../plugins/secrets/cipher.ts'
import type { Keyring } from '../plugins/secrets/keyring.ts'
import type { Store } from '../plugins/storage/port.ts'

type Secrets = { env: Readonly<Record<string, string>>; headers: Readonly<Record<string, string>> }
type Where = { projectId: string; name: string }

export function serverAad(projectId: string, name: string, field: 'env' | 'headers'): string {
  return `server:${projectId}:${name}:${field}`
}

export function sealServerSecrets(
  keyring: Keyring,
  where: Where,
  s: Secrets,
): { env: Record<string, string>; headers: Record<string, string> } {
  return {
    env: encryptRecord(keyring, s.env, serverAad(where.projectId, where.name, 'env')),
    headers: encryptRecord(keyring, s.headers, serverAad(where.projectId, where.name, 'headers')),
  }
}

export function openServerSecrets(
  keyring: Keyring,
  row: Where & Secrets,
): { env: Record<string, string>; headers: Record<string, string> } {
  return {
    env: decryptRecord(keyring, row.env, serverAad(row.projectId, row.name, 'env')),
    headers: decryptRecord(keyring, row.headers, serverAad(row.projectId, row.name, 'headers')),
  }
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
