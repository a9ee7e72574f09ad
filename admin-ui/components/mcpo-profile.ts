// Profile: who you are signed in as (and whether your email is verified), the password change (current password, new
// one twice), the apps you connected with OAuth, and signing out everywhere.
import { ContextConsumer } from '@lit/context'
import { css, html, LitElement, nothing } from 'lit'
import type { User } from '../api-types.ts'
import { apiContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { base } from '../styles.ts'
import './mcpo-email-notice.ts'
import './mcpo-confirm-button.ts'
import './mcpo-connected-apps.ts'
import { MIN_PASSWORD } from './mcpo-setup.ts'
import { errorAlert, fieldError, time, toast } from './template-pieces.ts'

export class McpoProfile extends LitElement {
  static override properties = { user: { attribute: false } }
  static override styles = [
    base,
    css`
      dl {
        margin: 0;
      }
      dd {
        margin: 2px 0 0;
      }
      .apps-head {
        padding: 16px 20px 12px;
      }
      @media (max-width: 640px) {
        .apps-head {
          padding: 14px 14px 10px;
        }
      }
    `,
  ]

  declare user: User

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly change = new Action(this)
  private readonly everywhere = new Action(this)
  private mismatch: string | null = null

  private async onSubmit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const data = new FormData(form)
    const next = String(data.get('newPassword') ?? '')
    this.mismatch = next === String(data.get('repeat') ?? '') ? null : 'the two passwords differ'
    if (this.mismatch) return this.requestUpdate()
    await this.change.run(() =>
      this.api.value!.post('/api/auth/password', {
        currentPassword: String(data.get('currentPassword') ?? ''),
        newPassword: next,
      }),
    )
    if (this.change.error) return
    form.reset()
    toast(this, 'Password changed')
  }

  /** Ends every session of this account, this one included; the app then shows the sign-in page. */
  private async signOutEverywhere(): Promise<void> {
    await this.everywhere.run(() => this.api.value!.post('/api/auth/sessions/revoke'))
    if (this.everywhere.error) return
    this.dispatchEvent(new Event('mcpo-signed-out', { bubbles: true, composed: true }))
  }

  override render() {
    const u = this.user
    const a = this.change
    // A wrong current password is a 403 without a field: it belongs under that field all the same.
    const current = a.field('currentPassword') ?? (a.error?.status === 403 ? a.error.message : null)
    return html`<div class="page-head"><div><h1>Profile</h1><p class="muted">Your account on this gateway.</p></div></div>
      <div class="stack">
        <section class="card" aria-labelledby="me-title">
          <h2 id="me-title">Account</h2>
          <dl class="form-grid">
            <div><dt class="muted small">Name</dt><dd>${u.name || '—'}</dd></div>
            <div><dt class="muted small">Email</dt><dd>${u.email}${u.emailVerified ? nothing : html` <span class="badge warn">not verified</span>`}</dd></div>
            <div><dt class="muted small">Role</dt><dd>${u.isAdmin ? html`<span class="badge accent">administrator</span>` : 'user'}</dd></div>
            <div><dt class="muted small">Last sign-in</dt><dd>${time(u.lastLoginAt)}</dd></div>
          </dl>
          <mcpo-email-notice .user=${u}></mcpo-email-notice>
        </section>
        <section class="card" aria-labelledby="pw-title">
          <h2 id="pw-title">Change password</h2>
          <form class="stack" @submit=${this.onSubmit} novalidate>
            ${errorAlert(current ? null : a.general(['newPassword', 'currentPassword']))}
            <div class="form-grid">
              <div class="field wide">
                <label for="pw-current">Current password</label>
                <input id="pw-current" name="currentPassword" type="password" autocomplete="current-password" required
                  aria-invalid=${current ? 'true' : 'false'} aria-describedby="pw-current-error" />
                ${fieldError('pw-current', current)}
              </div>
              <div class="field">
                <label for="pw-new">New password</label>
                <input id="pw-new" name="newPassword" type="password" autocomplete="new-password" required minlength=${MIN_PASSWORD}
                  aria-invalid=${a.field('newPassword') ? 'true' : 'false'} aria-describedby="pw-new-error pw-new-hint" />
                <div class="hint" id="pw-new-hint">At least ${MIN_PASSWORD} characters.</div>
                ${fieldError('pw-new', a.field('newPassword'))}
              </div>
              <div class="field">
                <label for="pw-repeat">Repeat the new password</label>
                <input id="pw-repeat" name="repeat" type="password" autocomplete="new-password" required
                  aria-invalid=${this.mismatch ? 'true' : 'false'} aria-describedby="pw-repeat-error" />
                ${fieldError('pw-repeat', this.mismatch)}
              </div>
            </div>
            <div><button class="primary" type="submit" ?disabled=${a.busy}>${a.busy ? 'Changing…' : 'Change password'}</button></div>
          </form>
        </section>
        <section class="card flush" aria-labelledby="apps-title">
          <header class="apps-head">
            <h2 id="apps-title">Connected apps</h2>
            <p class="muted small">MCP clients you allowed to act for you with OAuth. Disconnecting one stops it at
              once; it has to ask you again.</p>
          </header>
          <mcpo-connected-apps scope="me" path="/api/me/connected-apps"></mcpo-connected-apps>
        </section>
        <section class="card" aria-labelledby="sessions-title">
          <h2 id="sessions-title">Sessions</h2>
          <div class="stack">
            <p class="muted small">Signed in on a computer you no longer use? End every session of this account, this
              one included. Project API keys keep working.</p>
            ${errorAlert(this.everywhere.general([]))}
            <div><mcpo-confirm-button label="Sign out everywhere" confirm-label="Sign out"
              question="End every session of this account, this one included?" ?disabled=${this.everywhere.busy}
              @confirm=${() => this.signOutEverywhere()}></mcpo-confirm-button></div>
          </div>
        </section>
      </div>`
  }
}

customElements.define('mcpo-profile', McpoProfile)
