// <mcpo-email-notice>: for an account whose email is not verified (made through an invitation link nobody mailed),
// why invitations sent to the address do not show, and the way out: a verification mail, or an administrator.
import { ContextConsumer } from '@lit/context'
import { html, LitElement, nothing } from 'lit'
import type { User } from '../api-types.ts'
import { apiContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { base } from '../styles.ts'
import { errorAlert } from './template-pieces.ts'

export class McpoEmailNotice extends LitElement {
  static override properties = { user: { attribute: false }, sent: { state: true } }
  static override styles = [base]

  declare user: User | null
  declare sent: boolean

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly send = new Action(this)

  constructor() {
    super()
    this.user = null
    this.sent = false
  }

  private async onSend(): Promise<void> {
    const answer = await this.send.run(() => this.api.value!.post('/api/auth/email-verification'))
    if (answer) this.sent = true
  }

  override render() {
    const u = this.user
    if (!u || u.emailVerified) return nothing
    // 409: this gateway sends no mail, so only an administrator can confirm the address.
    const noMailer = this.send.error?.status === 409
    return html`<div class="alert warn" role="status">
      <strong>Your email (${u.email}) is not verified.</strong> Invitations sent to it by others wait until it is.
      ${
        this.sent
          ? html`<div>We sent a link to ${u.email}: open it to verify.</div>`
          : noMailer
            ? html`<div>This gateway sends no mail: ask an administrator to confirm your email.</div>`
            : html`<div><button class="small" type="button" ?disabled=${this.send.busy} @click=${this.onSend}>
                Send me a verification link</button></div>
                ${this.send.error ? errorAlert(this.send.error) : nothing}`
      }
    </div>`
  }
}

customElements.define('mcpo-email-notice', McpoEmailNotice)
