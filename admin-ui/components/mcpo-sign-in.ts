// Sign-in: email and password, and a single sign-on button when the gateway has OIDC configured. Tells a visitor of
// a fresh install where the first-run set-up link is. Sends `mcpo-signed-in` with the user.
// `next` (already checked by the router) is where either sign-in goes on to: the app navigates there after a password
// sign-in, and the single sign-on link hands it to the gateway, which keeps it for the round trip to the provider.
import { ContextConsumer } from '@lit/context'
import { html, LitElement, nothing } from 'lit'
import type { Providers, SignInAnswer } from '../api-types.ts'
import { apiContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { base } from '../styles.ts'
import { authLayout } from './auth-layout.ts'
import { errorAlert, fieldError } from './template-pieces.ts'

export class McpoSignIn extends LitElement {
  static override properties = { next: { attribute: false } }
  static override styles = [base, authLayout]

  declare next: string | null

  constructor() {
    super()
    this.next = null
  }

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly submit = new Action(this)
  private readonly info = new Resource(this, {
    load: async (signal) => {
      const api = this.api.value!
      const [providers, setup] = await Promise.all([
        api.get<Providers>('/api/auth/providers', { signal }),
        api.get<{ needed: boolean }>('/api/auth/setup', { signal }),
      ])
      return { providers, setupNeeded: setup.needed }
    },
  })

  private async onSubmit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const data = new FormData(e.target as HTMLFormElement)
    const answer = await this.submit.run(() =>
      this.api.value!.post<SignInAnswer>('/api/auth/login', {
        email: String(data.get('email') ?? '').trim(),
        password: String(data.get('password') ?? ''),
      }),
    )
    if (answer)
      this.dispatchEvent(new CustomEvent('mcpo-signed-in', { detail: answer.user, bubbles: true, composed: true }))
  }

  override render() {
    const oidc = this.info.value?.providers.oidc
    const ssoHref = oidc && this.next ? `${oidc.loginUrl}?next=${encodeURIComponent(this.next)}` : oidc?.loginUrl
    const a = this.submit
    return html`<div class="panel">
      <div class="brand"><span class="logo" aria-hidden="true">m</span>mcpo</div>
      <div class="card">
        <h1>Sign in</h1>
        <p class="lead">to manage your projects, MCP servers and API keys.</p>
        ${
          this.info.value?.setupNeeded
            ? html`<div class="alert info" role="note">
                This gateway has no administrator yet. Open the one-time set-up link printed in the gateway's console
                (<code>/admin/setup#token=…</code>) to create one.
              </div>`
            : nothing
        }
        <form @submit=${this.onSubmit} novalidate>
          ${errorAlert(a.general(['email', 'password']))}
          <div class="field">
            <label for="email">Email</label>
            <input id="email" name="email" type="email" autocomplete="username" required autofocus
              aria-invalid=${a.field('email') ? 'true' : 'false'} aria-describedby="email-error" />
            ${fieldError('email', a.field('email'))}
          </div>
          <div class="field">
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required
              aria-invalid=${a.field('password') ? 'true' : 'false'} aria-describedby="password-error" />
            ${fieldError('password', a.field('password'))}
          </div>
          <button class="primary" type="submit" ?disabled=${a.busy}>${a.busy ? 'Signing in…' : 'Sign in'}</button>
        </form>
        ${
          oidc
            ? html`<div class="or">or</div>
                <a class="btn sso" href=${ssoHref}>Continue with ${oidc.label}</a>`
            : nothing
        }
      </div>
    </div>`
  }
}

customElements.define('mcpo-sign-in', McpoSignIn)
