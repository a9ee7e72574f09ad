// The Servers tab: every server of the project with its live state (refreshed every few seconds), enable, disable,
// restart, edit and delete (after a confirmation) for those who may manage servers, the add form, and a link from
// each card to the server's detail view.
import { ContextConsumer } from '@lit/context'
import { css, html, LitElement, nothing } from 'lit'
import type { Project, Server } from '../api-types.ts'
import { apiContext, userContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { canProject } from '../permissions.ts'
import { projectHref } from '../router.ts'
import { base } from '../styles.ts'
import type { McpoConfirm } from './mcpo-confirm.ts'
import './mcpo-confirm.ts'
import './mcpo-server-form.ts'
import { empty, errorAlert, lastErrorLine, loading, stateBadge, toast } from './template-pieces.ts'

const TRANSPORT: Record<Server['transport'], string> = {
  stdio: 'stdio',
  sse: 'SSE',
  'streamable-http': 'Streamable HTTP',
}

export class McpoServersTab extends LitElement {
  static override properties = {
    project: { attribute: false },
    editing: { state: true },
    importing: { state: true },
    picking: { state: true },
  }
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      .toolbar {
        display: flex;
        justify-content: space-between;
        align-items: center;
        gap: 10px;
        margin-bottom: 16px;
        flex-wrap: wrap;
      }
      mcpo-server-form {
        display: block;
        margin-bottom: 20px;
      }
      .server {
        display: flex;
        flex-direction: column;
        gap: 10px;
      }
      .server header {
        display: flex;
        align-items: flex-start;
        gap: 10px;
      }
      .server h3 {
        flex: 1;
        min-width: 0;
        overflow-wrap: anywhere;
      }
      .server h3 a {
        color: var(--fg);
      }
      .target {
        font-family: var(--mono);
        font-size: 0.75rem;
        color: var(--muted);
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .facts {
        display: flex;
        gap: 12px;
        flex-wrap: wrap;
        font-size: 0.75rem;
        color: var(--muted);
      }
      .last-error {
        font-size: 0.75rem;
        color: var(--danger);
        overflow-wrap: anywhere;
      }
      .last-error.past {
        color: var(--muted);
      }
      .last-error .when {
        font-weight: 600;
      }
      .server.down {
        border-color: var(--danger);
        box-shadow: inset 3px 0 0 var(--danger);
      }
      .actions {
        display: flex;
        gap: 6px;
        flex-wrap: wrap;
        margin-top: auto;
        padding-top: 4px;
      }
      .grid {
        grid-template-columns: repeat(auto-fill, minmax(320px, 1fr));
      }
      @media (max-width: 640px) {
        .grid {
          grid-template-columns: minmax(0, 1fr);
        }
      }
    `,
  ]

  /** The server being edited, 'new' for the add form, or null. */
  declare editing: Server | 'new' | null
  declare project: Project
  /** The paste-JSON import and the catalog picker are open. */
  declare importing: boolean
  declare picking: boolean

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly user = new ContextConsumer(this, { context: userContext, subscribe: true })
  private readonly act = new Action(this)
  private readonly servers = new Resource(this, {
    load: (signal) =>
      this.api.value!.get<Server[]>(`/api/projects/${encodeURIComponent(this.project.id)}/servers`, { signal }),
    deps: () => [this.project.id],
    pollMs: 4000,
  })

  constructor() {
    super()
    this.editing = null
    this.importing = false
    this.picking = false
  }

  private path(s: Server, verb = ''): string {
    return `/api/projects/${encodeURIComponent(this.project.id)}/servers/${encodeURIComponent(s.name)}${verb}`
  }

  private async run(s: Server, verb: 'enable' | 'disable' | 'restart'): Promise<void> {
    await this.act.run(() => this.api.value!.post(this.path(s, `/${verb}`)), s.name)
    if (!this.act.error) toast(this, `${s.name}: ${verb === 'restart' ? 'restarting' : `${verb}d`}`)
    await this.servers.reload(true)
  }

  private async removeItem(s: Server): Promise<void> {
    const ok = await this.renderRoot.querySelector<McpoConfirm>('mcpo-confirm')!.ask({
      title: `Delete ${s.name}?`,
      message:
        'Its process stops, its endpoints answer 404 and clients configured with them lose its tools. This cannot be undone.',
      confirmLabel: 'Delete server',
      expect: s.name,
    })
    if (!ok) return
    await this.act.run(() => this.api.value!.delete(this.path(s)), s.name)
    if (!this.act.error) toast(this, `${s.name} deleted`)
    await this.servers.reload(true)
  }

  private saved(e: CustomEvent<Server>): void {
    toast(this, `${e.detail.name} saved`)
    this.editing = null
    void this.servers.reload(true)
  }

  override render() {
    const manage = !this.project.archived && canProject(this.user.value ?? null, this.project, 'servers.manage')
    const canStdio = canProject(this.user.value ?? null, this.project, 'servers.defineStdio')
    const r = this.servers
    const count = r.value?.length ?? 0
    const names = (r.value ?? []).map((s) => s.name)
    return html`<div class="toolbar">
        <p class="muted small">${r.value ? `${count} server${count === 1 ? '' : 's'} · status refreshes every few seconds` : ''}</p>
        ${
          manage && this.editing === null
            ? html`<div class="row">
                <button @click=${() => (this.picking = true)}>From catalog</button>
                <button @click=${() => (this.importing = true)}>Import JSON</button>
                <button class="primary" @click=${() => (this.editing = 'new')}>Add server</button>
              </div>`
            : nothing
        }
      </div>
      ${
        manage
          ? html`<mcpo-server-import .projectId=${this.project.id} .open=${this.importing} .existing=${names}
                @close=${() => (this.importing = false)} @imported=${() => void this.servers.reload(true)}></mcpo-server-import>
              <mcpo-catalog-picker .projectId=${this.project.id} .open=${this.picking} .existing=${names}
                @close=${() => (this.picking = false)} @added=${() => void this.servers.reload(true)}></mcpo-catalog-picker>`
          : nothing
      }
      ${
        this.editing !== null
          ? html`<mcpo-server-form .projectId=${this.project.id} .server=${this.editing === 'new' ? null : this.editing}
              .canStdio=${canStdio} @mcpo-server-saved=${this.saved} @mcpo-cancel=${() => (this.editing = null)}></mcpo-server-form>`
          : nothing
      }
      ${errorAlert(this.act.error)}
      ${
        r.error && !r.value
          ? errorAlert(r.error, () => r.reload())
          : !r.value
            ? loading('Loading servers')
            : !count
              ? html`<div class="card">${empty(
                  'No servers yet',
                  manage
                    ? 'Add an MCP server (a remote URL, or a local command if you are an administrator); its tools become available at this project’s endpoints.'
                    : 'A project owner or developer can add MCP servers here.',
                  manage && this.editing === null
                    ? html`<button class="primary" @click=${() => (this.editing = 'new')}>Add a server</button>`
                    : undefined,
                )}</div>`
              : html`<div class="grid">${r.value.map((s) => this.card(s, manage))}</div>`
      }
      <mcpo-confirm></mcpo-confirm>`
  }

  private card(s: Server, manage: boolean) {
    const busy = this.act.busy && this.act.subject === s.name
    const target = s.transport === 'stdio' ? [s.command, ...s.args].join(' ') : (s.url ?? '')
    const readOnly = s.source === 'config'
    const secrets = Object.keys(s.env).length + Object.keys(s.headers).length
    const down = s.enabled && s.status.health === 'down'
    return html`<article class="card server ${down ? 'down' : ''}" aria-label=${s.name}>
      <header>
        <h3><a href=${projectHref(this.project.id, 'servers', s.name)}>${s.name}</a></h3>
        ${stateBadge(s.status.state, s.enabled, s.status.health)}
      </header>
      ${s.description ? html`<p class="small">${s.description}</p>` : nothing}
      <div class="target" title=${target}>${target}</div>
      <div class="facts">
        <span>${TRANSPORT[s.transport]}</span>
        ${s.status.pid ? html`<span>pid ${s.status.pid}</span>` : nothing}
        ${s.status.restarts ? html`<span>${s.status.restarts} restarts</span>` : nothing}
        ${secrets ? html`<span>${secrets} ${secrets === 1 ? 'secret' : 'secrets'}</span>` : nothing}
        ${readOnly ? html`<span class="badge">from config file</span>` : nothing}
      </div>
      ${lastErrorLine(s.status)}
      <div class="actions">
        <a class="btn small" href=${projectHref(this.project.id, 'servers', s.name)}>Details</a>
        ${
          manage
            ? html`${
                s.enabled
                  ? html`<button class="small" ?disabled=${busy} @click=${() => this.run(s, 'restart')}>Restart</button>
                      <button class="small" ?disabled=${busy} @click=${() => this.run(s, 'disable')}>Disable</button>`
                  : html`<button class="small" ?disabled=${busy} @click=${() => this.run(s, 'enable')}>Enable</button>`
              }
              ${
                readOnly
                  ? nothing
                  : html`<button class="small" @click=${() => (this.editing = s)}>Edit</button>
                      <button class="small ghost" ?disabled=${busy} @click=${() => this.removeItem(s)}>Delete</button>`
              }`
            : nothing
        }
      </div>
    </article>`
  }
}

customElements.define('mcpo-servers-tab', McpoServersTab)
