// The first admin: from MCPO_ADMIN_EMAIL + MCPO_ADMIN_PASSWORD, or through a one-time set-up link printed at start.
import { createHash, randomBytes } from 'node:crypto'
import type { ResolvedConfig } from '../config/define-config.ts'
import type { Logger } from '../plugins/contract.ts'
import type { Store } from '../plugins/storage/port.ts'
import { hashPassword } from '../plugins/users/password.ts'

/** Returns the one-time set-up token when no admin exists and none was configured; null otherwise. */
export async function bootstrapAdmin(config: ResolvedConfig, store: Store, logger: Logger): Promise<string | null> {
  const { email, password } = config.admin
  if (email && password) {
    const existing = await store.users.getByEmail(email)
    if (!existing) {
      await store.users.create({
        email,
        name: 'Administrator',
        passwordHash: await hashPassword(password),
        isAdmin: true,
      })
      logger.info({ email }, 'created the admin account from MCPO_ADMIN_EMAIL')
    } else if (!existing.isAdmin) {
      await store.users.update(existing.id, { isAdmin: true })
      logger.info({ email }, 'made the MCPO_ADMIN_EMAIL account an admin')
    }
    return null
  }
  if ((await store.users.count({ isAdmin: true })) > 0) return null
  return randomBytes(24).toString('base64url')
}

export function hashSetupToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
