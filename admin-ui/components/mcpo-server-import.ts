// <mcpo-server-import project-id open>: paste a Claude / Cline / Cursor `mcpServers` JSON (or VS Code's `servers`)
// to add many servers at once. Shows a live preview (names, transports, problems) before anything is sent, then the
// result of each entry. Properties: `projectId`, `open`, `existing` (server names already in the project).
// Events out: `close`, `imported` { created: number, names: string[] }.
import { css, html, LitElement, nothing } from 'lit'
import { Action } from '../controllers/action.ts'
import { type ImportPreview, parseImport } from '../lib/validate.ts'
import { base } from '../styles.ts'
import { consumeApi, shared } from './view-support.ts'

interface ImportResult {
  created: number
  failed: number
  results: { entry: string; name: string; status: 'created' | 'failed'; error?: { message: string } }[]
}

const EXAMPLE = `{
  "mcpServers": {
    "search": {
      "type": "streamableHttp",
      "url": "https://mcp.example.com/mcp",
      "headers": { "Authorization": "Bearer …" }
    }
  }
}`

export class McpoServerImport extends LitElement {
  static override properties = {
    projectId: { attribute: 'project-id' },
    open: { type: Boolean, reflect: true },
    existing: { attribute: false },
    text: { state: true },
    result: { state: true },
  }
  static override styles = [
    base,
    shared,
    css`
      dialog {
        width: min(760px, calc(100vw - 24px));
      }
      textarea {
        min-height: 180px;
      }
      .problems {
        color: var(--danger);
      }
    `,
  ]
  declare projectId: string
  declare open: boolean
  declare existing: string[]
  declare text: string
  declare result: ImportResult | null
  private readonly apiC = consumeApi(this)
  private readonly action = new Action(this)

  constructor() {
    super()
    this.projectId = ''
    this.open = false
    this.existing = []
    this.text = ''
    this.result = null
  }

  protected override updated(): void {
    const dialog = this.renderRoot.querySelector('dialog')
    if (!dialog) return
    if (this.open && !dialog.open) {
      this.result = null
      dialog.showModal()
    } else if (!this.open && dialog.open) dialog.close()
  }

  private close() {
    this.open = false
    this.dispatchEvent(new CustomEvent('close'))
  }

  private async submit(e: Event) {
    e.preventDefault()
    const parsed = parseImport(this.text, this.existing ?? [])
    if (!parsed.ok) return
    const path = `/api/projects/${encodeURIComponent(this.projectId)}/servers/import`
    const r = await this.action.run(() => this.apiC.value!.post<ImportResult>(path, parsed.body))
    if (!r) return
    this.result = r
    const names = r.results.filter((x) => x.status === 'created').map((x) => x.name)
    if (r.created) this.dispatchEvent(new CustomEvent('imported', { detail: { created: r.created, names } }))
    if (r.failed === 0) this.text = ''
  }

  override render() {
    return html`<dialog aria-labelledby="imp-title" @close=${() => this.open && this.close()}
      @cancel=${(e: Event) => {
        e.preventDefault()
        this.close()
      }}>
      ${this.open ? this.renderBody() : nothing}
    </dialog>`
  }

  private renderBody() {
    const parsed = this.text.trim() ? parseImport(this.text, this.existing ?? []) : null
    const preview = parsed?.ok ? parsed.preview : []
    return html`<div class="modal-head">
        <h2 id="imp-title">Import servers from JSON</h2>
        <span class="spacer"></span>
        <button class="ghost" type="button" aria-label="Close" @click=${this.close}>✕</button>
      </div>
      <form class="modal-body stack" @submit=${this.submit} novalidate>
        <p class="muted small">
          Paste the <span class="mono">mcpServers</span> block of a Claude Desktop, Cline or Cursor config (or VS Code's
          <span class="mono">servers</span>). Secrets in <span class="mono">env</span> and
          <span class="mono">headers</span> are stored encrypted; stdio commands need an administrator.
        </p>
        <div class="field">
          <label for="imp-json">Config JSON</label>
          <textarea id="imp-json" spellcheck="false" placeholder=${EXAMPLE} .value=${this.text}
            aria-invalid=${Boolean(parsed && !parsed.ok)} aria-describedby="imp-json-error"
            @input=${(e: Event) => (this.text = (e.target as HTMLTextAreaElement).value)}></textarea>
          ${parsed && !parsed.ok ? html`<div class="field-error" id="imp-json-error" role="alert">${parsed.error}</div>` : nothing}
        </div>
        ${preview.length ? this.renderPreview(preview) : nothing}
        ${this.action.error ? html`<div class="alert error" role="alert">${this.action.error.message}</div>` : nothing}
        ${this.result ? this.renderResult(this.result) : nothing}
        <div class="row">
          <span class="spacer"></span>
          <button type="button" @click=${this.close}>${this.result?.created ? 'Done' : 'Cancel'}</button>
          <button class="primary" type="submit" ?disabled=${!preview.length || this.action.busy}>
            ${this.action.busy ? 'Importing…' : `Import ${preview.length || ''} server${preview.length === 1 ? '' : 's'}`}
          </button>
        </div>
      </form>`
  }

  private renderPreview(preview: ImportPreview[]) {
    return html`<div class="table-wrap card flush">
      <table aria-label="What will be imported">
        <thead><tr><th>Entry</th><th>Server name</th><th>Transport</th><th class="hide-narrow">Runs / reaches</th></tr></thead>
        <tbody>
          ${preview.map(
            (p) => html`<tr>
              <td>${p.entry}</td>
              <td class="mono">${p.name || '—'}${p.problems.length ? html`<div class="small problems">${p.problems.join('; ')}</div>` : nothing}</td>
              <td>${p.transport ?? '?'}${p.secrets ? html` <span class="badge">${p.secrets} secret${p.secrets === 1 ? '' : 's'}</span>` : nothing}</td>
              <td class="hide-narrow mono small clip" title=${p.target}>${p.target}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`
  }

  private renderResult(r: ImportResult) {
    return html`<div class="alert ${r.failed ? 'warn' : 'info'}" role="status">
      ${r.created} created${r.failed ? `, ${r.failed} failed` : ''}.
      ${r.results
        .filter((x) => x.status === 'failed')
        .map((x) => html`<div class="small"><b>${x.entry}</b>: ${x.error?.message ?? 'failed'}</div>`)}
    </div>`
  }
}

customElements.define('mcpo-server-import', McpoServerImport)
