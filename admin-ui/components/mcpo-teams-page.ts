// Teams: the user's teams (every team for administrators, on request) and the create-team form.
import { ContextConsumer } from '@lit/context'
import { css, html, LitElement, nothing } from 'lit'
import type { Page, Team } from '../api-types.ts'
import { apiContext, routerContext, userContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { teamHref } from '../router.ts'
import { base } from '../styles.ts'
import { empty, errorAlert, fieldError, loading, roleBadge, toast } from './template-pieces.ts'

export class McpoTeamsPage extends LitElement {
  static override properties = { creating: { state: true }, all: { state: true } }
  static override styles = [
    base,
    css`
      .team {
        display: flex;
        flex-direction: column;
        gap: 6px;
        color: inherit;
      }
      .team:hover {
        border-color: var(--accent);
        text-decoration: none;
      }
      form {
        margin-bottom: 20px;
      }
    `,
  ]

  declare creating: boolean
  declare all: boolean

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly router = new ContextConsumer(this, { context: routerContext })
  private readonly user = new ContextConsumer(this, { context: userContext, subscribe: true })
  private readonly submit = new Action(this)
  private readonly teams = new Resource(this, {
    load: (signal) =>
      this.api.value!.get<Page<Team>>('/api/teams', { query: { limit: 200, all: this.all || undefined }, signal }),
    deps: () => [this.all],
  })

  constructor() {
    super()
    this.creating = false
    this.all = false
  }

  private async onSubmit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const data = new FormData(e.target as HTMLFormElement)
    const slug = String(data.get('slug') ?? '').trim()
    if (this.submit.invalid({ name: !String(data.get('name') ?? '').trim() && 'is required' })) return
    const team = await this.submit.run(() =>
      this.api.value!.post<Team>('/api/teams', {
        name: String(data.get('name') ?? '').trim(),
        description: String(data.get('description') ?? ''),
        ...(slug ? { slug } : {}),
      }),
    )
    if (!team) return
    toast(this, `Team “${team.name}” created`)
    this.router.value?.navigate(teamHref(team.slug))
  }

  private form() {
    const a = this.submit
    const invalid = (f: string) => (a.field(f) ? 'true' : 'false')
    return html`<form class="card stack" @submit=${this.onSubmit} novalidate aria-labelledby="new-team-title">
      <h2 id="new-team-title">New team</h2>
      ${errorAlert(a.general(['name', 'slug', 'description']))}
      <div class="form-grid">
        <div class="field">
          <label for="t-name">Name</label>
          <input id="t-name" name="name" required maxlength="200" autofocus placeholder="e.g. Platform"
            aria-invalid=${invalid('name')} aria-describedby="t-name-error" />
          ${fieldError('t-name', a.field('name'))}
        </div>
        <div class="field">
          <label for="t-slug">Slug <span class="muted">(optional)</span></label>
          <input id="t-slug" name="slug" class="mono" maxlength="63" placeholder="made from the name"
            aria-invalid=${invalid('slug')} aria-describedby="t-slug-error" />
          ${fieldError('t-slug', a.field('slug'))}
        </div>
        <div class="field wide">
          <label for="t-description">Description <span class="muted">(optional)</span></label>
          <input id="t-description" name="description" maxlength="2000" />
        </div>
      </div>
      <div class="row">
        <button class="primary" type="submit" ?disabled=${a.busy}>${a.busy ? 'Creating…' : 'Create team'}</button>
        <button type="button" @click=${() => (this.creating = false)}>Cancel</button>
      </div>
    </form>`
  }

  override render() {
    const r = this.teams
    return html`<div class="page-head">
        <div>
          <h1>Teams</h1>
          <p class="muted">A team owns projects; its members get them with their team role.</p>
        </div>
        <div class="row">
          ${
            this.user.value?.isAdmin
              ? html`<label class="check small"><input type="checkbox" .checked=${this.all}
                  @change=${(e: Event) => (this.all = (e.target as HTMLInputElement).checked)} />All teams</label>`
              : nothing
          }
          ${this.creating ? nothing : html`<button class="primary" @click=${() => (this.creating = true)}>New team</button>`}
        </div>
      </div>
      ${this.creating ? this.form() : nothing}
      ${
        r.error && !r.value
          ? errorAlert(r.error, () => r.reload())
          : !r.value
            ? loading('Loading teams')
            : !r.value.items.length
              ? html`<div class="card">${empty(
                  'You are in no team yet',
                  'Create a team to share projects with colleagues, or ask a team owner to add you.',
                  this.creating
                    ? undefined
                    : html`<button class="primary" @click=${() => (this.creating = true)}>Create a team</button>`,
                )}</div>`
              : html`<div class="grid">
                  ${r.value.items.map(
                    (t) => html`<a class="card team" href=${teamHref(t.slug)}>
                      <h3>${t.name}</h3>
                      <p class="muted small">${t.description || t.slug}</p>
                      <div>${t.role ? roleBadge(t.role) : html`<span class="badge">not a member</span>`}</div>
                    </a>`,
                  )}
                </div>`
      }`
  }
}

customElements.define('mcpo-teams-page', McpoTeamsPage)
