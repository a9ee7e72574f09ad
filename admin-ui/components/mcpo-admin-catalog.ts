// <mcpo-admin-catalog>: the server template catalog for administrators: every template (approved or not), add and
// edit with field checks, approve or withdraw, delete. Approved templates are what project members can add.
import { css, html, LitElement, nothing } from 'lit'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { checkTemplate, formatVars, type TemplateForm } from '../lib/validate.ts'
import { base } from '../styles.ts'
import type { Template } from './mcpo-catalog-picker.ts'
import { empty, errorAlert, fieldError, loading } from './template-pieces.ts'
import { consumeApi, notify, shared } from './view-support.ts'
import './mcpo-confirm-button.ts'

function blank(): TemplateForm {
  return {
    name: '',
    description: '',
    transport: 'stdio',
    command: '',
    args: '',
    env: '',
    headers: '',
    url: '',
    approved: true,
  }
}

function formOf(t: Template): TemplateForm {
  return {
    name: t.name,
    description: t.description,
    transport: t.transport,
    command: t.command ?? '',
    args: t.args.join('\n'),
    env: formatVars(t.envTemplate),
    headers: formatVars(t.headersTemplate),
    url: t.url ?? '',
    approved: t.approved,
  }
}

export class McpoAdminCatalog extends LitElement {
  static override properties = { editing: { state: true }, form: { state: true }, errors: { state: true } }
  static override styles = [
    base,
    shared,
    css`
      :host {
        display: block;
      }
      textarea {
        min-height: 64px;
      }
      .short {
        max-width: 260px;
      }
    `,
  ]
  /** null: no form; 'new'; or a template id. */
  declare editing: string | null
  declare form: TemplateForm
  declare errors: Record<string, string>
  private readonly apiC = consumeApi(this)
  private readonly action = new Action(this)
  private readonly templates = new Resource<Template[]>(this, {
    load: (signal) => this.apiC.value!.get<Template[]>('/api/templates', { signal }),
    deps: () => [this.apiC.value],
    enabled: () => Boolean(this.apiC.value),
  })

  constructor() {
    super()
    this.editing = null
    this.form = blank()
    this.errors = {}
  }

  private edit(t: Template | null) {
    this.editing = t ? t.id : 'new'
    this.form = t ? formOf(t) : blank()
    this.errors = {}
    this.action.clear()
  }

  private async save(e: Event) {
    e.preventDefault()
    const checked = checkTemplate(this.form)
    this.errors = checked.ok ? {} : checked.errors
    if (!checked.ok) return
    const api = this.apiC.value!
    const id = this.editing
    const ok = await this.action.run(() =>
      id === 'new' ? api.post('/api/templates', checked.value) : api.put(`/api/templates/${id}`, checked.value),
    )
    if (!ok) {
      this.errors = { ...this.action.error!.fields }
      return
    }
    notify(this, id === 'new' ? 'Template added' : 'Template saved')
    this.editing = null
    await this.templates.reload(true)
  }

  private async approve(t: Template, approved: boolean) {
    const ok = await this.action.run(() => this.apiC.value!.put(`/api/templates/${t.id}`, { approved }), t.id)
    if (ok) notify(this, approved ? `${t.name} approved` : `${t.name} withdrawn`)
    await this.templates.reload(true)
  }

  private async removeTemplate(t: Template) {
    const ok = await this.action.run(() => this.apiC.value!.delete(`/api/templates/${t.id}`).then(() => true), t.id)
    if (ok) notify(this, `${t.name} deleted`)
    await this.templates.reload(true)
  }

