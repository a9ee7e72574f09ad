// Server env values, upstream headers and OAuth client secrets at rest: sealed with AES-256-GCM bound to project,
// server and field, opened only in memory. Every path that stores, reads or rotates them goes through here.
import type { z } from 'zod'
import type { serverAuthSchema } from '../config/schema.ts'
import { decrypt, decryptRecord, encrypt, encryptRecord, rotate, rotateRecord } from '../plugins/secrets/cipher.ts'
import type { Keyring } from '../plugins/secrets/keyring.ts'
import type { ServerAuth, Store } from '../plugins/storage/port.ts'

type Secrets = { env: Readonly<Record<string, string>>; headers: Readonly<Record<string, string>> }
type Where = { projectId: string; name: string }

export function serverAad(projectId: string, name: string, field: 'env' | 'headers' | 'auth'): string {
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

/** A server's OAuth settings as the config file and the API take them, the client secret in clear. */
export type ServerAuthInput = z.output<typeof serverAuthSchema>

/** The stored form of `auth`: absent fields as null, the client secret sealed. */
export function sealServerAuth(
  keyring: Keyring,
  where: Where,
  auth: ServerAuthInput | null | undefined,
): ServerAuth | null {
  if (!auth) return null
  return {
    type: 'oauth',
    credentials: auth.credentials,
    clientId: auth.clientId ?? null,
    clientSecret: auth.clientSecret
      ? encrypt(keyring, auth.clientSecret, serverAad(where.projectId, where.name, 'auth'))
      : null,
    scopes: [...auth.scopes],
  }
}

/**
 * The stored `auth` with its client secret in clear (for the relay, and what a PUT merges into). Keys come in one
 * order whatever jsonb did to them, since specs and plans are compared as JSON.
 */
export function openServerAuth(keyring: Keyring, row: Where & { auth: ServerAuth | null }): ServerAuth | null {
  if (!row.auth) return null
  const { credentials, clientId, clientSecret, scopes } = row.auth
  return {
    type: 'oauth',
    credentials,
    clientId,
    clientSecret: clientSecret ? decrypt(keyring, clientSecret, serverAad(row.projectId, row.name, 'auth')) : null,
    scopes,
  }
}

/** Re-encrypts every server's env, headers and client secret under the keyring's active key; returns how many servers changed. */
export async function rotateServerSecrets(store: Store, keyring: Keyring): Promise<number> {
  let changed = 0
  await store.transaction(async (tx) => {
    for (const s of await tx.servers.listAll()) {
      const env = rotateRecord(keyring, s.env, serverAad(s.projectId, s.name, 'env'))
      const headers = rotateRecord(keyring, s.headers, serverAad(s.projectId, s.name, 'headers'))
      const secret = s.auth?.clientSecret
      const auth =
        s.auth && secret
          ? { ...s.auth, clientSecret: rotate(keyring, secret, serverAad(s.projectId, s.name, 'auth')) }
          : s.auth
      if (
        JSON.stringify(env) === JSON.stringify(s.env) &&
        JSON.stringify(headers) === JSON.stringify(s.headers) &&
        auth?.clientSecret === s.auth?.clientSecret
      )
        continue
      await tx.servers.update(s.projectId, s.name, { env, headers, auth })
      changed++
    }
  })
  return changed
}
