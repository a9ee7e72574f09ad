// Standalone views for admins' own portals: <mcpo-embed-servers>, <mcpo-embed-members>, <mcpo-embed-keys> and
// <mcpo-embed-activity>. Each takes `api-base` (the gateway's URL; empty for the same origin), `token` (a session
// token from POST /api/auth/login, sent as Bearer; project API keys may read servers, members and activity but not
// manage keys) and `project-id`, and works without the app shell: it provides the API client, the project and the
// user to the console components inside it, and carries the design tokens so the host page needs no stylesheet.
import { ContextProvider } from '@lit/context'
import { css, html, LitElement, nothing, type PropertyValues } from 'lit'
import { ApiClient } from '../api-client.ts'
import type { ApiKey, NewApiKey, Page, Project, ProjectMember, Server, User } from '../api-types.ts'
import { apiContext, projectContext, userContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { base } from '../styles.ts'
import { empty, errorAlert, fieldError, loading, roleBadge, stateBadge, time } from './parts.ts'
import { copyText, rightsOf, shared } from './ui2-shared.ts'
import './mcpo-activity-tab.ts'
import './mcpo-server-detail.ts'

/** The console's design tokens (page.css), on the host so every shadow root below inherits them. */
const tokens = css`
  :host {
    --bg: #f6f7f9;
    --surface: #ffffff;
    --subtle: #f3f4f6;
    --hover: #eef0f3;
    --fg: #111827;
    --muted: #6b7280;
    --border: #e5e7eb;
    --border-strong: #d1d5db;
    --accent: #4f46e5;
    --accent-strong: #4338ca;
    --accent-bg: #eef2ff;
    --focus: #6366f1;
    --ok: #047857;
    --ok-bg: #ecfdf5;
    --warn: #b45309;
    --warn-bg: #fffbeb;
    --danger: #dc2626;
    --danger-strong: #b91c1c;
    --danger-bg: #fef2f2;
    --code-bg: #0f172a;
    --code-fg: #e2e8f0;
    --radius: 6px;
    --radius-lg: 10px;
    --gap: 16px;
    --shadow: 0 1px 2px rgba(16, 24, 40, 0.04);
    --mono: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
    display: block;
    font-family: Inter, ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    font-size: 15px;
    line-height: 1.45;
  }
`

/** What every embedded view shares: attributes, the API client and the project and user contexts. */
abstract class EmbedBase extends LitElement {
  static override properties = {
    apiBase: { attribute: 'api-base' },
    token: {},
    projectId: { attribute: 'project-id' },
  }
  static override styles = [tokens, base, shared]
  declare apiBase: string
  declare token: string
  declare projectId: string
  protected readonly apiP = new ContextProvider(this, { context: apiContext, initialValue: new ApiClient() })
  protected readonly projectP = new ContextProvider(this, { context: projectContext, initialValue: null })
  protected readonly userP = new ContextProvider(this, { context: userContext, initialValue: null })
  protected readonly project = new Resource<Project>(this, {
    load: (signal) => this.api.get<Project>(`/api/projects/${encodeURIComponent(this.projectId)}`, { signal }),
    deps: () => [this.projectId, this.api],
    enabled: () => Boolean(this.projectId),
  })
  /** Only session tokens have a user; with an API key (or before configuration) the views stay read-only. */
  protected readonly me = new Resource<User | null>(this, {
    load: (signal) => this.api.get<User>('/api/auth/me', { signal }).catch(() => null),
    deps: () => [this.api, this.projectId],
    enabled: () => Boolean(this.projectId) && !this.token.startsWith('mcp_proj_'),
  })

  constructor() {
    super()
    this.apiBase = ''
    this.token = ''
    this.projectId = ''
  }

  get api(): ApiClient {
    return this.apiP.value
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('apiBase') || changed.has('token')) {
      // Bearer only: a portal's page has no mcpo cookie, and the CSRF header is for cookie sessions.
      this.apiP.setValue(new ApiClient({ baseUrl: this.apiBase, token: this.token || null, csrfToken: () => null }))
    }
    if (this.project.value !== this.projectP.value) this.projectP.setValue(this.project.value ?? null)
    if ((this.me.value ?? null) !== this.userP.value) this.userP.setValue(this.me.value ?? null)
  }

  protected get rights() {
    return rightsOf(this.project.value, this.me.value)
  }

  protected frame(title: string, body: unknown) {
    if (!this.projectId) return html`<div class="alert error">Set the project-id attribute.</div>`
    if (this.project.error) return errorAlert(this.project.error, () => this.project.reload())
    return html`<section aria-label=${title}>${body}</section>`
  }
}

