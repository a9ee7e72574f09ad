// oidc-provider's storage adapter over the storage port, so grants, codes and refresh tokens are shared by every node
// and survive restarts. Grants carry their user and project in columns for the "connected apps" lists.
import type { Store } from '../../plugins/storage/port.ts'
import { projectOfResource } from './resources.ts'

type Payload = Record<string, unknown> & {
  grantId?: string
  uid?: string
  userCode?: string
  accountId?: string
  resources?: Record<string, string>
}

export function adapterFor(store: Store) {
  return class OAuthAdapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const isGrant = this.model === 'Grant'
      const project = isGrant
        ? Object.keys(payload.resources ?? {})
            .map(projectOfResource)
            .find(Boolean)
        : null
      await store.oauth.upsert({
        model: this.model,
        id,
        payload,
        expiresInS: expiresIn,
        grantId: payload.grantId ?? null,
        uid: payload.uid ?? null,
        userCode: payload.userCode ?? null,
        accountId: isGrant ? (payload.accountId ?? null) : null,
        projectId: project ?? null,
      })
    }

    async find(id: string): Promise<Payload | undefined> {
      return unpack(await store.oauth.find(this.model, id))
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      return unpack(await store.oauth.findByUid(this.model, uid))
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      return unpack(await store.oauth.findByUserCode(this.model, userCode))
    }

    async consume(id: string): Promise<void> {
      await store.oauth.consume(this.model, id)
    }

    async destroy(id: string): Promise<void> {
      await store.oauth.destroy(this.model, id)
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.oauth.revokeGrant(grantId)
    }
  }
}

function unpack(row: { payload: Record<string, unknown>; consumedAt: Date | null } | null): Payload | undefined {
  if (!row) return undefined
  // oidc-provider reads `consumed` (seconds) to refuse a second use of a code or a rotated refresh token.
  return row.consumedAt ? { ...row.payload, consumed: Math.floor(row.consumedAt.getTime() / 1000) } : row.payload
}
