// The first admin: from MCPO_ADMIN_EMAIL + MCPO_ADMIN_PASSWORD, or through a one-time set-up link printed at start.
// Nodes of a cluster start together: each decides under the database's first-admin lock, so the admin is made once,
// and set-up tokens live in the database (hashed), so a link printed by any node works on every node, once.
import { createHash, randomBytes } from 'node:crypto'
import type { ResolvedConfig } from '../config/define-config.ts'
import type { Logger } from '../plugins/contract.ts'
import type { Store } from '../plugins/storage/port.ts'
import { hashPassword } from '../plugins/users/password.ts'

type Outcome =
  | { kind: 'created' | 'promoted' | 'admin-exists' }
  | { kind: 'unverified'; userId: string; token: string | null }
  | { kind: 'token'; token: string }

/**
 * Returns this node's one-time set-up token when no admin exists and none was made from the environment; null
 * otherwise. The token is stored hashed, beside those other nodes offered; creating the first admin voids them all.
 * An existing account with MCPO_ADMIN_EMAIL is promoted only when its email is verified: one made through an
 * invitation link no mail plugin delivered may belong to whoever held the link. It is left as it is, the boot logs
 * an error, and the set-up link is offered while no admin exists, so the operator can still get in and confirm or
 * delete that account (refusing to boot instead would let the link holder keep the gateway down).
 */
export async function bootstrapAdmin(config: ResolvedConfig, store: Store, logger: Logger): Promise<string | null> {
  const { email, password } = config.admin
  const fromEnv = email && password ? { email, password } : null
  // Hashing takes a while: do it before the lock when the account looks missing, not while other nodes wait.
  let passwordHash =
    fromEnv && !(await store.users.getByEmail(fromEnv.email)) ? await hashPassword(fromEnv.password) : null
  const token = randomBytes(24).toString('base64url')
  const outcome = await store.transaction(async (tx): Promise<Outcome> => {
    await tx.setup.lock()
    if (fromEnv) {
      const existing = await tx.users.getByEmail(fromEnv.email)
      if (!existing) {
        await tx.users.create({
          email: fromEnv.email,
          name: 'Administrator',
          passwordHash: (passwordHash ??= await hashPassword(fromEnv.password)),
          isAdmin: true,
          // The operator named this address: it needs no proof.
          emailVerifiedAt: new Date(),
        })
        await tx.setup.clearTokens()
        return { kind: 'created' }
      }
      if (existing.emailVerifiedAt) {
        if (!existing.isAdmin) await tx.users.update(existing.id, { isAdmin: true })
        await tx.setup.clearTokens()
        return { kind: existing.isAdmin ? 'admin-exists' : 'promoted' }
      }
      if ((await tx.users.count({ isAdmin: true })) > 0) return { kind: 'unverified', userId: existing.id, token: null }
      await tx.setup.addToken(hashSetupToken(token))
      return { kind: 'unverified', userId: existing.id, token }
    }
    if ((await tx.users.count({ isAdmin: true })) > 0) {
      // Tokens offered before the admin was made another way are void.
      await tx.setup.clearTokens()
      return { kind: 'admin-exists' }
    }
    await tx.setup.addToken(hashSetupToken(token))
    return { kind: 'token', token }
  })
  switch (outcome.kind) {
    case 'created':
      logger.info({ email }, 'created the admin account from MCPO_ADMIN_EMAIL')
      return null
    case 'promoted':
      logger.info({ email }, 'made the MCPO_ADMIN_EMAIL account an admin')
      return null
    case 'admin-exists':
      return null
    case 'unverified':
      logger.error(
        { email, userId: outcome.userId },
        'MCPO_ADMIN_EMAIL names an account whose email is not verified (made through an invitation link): it was not ' +
          'made an admin. If it is yours, confirm its email as an admin (POST /api/users/{id}/confirm-email); if not, ' +
          'delete it; then restart',
      )
      return outcome.token
    case 'token':
      return outcome.token
  }
}

/** How a set-up token is stored and looked up: its SHA-256, hex. */
export function hashSetupToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
