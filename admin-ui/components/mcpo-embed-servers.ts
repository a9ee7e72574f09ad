// <mcpo-embed-servers api-base token project-id>: a project's servers with live status; enable, disable and restart
// for those who may; the server detail modal. See embed-base.ts and admin-ui/README.md.
import { html, nothing } from 'lit'
import type { Server } from '../api-types.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { EmbedBase } from './embed-base.ts'
import { empty, errorAlert, loading, stateBadge } from './template-pieces.ts'
import './mcpo-server-detail.ts'

export class McpoEmbedServers extends EmbedBase {
  static override properties = { ...EmbedBase.properties, selected: { state: true } }
  declare selected: string | null
  private readonly action = new Action(this)
  private readonly servers = new Resource<Server[]>(this, {
    load: (signal) => this.api.get<Server[]>(`/api/projects/${encodeURIComponent(this.projectId)}/servers`, { signal }),
    deps: () => [this.projectId, this.api],
    enabled: () => this.connected,
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
                        <td>${stateBadge(s.status.state, s.enabled, s.status.health)}</td>
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

customElements.define('mcpo-embed-servers', McpoEmbedServers)