export class McpoEmbedServers extends EmbedBase {
  static override properties = { ...EmbedBase.properties, selected: { state: true } }
  declare selected: string | null
  private readonly action = new Action(this)
  private readonly servers = new Resource<Server[]>(this, {
    load: (signal) => this.api.get<Server[]>(`/api/projects/${encodeURIComponent(this.projectId)}/servers`, { signal }),
    deps: () => [this.projectId, this.api],
    enabled: () => Boolean(this.projectId),
    pollMs: 5000,
  })

  constructor() {
    super()
    this.selected = null
  }

  private async act(s: Server, verb: 'enable' | 'disable' | 'restart') {
    const path = `/api/projects/${encodeURIComponent(this.projectId)}/servers/${encodeURIComponent(s.name)}/${verb}`
    await this.action.run(() => this.api.post(path), s.name)
    await this.servers.reload(true)
  }

  override render() {
    const list = this.servers.value
    const manage = this.rights.manageServers
    return this.frame(
      'Servers',
      html`${this.action.error ? errorAlert(this.action.error) : nothing}
        <div class="card flush">
          <header class="card-head"><h2>Servers</h2><span class="spacer"></span>
            <span class="muted small">${list ? `${list.length} server${list.length === 1 ? '' : 's'}` : ''}</span></header>
          ${
            this.servers.error && !list
              ? html`<div class="card-head">${errorAlert(this.servers.error, () => this.servers.reload())}</div>`
              : !list
                ? html`<div class="card-head">${loading('Loading servers')}</div>`
                : list.length === 0
                  ? empty('No servers', 'This project has no MCP servers yet.')
                  : html`<div class="table-wrap"><table>
                    <thead><tr><th>Server</th><th>Status</th><th class="hide-narrow">Transport</th><th><span class="sr-only">Actions</span></th></tr></thead>
                    <tbody>${list.map(
                      (s) => html`<tr>
                        <td><button class="link" type="button" @click=${() => (this.selected = s.name)}>${s.name}</button>
                          <div class="muted small">${s.description}</div></td>
                        <td>${stateBadge(s.status.state, s.enabled)}</td>
                        <td class="hide-narrow">${s.transport}</td>
                        <td class="actions">
                          ${
                            manage
                              ? s.enabled
                                ? html`<button class="small" type="button" @click=${() => this.act(s, 'restart')}>Restart</button>
                                  <button class="small" type="button" @click=${() => this.act(s, 'disable')}>Disable</button>`
                                : html`<button class="small" type="button" @click=${() => this.act(s, 'enable')}>Enable</button>`
                              : nothing
                          }
                          <button class="small" type="button" @click=${() => (this.selected = s.name)}>Details</button>
                        </td>
                      </tr>`,
                    )}</tbody>
                  </table></div>`
          }
        </div>
        <mcpo-server-detail .projectId=${this.projectId} .serverName=${this.selected ?? ''} ?open=${this.selected !== null}
          @close=${() => (this.selected = null)} @server-changed=${() => this.servers.reload(true)}
          @server-deleted=${() => this.servers.reload(true)}></mcpo-server-detail>`,
    )
  }
}

export class McpoEmbedMembers extends EmbedBase {
  private readonly members = new Resource<Page<ProjectMember>>(this, {
    load: (signal) =>
      this.api.get<Page<ProjectMember>>(`/api/projects/${encodeURIComponent(this.projectId)}/members`, {
        query: { limit: 200 },
        signal,
      }),
    deps: () => [this.projectId, this.api],
    enabled: () => Boolean(this.projectId),
  })

  override render() {
    const page = this.members.value
    return this.frame(
      'Members',
      html`<div class="card flush">
        <header class="card-head"><h2>Members</h2></header>
        ${
          this.members.error && !page
            ? html`<div class="card-head">${errorAlert(this.members.error, () => this.members.reload())}</div>`
            : !page
              ? html`<div class="card-head">${loading('Loading members')}</div>`
              : page.items.length === 0
                ? empty('No members', 'Project owners invite members from the console.')
                : html`<div class="table-wrap"><table>
                  <thead><tr><th>Member</th><th>Role</th><th class="hide-narrow">Joined through</th><th class="hide-narrow">Since</th></tr></thead>
                  <tbody>${page.items.map(
                    (
                      m,
                    ) => html`<tr><td>${m.email}<div class="muted small">${m.name}</div></td><td>${roleBadge(m.effectiveRole)}</td>
                      <td class="hide-narrow">${m.inviteSource}</td><td class="hide-narrow">${time(m.createdAt)}</td></tr>`,
                  )}</tbody>
                </table></div>`
        }
      </div>`,
    )
  }
}

