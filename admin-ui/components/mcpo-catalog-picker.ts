// <mcpo-catalog-picker project-id open>: the approved server catalog with one-click add. Pick a template, give the
// server a name and fill the template's variables (secrets masked), and it is added through
// POST /servers/from-template, which is how non-admins get stdio servers. Properties: `projectId`, `open`,
// `existing` (server names already in the project). Events out: `close`, `added` { server } (the new server).
import { css, html, LitElement, nothing } from 'lit'
import { importName } from '../../gateway/api/client-entry.ts'
import type { Server } from '../api-types.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { checkServerName } from '../lib/validate.ts'
import { base } from '../styles.ts'
import { empty, errorAlert, fieldError, loading } from './template-pieces.ts'
import { consumeApi, shared } from './view-support.ts'

export interface Template {
  id: string
  name: string
  description: string
  transport: 'stdio' | 'sse' | 'streamable-http'
  command: string | null
  args: string[]
  envTemplate: Record<string, string>
  url: string | null
  headersTemplate: Record<string, string>
  approved: boolean
  createdAt: string
  updatedAt: string
}

/** Variables whose names say they hold a secret are typed into password fields. */
export const SECRET_NAME = /token|secret|key|password|auth|credential/i

export class McpoCatalogPicker extends LitElement {
  static override properties = {
    projectId: { attribute: 'project-id' },
    open: { type: Boolean, reflect: true },
    existing: { attribute: false },
    search: { state: true },
    chosen: { state: true },
    name: { state: true },
    vars: { state: true },
    nameError: { state: true },
  }
  static override styles = [
    base,
    shared,
    css`
      .tpl {
        display: flex;
        flex-direction: column;
        gap: 8px;
      }
      .tpl p {
        flex: 1;
      }
    `,
  ]
  declare projectId: string
  declare open: boolean
  declare existing: string[]
  declare search: string
  declare chosen: Template | null
  declare name: string
  declare vars: Record<string, string>
  declare nameError: string | null
  private readonly apiC = consumeApi(this)
  private readonly action = new Action(this)
  private readonly templates = new Resource<Template[]>(this, {
    load: (signal) => this.apiC.value!.get<Template[]>('/api/templates', { signal }),
    deps: () => [this.open, this.apiC.value],
    enabled: () => Boolean(this.open && this.apiC.value),
  })

  constructor() {
    super()
    this.projectId = ''
    this.open = false
    this.existing = []
    this.search = ''
    this.chosen = null
    this.name = ''
    this.vars = {}
    this.nameError = null
  }

  protected override updated(): void {
    const dialog = this.renderRoot.querySelector('dialog')
    if (!dialog) return
    if (this.open && !dialog.open) dialog.showModal()
    else if (!this.open && dialog.open) dialog.close()
  }

  private close() {
    this.open = false
    this.chosen = null
    this.action.clear()
    this.dispatchEvent(new CustomEvent('close'))
  }

  private pick(t: Template) {
    this.chosen = t
    let name = importName(t.name) || 'server'
    for (let i = 2; (this.existing ?? []).includes(name); i++) name = `${importName(t.name)}-${i}`
    this.name = name
    this.vars = { ...(t.transport === 'stdio' ? t.envTemplate : t.headersTemplate) }
    this.nameError = null
    this.action.clear()
  }

  private async add(e: Event) {
    e.preventDefault()
    const t = this.chosen
    if (!t) return
    this.nameError =
      checkServerName(this.name) ??
      ((this.existing ?? []).includes(this.name) ? 'a server with this name exists' : null)
    if (this.nameError) return
    const body = { templateId: t.id, name: this.name, [t.transport === 'stdio' ? 'env' : 'headers']: this.vars }
    const path = `/api/projects/${encodeURIComponent(this.projectId)}/servers/from-template`
    const server = await this.action.run(() => this.apiC.value!.post<Server>(path, body))
    if (!server) return
    this.dispatchEvent(new CustomEvent('added', { detail: { server } }))
    this.close()
  }

