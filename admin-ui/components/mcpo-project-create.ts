// The "new project" form: name, description, the team it belongs to (or none), an optional project template (its
// servers' catalog variables filled in here), and an optional id (it becomes the {projectId} of every endpoint URL).
// Sends `mcpo-project-created` with the project, `mcpo-cancel` on Cancel.
import { ContextConsumer } from '@lit/context'
import { html, LitElement, nothing } from 'lit'
import type { Page, Project, ProjectTemplate, Team } from '../api-types.ts'
import { apiContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { base } from '../styles.ts'
import { SECRET_NAME, type Template } from './mcpo-catalog-picker.ts'
import { errorAlert, fieldError } from './template-pieces.ts'

/** Per template server, its catalog variables as the API takes them: `{ [server]: { env, headers } }`. */
type Variables = Record<string, { env: Record<string, string>; headers: Record<string, string> }>

export class McpoProjectCreate extends LitElement {
  static override properties = { teamId: {}, templateId: { state: true }, variables: { state: true } }
  static override styles = [base]

  /** Preselected team (id); '' for a personal project. */
  declare teamId: string
  /** The chosen project template's id; '' for an empty project. */
  declare templateId: string
  declare variables: Variables

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly submit = new Action(this)
  private readonly teams = new Resource(this, {
    load: (signal) => this.api.value!.get<Page<Team>>('/api/teams', { query: { limit: 200 }, signal }),
  })
  private readonly templates = new Resource(this, {
    load: (signal) => this.api.value!.get<ProjectTemplate[]>('/api/project-templates', { signal }),
  })
  /** The catalog entries behind the templates' servers: which variables each one asks for. */
  private readonly catalog = new Resource(this, {
    load: (signal) => this.api.value!.get<Template[]>('/api/templates', { signal }),
  })

  constructor() {
    super()
    this.teamId = ''
    this.templateId = ''
    this.variables = {}
  }

  private get template(): ProjectTemplate | null {
    return this.templates.value?.find((t) => t.id === this.templateId) ?? null
  }

  /** Picks a template and fills each server's variables with the catalog's defaults. */
  private choose(id: string): void {
    this.templateId = id
    const vars: Variables = {}
    // Until the catalog is there, nothing to prefill: willUpdate comes back when it arrives.
    if (!this.catalog.value) {
      this.variables = vars
      return
    }
    for (const s of this.template?.servers ?? []) {
      const c = this.catalog.value?.find((t) => t.id === s.templateId)
      vars[s.name] = { env: { ...(c?.envTemplate ?? {}) }, headers: { ...(c?.headersTemplate ?? {}) } }
    }
    this.variables = vars
  }

  override willUpdate(): void {
    const t = this.template
    if (t && this.catalog.value && t.servers.some((s) => !(s.name in this.variables))) this.choose(this.templateId)
  }

  private setVar(server: string, kind: 'env' | 'headers', key: string, value: string): void {
    const v = this.variables[server]
    this.variables = { ...this.variables, [server]: { ...v, [kind]: { ...v[kind], [key]: value } } }
  }

  private async onSubmit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const data = new FormData(e.target as HTMLFormElement)
    const id = String(data.get('id') ?? '').trim()
    const teamId = String(data.get('teamId') ?? '')
    if (this.submit.invalid({ name: !String(data.get('name') ?? '').trim() && 'is required' })) return
    const project = await this.submit.run(() =>
      this.api.value!.post<Project>('/api/projects', {
        name: String(data.get('name') ?? '').trim(),
        description: String(data.get('description') ?? ''),
        ...(id ? { id } : {}),
        ...(teamId ? { teamId } : {}),
        ...(this.templateId ? { templateId: this.templateId, variables: this.variables } : {}),
      }),
    )
    if (project)
      this.dispatchEvent(new CustomEvent('mcpo-project-created', { detail: project, bubbles: true, composed: true }))
  }

  override render() {
    const a = this.submit
    const teams = (this.teams.value?.items ?? []).filter((t) => t.role === 'owner' || t.role === 'developer')
    const invalid = (f: string) => (a.field(f) ? 'true' : 'false')
    return html`<form class="card stack" @submit=${this.onSubmit} novalidate aria-labelledby="new-project-title">
      <h2 id="new-project-title">New project</h2>
      ${errorAlert(a.general(['name', 'description', 'id', 'teamId', 'templateId', 'variables']))}
      <div class="form-grid">
        <div class="field">
          <label for="p-name">Name</label>
          <input id="p-name" name="name" required maxlength="200" autofocus placeholder="e.g. Payments platform"
            aria-invalid=${invalid('name')} aria-describedby="p-name-error" />
          ${fieldError('p-name', a.field('name'))}
        </div>
        <div class="field">
          <label for="p-team">Team</label>
          <select id="p-team" name="teamId" aria-invalid=${invalid('teamId')} aria-describedby="p-team-error p-team-hint">
            <option value="" ?selected=${!this.teamId}>No team (personal project)</option>
            ${teams.map((t) => html`<option value=${t.id} ?selected=${t.id === this.teamId || t.slug === this.teamId}>${t.name}</option>`)}
          </select>
          <div class="hint" id="p-team-hint">Team members get the project with their team role.</div>
          ${fieldError('p-team', a.field('teamId'))}
        </div>
        ${this.renderTemplate()}
        <div class="field wide">
          <label for="p-description">Description <span class="muted">(optional)</span></label>
          <input id="p-description" name="description" maxlength="2000" aria-describedby="p-description-error" />
          ${fieldError('p-description', a.field('description'))}
        </div>
        <div class="field wide">
          <label for="p-id">Project id <span class="muted">(optional)</span></label>
          <input id="p-id" name="id" class="mono" maxlength="64" placeholder="made from the name when empty"
            aria-invalid=${invalid('id')} aria-describedby="p-id-error p-id-hint" />
          <div class="hint" id="p-id-hint">Appears in endpoint URLs: /projects/<em>id</em>/servers/…</div>
          ${fieldError('p-id', a.field('id'))}
        </div>
      </div>
      <div class="row">
        <button class="primary" type="submit" ?disabled=${a.busy}>${a.busy ? 'Creating…' : 'Create project'}</button>
        <button type="button" @click=${() => this.dispatchEvent(new Event('mcpo-cancel'))}>Cancel</button>
      </div>
    </form>`
  }

  private renderTemplate() {
    const list = this.templates.value ?? []
    if (list.length === 0) return nothing
    const a = this.submit
    const t = this.template
    const varFields = (server: string, kind: 'env' | 'headers') =>
      Object.entries(this.variables[server]?.[kind] ?? {}).map(([k, v]) => {
        const id = `p-var-${server}-${kind}-${k}`
        const err = a.field(`variables.${server}.${kind}.${k}`)
        return html`<div class="field">
          <label for=${id}><span class="mono">${server}</span>: ${k}</label>
          <input id=${id} class="mono" type=${SECRET_NAME.test(k) ? 'password' : 'text'} autocomplete="off" .value=${v}
            aria-invalid=${err ? 'true' : 'false'} aria-describedby="${id}-error"
            @input=${(e: Event) => this.setVar(server, kind, k, (e.target as HTMLInputElement).value)} />
          ${fieldError(id, err)}
        </div>`
      })
    return html`<div class="field wide">
        <label for="p-template">Start from a template <span class="muted">(optional)</span></label>
        <select id="p-template" aria-invalid=${a.field('templateId') ? 'true' : 'false'} aria-describedby="p-template-error p-template-hint"
          @change=${(e: Event) => this.choose((e.target as HTMLSelectElement).value)}>
          <option value="" ?selected=${!this.templateId}>No template (an empty project)</option>
          ${list.map((p) => html`<option value=${p.id} ?selected=${p.id === this.templateId}>${p.name}</option>`)}
        </select>
        <div class="hint" id="p-template-hint">${
          t
            ? html`${t.description ? html`${t.description} ` : nothing}Servers:
                ${t.servers.length ? t.servers.map((s, i) => html`${i ? ', ' : ''}<span class="mono">${s.name}</span>`) : 'none'}${
                  t.policies.length
                    ? html`; ${t.policies.length} tool ${t.policies.length === 1 ? 'policy' : 'policies'}`
                    : nothing
                }${t.roles.length ? html`; ${t.roles.length} member ${t.roles.length === 1 ? 'rule' : 'rules'}` : nothing}.`
            : 'A template sets up servers from the catalog, tool policies and members.'
        }</div>
        ${fieldError('p-template', a.field('templateId'))}
      </div>
      ${t ? t.servers.flatMap((s) => [...varFields(s.name, 'env'), ...varFields(s.name, 'headers')]) : nothing}`
  }
}

customElements.define('mcpo-project-create', McpoProjectCreate)
