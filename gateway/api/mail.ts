// Mail through the plugins' delivery hooks (`deliverInvitation`, `deliverEmailVerification`). mcpo has no mailer of
// its own: with none configured (or when delivery fails) an invitation's link goes to the inviter to pass on, and an
// email cannot be verified by mail (an administrator confirms it instead).
import type { EmailVerificationMessage, InvitationMessage, McpoPlugin } from '../../plugins/contract.ts'
import type { ApiServices } from './define.ts'

type Hook = 'deliverInvitation' | 'deliverEmailVerification'

/** True when some plugin took the message. A throwing plugin is logged and the next one tried. */
async function deliver<H extends Hook>(
  services: ApiServices,
  hook: H,
  message: Parameters<NonNullable<McpoPlugin[H]>>[0],
  about: Record<string, unknown>,
): Promise<boolean> {
  for (const p of services.plugins.plugins) {
    const send = p[hook] as ((m: typeof message) => boolean | Promise<boolean>) | undefined
    if (!send) continue
    try {
      if (await send.call(p, message)) return true
    } catch (err) {
      services.logger.warn({ plugin: p.name, hook, ...about, err: (err as Error).message }, 'mail delivery failed')
    }
  }
  return false
}

/** Whether any plugin delivers this kind of mail (an answer can say so before anything is sent). */
export function canDeliver(services: ApiServices, hook: Hook): boolean {
  return services.plugins.plugins.some((p) => typeof p[hook] === 'function')
}

export function deliverInvitation(services: ApiServices, message: InvitationMessage): Promise<boolean> {
  return deliver(services, 'deliverInvitation', message, { invitation: message.invitationId })
}

export function deliverEmailVerification(services: ApiServices, message: EmailVerificationMessage): Promise<boolean> {
  return deliver(services, 'deliverEmailVerification', message, { userId: message.userId })
}
