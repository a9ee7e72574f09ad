// <mcpo-admin-project-templates>: project templates for administrators: list them, create one from approved catalog
// servers (each under a server name of its own), delete one. Users pick a template in the new-project form.
import { css, html, LitElement, nothing } from 'lit'
import type { ProjectTemplate } from '../api-types.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { base } from '../styles.ts'
import type { Template } from './mcpo-catalog-picker.ts'
import { empty, errorAlert, fieldError, loading } from './template-pieces.ts'
import { consumeApi, notify, shared } from './view-support.ts'
import './mcpo-confirm-button.ts'

/** A catalog name as a server name: what `serverSchema.name` accepts. */
export function serverNameOf(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48) || 'server'
  )
}

interface Draft {
  name: string
  description: string
  /** Catalog template id to the server name it gets; absent: not in the template. */
  servers: Record<string, string>
}

export class McpoAdminProjectTemplates extends LitElement {
  static override properties = { draft: { state: true } }
  static override styles = [
    base,
    shared,
    css`
      :host {
        display: block;
      }
      fieldset {
        border: 0;
        padding: 0;
        margin: 0;
        min-width: 0;
      }
      legend {
        font-size: 0.8125rem;
        font-weight: 500;
        margin-bottom: 4px;
        padding: 0;
      }
      .pick {
        display: grid;
        grid-template-columns: auto 1fr minmax(140px, 220px);
        gap: 8px 12px;
        align-items: center;
        border: 1px solid var(--border);
        border-radius: var(--radius);
        padding: 10px 12px;
      }
      @media (max-width: 640px) {
        .pick {
          grid-template-columns: auto 1fr;
        }
        .pick input[type='text'] {
          grid-column: 2;
        }
      }
      .pick input[type='text'] {
        width: 100%;
      }
      .short {
        max-width: 320px;
      }
      .nowrap {
        white-space: nowrap;
      }
    `,
  ]
  /** The create form's content; null while it is closed. */
  declare draft: Draft | null
  private readonly apiC = consumeApi(this)
  private readonly action = new Action(this)
  private readonly templates = new Resource<ProjectTemplate[]>(this, {
    load: (signal) => this.apiC.value!.get<ProjectTemplate[]>('/api/project-templates', { signal }),
    deps: () => [this.apiC.value],
    enabled: () => Boolean(this.apiC.value),
  })
  private readonly catalog = new Resource<Template[]>(this, {
    load: (signal) => this.apiC.value!.get<Template[]>('/api/templates', { signal }),
    deps: () => [this.apiC.value],
    enabled: () => Boolean(this.apiC.value),
  })

  constructor() {
    super()
    this.draft = null
  }

  private open() {
    this.draft = { name: '', description: '', servers: {} }
    this.action.clear()
  }

  private async save(e: Event) {
    e.preventDefault()
    const d = this.draft!
    if (this.action.invalid({ name: !d.name.trim() && 'is required' })) return
    const body = {
      name: d.name.trim(),
      description: d.description,
      servers: Object.entries(d.servers).map(([templateId, name]) => ({ name: name.trim(), templateId })),
    }
    const ok = await this.action.run(() => this.apiC.value!.post('/api/project-templates', body))
    if (!ok) return
    notify(this, `Template “${body.name}” created`)
    this.draft = null
    await this.templates.reload(true)
  }

  private async removeTemplate(t: ProjectTemplate) {
    const ok = await this.action.run(
      () => this.apiC.value!.delete(`/api/project-templates/${t.id}`).then(() => true),
      t.id,
    )
    if (ok) notify(this, `Template “${t.name}” deleted`)
    await this.templates.reload(true)
  }