  override render() {
    return html`<dialog aria-labelledby="cat-title" @close=${() => this.open && this.close()}
      @cancel=${(e: Event) => {
        e.preventDefault()
        this.close()
      }}>
      ${
        this.open
          ? html`<div class="modal-head">
              <h2 id="cat-title">${this.chosen ? `Add ${this.chosen.name}` : 'Add from the catalog'}</h2>
              <span class="spacer"></span>
              <button class="ghost" type="button" aria-label="Close" @click=${this.close}>✕</button>
            </div>
            <div class="modal-body">${this.chosen ? this.renderForm(this.chosen) : this.renderList()}</div>`
          : nothing
      }
    </dialog>`
  }

  private renderList() {
    if (this.templates.error) return errorAlert(this.templates.error, () => this.templates.reload())
    if (!this.templates.ready) return loading('Loading the catalog')
    const q = this.search.trim().toLowerCase()
    const list = this.templates.value!.filter(
      (t) => t.approved && (!q || t.name.toLowerCase().includes(q) || t.description.toLowerCase().includes(q)),
    )
    return html`<div class="stack">
      <div class="field">
        <label for="cat-search">Search the catalog</label>
        <input id="cat-search" type="search" .value=${this.search} @input=${(e: Event) => (this.search = (e.target as HTMLInputElement).value)} />
      </div>
      ${
        list.length === 0
          ? empty(
              this.templates.value!.length ? 'No matching servers' : 'The catalog is empty',
              this.templates.value!.length
                ? 'Try another search.'
                : 'Administrators add verified servers under System → Catalog.',
            )
          : html`<div class="grid">
            ${list.map(
              (t) => html`<div class="card tpl">
                <div class="row"><h3>${t.name}</h3><span class="badge">${t.transport}</span></div>
                <p class="muted small">${t.description || 'No description.'}</p>
                <div><button class="primary small" type="button" @click=${() => this.pick(t)}>Add to project</button></div>
              </div>`,
            )}
          </div>`
      }
    </div>`
  }

  private renderForm(t: Template) {
    const names = Object.keys(this.vars)
    const general =
      this.action.error && !Object.keys(this.action.error.fields).length ? this.action.error.message : null
    return html`<form class="stack" @submit=${this.add} novalidate>
      <p class="muted small">${t.description}</p>
      <div class="field">
        <label for="cat-name">Server name</label>
        <input id="cat-name" .value=${this.name} aria-invalid=${Boolean(this.nameError || this.action.field('name'))}
          aria-describedby="cat-name-error" @input=${(e: Event) => (this.name = (e.target as HTMLInputElement).value)} />
        <span class="hint">Lower-case letters, digits and dashes; part of the endpoint URL.</span>
        ${fieldError('cat-name', this.nameError ?? this.action.field('name'))}
      </div>
      ${
        names.length
          ? html`<h3>${t.transport === 'stdio' ? 'Environment variables' : 'Headers'}</h3>
            ${names.map((k) => {
              const field = `${t.transport === 'stdio' ? 'env' : 'headers'}.${k}`
              const id = `cat-v-${k.replace(/[^A-Za-z0-9_-]/g, '_')}`
              return html`<div class="field">
                <label for=${id} class="mono">${k}</label>
                <input id=${id} type=${SECRET_NAME.test(k) ? 'password' : 'text'} autocomplete="off" .value=${this.vars[k] ?? ''}
                  aria-invalid=${Boolean(this.action.field(field))} aria-describedby="${id}-error"
                  @input=${(e: Event) => (this.vars = { ...this.vars, [k]: (e.target as HTMLInputElement).value })} />
                ${fieldError(id, this.action.field(field))}
              </div>`
            })}`
          : html`<p class="muted small">This server needs no settings.</p>`
      }
      ${general ? errorAlert(general) : nothing}
      <div class="row">
        <button type="button" @click=${() => (this.chosen = null)}>Back to the catalog</button>
        <span class="spacer"></span>
        <button class="primary" type="submit" ?disabled=${this.action.busy}>${this.action.busy ? 'Adding…' : 'Add server'}</button>
      </div>
    </form>`
  }
}

customElements.define('mcpo-catalog-picker', McpoCatalogPicker)
