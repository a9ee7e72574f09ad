// The project page: header, the six tabs of the product requirements (Overview, Members, Servers, Tools, Activity,
// Settings), and the server detail modal over the Servers tab (/admin/projects/:id/servers/:name). It loads the
// project once and provides it (with the caller's role) to every tab through projectContext; every tab also gets
// `projectId`. Tabs send `mcpo-project-changed` after edits that change the project itself.
import { ContextConsumer, ContextProvider } from '@lit/context'
import { css, html, LitElement, nothing, type TemplateResult } from 'lit'
import type { Page, Project, Team } from '../api-types.ts'
import { apiContext, projectContext, routerContext } from '../contexts.ts'
import { Resource } from '../controllers/resource.ts'
import { PROJECT_TABS, type ProjectTab, projectHref, teamHref } from '../router.ts'
import { base } from '../styles.ts'
import './mcpo-overview-tab.ts'
import './mcpo-members-tab.ts'
import './mcpo-servers-tab.ts'
import './mcpo-settings-tab.ts'
import { errorAlert, loading, roleBadge } from './template-pieces.ts'

const LABELS: Record<ProjectTab, string> = {
  overview: 'Overview',
  members: 'Members',
  servers: 'Servers',
  tools: 'Tools',
  activity: 'Activity',
  settings: 'Settings',
}

export class McpoProjectPage extends LitElement {
  static override properties = { projectId: {}, tab: {}, server: {} }
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      .crumbs {
        font-size: 0.8125rem;
        color: var(--muted);
        margin-bottom: 2px;
      }
      h1 {
        display: flex;
        align-items: center;
        gap: 10px;
        flex-wrap: wrap;
      }
      .desc {
        color: var(--muted);
        margin-top: 4px;
        max-width: 760px;
      }
      .archived {
        margin-bottom: 16px;
      }
    `,
  ]

  declare projectId: string
  declare tab: ProjectTab
  declare server: string | null

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly router = new ContextConsumer(this, { context: routerContext })
  private readonly provider = new ContextProvider(this, { context: projectContext, initialValue: null })
  private readonly project = new Resource(this, {
    load: async (signal) => {
      const api = this.api.value!
      const [project, favorites] = await Promise.all([
        api.get<Project>(`/api/projects/${encodeURIComponent(this.projectId)}`, { signal }),
        api.get<Page<{ projectId: string }>>('/api/me/favorites', { query: { limit: 200 }, signal }),
      ])
      // The team for the breadcrumb, from the caller's own teams: one they are not in is just not named.
      const team = project.teamId
        ? ((await api.get<Page<Team>>('/api/teams', { query: { limit: 200 }, signal })).items.find(
            (t) => t.id === project.teamId,
          ) ?? null)
        : null
      return { project, team, favorite: favorites.items.some((f) => f.projectId === project.id) }
    },
    deps: () => [this.projectId],
  })

  constructor() {
    super()
    this.projectId = ''
    this.tab = 'overview'
    this.server = null
    this.addEventListener('mcpo-project-changed', (e) => {
      const changed = (e as CustomEvent<Project | null>).detail
      if (changed && this.project.value) {
        this.project.value = { ...this.project.value, project: changed }
        this.provider.setValue(changed)
        this.requestUpdate()
      } else void this.project.reload(true)
    })
  }

  protected override willUpdate(): void {
    const p = this.project.value?.project ?? null
    if (this.provider.value !== p) this.provider.setValue(p)
  }

  private closeServer(): void {
    this.router.value?.navigate(projectHref(this.projectId, 'servers'))
  }

  override render() {
    const r = this.project
    if (r.error && !r.value) {
      return r.error.status === 404
        ? html`<div class="card empty">
            <h3>Project not found</h3>
            <p>It does not exist, or you are not a member of it.</p>
            <a class="btn primary" href="/admin/projects">Back to My Projects</a>
          </div>`
        : errorAlert(r.error, () => r.reload())
    }
    if (!r.value) return loading('Loading project')
    const { project: p, team, favorite } = r.value
    return html`<header class="page-head">
        <div>
          <div class="crumbs">
            ${team ? html`<a href=${teamHref(team.slug)}>${team.name}</a>` : html`<a href="/admin/projects">My Projects</a>`} /
          </div>
          <h1>
            ${p.name} <mcpo-favorite-toggle .projectId=${p.id} .favorite=${favorite}></mcpo-favorite-toggle> ${roleBadge(p.role)}
            ${p.archived ? html`<span class="badge warn">archived</span>` : nothing}
          </h1>
          ${p.description ? html`<p class="desc">${p.description}</p>` : nothing}
        </div>
      </header>
      ${
        p.archived
          ? html`<div class="alert warn archived" role="status">
              This project is archived: its MCP endpoints do not serve and it takes no changes.
              ${p.role === 'owner' ? html`Restore it under <a href=${projectHref(p.id, 'settings')}>Settings</a>.` : nothing}
            </div>`
          : nothing
      }
      <nav class="tabs" aria-label="Project">
        ${PROJECT_TABS.map(
          (t) =>
            html`<a href=${projectHref(p.id, t)} aria-current=${this.tab === t ? 'page' : 'false'}>${LABELS[t]}</a>`,
        )}
      </nav>
      <section aria-label=${LABELS[this.tab]}>${this.body(p)}</section>
      ${
        this.server
          ? html`<mcpo-server-detail .projectId=${p.id} .serverName=${this.server} open
              @close=${this.closeServer} @server-deleted=${this.closeServer}></mcpo-server-detail>`
          : nothing
      }`
  }

  private body(p: Project): TemplateResult {
    switch (this.tab) {
      case 'overview':
        return html`<mcpo-overview-tab .project=${p}></mcpo-overview-tab>`
      case 'members':
        return html`<mcpo-members-tab .project=${p}></mcpo-members-tab>`
      case 'servers':
        return html`<mcpo-servers-tab .project=${p}></mcpo-servers-tab>`
      case 'tools':
        return html`<mcpo-tools-tab .projectId=${p.id}></mcpo-tools-tab>`
      case 'activity':
        return html`<mcpo-activity-tab .projectId=${p.id}></mcpo-activity-tab>`
      case 'settings':
        return html`<mcpo-settings-tab .project=${p}></mcpo-settings-tab>`
    }
  }
}

customElements.define('mcpo-project-page', McpoProjectPage)
