// The page of an external invitation link (/admin/invite#token=…): says what the invitation is for, then creates
// the account and joins; an existing account signs in first and joins with one click.
import { ContextConsumer } from '@lit/context'
import { html, LitElement, nothing } from 'lit'
import type { Role, User } from '../api-types.ts'
import { apiContext, routerContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { hrefOf, projectHref } from '../router.ts'
import { base } from '../styles.ts'
import { authLayout } from './auth-layout.ts'
import { MIN_PASSWORD } from './mcpo-setup.ts'
import { errorAlert, fieldError, loading, roleBadge } from './template-pieces.ts'

interface LinkInfo {
  email: string
  role: Role
  status: string
  expiresAt: string
  project: { id: string; name: string } | null
  team: { id: string; name: string } | null
  accountExists: boolean
}

export class McpoInviteAccept extends LitElement {
  static override properties = { user: { attribute: false } }
  static override styles = [base, authLayout]

  declare user: User | null

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly router = new ContextConsumer(this, { context: routerContext })
  private readonly accept = new Action(this)
  private readonly info = new Resource(this, {
    load: (signal) => this.api.value!.post<LinkInfo>('/api/invitations/link-info', { token: this.token }, { signal }),
    enabled: () => this.token !== '',
  })

  constructor() {
    super()
    this.user = null
  }

  private get token(): string {
    return this.router.value?.hash.token ?? ''
  }

  private async onSubmit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const data = new FormData(e.target as HTMLFormElement)
    const answer = await this.accept.run(() =>
      this.api.value!.post<{ user: User; created: boolean }>('/api/invitations/accept-link', {
        token: this.token,
        name: String(data.get('name') ?? '').trim(),
        ...(data.has('password') ? { password: String(data.get('password')) } : {}),
      }),
    )
    if (!answer) return
    const project = this.info.value?.project
    history.replaceState(null, '', location.pathname)
    if (this.user) this.router.value?.navigate(project ? projectHref(project.id) : '/admin/projects')
    // A new account is not signed in yet: sign in with the password just chosen.
    else this.router.value?.navigate({ name: 'signin', next: project ? projectHref(project.id) : null })
  }

  private body() {
    if (!this.token) return errorAlert('This page needs the whole invitation link, including the part after #token=.')
    const r = this.info
    if (r.error) return errorAlert(r.error)
    if (!r.value) return loading()
    const i = r.value
    if (i.status !== 'pending')
      return html`<div class="alert warn" role="alert">This invitation is ${i.status}. Ask for a new one.</div>`
    const a = this.accept
    const where = i.project?.name ?? (i.team ? `the team ${i.team.name}` : 'a project')
    const intro = html`<p class="lead">You are invited to <strong>${where}</strong> as
      ${roleBadge(i.role)} with <strong>${i.email}</strong>.</p>`
    if (i.accountExists && this.user?.email.toLowerCase() !== i.email.toLowerCase()) {
      return html`${intro}
        <div class="alert info">An account already uses ${i.email}. Sign in with it, then open the link again.</div>
        <p class="foot"><a class="btn primary" href=${hrefOf({ name: 'signin', next: location.pathname + location.hash })}>Sign in</a></p>`
    }
    return html`${intro}
      <form @submit=${this.onSubmit} novalidate>
        ${errorAlert(a.general(['name', 'password']))}
        ${
          i.accountExists
            ? nothing
            : html`<div class="field">
                  <label for="name">Your name</label>
                  <input id="name" name="name" autocomplete="name" />
                </div>
                <div class="field">
                  <label for="password">Choose a password</label>
                  <input id="password" name="password" type="password" autocomplete="new-password" minlength=${MIN_PASSWORD}
                    aria-invalid=${a.field('password') ? 'true' : 'false'} aria-describedby="password-error" />
                  ${fieldError('password', a.field('password'))}
                </div>`
        }
        <button class="primary" type="submit" ?disabled=${a.busy}>${i.accountExists ? 'Join the project' : 'Create account and join'}</button>
      </form>`
  }

  override render() {
    return html`<div class="panel">
      <div class="brand"><span class="logo" aria-hidden="true">m</span>mcpo</div>
      <div class="card"><h1>Invitation</h1>${this.body()}</div>
    </div>`
  }
}

customElements.define('mcpo-invite-accept', McpoInviteAccept)
