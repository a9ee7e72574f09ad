// My Projects: every project the user belongs to, across teams (favorites first), invitations waiting for an answer,
// and the new-project form.
import { ContextConsumer } from '@lit/context'
import { css, html, LitElement, nothing } from 'lit'
import type { MyInvitation, Page, Project, Team } from '../api-types.ts'
import { apiContext, routerContext, userContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { projectHref } from '../router.ts'
import { base } from '../styles.ts'
import './mcpo-email-notice.ts'
import './mcpo-project-create.ts'
import { empty, errorAlert, loading, roleBadge, time, toast } from './template-pieces.ts'

export const projectCardStyles = css`
  .project {
    display: flex;
    flex-direction: column;
    gap: 8px;
    color: inherit;
    min-height: 128px;
    transition:
      border-color 0.12s,
      box-shadow 0.12s;
  }
  .project:hover {
    border-color: var(--accent);
    text-decoration: none;
    box-shadow: 0 4px 12px rgba(79, 70, 229, 0.08);
  }
  .project h3 {
    font-size: 1rem;
  }
  .project .desc {
    color: var(--muted);
    font-size: 0.8125rem;
    flex: 1;
    overflow: hidden;
    display: -webkit-box;
    -webkit-line-clamp: 2;
    -webkit-box-orient: vertical;
  }
  .project .meta {
    display: flex;
    align-items: center;
    gap: 6px;
    flex-wrap: wrap;
    font-size: 0.75rem;
    color: var(--muted);
  }
  /* Team and age, with a separator only between two facts on one line: each fact after the first starts with its
     separator, and the row is shifted left by one separator inside a clipping frame, so a fact that begins a line
     hides its separator. No line ends (or begins) with a dangling "·". */
  .project .facts {
    flex: 1 1 auto;
    min-width: 0;
    overflow: hidden;
  }
  .project .facts > span {
    display: flex;
    flex-wrap: wrap;
    margin-left: -14px;
  }
  .project .fact {
    min-width: 0;
    overflow-wrap: anywhere;
  }
  .project .fact.nowrap {
    white-space: nowrap;
  }
  .project .sep {
    display: inline-block;
    width: 14px;
    text-align: center;
  }
  .card-head {
    display: flex;
    align-items: flex-start;
    gap: 8px;
  }
  .card-head h3 {
    flex: 1;
    min-width: 0;
    overflow-wrap: anywhere;
  }
`

/** A project as a card linking to its page. */
export function projectCard(p: Project, teamName: string | null, extra: unknown = nothing) {
  return html`<a class="card project" href=${projectHref(p.id)}>
    <div class="card-head"><h3>${p.name}</h3>${extra}</div>
    <p class="desc">${p.description || html`<span class="mono">${p.id}</span>`}</p>
    <div class="meta">
      ${roleBadge(p.role)} ${p.archived ? html`<span class="badge warn">archived</span>` : nothing}
      <span class="facts"><span>
        <span class="fact"><span class="sep" aria-hidden="true">·</span>${teamName ?? 'personal'}</span>
        <span class="fact nowrap"><span class="sep" aria-hidden="true">·</span>created ${time(p.createdAt)}</span>
      </span></span>
    </div>
  </a>`
}

export class McpoProjectsPage extends LitElement {
  static override properties = { creating: { state: true }, archived: { state: true } }
  static override styles = [
    base,
    projectCardStyles,
    css`
      .invites {
        margin-bottom: 20px;
      }
      .invite {
        display: flex;
        align-items: center;
        gap: 10px;
        flex-wrap: wrap;
        padding: 10px 0;
        border-bottom: 1px solid var(--border);
      }
      .invite:last-child {
        border-bottom: 0;
      }
      mcpo-project-create {
        display: block;
        margin-bottom: 20px;
      }
    `,
  ]

  declare creating: boolean
  declare archived: boolean

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly router = new ContextConsumer(this, { context: routerContext })
  private readonly user = new ContextConsumer(this, { context: userContext, subscribe: true })
  private readonly act = new Action(this)
  private readonly data = new Resource(this, {
    load: async (signal) => {
      const api = this.api.value!
      // An unverified email is refused its invitations (the notice says why): do not ask for them.
      const verified = this.user.value?.emailVerified !== false
      const [projects, teams, favorites, invitations] = await Promise.all([
        api.get<Page<Project>>('/api/projects', { query: { limit: 200, includeArchived: this.archived }, signal }),
        api.get<Page<Team>>('/api/teams', { query: { limit: 200 }, signal }),
        api.get<Page<{ projectId: string }>>('/api/me/favorites', { query: { limit: 200 }, signal }),
        verified ? api.get<Page<MyInvitation>>('/api/invitations', { query: { limit: 50 }, signal }) : null,
      ])
      return {
        projects,
        teams,
        favorites: new Set(favorites.items.map((f) => f.projectId)),
        invitations: invitations?.items ?? [],
      }
    },
    deps: () => [this.archived, this.user.value?.emailVerified],
  })

  constructor() {
    super()
    this.creating = false
    this.archived = false
  }

  private async answer(inv: MyInvitation, verb: 'accept' | 'decline'): Promise<void> {
    await this.act.run(() => this.api.value!.post(`/api/invitations/${inv.id}/${verb}`), inv.id)
    if (this.act.error) return
    const what = inv.project?.name ?? inv.team?.name ?? 'the project'
    toast(this, verb === 'accept' ? `You joined ${what}` : 'Invitation declined')
    await this.data.reload(true)
  }

  private created(e: CustomEvent<Project>): void {
    toast(this, `Project “${e.detail.name}” created`)
    this.router.value?.navigate(projectHref(e.detail.id))
  }

  override render() {
    const d = this.data.value
    return html`<div class="page-head">
        <div>
          <h1>My Projects</h1>
          <p class="muted">Every project you belong to, directly or through a team.</p>
        </div>
        <div class="row">
          <label class="check small"><input type="checkbox" .checked=${this.archived}
            @change=${(e: Event) => (this.archived = (e.target as HTMLInputElement).checked)} />Show archived</label>
          ${this.creating ? nothing : html`<button class="primary" @click=${() => (this.creating = true)}>New project</button>`}
        </div>
      </div>
      ${
        this.creating
          ? html`<mcpo-project-create @mcpo-project-created=${this.created} @mcpo-cancel=${() => (this.creating = false)}></mcpo-project-create>`
          : nothing
      }
      ${errorAlert(this.act.error)}
      <mcpo-email-notice .user=${this.user.value ?? null}></mcpo-email-notice>
      ${d?.invitations.length ? this.invitations(d.invitations) : nothing}
      ${this.list()}`
  }

  private invitations(items: MyInvitation[]) {
    return html`<section class="card invites" aria-labelledby="inv-title">
      <h2 id="inv-title">Invitations for you</h2>
      ${items.map(
        (i) => html`<div class="invite">
          <div class="spacer">
            <strong>${i.project?.name ?? (i.team ? `Team ${i.team.name}` : 'A project')}</strong> as ${roleBadge(i.role)}
            <div class="muted small">from ${i.inviter?.name || i.inviter?.email || 'someone'} · expires ${time(i.expiresAt)}</div>
          </div>
          <button class="primary small" ?disabled=${this.act.busy} @click=${() => this.answer(i, 'accept')}>Accept</button>
          <button class="small" ?disabled=${this.act.busy} @click=${() => this.answer(i, 'decline')}>Decline</button>
        </div>`,
      )}
    </section>`
  }

  private list() {
    const r = this.data
    if (r.error && !r.value) return errorAlert(r.error, () => r.reload())
    if (!r.value) return loading('Loading projects')
    const { projects, teams, favorites } = r.value
    if (!projects.items.length) {
      return html`<div class="card">${empty(
        'No projects yet',
        'A project holds MCP servers, members and API keys. Create one, or ask a project owner to invite you.',
        this.creating
          ? undefined
          : html`<button class="primary" @click=${() => (this.creating = true)}>Create your first project</button>`,
      )}</div>`
    }
    const names = new Map(teams.items.map((t) => [t.id, t.name]))
    const sorted = [...projects.items].sort(
      (a, b) => Number(favorites.has(b.id)) - Number(favorites.has(a.id)) || a.name.localeCompare(b.name),
    )
    return html`<div class="grid">
      ${sorted.map((p) => {
        // The star sits inside the card's link: keep its click from following the link.
        const star = html`<mcpo-favorite-toggle .projectId=${p.id} .favorite=${favorites.has(p.id)}
          @click=${(e: Event) => e.preventDefault()} @favorite-change=${() => void this.data.reload(true)}></mcpo-favorite-toggle>`
        return projectCard(p, p.teamId ? (names.get(p.teamId) ?? 'team') : null, star)
      })}
    </div>`
  }
}

customElements.define('mcpo-projects-page', McpoProjectsPage)
