// Proving an account's email by mail: the signed-in user asks for a one-time link, a `deliverEmailVerification`
// plugin sends it to the address, and following it marks the email verified. The link is never in an answer (showing
// it would prove nothing), is stored only as a SHA-256 hash, and verifies only the address it was sent to.
import { createHash, randomBytes } from 'node:crypto'
import { z } from 'zod'
import { GatewayError } from '../errors.ts'
import type { ApiContext } from './define.ts'
import { route } from './define.ts'
import { canDeliver, deliverEmailVerification } from './mail.ts'
import { callerUserId } from './rules.ts'

const LINK_TTL_MS = 48 * 60 * 60 * 1000
/** One mail a minute per account: enough to retry, too few to flood someone's mailbox. */
const RESEND_AFTER_MS = 60 * 1000

export function hashVerificationToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** One audit record per email that became verified, saying how. */
export function auditVerified(
  audit: ApiContext['audit'],
  userId: string,
  via: 'mail' | 'invitation-mail' | 'admin',
): void {
  audit({ action: 'user.email_verified', target: { type: 'user', id: userId }, after: { via } })
}

export function emailVerificationRoutes() {
  return [
    route({
      method: 'POST',
      path: '/api/auth/email-verification',
      tag: 'auth',
      summary:
        'Send me a link that verifies my email (needs a mail plugin); until it is verified, invitations sent to ' +
        'the address are held back',
      auth: 'user',
      status: 202,
      response: z.object({ verified: z.boolean(), sent: z.boolean(), expiresAt: z.string().nullable() }),
      handler: async ({ principal, services }) => {
        const store = services.store
        const user = await store.users.get(callerUserId(principal))
        if (!user) throw new GatewayError('MCPO_ERR_UNAUTHENTICATED', 'sign in as a user')
        if (user.emailVerifiedAt) return { verified: true, sent: false, expiresAt: null }
        if (!canDeliver(services, 'deliverEmailVerification')) {
          throw new GatewayError(
            'MCPO_ERR_CONFLICT',
            'this gateway sends no mail: ask an administrator to confirm your email address',
            { details: { reason: 'no_mailer' } },
          )
        }
        const last = await store.users.getEmailVerification(user.id)
        const wait = last ? last.createdAt.getTime() + RESEND_AFTER_MS - Date.now() : 0
        if (wait > 0) {
          const retryAfterS = Math.ceil(wait / 1000)
          throw new GatewayError(
            'MCPO_ERR_RATE_LIMITED',
            `a verification mail was just sent; try again in ${retryAfterS} s`,
            {
              details: { retryAfterS },
            },
          )
        }
        const token = randomBytes(32).toString('base64url')
        const expiresAt = new Date(Date.now() + LINK_TTL_MS)
        await store.users.saveEmailVerification({
          userId: user.id,
          email: user.email,
          tokenHash: hashVerificationToken(token),
          expiresAt,
        })
        const base = services.config.listen.publicBaseUrl?.replace(/\/$/, '') ?? ''
        const sent = await deliverEmailVerification(services, {
          userId: user.id,
          email: user.email,
          // In the fragment, like invitation links: browsers send it to no server and put it in no Referer.
          link: `${base}/admin/verify-email#token=${token}`,
          expiresAt: expiresAt.toISOString(),
        })
        if (!sent) {
          throw new GatewayError('MCPO_ERR_UPSTREAM_UNAVAILABLE', 'the verification mail could not be sent; try later')
        }
        return { verified: false, sent: true, expiresAt: expiresAt.toISOString() }
      },
    }),
    route({
      method: 'POST',
      path: '/api/auth/email-verification/confirm',
      tag: 'auth',
      summary: 'Follow a verification link: the account it was sent for has its email verified (once)',
      auth: 'public',
      body: z.object({ token: z.string().min(16).max(200) }),
      response: z.object({ email: z.string(), verified: z.literal(true) }),
      handler: async ({ body, services, audit }) => {
        const user = await services.store.users.consumeEmailVerification(hashVerificationToken(body.token))
        if (!user) {
          throw new GatewayError(
            'MCPO_ERR_NOT_FOUND',
            'this verification link is not valid: it expired, was used or replaced, or the account’s email changed',
          )
        }
        auditVerified(audit, user.id, 'mail')
        return { email: user.email, verified: true as const }
      },
    }),
  ]
}
