// <mcpo-embed-keys api-base token project-id>: a project's API keys; with a session token also create (the key is
// shown once) and revoke.
import { html, nothing } from 'lit'
import type { ApiKey, NewApiKey } from '../api-types.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { EmbedBase } from './embed-base.ts'
import { empty, errorAlert, fieldError, loading, time } from './template-pieces.ts'
import { copyText } from './view-support.ts'
import './mcpo-confirm-button.ts'

export class McpoEmbedKeys extends EmbedBase {
  static override properties = { ...EmbedBase.properties, name: { state: true }, created: { state: true } }
  declare name: string
  declare created: NewApiKey | null
  private readonly action = new Action(this)
  private readonly keys = new Resource<ApiKey[]>(this, {
    load: (signal) =>
      this.api.get<ApiKey[]>(`/api/projects/${encodeURIComponent(this.projectId)}/api-keys`, { signal }),
    deps: () => [this.projectId, this.api],
    enabled: () => this.connected,
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

customElements.define('mcpo-embed-keys', McpoEmbedKeys)
