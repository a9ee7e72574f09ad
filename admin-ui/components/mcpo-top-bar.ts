// The top bar: brand, the two ways to navigate the product requirements ask for (Teams: team → its projects and
// members; My Projects: every project of the user across teams), and the user menu (profile, administration,
// sign out). The menus load their lists when opened, so they are never stale.
import { ContextConsumer } from '@lit/context'
import { css, html, LitElement, nothing } from 'lit'
import type { Page, Project, Team, User } from '../api-types.ts'
import { apiContext } from '../contexts.ts'
import { Resource } from '../controllers/resource.ts'
import { hrefOf, projectHref, type Route, teamHref } from '../router.ts'
import { base } from '../styles.ts'
import './mcpo-menu.ts'

export class McpoTopBar extends LitElement {
  static override properties = { user: { attribute: false }, route: { attribute: false } }
  static override styles = [
    base,
    css`
      :host {
        display: block;
        background: var(--topbar);
        color: #e5e7eb;
        position: sticky;
        top: 0;
        z-index: 40;
      }
      nav {
        max-width: 1200px;
        margin: 0 auto;
        height: 52px;
        padding: 0 16px;
        display: flex;
        align-items: center;
        gap: 4px;
      }
      .brand {
        display: flex;
        align-items: center;
        gap: 8px;
        color: #fff;
        font-weight: 700;
        letter-spacing: -0.02em;
        margin-right: 12px;
      }
      .brand:hover {
        text-decoration: none;
      }
      .logo {
        width: 24px;
        height: 24px;
        border-radius: 6px;
        background: var(--accent);
        display: grid;
        place-items: center;
        font-size: 0.8125rem;
      }
      .menu-item {
        display: block;
        padding: 7px 10px;
        border-radius: var(--radius);
        color: var(--fg);
        font-size: 0.875rem;
      }
      button.menu-item {
        width: 100%;
        justify-content: flex-start;
        border: 0;
        font-weight: 400;
        min-height: 0;
      }
      .menu-item:hover,
      .menu-item:focus-visible {
        background: var(--hover);
        text-decoration: none;
      }
      .menu-item small {
        display: block;
        color: var(--muted);
        font-size: 0.75rem;
      }
      .team {
        display: flex;
        align-items: center;
        gap: 4px;
      }
      .team .menu-item:first-child {
        flex: 1;
        min-width: 0;
      }
      .team .sub {
        font-size: 0.75rem;
        color: var(--muted);
        padding: 4px 8px;
      }
      .sep {
        height: 1px;
        background: var(--border);
        margin: 6px 4px;
      }
      .head {
        padding: 6px 10px 4px;
        font-size: 0.6875rem;
        text-transform: uppercase;
        letter-spacing: 0.06em;
        color: var(--muted);
      }
      .note {
        padding: 8px 10px;
        font-size: 0.8125rem;
        color: var(--muted);
      }
      .avatar {
        width: 28px;
        height: 28px;
        border-radius: 50%;
        background: #374151;
        color: #fff;
        display: grid;
        place-items: center;
        font-size: 0.75rem;
        font-weight: 600;
      }
      .who {
        padding: 8px 10px;
        font-size: 0.8125rem;
      }
      .truncate {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      @media (max-width: 640px) {
        nav {
          padding: 0 8px;
        }
        .brand span:last-child {
          display: none;
        }
        .brand {
          margin-right: 4px;
        }
      }
    `,
  ]

  declare user: User
  declare route: Route

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly teams = new Resource(this, {
    load: (signal) => this.api.value!.get<Page<Team>>('/api/teams', { query: { limit: 200 }, signal }),
    enabled: () => this.teamsWanted,
  })
  private readonly projects = new Resource(this, {
    load: (signal) => this.api.value!.get<Page<Project>>('/api/projects', { query: { limit: 200 }, signal }),
    enabled: () => this.projectsWanted,
  })
  private teamsWanted = false
  private projectsWanted = false

  private openTeams(): void {
    this.teamsWanted = true
    void this.teams.reload(this.teams.ready)
  }

  private openProjects(): void {
    this.projectsWanted = true
    void this.projects.reload(this.projects.ready)
  }