export class McpoEmbedKeys extends EmbedBase {
  static override properties = { ...EmbedBase.properties, name: { state: true }, created: { state: true } }
  declare name: string
  declare created: NewApiKey | null
  private readonly action = new Action(this)
  private readonly keys = new Resource<ApiKey[]>(this, {
    load: (signal) =>
      this.api.get<ApiKey[]>(`/api/projects/${encodeURIComponent(this.projectId)}/api-keys`, { signal }),
    deps: () => [this.projectId, this.api],
    enabled: () => Boolean(this.projectId),
  })

  constructor() {
    super()
    this.name = ''
    this.created = null
  }

  private async create(e: Event) {
    e.preventDefault()
    const path = `/api/projects/${encodeURIComponent(this.projectId)}/api-keys`
    const key = await this.action.run(() => this.api.post<NewApiKey>(path, { name: this.name.trim() }))
    if (!key) return
    this.created = key
    this.name = ''
    await this.keys.reload(true)
  }

  private async revoke(k: ApiKey) {
    const path = `/api/projects/${encodeURIComponent(this.projectId)}/api-keys/${k.id}`
    await this.action.run(() => this.api.delete(path), k.id)
    await this.keys.reload(true)
  }

  override render() {
    const list = this.keys.value
    const general = this.action.error && !this.action.field('name') ? this.action.error.message : null
    return this.frame(
      'API keys',
      html`<div class="card flush">
        <header class="card-head"><h2>API keys</h2></header>
        ${
          this.me.value
            ? html`<form class="card-head toolbar" @submit=${this.create} novalidate aria-label="Create an API key">
              <div class="field"><label for="k-name">New key name</label>
                <input id="k-name" .value=${this.name} aria-invalid=${Boolean(this.action.field('name'))} aria-describedby="k-name-error"
                  @input=${(e: Event) => (this.name = (e.target as HTMLInputElement).value)} />
                ${fieldError('k-name', this.action.field('name'))}</div>
              <button class="primary" type="submit" ?disabled=${this.action.busy || !this.name.trim()}>Create key</button>
            </form>`
            : html`<p class="card-head muted small">Sign in with a user session token to create or revoke keys.</p>`
        }
        ${general ? html`<div class="card-head">${errorAlert(general)}</div>` : nothing}
        ${
          this.created
            ? html`<div class="card-head alert info" role="status">
              <div><b>Copy this key now.</b> It is shown once.</div>
              <div class="copy-field"><code class="mono">${this.created.key}</code>
                <button class="small" type="button" @click=${() => copyText(this.created?.key ?? '')}>Copy</button>
                <button class="small" type="button" @click=${() => (this.created = null)}>Done</button></div>
            </div>`
            : nothing
        }
        ${
          this.keys.error && !list
            ? html`<div class="card-head">${errorAlert(this.keys.error, () => this.keys.reload())}</div>`
            : !list
              ? html`<div class="card-head">${loading('Loading keys')}</div>`
              : list.length === 0
                ? empty('No keys', 'Create a key to connect an MCP client to this project.')
                : html`<div class="table-wrap"><table>
                  <thead><tr><th>Key</th><th>Status</th><th class="hide-narrow">Last used</th><th><span class="sr-only">Actions</span></th></tr></thead>
                  <tbody>${list.map(
                    (k) => html`<tr><td>${k.name}<div class="mono small muted">${k.preview}</div></td>
                      <td><span class="badge ${k.status === 'active' ? 'ok' : 'bad'}">${k.status}</span></td>
                      <td class="hide-narrow">${time(k.lastUsedAt)}</td>
                      <td class="actions">${
                        k.status === 'active' && k.source !== 'config' && this.me.value
                          ? html`<mcpo-confirm-button label="Revoke" question="Revoke ${k.name}? Clients using it stop at once."
                            @confirm=${() => this.revoke(k)}></mcpo-confirm-button>`
                          : nothing
                      }</td></tr>`,
                  )}</tbody>
                </table></div>`
        }
      </div>`,
    )
  }
}

export class McpoEmbedActivity extends EmbedBase {
  override render() {
    return this.frame(
      'Activity',
      html`<mcpo-activity-tab .projectId=${this.projectId} .apiLink=${false}></mcpo-activity-tab>`,
    )
  }
}

customElements.define('mcpo-embed-servers', McpoEmbedServers)
customElements.define('mcpo-embed-members', McpoEmbedMembers)
customElements.define('mcpo-embed-keys', McpoEmbedKeys)
customElements.define('mcpo-embed-activity', McpoEmbedActivity)
