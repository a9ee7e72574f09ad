// <mcpo-server-oauth project-id server-name>: the server modal's Authorization block for a server behind OAuth
// (issue 22): whether the project (or, on a per-user server, the caller's own account) is connected to the provider,
// a Connect link (a top-level navigation: the provider's pages follow it and send the browser back here) and
// Disconnect. Events out: `oauth-changed` after a disconnect (the gateway restarted the server's connections).
import { css, html, LitElement, nothing } from 'lit'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import {
  connectHref,
  isProjectOwner,
  membersConnected,
  oauthExplanation,
  oauthHeadline,
  oauthRights,
  oauthState,
  type UpstreamOAuthStatus,
} from '../lib/upstream-oauth.ts'
import { projectHref } from '../router.ts'
import { base } from '../styles.ts'
import { breakable, errorAlert, loading, time } from './template-pieces.ts'
import { consumeApi, consumeProject, consumeUser, notify, shared } from './view-support.ts'
import './mcpo-confirm-button.ts'

const BADGE = {
  connected: ['ok', 'connected'],
  'needs-reauth': ['bad', 'needs re-authorization'],
  'not-connected': ['warn', 'not connected'],
} as const

export class McpoServerOAuth extends LitElement {
  static override properties = {
    projectId: { attribute: 'project-id' },
    serverName: { attribute: 'server-name' },
  }
  static override styles = [
    base,
    shared,
    css`
      .head {
        margin-bottom: 12px;
      }
      .head h3 {
        margin: 0;
      }
      .facts {
        display: grid;
        gap: 4px;
      }
      .facts p {
        margin: 0;
      }
      .headline {
        font-weight: 500;
        overflow-wrap: anywhere;
      }
      .actions,
      .alert {
        margin-top: 12px;
      }
    `,
  ]
  declare projectId: string
  declare serverName: string

  private readonly apiC = consumeApi(this)
  private readonly userC = consumeUser(this)
  private readonly projectC = consumeProject(this)
  private readonly action = new Action(this)
  private readonly path = () =>
    `/api/projects/${encodeURIComponent(this.projectId)}/servers/${encodeURIComponent(this.serverName)}/oauth`
  private readonly status = new Resource<UpstreamOAuthStatus>(this, {
    load: (signal) => this.apiC.value!.get<UpstreamOAuthStatus>(this.path(), { signal }),
    deps: () => [this.projectId, this.serverName, this.apiC.value],
    enabled: () => Boolean(this.projectId && this.serverName && this.apiC.value),
  })

  constructor() {
    super()
    this.projectId = ''
    this.serverName = ''
  }

  private async disconnect() {
    const ok = await this.action.run(() => this.apiC.value!.delete(this.path()).then(() => true))
    if (!ok) return
    notify(this, this.status.value?.credentials === 'user' ? 'Your account is disconnected' : 'Disconnected')
    void this.status.reload(true)
    this.dispatchEvent(new CustomEvent('oauth-changed', { detail: { name: this.serverName } }))
  }

  override render() {
    return html`<section class="card" aria-labelledby="oauth-title">
      <div class="row head">
        <h3 id="oauth-title">Authorization</h3>
        ${this.status.value ? this.badge(this.status.value) : nothing}
        <span class="muted small">OAuth${this.status.value ? html` · ${this.status.value.credentials === 'user' ? "each member's own account" : "the project's credentials"}` : nothing}</span>
      </div>
      ${this.status.error && !this.status.value ? errorAlert(this.status.error, () => this.status.reload()) : nothing}
      ${this.status.value ? this.renderStatus(this.status.value) : this.status.error ? nothing : loading('Loading authorization')}
    </section>`
  }

  private badge(s: UpstreamOAuthStatus) {
    const [cls, label] = BADGE[oauthState(s)]
    return html`<span class="badge ${cls}"><span class="dot"></span>${label}</span>`
  }

  private renderStatus(s: UpstreamOAuthStatus) {
    const owner = isProjectOwner(this.userC.value, this.projectC.value)
    const may = oauthRights(s.credentials, owner)
    const perUser = s.credentials === 'user'
    const state = oauthState(s)
    const back = projectHref(this.projectId, 'servers', this.serverName)
    const connectLabel = `${state === 'not-connected' ? 'Connect' : 'Reconnect'}${perUser ? ' your account' : ''}`
    const [lead, issuer] = oauthHeadline(s)
    return html`<div class="facts">
      <p class="headline" data-oauth-state=${state}>${lead}${issuer ? html`<span class="mono">${breakable(issuer)}</span>` : nothing}</p>
      ${
        state === 'connected'
          ? html`<p class="muted small">${
              s.expiresAt
                ? Date.parse(s.expiresAt) > Date.now()
                  ? html`Access token expires ${time(s.expiresAt)}; renewed automatically.`
                  : html`Access token expired ${time(s.expiresAt)}; renewed on the next call.`
                : 'The access token does not expire.'
            }${s.scope ? html` Scope: <span class="mono">${s.scope}</span>.` : nothing}</p>`
          : nothing
      }
      <p class="muted small">${oauthExplanation(s, owner)}</p>
      ${may.seeMembers && s.connectedUsers !== null ? html`<p class="small" data-members>${membersConnected(s.connectedUsers)}</p>` : nothing}
      </div>
      ${errorAlert(this.action.error)}
      ${
        may.connect || (may.disconnect && s.status !== null)
          ? html`<div class="row actions">
            ${
              may.connect
                ? html`<a class="btn small ${state === 'connected' ? '' : 'primary'}" href=${connectHref(s.connectUrl, s.credentials, back)}>${connectLabel}</a>`
                : nothing
            }
            ${
              may.disconnect && s.status !== null
                ? html`<mcpo-confirm-button label=${perUser ? 'Disconnect my account' : 'Disconnect'}
                  question=${perUser ? 'Disconnect your account? Your calls are refused until you connect again.' : "Disconnect? Every member's calls are refused until an Owner connects again."}
                  confirm-label="Disconnect" ?disabled=${this.action.busy} @confirm=${() => this.disconnect()}></mcpo-confirm-button>`
                : nothing
            }
          </div>`
          : nothing
      }`
  }
}

customElements.define('mcpo-server-oauth', McpoServerOAuth)