  override render() {
    const list = this.templates.value
    return html`<div class="layout">
      <div class="page-head">
        <div><h1>Server catalog</h1><p class="muted">Verified servers members add in one click. Only approved ones are offered.</p></div>
        <button class="primary" type="button" @click=${() => this.edit(null)}>Add template</button>
      </div>
      ${this.editing !== null ? this.renderForm() : nothing}
      ${this.action.error && this.editing === null ? errorAlert(this.action.error) : nothing}
      <div class="card flush">
        ${
          this.templates.error && !list
            ? html`<div class="card-head">${errorAlert(this.templates.error, () => this.templates.reload())}</div>`
            : !list
              ? html`<div class="card-head">${loading('Loading the catalog')}</div>`
              : list.length === 0
                ? empty('The catalog is empty', 'Add a template: a command or URL with the variables members fill in.')
                : html`<div class="table-wrap"><table>
                  <thead><tr><th>Template</th><th>Transport</th><th class="hide-narrow">Runs / reaches</th><th>Status</th><th><span class="sr-only">Actions</span></th></tr></thead>
                  <tbody>
                    ${list.map(
                      (t) => html`<tr>
                        <td><b>${t.name}</b><div class="muted small clip short" title=${t.description}>${t.description}</div></td>
                        <td>${t.transport}</td>
                        <td class="hide-narrow mono small clip short">${t.transport === 'stdio' ? [t.command, ...t.args].join(' ') : t.url}</td>
                        <td>${t.approved ? html`<span class="badge ok">approved</span>` : html`<span class="badge warn">draft</span>`}</td>
                        <td class="actions">
                          <button class="small" type="button" @click=${() => this.edit(t)}>Edit</button>
                          <button class="small" type="button" ?disabled=${this.action.busy} @click=${() => this.approve(t, !t.approved)}>
                            ${t.approved ? 'Withdraw' : 'Approve'}</button>
                          <mcpo-confirm-button label="Delete" question="Delete ${t.name}? Servers made from it stay."
                            @confirm=${() => this.removeTemplate(t)}></mcpo-confirm-button>
                        </td>
                      </tr>`,
                    )}
                  </tbody>
                </table></div>`
        }
      </div>
    </div>`
  }

  private renderForm() {
    const f = this.form
    const stdio = f.transport === 'stdio'
    const set = (k: keyof TemplateForm) => (e: Event) => {
      const el = e.target as HTMLInputElement
      this.form = { ...this.form, [k]: el.type === 'checkbox' ? el.checked : el.value }
    }
    const field = (
      k: keyof TemplateForm,
      label: string,
      err: string,
      multi = false,
      hint = '',
    ) => html`<div class="field ${multi ? 'wide' : ''}">
      <label for="tf-${k}">${label}</label>
      ${
        multi
          ? html`<textarea id="tf-${k}" spellcheck="false" .value=${String(f[k])} aria-invalid=${Boolean(this.errors[err])}
            aria-describedby="tf-${k}-error" @input=${set(k)}></textarea>`
          : html`<input id="tf-${k}" .value=${String(f[k])} aria-invalid=${Boolean(this.errors[err])} aria-describedby="tf-${k}-error" @input=${set(k)} />`
      }
      ${hint ? html`<span class="hint">${hint}</span>` : nothing} ${fieldError(`tf-${k}`, this.errors[err] ?? null)}
    </div>`
    const general =
      this.action.error && !Object.keys(this.action.error.fields).length ? this.action.error.message : null
    return html`<form class="card" @submit=${this.save} novalidate aria-label=${this.editing === 'new' ? 'New template' : 'Edit template'}>
      <div class="form-grid">
        ${field('name', 'Name', 'name')}
        <div class="field">
          <label for="tf-transport">Transport</label>
          <select id="tf-transport" @change=${set('transport')}>
            ${['stdio', 'streamable-http', 'sse'].map((t) => html`<option value=${t} ?selected=${t === f.transport}>${t}</option>`)}
          </select>
        </div>
        ${field('description', 'Description', 'description', true)}
        ${
          stdio
            ? html`${field('command', 'Command', 'command', false, 'Runs on the gateway host, e.g. npx')}
              ${field('args', 'Arguments (one per line)', 'args', true)}
              ${field('env', 'Environment variables (NAME=default, one per line)', 'envTemplate', true, 'Members fill these in; names with TOKEN, KEY or SECRET are masked.')}`
            : html`${field('url', 'URL', 'url', false, 'https://…/mcp or …/sse')}
              ${field('headers', 'Headers (Name=default, one per line)', 'headersTemplate', true)}`
        }
        <label class="check wide"><input type="checkbox" .checked=${f.approved} @change=${set('approved')} />Approved: offered to project members</label>
      </div>
      ${general ? html`<div class="form-actions">${errorAlert(general)}</div>` : nothing}
      <div class="row form-actions">
        <span class="spacer"></span>
        <button type="button" @click=${() => (this.editing = null)}>Cancel</button>
        <button class="primary" type="submit" ?disabled=${this.action.busy}>${this.editing === 'new' ? 'Add template' : 'Save template'}</button>
      </div>
    </form>`
  }
}

customElements.define('mcpo-admin-catalog', McpoAdminCatalog)
