// The root element: owns the API client and the router, provides them (and the signed-in user) as contexts, keeps
// signed-out visitors on the public pages, routes links without reloads, and shows the page of the current route.
import { ContextProvider } from '@lit/context'
import { css, html, LitElement, nothing, type TemplateResult } from 'lit'
import { ApiClient, csrfFromCookie, isApiError } from '../api-client.ts'
import type { User } from '../api-types.ts'
import { apiContext, routerContext, userContext } from '../contexts.ts'
import { browserHistory, hrefOf, isRouterClick, PUBLIC_ROUTES, type Route, Router } from '../router.ts'
import { base } from '../styles.ts'
import { loading } from './template-pieces.ts'
import './mcpo-top-bar.ts'
import './mcpo-sign-in.ts'
import './mcpo-setup.ts'
import './mcpo-invite-accept.ts'
import './mcpo-verify-email.ts'
import './mcpo-profile.ts'
import './mcpo-projects-page.ts'
import './mcpo-teams-page.ts'
import './mcpo-team-page.ts'
import './mcpo-project-page.ts'
import './mcpo-tools-tab.ts'
import './mcpo-activity-tab.ts'
import './mcpo-server-detail.ts'
import './mcpo-server-import.ts'
import './mcpo-catalog-picker.ts'
import './mcpo-admin-users.ts'
import './mcpo-admin-catalog.ts'
import './mcpo-admin-project-templates.ts'
import './mcpo-admin-status.ts'
import './mcpo-favorite-toggle.ts'
import './mcpo-admin-keys.ts'
import './mcpo-admin-projects.ts'
import './mcpo-admin-teams.ts'
import './mcpo-admin-events.ts'
import './mcpo-consent.ts'

/** Events any page may send up to the app. */
export interface AppEvents {
  'mcpo-signed-in': CustomEvent<User>
  'mcpo-signed-out': Event
  /** A short notice at the bottom of the screen ("Copied", "Server restarted"). */
  'mcpo-toast': CustomEvent<string>
}

export class McpoApp extends LitElement {
  static override properties = {
    user: { state: true },
    checked: { state: true },
    route: { state: true },
    notice: { state: true },
  }
  static override styles = [
    base,
    css`
      :host {
        display: block;
        min-height: 100vh;
      }
      main {
        max-width: 1200px;
        margin: 0 auto;
        padding: 28px 24px 64px;
      }
      .toast {
        position: fixed;
        left: 50%;
        bottom: 24px;
        transform: translateX(-50%);
        background: var(--topbar);
        color: #fff;
        padding: 10px 16px;
        border-radius: var(--radius);
        font-size: 0.875rem;
        box-shadow: 0 8px 24px rgba(0, 0, 0, 0.2);
        z-index: 100;
      }
      @media (max-width: 640px) {
        main {
          padding: 18px 14px 48px;
        }
      }
    `,
  ]

  declare user: User | null
  declare checked: boolean
  declare route: Route
  declare notice: string | null

  private readonly router = new Router(browserHistory())
  private readonly api = new ApiClient({ onUnauthenticated: () => this.lostSession() })
  private readonly apiProvider = new ContextProvider(this, { context: apiContext, initialValue: this.api })
  private readonly routerProvider = new ContextProvider(this, { context: routerContext, initialValue: this.router })
  private readonly userProvider = new ContextProvider(this, { context: userContext, initialValue: null })
  private unsubscribe: (() => void) | null = null
  private noticeTimer: ReturnType<typeof setTimeout> | null = null

  constructor() {
    super()
    this.user = null
    this.checked = false
    this.route = this.router.route
    this.notice = null
    this.addEventListener('click', (e) => this.onClick(e))
    this.addEventListener('mcpo-signed-in', (e) => this.signedIn((e as CustomEvent<User>).detail))
    this.addEventListener('mcpo-signed-out', () => void this.signOut())
    this.addEventListener('mcpo-toast', (e) => this.showNotice((e as CustomEvent<string>).detail))
  }

  override connectedCallback(): void {
    super.connectedCallback()
    // The providers exist from construction; the values are what matter to consumers.
    void this.apiProvider
    void this.routerProvider
    this.unsubscribe = this.router.subscribe((route) => {
      this.route = route
      globalThis.scrollTo?.(0, 0)
    })
    void this.loadUser()
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.unsubscribe?.()
  }

  private async loadUser(): Promise<void> {
    // No CSRF cookie means no session: skip the request rather than provoke a 401 on every signed-out visit.
    if (!csrfFromCookie(document.cookie)) {
      this.setUser(null)
      this.checked = true
      return
    }
    try {
      this.setUser(await this.api.get<User>('/api/auth/me'))
    } catch (err) {
      if (!isApiError(err, 401)) console.warn('could not load the signed-in user', err)
      this.setUser(null)
    }
    this.checked = true
  }

  private setUser(user: User | null): void {
    this.user = user
    this.userProvider.setValue(user)
  }

