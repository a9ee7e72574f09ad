// <mcpo-admin-teams>: every team for administrators, with the administrator's own role and how many projects
// (archived ones included) each team owns, counted from one list of all projects.
import { css, html, LitElement } from 'lit'
import type { Page, Project, Team } from '../api-types.ts'
import { Resource } from '../controllers/resource.ts'
import { teamHref } from '../router.ts'
import { base } from '../styles.ts'
import { empty, errorAlert, loading, roleBadge, time } from './template-pieces.ts'
import { consumeApi, shared } from './view-support.ts'

const LIMIT = 50

export class McpoAdminTeams extends LitElement {
  static override properties = {
    offset: { state: true },
  }
  static override styles = [
    base,
    shared,
    css`
      :host {
        display: block;
      }
    `,
  ]
  declare offset: number
  private readonly apiC = consumeApi(this)
  private readonly teams = new Resource<Page<Team>>(this, {
    load: (signal) =>
      this.apiC.value!.get('/api/teams', { query: { all: 'true', limit: LIMIT, offset: this.offset }, signal }),
    deps: () => [this.offset, this.apiC.value],
    enabled: () => Boolean(this.apiC.value),
  })
  private readonly projects = new Resource<Page<Project>>(this, {
    load: (signal) =>
      this.apiC.value!.get('/api/projects', { query: { all: 'true', includeArchived: 'true', limit: 200 }, signal }),
    deps: () => [this.apiC.value],
    enabled: () => Boolean(this.apiC.value),
  })

  constructor() {
    super()
    this.offset = 0
  }

  override render() {
    const page = this.teams.value
    const items = page?.items ?? []
    const projects = this.projects.value
    const counts = new Map<string, number>()
    for (const p of projects?.items ?? []) if (p.teamId) counts.set(p.teamId, (counts.get(p.teamId) ?? 0) + 1)
    // Counted from the first 200 projects: past that the count would be wrong, so it is not shown.
    const countable = projects !== undefined && projects.nextOffset === null
    return html`<div class="layout">
      <div class="page-head">
        <div><h1>All teams</h1><p class="muted">Every team on this gateway, whether or not you are a member.</p></div>
      </div>
      <div class="card flush">
        ${
          this.teams.error && !page
            ? html`<div class="card-head">${errorAlert(this.teams.error, () => this.teams.reload())}</div>`
            : !page
              ? html`<div class="card-head">${loading('Loading teams')}</div>`
              : items.length === 0
                ? empty('No teams', 'Nobody has created a team yet.')
                : html`<div class="table-wrap"><table>
                  <thead><tr><th>Team</th><th>Projects</th><th>Your role</th><th class="hide-narrow">Created</th></tr></thead>
                  <tbody>
                    ${items.map(
                      (t) => html`<tr>
                        <td><a href=${teamHref(t.slug)}>${t.name}</a><div class="muted small clip">${t.description}</div></td>
                        <td>${countable ? (counts.get(t.id) ?? 0) : html`<span class="muted small">—</span>`}</td>
                        <td>${t.role ? roleBadge(t.role) : html`<span class="muted small">not a member</span>`}</td>
                        <td class="hide-narrow">${time(t.createdAt)}</td>
                      </tr>`,
                    )}
                  </tbody>
                </table></div>
                <div class="card-head row">
                  <span class="muted small">${`${page.offset + 1}–${page.offset + items.length} of ${page.total}`}</span>
                  <span class="spacer"></span>
                  <button class="small" type="button" ?disabled=${page.offset === 0}
                    @click=${() => (this.offset = Math.max(0, page.offset - LIMIT))}>Previous</button>
                  <button class="small" type="button" ?disabled=${page.nextOffset === null}
                    @click=${() => (this.offset = page.nextOffset ?? 0)}>Next</button>
                </div>`
        }
      </div>
    </div>`
  }
}

customElements.define('mcpo-admin-teams', McpoAdminTeams)
