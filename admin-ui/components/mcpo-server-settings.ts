// <mcpo-server-settings>: the server modal's Settings section: description, timeout and auto-start, plus enable,
// disable, restart and delete. Properties in: `server`, `editable`, `busy`, `error`. Events out: `save` (the patch)
// and `server-action` ('enable' | 'disable' | 'restart' | 'delete').
import { html, LitElement, nothing } from 'lit'
import type { ApiError } from '../api-client.ts'
import type { Server } from '../api-types.ts'
import { base } from '../styles.ts'
import type { ServerPatch } from './server-detail-types.ts'
import { errorAlert, fieldError } from './template-pieces.ts'
import { shared } from './view-support.ts'
import './mcpo-confirm-button.ts'

export class McpoServerSettings extends LitElement {
  static override properties = {
    server: { attribute: false },
    editable: { type: Boolean },
    busy: { type: Boolean },
    error: { attribute: false },
    form: { state: true },
    local: { state: true },
  }
  static override styles = [base, shared]
  declare server: Server | null
  declare editable: boolean
  declare busy: boolean
  declare error: ApiError | null
  declare form: { description: string; timeoutS: string; autoStart: boolean }
  declare local: Record<string, string>
  private formOf: Server | null = null

  constructor() {
    super()
    this.server = null
    this.editable = false
    this.busy = false
    this.error = null
    this.form = { description: '', timeoutS: '60', autoStart: false }
    this.local = {}
  }

  protected override willUpdate(): void {
    if (this.server && this.server !== this.formOf) {
      this.formOf = this.server
      const s = this.server
      this.form = {
        description: s.description,
        timeoutS: String(Math.round(s.timeoutMs / 1000)),
        autoStart: s.autoStart,
      }
    }
  }

  private submit(e: Event) {
    e.preventDefault()
    const t = Number(this.form.timeoutS)
    this.local = {}
    if (!Number.isInteger(t) || t < 1 || t > 3600)
      this.local = { timeoutMs: 'must be a whole number of seconds, 1 to 3600' }
    if (this.form.description.length > 2000)
      this.local = { ...this.local, description: 'must be at most 2000 characters' }
    if (Object.keys(this.local).length) return
    const patch: ServerPatch = {
      description: this.form.description.trim(),
      timeoutMs: t * 1000,
      autoStart: this.form.autoStart,
    }
    this.dispatchEvent(new CustomEvent('save', { detail: patch }))
  }

  private act(verb: 'enable' | 'disable' | 'restart' | 'delete') {
    this.dispatchEvent(new CustomEvent('server-action', { detail: verb }))
  }

  private err(field: string) {
    return this.local[field] ?? this.error?.fieldError(field) ?? null
  }

  override render() {
    const s = this.server
    if (!s) return nothing
    const readOnly = !this.editable || s.source === 'config'
    const general = this.error && !Object.keys(this.error.fields).length ? this.error.message : null
    return html`<div class="stack">
      ${general ? errorAlert(general) : nothing}
      ${
        s.source === 'config'
          ? html`<div class="alert info">This server is defined in mcpo.config.ts: change it there. Enable, disable and restart still work here.</div>`
          : !this.editable
            ? html`<div class="alert info">Your role can view this server but not change it.</div>`
            : nothing
      }
      <form class="form-grid" @submit=${this.submit} novalidate aria-label="Server settings">
        <div class="field wide">
          <label for="ss-desc">Description</label>
          <input id="ss-desc" .value=${this.form.description} ?disabled=${readOnly} aria-invalid=${Boolean(this.err('description'))}
            aria-describedby="ss-desc-error" @input=${(e: Event) => (this.form = { ...this.form, description: (e.target as HTMLInputElement).value })} />
          ${fieldError('ss-desc', this.err('description'))}
        </div>
        <div class="field">
          <label for="ss-timeout">Request timeout (seconds)</label>
          <input id="ss-timeout" inputmode="numeric" .value=${this.form.timeoutS} ?disabled=${readOnly}
            aria-invalid=${Boolean(this.err('timeoutMs'))} aria-describedby="ss-timeout-error"
            @input=${(e: Event) => (this.form = { ...this.form, timeoutS: (e.target as HTMLInputElement).value })} />
          ${fieldError('ss-timeout', this.err('timeoutMs'))}
        </div>
        <div class="field">
          <span class="small"><b>Start</b></span>
          <label class="check"><input type="checkbox" .checked=${this.form.autoStart} ?disabled=${readOnly}
            @change=${(e: Event) => (this.form = { ...this.form, autoStart: (e.target as HTMLInputElement).checked })} />
            Start with the gateway and keep running</label>
        </div>
        ${readOnly ? nothing : html`<div class="wide row"><button class="primary" type="submit" ?disabled=${this.busy}>Save settings</button></div>`}
      </form>
      ${
        this.editable
          ? html`<div class="card">
            <h3>Process</h3>
            <div class="row form-actions">
              ${
                s.enabled
                  ? html`<button class="small" type="button" ?disabled=${this.busy} @click=${() => this.act('restart')}>Restart</button>
                    <mcpo-confirm-button label="Disable" question="Disable? Clients lose its tools." @confirm=${() => this.act('disable')}></mcpo-confirm-button>`
                  : html`<button class="primary small" type="button" ?disabled=${this.busy} @click=${() => this.act('enable')}>Enable</button>`
              }
              ${
                s.source === 'config'
                  ? nothing
                  : html`<span class="spacer"></span>
                    <mcpo-confirm-button label="Delete server" question="Delete ${s.name} and stop it?" confirm-label="Delete"
                      @confirm=${() => this.act('delete')}></mcpo-confirm-button>`
              }
            </div>
          </div>`
          : nothing
      }
    </div>`
  }
}

customElements.define('mcpo-server-settings', McpoServerSettings)
