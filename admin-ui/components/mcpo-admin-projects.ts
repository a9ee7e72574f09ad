// <mcpo-admin-projects>: every project for administrators (archived ones behind a toggle), with its team, the
// administrator's own role, and its upstream servers from the system status (one call for all projects).
import { css, html, LitElement, nothing } from 'lit'
import type { Page, Project, Team } from '../api-types.ts'
import { Resource } from '../controllers/resource.ts'
import { projectHref, teamHref } from '../router.ts'
import { base } from '../styles.ts'
import { empty, errorAlert, loading, roleBadge, time } from './template-pieces.ts'
import { consumeApi, shared } from './view-support.ts'

interface ServerRow {
  projectId: string
  name: string
  enabled: boolean
  state: string
}

const LIMIT = 50

export class McpoAdminProjects extends LitElement {
  static override properties = {
    archived: { state: true },
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
  declare archived: boolean
  declare offset: number
  private readonly apiC = consumeApi(this)
  private readonly projects = new Resource<Page<Project>>(this, {
    load: (signal) =>
      this.apiC.value!.get('/api/projects', {
        query: { all: 'true', includeArchived: this.archived ? 'true' : undefined, limit: LIMIT, offset: this.offset },
        signal,
      }),
    deps: () => [this.archived, this.offset, this.apiC.value],
    enabled: () => Boolean(this.apiC.value),
  })
  private readonly teams = new Resource<Page<Team>>(this, {
    load: (signal) => this.apiC.value!.get('/api/teams', { query: { all: 'true', limit: 200 }, signal }),
    deps: () => [this.apiC.value],
    enabled: () => Boolean(this.apiC.value),
  })
  // Server counts are a nicety: when the status call fails the list still shows, without them.
  private readonly servers = new Resource<{ servers: ServerRow[] }>(this, {
    load: (signal) => this.apiC.value!.get('/api/admin/status', { signal }),
    deps: () => [this.apiC.value],
    enabled: () => Boolean(this.apiC.value),
  })

  constructor() {
    super()
    this.archived = false
    this.offset = 0
  }

  private serversOf(projectId: string) {
    const rows = this.servers.value?.servers
    if (!rows) return html`<span class="muted small">—</span>`
    const mine = rows.filter((s) => s.projectId === projectId)
    if (!mine.length) return html`<span class="muted small">none</span>`
    const running = mine.filter((s) => s.enabled && s.state === 'running').length
    const failed = mine.filter((s) => s.enabled && s.state === 'failed').length
    return html`${mine.length}
      ${running ? html`<span class="badge ok">${running} running</span>` : nothing}
      ${failed ? html`<span class="badge bad">${failed} failed</span>` : nothing}`
  }

  override render() {
    const page = this.projects.value
    const items = page?.items ?? []
    const teams = new Map((this.teams.value?.items ?? []).map((t) => [t.id, t]))
    return html`<div class="layout">
      <div class="page-head">
        <div><h1>All projects</h1><p class="muted">Every project on this gateway, whether or not you are a member.</p></div>
      </div>
      <div class="card flush">
        <div class="card-head toolbar">
          <label class="check"><input type="checkbox" .checked=${this.archived} @change=${(e: Event) => {
            this.offset = 0
            this.archived = (e.target as HTMLInputElement).checked
          }} />Show archived projects</label>
        </div>
        ${
          this.projects.error && !page
            ? html`<div class="card-head">${errorAlert(this.projects.error, () => this.projects.reload())}</div>`
            : !page
              ? html`<div class="card-head">${loading('Loading projects')}</div>`
              : items.length === 0
                ? empty('No projects', 'Nobody has created a project yet.')
                : html`<div class="table-wrap"><table>
                  <thead><tr>
                    <th>Project</th><th>Team</th><th>Servers</th><th>Your role</th><th>Status</th>
                    <th class="hide-narrow">Created</th>
                  </tr></thead>
                  <tbody>
                    ${items.map((p) => {
                      const team = p.teamId ? teams.get(p.teamId) : undefined
                      return html`<tr>
                        <td><a href=${projectHref(p.id)}>${p.name}</a><div class="muted small mono">${p.id}</div></td>
                        <td>${
                          team
                            ? html`<a href=${teamHref(team.slug)}>${team.name}</a>`
                            : html`<span class="muted small">${p.teamId ? 'team' : 'personal'}</span>`
                        }</td>
                        <td class="nowrap">${this.serversOf(p.id)}</td>
                        <td>${p.role ? roleBadge(p.role) : html`<span class="muted small">not a member</span>`}</td>
                        <td>${
                          p.archived
                            ? html`<span class="badge warn">archived</span>`
                            : html`<span class="badge ok">active</span>`
                        }${p.source === 'config' ? html` <span class="badge">config</span>` : nothing}</td>
                        <td class="hide-narrow">${time(p.createdAt)}</td>
                      </tr>`
                    })}
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

customElements.define('mcpo-admin-projects', McpoAdminProjects)
