// Mail delivery of invitations through the plugins' `deliverInvitation` hook. mcpo has no mailer of its own: with
// none configured (or when delivery fails) the answer carries the link for the inviter to pass on.
import type { InvitationMessage } from '../../plugins/contract.ts'
import type { ApiServices } from './define.ts'

/** True when some plugin took the message. A throwing plugin is logged and the next one tried. */
export async function deliverInvitation(services: ApiServices, message: InvitationMessage): Promise<boolean> {
  for (const p of services.plugins.plugins) {
    if (!p.deliverInvitation) continue
    try {
      if (await p.deliverInvitation(message)) return true
    } catch (err) {
      services.logger.warn(
        { plugin: p.name, invitation: message.invitationId, err: (err as Error).message },
        'invitation delivery failed; the inviter gets the link',
      )
    }
  }
  return false
}
