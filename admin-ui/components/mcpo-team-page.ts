// A team: its projects (and a new one in it) and its members (invite by email, change role, remove, manage pending
// invitations; team owners only). An invitation is answered the same whether or not the email has an account.
import { ContextConsumer } from '@lit/context'
import { css, html, LitElement, nothing } from 'lit'
import {
  type Invitation,
  type MemberInvited,
  type Page,
  type Project,
  ROLES,
  type Role,
  type Team,
  type TeamMember,
} from '../api-types.ts'
import { apiContext, routerContext, userContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { canTeam } from '../permissions.ts'
import { projectHref, type TeamTab, teamHref } from '../router.ts'
import { base } from '../styles.ts'
import type { McpoConfirm } from './mcpo-confirm.ts'
import './mcpo-confirm.ts'
import './mcpo-copy.ts'
import './mcpo-project-create.ts'
import { projectCard, projectCardStyles } from './mcpo-projects-page.ts'
import { empty, errorAlert, fieldError, loading, roleBadge, time, toast } from './template-pieces.ts'

export class McpoTeamPage extends LitElement {
  static override properties = { teamId: {}, tab: {}, creating: { state: true }, link: { state: true } }
  static override styles = [
    base,
    projectCardStyles,
    css`
      .add {
        display: grid;
        grid-template-columns: 1fr 160px auto;
        gap: 10px;
        align-items: start;
        margin-bottom: 16px;
      }
      .toolbar {
        justify-content: flex-end;
        margin-bottom: 16px;
      }
      mcpo-project-create {
        display: block;
        margin-bottom: 20px;
      }
      .link {
        display: flex;
        gap: 8px;
        align-items: center;
        margin-top: 8px;
      }
      .link code {
        flex: 1;
        min-width: 0;
        overflow-wrap: anywhere;
      }
      h2 {
        margin: 24px 0 10px;
      }
      select.role {
        width: auto;
        min-height: 30px;
        padding: 3px 8px;
      }
      @media (max-width: 640px) {
        .add {
          grid-template-columns: 1fr;
        }
      }
    `,
  ]

  declare teamId: string
  declare tab: TeamTab
  declare creating: boolean
  /** The one-time link of the last invitation when no mail plugin delivered it, for the owner to pass on. */
  declare link: string | null

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly router = new ContextConsumer(this, { context: routerContext })
  private readonly user = new ContextConsumer(this, { context: userContext, subscribe: true })
  private readonly act = new Action(this)
  private readonly add = new Action(this)
  private readonly team = new Resource(this, {
    load: (signal) => this.api.value!.get<Team>(`/api/teams/${encodeURIComponent(this.teamId)}`, { signal }),
    deps: () => [this.teamId],
  })
  private readonly projects = new Resource(this, {
    load: (signal) =>
      this.api.value!.get<Page<Project>>(`/api/teams/${encodeURIComponent(this.teamId)}/projects`, {
        query: { limit: 200 },
        signal,
      }),
    deps: () => [this.teamId],
    enabled: () => this.tab === 'projects',
  })
  private readonly members = new Resource(this, {
    load: async (signal) => {
      const base = `/api/teams/${encodeURIComponent(this.teamId)}`
      const [members, invitations] = await Promise.all([
        this.api.value!.get<Page<TeamMember>>(`${base}/members`, { query: { limit: 200 }, signal }),
        this.api.value!.get<Page<Invitation>>(`${base}/invitations`, { query: { limit: 200 }, signal }),
      ])
      return { ...members, invitations: invitations.items }
    },
    deps: () => [this.teamId, this.tab],
    enabled: () => this.tab === 'members',
  })

  constructor() {
    super()
    this.teamId = ''
    this.tab = 'projects'
    this.creating = false
    this.link = null
  }

  protected override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('tab') && this.tab === 'projects' && !this.projects.ready) void this.projects.reload()
  }

  private get base(): string {
    return `/api/teams/${encodeURIComponent(this.team.value?.id ?? this.teamId)}/members`
  }

  private async addMember(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const data = new FormData(form)
    this.link = null
    const done = await this.add.run(() =>
      this.api.value!.post<MemberInvited>(this.base, {
        email: String(data.get('email') ?? '').trim(),
        role: String(data.get('role')),
      }),
    )
    if (!done) return
    form.reset()
    if (done.link) this.link = new URL(done.link, location.origin).href
    // They join when they accept: nothing here may say whether the address has an account.
    toast(this, `Invitation sent to ${done.invitation.email}`)
    await this.members.reload(true)
  }

  private async invitation(i: Invitation, verb: 'resend' | 'revoke'): Promise<void> {
    const answer = await this.act.run(
      () =>
        verb === 'resend'
          ? this.api.value!.post<{ link: string | null }>(`/api/invitations/${i.id}/resend`)
          : this.api.value!.delete<undefined>(`/api/invitations/${i.id}`),
      i.id,
    )
    if (this.act.error) return
    if (answer?.link) this.link = new URL(answer.link, location.origin).href
    toast(this, verb === 'resend' ? 'Invitation renewed' : 'Invitation revoked')
    await this.members.reload(true)
  }

  private async setRole(m: TeamMember, role: Role): Promise<void> {
    await this.act.run(() => this.api.value!.put(`${this.base}/${m.userId}`, { role }), m.userId)
    if (!this.act.error) toast(this, `${m.email} is now ${role}`)
    await this.members.reload(true)
  }

  private async removeItem(m: TeamMember): Promise<void> {
    const me = this.user.value?.id === m.userId
    const ok = await this.renderRoot.querySelector<McpoConfirm>('mcpo-confirm')!.ask({
      title: me ? 'Leave this team?' : `Remove ${m.name || m.email}?`,
      message: me
        ? 'You lose access to the team’s projects unless you are a member of them directly.'
        : 'They lose access to the team’s projects, and the API keys they made in those projects stop working.',
      confirmLabel: me ? 'Leave team' : 'Remove',
    })
    if (!ok) return
    await this.act.run(() => this.api.value!.delete(`${this.base}/${m.userId}`), m.userId)
    if (this.act.error) return
    if (me) this.router.value?.navigate('/admin/teams')
    else await this.members.reload(true)
  }

  override render() {
    const t = this.team
    if (t.error && !t.value) return errorAlert(t.error, () => t.reload())
    if (!t.value) return loading('Loading team')
    const team = t.value
    const tab = (id: TeamTab, label: string) =>
      html`<a href=${teamHref(this.teamId, id)} aria-current=${this.tab === id ? 'page' : 'false'}>${label}</a>`
    return html`<div class="page-head">
        <div>
          <p class="muted small"><a href="/admin/teams">Teams</a> /</p>
          <h1>${team.name}</h1>
          <p class="muted">${team.description || html`<span class="mono">${team.slug}</span>`}</p>
        </div>
        <div>${team.role ? roleBadge(team.role) : html`<span class="badge">administrator</span>`}</div>
      </div>
      <nav class="tabs" aria-label="Team">${tab('projects', 'Projects')}${tab('members', 'Members')}</nav>
      ${this.tab === 'projects' ? this.projectsTab(team) : this.membersTab(team)}
      <mcpo-confirm></mcpo-confirm>`
  }

  private projectsTab(team: Team) {
    const r = this.projects
    const canCreate = canTeam(this.user.value ?? null, team, 'team.createProject')
    const createButton =
      canCreate && !this.creating
        ? html`<button class="primary" @click=${() => (this.creating = true)}>New project in ${team.name}</button>`
        : undefined
    return html`${
      this.creating
        ? html`<mcpo-project-create .teamId=${team.id}
            @mcpo-project-created=${(e: CustomEvent<Project>) => this.router.value?.navigate(projectHref(e.detail.id))}
            @mcpo-cancel=${() => (this.creating = false)}></mcpo-project-create>`
        : nothing
    }
      ${
        r.error && !r.value
          ? errorAlert(r.error, () => r.reload())
          : !r.value
            ? loading('Loading projects')
            : !r.value.items.length
              ? html`<div class="card">${empty(
                  'No projects in this team yet',
                  canCreate
                    ? 'Create one: every member of the team gets it with their team role.'
                    : 'A team owner or developer can create one.',
                  createButton,
                )}</div>`
              : html`<div class="row toolbar">${createButton ?? nothing}</div>
                  <div class="grid">${r.value.items.map((p) => projectCard(p, team.name))}</div>`
      }`
  }

  private membersTab(team: Team) {
    const r = this.members
    const manage = canTeam(this.user.value ?? null, team, 'team.manage')
    const a = this.add
    return html`${
      manage
        ? html`<form class="card add" @submit=${this.addMember} novalidate aria-label="Invite a member">
            <div class="field">
              <label for="m-email">Invite a member by email</label>
              <input id="m-email" name="email" type="email" required placeholder="name@example.com"
                aria-invalid=${a.field('email') ? 'true' : 'false'} aria-describedby="m-email-error" />
              ${fieldError('m-email', a.field('email') ?? a.general(['email']))}
            </div>
            <div class="field">
              <label for="m-role">Role</label>
              <select id="m-role" name="role">${ROLES.map((x) => html`<option ?selected=${x === 'developer'}>${x}</option>`)}</select>
            </div>
            <div class="field"><label aria-hidden="true">&nbsp;</label><button class="primary" type="submit" ?disabled=${a.busy}>Invite</button></div>
          </form>
          ${
            this.link
              ? html`<div class="alert info" role="status">
                  <strong>Pass this link on</strong> if they have no account yet: it works once and expires in 7 days.
                  Anyone who already has one sees the invitation when they sign in.
                  <div class="link"><code>${this.link}</code><mcpo-copy .text=${this.link} label="Copy link"></mcpo-copy></div>
                </div>`
              : nothing
          }`
        : nothing
    }
      ${errorAlert(this.act.error)}
      ${
        r.error && !r.value
          ? errorAlert(r.error, () => r.reload())
          : !r.value
            ? loading('Loading members')
            : html`<div class="card flush table-wrap"><table>
                <thead><tr><th>Member</th><th>Role</th><th class="hide-narrow">Since</th><th><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>${r.value.items.map(
                  (m) => html`<tr>
                    <td><strong>${m.name || m.email}</strong><div class="muted small">${m.email}</div></td>
                    <td>${
                      manage
                        ? html`<select class="role" aria-label="Role of ${m.email}" ?disabled=${this.act.busy}
                            @change=${(e: Event) => this.setRole(m, (e.target as HTMLSelectElement).value as Role)}>
                            ${ROLES.map((x) => html`<option ?selected=${x === m.role}>${x}</option>`)}
                          </select>`
                        : roleBadge(m.role)
                    }</td>
                    <td class="hide-narrow">${time(m.createdAt)}</td>
                    <td class="actions">${
                      manage || this.user.value?.id === m.userId
                        ? html`<button class="small" @click=${() => this.removeItem(m)}>${this.user.value?.id === m.userId ? 'Leave' : 'Remove'}</button>`
                        : nothing
                    }</td>
                  </tr>`,
                )}</tbody>
              </table></div>
              ${manage && r.value.invitations.length ? this.pending(r.value.invitations) : nothing}`
      }`
  }

  private pending(invitations: Invitation[]) {
    return html`<h2>Pending invitations</h2>
      <div class="card flush table-wrap"><table>
        <thead><tr><th>Invitee</th><th class="hide-narrow">Role</th><th>Expires</th><th><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${invitations.map(
          (i) => html`<tr>
            <td>${i.email ?? '—'}</td><td class="hide-narrow">${roleBadge(i.role)}</td>
            <td>${i.status === 'expired' ? html`<span class="badge warn">expired</span>` : time(i.expiresAt)}</td>
            <td class="actions">
              <button class="small" ?disabled=${this.act.busy} @click=${() => this.invitation(i, 'resend')}>Resend</button>
              <button class="small ghost" ?disabled=${this.act.busy} @click=${() => this.invitation(i, 'revoke')}>Revoke</button>
            </td>
          </tr>`,
        )}</tbody>
      </table></div>`
  }
}

customElements.define('mcpo-team-page', McpoTeamPage)