  private signedIn(user: User): void {
    this.setUser(user)
    const r = this.route
    this.router.navigate(r.name === 'signin' && r.next ? r.next : '/admin/projects', { replace: true })
  }

  private async signOut(): Promise<void> {
    await this.api.post('/api/auth/logout').catch(() => undefined)
    this.setUser(null)
    this.router.navigate({ name: 'signin', next: null })
  }

  /** A 401 on any call: the session expired or the user was disabled. */
  private lostSession(): void {
    if (!this.user) return
    this.setUser(null)
    this.showNotice('Your session ended. Sign in again.')
  }

  private showNotice(message: string): void {
    this.notice = message
    if (this.noticeTimer) clearTimeout(this.noticeTimer)
    this.noticeTimer = setTimeout(() => (this.notice = null), 2600)
  }

  private onClick(e: MouseEvent): void {
    const anchor = e.composedPath().find((n): n is HTMLAnchorElement => n instanceof HTMLAnchorElement)
    if (!anchor) return
    const to = isRouterClick(
      e,
      { href: anchor.href, target: anchor.target, hasDownload: anchor.hasAttribute('download') },
      location.origin,
    )
    if (!to) return
    e.preventDefault()
    this.router.navigate(to)
  }

  protected override updated(): void {
    if (!this.checked) return
    const r = this.route
    // Redirects happen after render so the URL and the page always agree.
    if (!this.user && !PUBLIC_ROUTES.has(r.name)) {
      const here = location.pathname + location.search
      this.router.navigate({ name: 'signin', next: r.name === 'home' ? null : here }, { replace: true })
    } else if (this.user && r.name === 'home') {
      this.router.navigate('/admin/projects', { replace: true })
    } else if (this.user && r.name === 'signin') {
      this.router.navigate(r.next ?? '/admin/projects', { replace: true })
    }
  }

  override render(): TemplateResult {
    const toastEl = this.notice
      ? html`<div class="toast" role="status" aria-live="polite">${this.notice}</div>`
      : nothing
    if (!this.checked) return html`<main>${loading('Starting')}</main>`
    const r = this.route
    if (r.name === 'signin') return html`<mcpo-sign-in .next=${r.next}></mcpo-sign-in>${toastEl}`
    if (r.name === 'setup') return html`<mcpo-setup></mcpo-setup>`
    if (r.name === 'invite') return html`<mcpo-invite-accept .user=${this.user}></mcpo-invite-accept>${toastEl}`
    if (r.name === 'verify-email') return html`<mcpo-verify-email></mcpo-verify-email>${toastEl}`
    if (!this.user) {
      return html`<main>${r.name === 'not-found' ? this.notFound() : loading('Redirecting to sign-in')}</main>`
    }
    // The consent page stands alone, like sign-in: the user is deciding about an app, not working in the console.
    if (r.name === 'consent') return html`<mcpo-consent .uid=${r.uid} .user=${this.user}></mcpo-consent>${toastEl}`
    return html`<mcpo-top-bar .user=${this.user} .route=${r}></mcpo-top-bar>
      <main id="main">${this.page(r, this.user)}</main>
      ${toastEl}`
  }

  private page(r: Route, user: User): TemplateResult {
    switch (r.name) {
      case 'profile':
        return html`<mcpo-profile .user=${user}></mcpo-profile>`
      case 'projects':
        return html`<mcpo-projects-page></mcpo-projects-page>`
      case 'teams':
        return html`<mcpo-teams-page></mcpo-teams-page>`
      case 'team':
        return html`<mcpo-team-page .teamId=${r.team} .tab=${r.tab}></mcpo-team-page>`
      case 'project':
        return html`<mcpo-project-page .projectId=${r.projectId} .tab=${r.tab} .server=${r.server}></mcpo-project-page>`
      case 'system':
        if (!user.isAdmin) return this.notFound('Only administrators can see this page.')
        if (r.page === 'users') return html`<mcpo-admin-users></mcpo-admin-users>`
        if (r.page === 'teams') return html`<mcpo-admin-teams></mcpo-admin-teams>`
        if (r.page === 'projects') return html`<mcpo-admin-projects></mcpo-admin-projects>`
        if (r.page === 'keys') return html`<mcpo-admin-keys></mcpo-admin-keys>`
        if (r.page === 'catalog') return html`<mcpo-admin-catalog></mcpo-admin-catalog>`
        if (r.page === 'project-templates') return html`<mcpo-admin-project-templates></mcpo-admin-project-templates>`
        if (r.page === 'events') return html`<mcpo-admin-events></mcpo-admin-events>`
        return html`<mcpo-admin-status></mcpo-admin-status>`
      case 'home':
        return loading()
      default:
        return this.notFound()
    }
  }

  private notFound(reason = 'There is no page at this address.'): TemplateResult {
    return html`<div class="card empty">
      <h3>Page not found</h3>
      <p>${reason}</p>
      <a class="btn primary" href=${hrefOf({ name: 'projects' })}>Go to My Projects</a>
    </div>`
  }
}

customElements.define('mcpo-app', McpoApp)
