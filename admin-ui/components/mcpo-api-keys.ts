// A project's API keys: create one (the full key is shown once, with a copy button), see them with their preview,
// status, expiry and last use, and revoke one after a confirmation. Owners see everyone's keys; others their own.
import { ContextConsumer } from '@lit/context'
import { css, html, LitElement, nothing } from 'lit'
import type { ApiKey, NewApiKey, Project } from '../api-types.ts'
import { apiContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { base } from '../styles.ts'
import type { McpoConfirm } from './mcpo-confirm.ts'
import './mcpo-confirm.ts'
import './mcpo-copy.ts'
import { empty, errorAlert, fieldError, loading, time, toast } from './template-pieces.ts'

const EXPIRY: [string, string][] = [
  ['', 'Never expires'],
  ['30', 'Expires in 30 days'],
  ['90', 'Expires in 90 days'],
  ['365', 'Expires in a year'],
]

export class McpoApiKeys extends LitElement {
  static override properties = { project: { attribute: false }, created: { state: true }, creating: { state: true } }
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      .new {
        display: grid;
        grid-template-columns: minmax(0, 1fr) minmax(0, 1fr) 190px auto;
        gap: 10px;
        align-items: start;
        padding: 16px 20px;
        border-bottom: 1px solid var(--border);
      }
      .shown {
        margin: 16px 20px;
      }
      .preview {
        white-space: nowrap;
      }
      /* On a phone the key's preview moves under its name, so the table fits without scrolling. */
      .narrow-only {
        display: none;
      }
      .shown .key {
        display: flex;
        gap: 8px;
        align-items: center;
        margin: 8px 0;
      }
      .shown code {
        flex: 1;
        min-width: 0;
        overflow-wrap: anywhere;
        background: var(--surface);
        padding: 6px 8px;
        border-radius: 4px;
        font-size: 0.875rem;
      }
      header {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 10px;
        padding: 16px 20px 0;
        margin-bottom: 12px;
      }
      @media (max-width: 760px) {
        .new {
          grid-template-columns: 1fr;
        }
      }
      @media (max-width: 640px) {
        .narrow-only {
          display: block;
        }
        header {
          padding: 14px 14px 0;
        }
        .new {
          padding: 14px;
        }
        .shown {
          margin: 14px;
        }
      }
    `,
  ]

  declare project: Project
  declare created: NewApiKey | null
  declare creating: boolean

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly create = new Action(this)
  private readonly revoke = new Action(this)
  private readonly keys = new Resource(this, {
    load: (signal) => this.api.value!.get<ApiKey[]>(this.path, { signal }),
    deps: () => [this.project.id],
  })

  constructor() {
    super()
    this.created = null
    this.creating = false
  }

  private get path(): string {
    return `/api/projects/${encodeURIComponent(this.project.id)}/api-keys`
  }

  private async onCreate(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const data = new FormData(e.target as HTMLFormElement)
    const days = Number(data.get('expires') || 0)
    if (this.create.invalid({ name: !String(data.get('name') ?? '').trim() && 'give the key a name' })) return
    const key = await this.create.run(() =>
      this.api.value!.post<NewApiKey>(this.path, {
        name: String(data.get('name') ?? '').trim(),
        description: String(data.get('description') ?? ''),
        expiresAt: days ? new Date(Date.now() + days * 86_400_000).toISOString() : null,
      }),
    )
    if (!key) return
    this.created = key
    this.creating = false
    await this.keys.reload(true)
  }

  private async onRevoke(k: ApiKey): Promise<void> {
    const ok = await this.renderRoot.querySelector<McpoConfirm>('mcpo-confirm')!.ask({
      title: `Revoke “${k.name}”?`,
      message: 'It stops working at once, and clients using it lose their open sessions. This cannot be undone.',
      confirmLabel: 'Revoke key',
    })
    if (!ok) return
    await this.revoke.run(() => this.api.value!.delete(`${this.path}/${k.id}`), k.id)
    if (!this.revoke.error) toast(this, `Key “${k.name}” revoked`)
    await this.keys.reload(true)
  }

  override render() {
    const r = this.keys
    const archived = this.project.archived
    return html`<section class="card flush" aria-labelledby="keys-title">
      <header>
        <div>
          <h2 id="keys-title">API keys</h2>
          <p class="muted small">MCP clients send a key as <code>Authorization: Bearer mcp_proj_…</code>. A key acts with your rights in this project.</p>
          ${
            this.project.settings?.authMode === 'oauth'
              ? html`<p class="alert warn small" data-keys-unused>This project takes OAuth sign-in only: its MCP endpoints
                  refuse keys until its client authentication is set to API keys or both.</p>`
              : nothing
          }
        </div>
        ${!this.creating && !archived ? html`<button class="primary" @click=${() => (this.creating = true)}>Create key</button>` : nothing}
      </header>
      ${this.creating ? this.form() : nothing}
      ${this.created ? this.shown(this.created) : nothing}
      ${errorAlert(this.revoke.error)}
      ${
        r.error && !r.value
          ? errorAlert(r.error, () => r.reload())
          : !r.value
            ? loading('Loading keys')
            : !r.value.length
              ? empty(
                  'No API keys yet',
                  'Create a key to connect Cline, Claude Desktop, Cursor, VS Code or an SDK client to this project.',
                )
              : html`<div class="table-wrap"><table>
                  <thead><tr><th>Name</th><th class="hide-narrow">Key</th><th>Status</th><th class="hide-narrow">Last used</th><th class="hide-narrow">Expires</th><th><span class="sr-only">Actions</span></th></tr></thead>
                  <tbody>${r.value.map(
                    (k) => html`<tr>
                      <td><strong>${k.name}</strong>${k.description ? html`<div class="muted small">${k.description}</div>` : nothing}
                        <div class="narrow-only"><code class="preview">${k.preview}</code></div></td>
                      <td class="hide-narrow"><code class="preview">${k.preview}</code></td>
                      <td><span class="badge ${k.status === 'active' ? 'ok' : k.status === 'revoked' ? 'bad' : 'warn'}">${k.status}</span></td>
                      <td class="hide-narrow">${time(k.lastUsedAt)}</td>
                      <td class="hide-narrow">${k.expiresAt ? time(k.expiresAt) : html`<span class="muted">never</span>`}</td>
                      <td class="actions">${
                        k.status === 'active' && k.source === 'ui'
                          ? html`<button class="small ghost" ?disabled=${this.revoke.busy} @click=${() => this.onRevoke(k)}>Revoke</button>`
                          : nothing
                      }</td>
                    </tr>`,
                  )}</tbody>
                </table></div>`
      }
      <mcpo-confirm></mcpo-confirm>
    </section>`
  }

  private form() {
    const a = this.create
    return html`<form class="new" @submit=${this.onCreate} novalidate aria-label="New API key">
      <div class="field">
        <label for="k-name">Name</label>
        <input id="k-name" name="name" required maxlength="100" placeholder="e.g. laptop-cline" autofocus
          aria-invalid=${a.field('name') ? 'true' : 'false'} aria-describedby="k-name-error" />
        ${fieldError('k-name', a.field('name') ?? a.general(['name', 'description', 'expiresAt']))}
      </div>
      <div class="field">
        <label for="k-description">Description <span class="muted">(optional)</span></label>
        <input id="k-description" name="description" maxlength="2000" />
      </div>
      <div class="field">
        <label for="k-expires">Expiry</label>
        <select id="k-expires" name="expires" aria-describedby="k-expires-error">
          ${EXPIRY.map(([v, l]) => html`<option value=${v} ?selected=${v === '90'}>${l}</option>`)}
        </select>
        ${fieldError('k-expires', a.field('expiresAt'))}
      </div>
      <div class="field"><label aria-hidden="true">&nbsp;</label>
        <div class="row">
          <button class="primary" type="submit" ?disabled=${a.busy}>${a.busy ? 'Creating…' : 'Create'}</button>
          <button type="button" class="ghost" @click=${() => (this.creating = false)}>Cancel</button>
        </div>
      </div>
    </form>`
  }

  private shown(k: NewApiKey) {
    return html`<div class="alert info shown" role="status">
      <strong>Copy your new key “${k.name}” now.</strong> It is shown only this once; mcpo keeps only a hash of it.
      <div class="key"><code data-new-key>${k.key}</code><mcpo-copy .text=${k.key} label="Copy key"></mcpo-copy></div>
      <button class="small" @click=${() => (this.created = null)}>I have stored it</button>
    </div>`
  }
}

customElements.define('mcpo-api-keys', McpoApiKeys)
