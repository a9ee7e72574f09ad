// First-run set-up: the one-time token from the link the gateway printed (in the URL fragment, so it never reached a
// server log) creates the first administrator, who is then signed in.
import { ContextConsumer } from '@lit/context'
import { html, LitElement } from 'lit'
import type { SignInAnswer } from '../api-types.ts'
import { apiContext, routerContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { base } from '../styles.ts'
import { authLayout } from './auth-layout.ts'
import { errorAlert, fieldError, loading } from './template-pieces.ts'

export const MIN_PASSWORD = 12

export class McpoSetup extends LitElement {
  static override styles = [base, authLayout]

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly router = new ContextConsumer(this, { context: routerContext })
  private readonly submit = new Action(this)
  private readonly status = new Resource(this, {
    load: (signal) => this.api.value!.get<{ needed: boolean }>('/api/auth/setup', { signal }),
  })
  private mismatch: string | null = null

  private get token(): string {
    return this.router.value?.hash.token ?? ''
  }

  private async onSubmit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const data = new FormData(e.target as HTMLFormElement)
    const password = String(data.get('password') ?? '')
    this.mismatch = password === String(data.get('confirm') ?? '') ? null : 'the two passwords differ'
    if (this.mismatch) return this.requestUpdate()
    const answer = await this.submit.run(() =>
      this.api.value!.post<SignInAnswer>('/api/auth/setup', {
        token: this.token,
        email: String(data.get('email') ?? '').trim(),
        name: String(data.get('name') ?? '').trim(),
        password,
      }),
    )
    if (!answer) return
    // The token is spent: drop it from the address bar and the history.
    history.replaceState(null, '', location.pathname)
    this.dispatchEvent(new CustomEvent('mcpo-signed-in', { detail: answer.user, bubbles: true, composed: true }))
  }

  private body() {
    if (this.status.error) return errorAlert(this.status.error, () => this.status.reload())
    if (!this.status.value) return loading()
    if (!this.status.value.needed) {
      return html`<div class="alert info">This gateway already has an administrator.</div>
        <p class="foot"><a href="/admin/signin">Go to sign-in</a></p>`
    }
    if (!this.token) {
      return html`<div class="alert warn" role="alert">
        This page needs the one-time link the gateway printed at start (it ends in <code>#token=…</code>). Copy the
        whole link from the gateway's console.
      </div>`
    }
    const a = this.submit
    return html`<form @submit=${this.onSubmit} novalidate>
      ${errorAlert(a.general(['email', 'name', 'password']))}
      <div class="field">
        <label for="name">Your name</label>
        <input id="name" name="name" autocomplete="name" aria-describedby="name-error" />
        ${fieldError('name', a.field('name'))}
      </div>
      <div class="field">
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required autofocus
          aria-invalid=${a.field('email') ? 'true' : 'false'} aria-describedby="email-error" />
        ${fieldError('email', a.field('email'))}
      </div>
      <div class="field">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="new-password" required minlength=${MIN_PASSWORD}
          aria-invalid=${a.field('password') ? 'true' : 'false'} aria-describedby="password-error password-hint" />
        <div class="hint" id="password-hint">At least ${MIN_PASSWORD} characters.</div>
        ${fieldError('password', a.field('password'))}
      </div>
      <div class="field">
        <label for="confirm">Repeat the password</label>
        <input id="confirm" name="confirm" type="password" autocomplete="new-password" required
          aria-invalid=${this.mismatch ? 'true' : 'false'} aria-describedby="confirm-error" />
        ${fieldError('confirm', this.mismatch)}
      </div>
      <button class="primary" type="submit" ?disabled=${a.busy}>
        ${a.busy ? 'Creating…' : 'Create the administrator'}
      </button>
    </form>`
  }

  override render() {
    return html`<div class="panel">
      <div class="brand"><span class="logo" aria-hidden="true">m</span>mcpo</div>
      <div class="card">
        <h1>Welcome to mcpo</h1>
        <p class="lead">Create the administrator account. The set-up link works once.</p>
        ${this.body()}
      </div>
    </div>`
  }
}

customElements.define('mcpo-setup', McpoSetup)