  override render() {
    const list = this.templates.value
    const catalogName = (id: string) => this.catalog.value?.find((c) => c.id === id)?.name ?? 'removed from the catalog'
    return html`<div class="layout">
      <div class="page-head">
        <div><h1>Project templates</h1><p class="muted">What a new project starts with: servers from the catalog, policies and members.</p></div>
        <button class="primary" type="button" @click=${this.open}>New template</button>
      </div>
      ${this.draft ? this.renderForm(this.draft) : nothing}
      ${this.action.error && !this.draft ? errorAlert(this.action.error) : nothing}
      <div class="card flush">
        ${
          this.templates.error && !list
            ? html`<div class="card-head">${errorAlert(this.templates.error, () => this.templates.reload())}</div>`
            : !list
              ? html`<div class="card-head">${loading('Loading the templates')}</div>`
              : list.length === 0
                ? empty('No project templates yet', 'Create one: members then start projects with its servers ready.')
                : html`<div class="table-wrap"><table>
                  <thead><tr><th>Template</th><th>Servers</th><th class="hide-narrow">Policies</th><th class="hide-narrow">Members</th><th><span class="sr-only">Actions</span></th></tr></thead>
                  <tbody>
                    ${list.map(
                      (t) => html`<tr>
                        <td><b>${t.name}</b><div class="muted small clip short" title=${t.description}>${t.description}</div></td>
                        <td>${
                          t.servers.length
                            ? t.servers.map(
                                (s) =>
                                  html`<div class="nowrap"><span class="mono">${s.name}</span> <span class="muted small hide-narrow">(${catalogName(s.templateId)})</span></div>`,
                              )
                            : html`<span class="muted">none</span>`
                        }</td>
                        <td class="hide-narrow">${t.policies.length}</td>
                        <td class="hide-narrow">${t.roles.length}</td>
                        <td class="actions">
                          <mcpo-confirm-button label="Delete" question="Delete the template ${t.name}? Projects made from it stay."
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

  private renderForm(d: Draft) {
    const a = this.action
    const approved = (this.catalog.value ?? []).filter((c) => c.approved)
    const set = (patch: Partial<Draft>) => {
      this.draft = { ...d, ...patch }
    }
    const toggle = (c: Template, on: boolean) => {
      const servers = { ...d.servers }
      if (on) servers[c.id] = serverNameOf(c.name)
      else delete servers[c.id]
      set({ servers })
    }
    const serverErrors = Object.entries(a.error?.fields ?? {}).filter(([k]) => k.startsWith('servers'))
    return html`<form class="card stack" @submit=${this.save} novalidate aria-labelledby="pt-title">
      <h2 id="pt-title">New project template</h2>
      <div class="form-grid">
        <div class="field">
          <label for="pt-name">Name</label>
          <input id="pt-name" .value=${d.name} maxlength="100" aria-invalid=${a.field('name') ? 'true' : 'false'}
            aria-describedby="pt-name-error" @input=${(e: Event) => set({ name: (e.target as HTMLInputElement).value })} />
          ${fieldError('pt-name', a.field('name'))}
        </div>
        <div class="field">
          <label for="pt-description">Description <span class="muted">(optional)</span></label>
          <input id="pt-description" .value=${d.description} maxlength="2000"
            @input=${(e: Event) => set({ description: (e.target as HTMLInputElement).value })} />
        </div>
        <fieldset class="wide">
          <legend>Servers from the catalog <span class="muted">(each gets a server name in the new project)</span></legend>
          ${
            this.catalog.error
              ? errorAlert(this.catalog.error, () => this.catalog.reload())
              : !this.catalog.value
                ? loading('Loading the catalog')
                : approved.length === 0
                  ? html`<p class="muted">The catalog has no approved server yet.</p>`
                  : html`<div class="pick">
                    ${approved.map((c) => {
                      const on = c.id in d.servers
                      return html`<input type="checkbox" id="pt-s-${c.id}" .checked=${on}
                          @change=${(e: Event) => toggle(c, (e.target as HTMLInputElement).checked)} />
                        <label for="pt-s-${c.id}"><b>${c.name}</b> <span class="muted small">${c.description}</span></label>
                        <input type="text" class="mono" aria-label="Server name for ${c.name}" ?disabled=${!on}
                          .value=${d.servers[c.id] ?? serverNameOf(c.name)}
                          @input=${(e: Event) => set({ servers: { ...d.servers, [c.id]: (e.target as HTMLInputElement).value } })} />`
                    })}
                  </div>`
          }
          ${serverErrors.map(([k, m]) => html`<div class="field-error" role="alert">${k}: ${m}</div>`)}
        </fieldset>
      </div>
      ${errorAlert(a.general(['name', 'description', ...serverErrors.map(([k]) => k)]))}
      <div class="row form-actions">
        <span class="spacer"></span>
        <button type="button" @click=${() => (this.draft = null)}>Cancel</button>
        <button class="primary" type="submit" ?disabled=${a.busy}>${a.busy ? 'Creating…' : 'Create template'}</button>
      </div>
    </form>`
  }
}

customElements.define('mcpo-admin-project-templates', McpoAdminProjectTemplates)
