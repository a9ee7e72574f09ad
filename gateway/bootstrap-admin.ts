// The first admin: from MCPO_ADMIN_EMAIL + MCPO_ADMIN_PASSWORD, or through a one-time set-up link printed at start.
import { createHash, randomBytes } from 'node:crypto'
import type { ResolvedConfig } from '../config/define-config.ts'
import type { Logger } from '../plugins/contract.ts'
import type { Store } from '../plugins/storage/port.ts'
import { hashPassword } from '../plugins/users/password.ts'

/**
 * Returns the one-time set-up token when no admin exists and none was made from the environment; null otherwise.
 * An existing account with MCPO_ADMIN_EMAIL is promoted only when its email is verified: one made through an
 * invitation link no mail plugin delivered may belong to whoever held the link. It is left as it is, the boot logs
 * an error, and the set-up link is offered while no admin exists, so the operator can still get in and confirm or
 * delete that account (refusing to boot instead would let the link holder keep the gateway down).
 */
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
        // The operator named this address: it needs no proof.
        emailVerifiedAt: new Date(),
      })
      logger.info({ email }, 'created the admin account from MCPO_ADMIN_EMAIL')
      return null
    }
    if (existing.emailVerifiedAt) {
      if (!existing.isAdmin) {
        await store.users.update(existing.id, { isAdmin: true })
        logger.info({ email }, 'made the MCPO_ADMIN_EMAIL account an admin')
      }
      return null
    }
    logger.error(
      { email, userId: existing.id },
      'MCPO_ADMIN_EMAIL names an account whose email is not verified (made through an invitation link): it was not ' +
        'made an admin. If it is yours, confirm its email as an admin (POST /api/users/{id}/confirm-email); if not, ' +
        'delete it; then restart',
    )
  }
  if ((await store.users.count({ isAdmin: true })) > 0) return null
  return randomBytes(24).toString('base64url')
}

export function hashSetupToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
