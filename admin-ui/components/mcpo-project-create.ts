// The "new project" form: name, description, the team it belongs to (or none), and an optional id (it becomes the
// {projectId} of every endpoint URL). Sends `mcpo-project-created` with the project, `mcpo-cancel` on Cancel.
import { ContextConsumer } from '@lit/context'
import { html, LitElement } from 'lit'
import type { Page, Project, Team } from '../api-types.ts'
import { apiContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { base } from '../styles.ts'
import { errorAlert, fieldError } from './parts.ts'

export class McpoProjectCreate extends LitElement {
  static override properties = { teamId: {} }
  static override styles = [base]

  /** Preselected team (id); '' for a personal project. */
  declare teamId: string

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly submit = new Action(this)
  private readonly teams = new Resource(this, {
    load: (signal) => this.api.value!.get<Page<Team>>('/api/teams', { query: { limit: 200 }, signal }),
  })

  constructor() {
    super()
    this.teamId = ''
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
      ${errorAlert(a.general(['name', 'description', 'id', 'teamId']))}
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
}

customElements.define('mcpo-project-create', McpoProjectCreate)