  private list<T>(r: Resource<Page<T>>, none: string, item: (t: T) => unknown) {
    if (r.error) return html`<div class="note">${r.error.message}</div>`
    if (!r.value) return html`<div class="note">Loading…</div>`
    if (!r.value.items.length) return html`<div class="note">${none}</div>`
    return r.value.items.map(item)
  }

  override render() {
    const u = this.user
    const initials = (u.name || u.email)
      .split(/[\s@.]+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((s) => s[0]!.toUpperCase())
      .join('')
    const teamNames = new Map((this.teams.value?.items ?? []).map((t) => [t.id, t.name]))
    return html`<nav aria-label="Main">
      <a class="brand" href=${hrefOf({ name: 'projects' })}><span class="logo" aria-hidden="true">m</span><span>mcpo</span></a>
      <mcpo-menu label="Teams" @mcpo-menu-open=${this.openTeams}>
        <div class="head">Your teams</div>
        ${this.list(
          this.teams,
          'You are in no team yet.',
          (t: Team) => html`<div class="team">
            <a class="menu-item truncate" role="menuitem" href=${teamHref(t.slug)}>${t.name}</a>
            <a class="menu-item sub" role="menuitem" href=${teamHref(t.slug, 'projects')} aria-label="${t.name}: projects">Projects</a>
            <a class="menu-item sub" role="menuitem" href=${teamHref(t.slug, 'members')} aria-label="${t.name}: members">Members</a>
          </div>`,
        )}
        <div class="sep"></div>
        <a class="menu-item" role="menuitem" href=${hrefOf({ name: 'teams' })}>All teams · create a team</a>
      </mcpo-menu>
      <mcpo-menu label="My Projects" @mcpo-menu-open=${() => {
        this.openProjects()
        if (!this.teams.ready) this.openTeams()
      }}>
        <div class="head">Projects you belong to</div>
        ${this.list(
          this.projects,
          'No projects yet.',
          (p: Project) => html`<a class="menu-item" role="menuitem" href=${projectHref(p.id)}>
            <span class="truncate">${p.name}</span>
            <small class="truncate">${p.teamId ? (teamNames.get(p.teamId) ?? 'team project') : 'personal'} · ${p.role ?? 'admin'}</small>
          </a>`,
        )}
        <div class="sep"></div>
        <a class="menu-item" role="menuitem" href=${hrefOf({ name: 'projects' })}>All my projects · new project</a>
      </mcpo-menu>
      <span class="spacer"></span>
      <mcpo-menu align="right">
        <span slot="label" class="avatar" title=${u.email}>${initials}</span>
        <span slot="label" class="sr-only">Account menu</span>
        <div class="who"><strong>${u.name || u.email}</strong><div class="muted truncate">${u.email}</div></div>
        <div class="sep"></div>
        <a class="menu-item" role="menuitem" href=${hrefOf({ name: 'profile' })}>Profile and password</a>
        ${
          u.isAdmin
            ? html`<div class="sep"></div>
                <div class="head">Administration</div>
                <a class="menu-item" role="menuitem" href=${hrefOf({ name: 'system', page: 'users' })}>Users</a>
                <a class="menu-item" role="menuitem" href=${hrefOf({ name: 'system', page: 'teams' })}>All teams</a>
                <a class="menu-item" role="menuitem" href=${hrefOf({ name: 'system', page: 'projects' })}>All projects</a>
                <a class="menu-item" role="menuitem" href=${hrefOf({ name: 'system', page: 'keys' })}>API keys</a>
                <a class="menu-item" role="menuitem" href=${hrefOf({ name: 'system', page: 'catalog' })}>Server catalog</a>
                <a class="menu-item" role="menuitem" href=${hrefOf({ name: 'system', page: 'project-templates' })}>Project templates</a>
                <a class="menu-item" role="menuitem" href=${hrefOf({ name: 'system', page: 'events' })}>Security events</a>
                <a class="menu-item" role="menuitem" href=${hrefOf({ name: 'system', page: 'status' })}>System status</a>`
            : nothing
        }
        <div class="sep"></div>
        <button class="menu-item ghost" role="menuitem" @click=${this.signOut}>Sign out</button>
      </mcpo-menu>
    </nav>`
  }

  private signOut(): void {
    this.dispatchEvent(new Event('mcpo-signed-out', { bubbles: true, composed: true }))
  }
}

customElements.define('mcpo-top-bar', McpoTopBar)
