// The page of an email verification link (/admin/verify-email#token=…): one click proves the address. A click, not
// the page load, so that a mail scanner that opens links does not verify on the reader's behalf.
import { ContextConsumer } from '@lit/context'
import { html, LitElement, nothing } from 'lit'
import { apiContext, routerContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { base } from '../styles.ts'
import { authLayout } from './auth-layout.ts'
import { errorAlert } from './template-pieces.ts'

export class McpoVerifyEmail extends LitElement {
  static override properties = { done: { state: true } }
  static override styles = [base, authLayout]

  declare done: string | null

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly router = new ContextConsumer(this, { context: routerContext })
  private readonly verify = new Action(this)

  constructor() {
    super()
    this.done = null
  }

  private get token(): string {
    return this.router.value?.hash.token ?? ''
  }

  private async onSubmit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const answer = await this.verify.run(() =>
      this.api.value!.post<{ email: string }>('/api/auth/email-verification/confirm', { token: this.token }),
    )
    if (!answer) return
    history.replaceState(null, '', location.pathname)
    this.done = answer.email
  }

  private body() {
    if (this.done) {
      return html`<div class="alert info" role="status"><strong>${this.done}</strong> is verified. Invitations sent to it
        now wait for you in My Projects.</div>
        <!-- A full load (not the router): the signed-in user is read again, now verified. -->
        <p class="foot"><a class="btn primary" href="/admin/projects" target="_top">Go to my projects</a></p>`
    }
    if (!this.token)
      return errorAlert('This page needs the whole link from the mail, including the part after #token=.')
    return html`<p class="lead">Confirm that this address is yours: invitations sent to it then reach your account.</p>
      <form @submit=${this.onSubmit}>
        ${this.verify.error ? errorAlert(this.verify.error) : nothing}
        <button class="primary" type="submit" ?disabled=${this.verify.busy}>Verify my email</button>
      </form>`
  }

  override render() {
    return html`<div class="panel">
      <div class="brand"><span class="logo" aria-hidden="true">m</span>mcpo</div>
      <div class="card"><h1>Verify your email</h1>${this.body()}</div>
    </div>`
  }
}

customElements.define('mcpo-verify-email', McpoVerifyEmail)
