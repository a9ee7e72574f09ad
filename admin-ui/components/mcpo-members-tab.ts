// The Members tab: who is in the project and how they came in (direct, through the team, by invitation); owners
// invite (a whole team, an existing user, or someone without an account through a one-time link), change roles,
// remove members and manage pending invitations. Everyone may leave.
import { ContextConsumer } from '@lit/context'
import { css, html, LitElement, nothing } from 'lit'
import {
  type Invitation,
  type InvitationAnswer,
  type InvitationKind,
  type Page,
  type Project,
  type ProjectMember,
  ROLES,
  type Role,
  type Team,
} from '../api-types.ts'
import { apiContext, routerContext, userContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { canProject } from '../permissions.ts'
import { base } from '../styles.ts'
import type { McpoConfirm } from './mcpo-confirm.ts'
import './mcpo-confirm.ts'
import './mcpo-copy.ts'
import { errorAlert, fieldError, loading, roleBadge, time, toast } from './template-pieces.ts'

const KINDS: [InvitationKind, string, string][] = [
  ['individual', 'Individual', 'someone who already has an account'],
  ['team', 'Team Member', 'every member of one of your teams'],
  ['external', 'External', 'someone without an account: you get a one-time link'],
]
const SOURCE: Record<ProjectMember['inviteSource'], string> = {
  direct: 'added directly',
  team: 'through the team',
  invitation: 'by invitation',
  config: 'config file',
}

export class McpoMembersTab extends LitElement {
  static override properties = { project: { attribute: false }, kind: { state: true }, link: { state: true } }
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      .invite {
        margin-bottom: var(--gap);
      }
      .invite-grid {
        display: grid;
        grid-template-columns: minmax(0, 1.4fr) 150px auto;
        gap: 10px;
        align-items: start;
      }
      .kinds {
        display: flex;
        gap: 6px;
        flex-wrap: wrap;
        margin-bottom: 12px;
      }
      .kinds button[aria-pressed='true'] {
        background: var(--accent-bg);
        border-color: var(--accent);
        color: var(--accent);
      }
      select.role {
        width: auto;
        min-height: 30px;
        padding: 3px 8px;
      }
      .link {
        display: flex;
        gap: 8px;
        align-items: center;
        margin-top: 12px;
      }
      .link code {
        flex: 1;
        min-width: 0;
        overflow-wrap: anywhere;
        background: var(--surface);
        padding: 6px 8px;
        border-radius: 4px;
      }
      h2 {
        margin: 24px 0 10px;
      }
      .invite h2 {
        margin: 0 0 10px;
      }
      @media (max-width: 640px) {
        .invite-grid {
          grid-template-columns: 1fr;
        }
      }
    `,
  ]

  declare project: Project
  declare kind: InvitationKind
  declare link: string | null

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly router = new ContextConsumer(this, { context: routerContext })
  private readonly user = new ContextConsumer(this, { context: userContext, subscribe: true })
  private readonly act = new Action(this)
  private readonly invite = new Action(this)
  private readonly data = new Resource(this, {
    load: async (signal) => {
      const api = this.api.value!
      const base = `/api/projects/${encodeURIComponent(this.project.id)}`
      const manage = this.manage
      const [members, invitations, teams] = await Promise.all([
        api.get<Page<ProjectMember>>(`${base}/members`, { query: { limit: 200 }, signal }),
        manage ? api.get<Page<Invitation>>(`${base}/invitations`, { query: { limit: 200 }, signal }) : null,
        manage ? api.get<Page<Team>>('/api/teams', { query: { limit: 200 }, signal }) : null,
      ])
      return { members: members.items, invitations: invitations?.items ?? [], teams: teams?.items ?? [] }
    },
    deps: () => [this.project.id, this.manage],
  })

  constructor() {
    super()
    this.kind = 'individual'
    this.link = null
  }

  private get manage(): boolean {
    return !this.project.archived && canProject(this.user.value ?? null, this.project, 'members.manage')
  }

  private get base(): string {
    return `/api/projects/${encodeURIComponent(this.project.id)}`
  }

  private async onInvite(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const data = new FormData(form)
    const role = String(data.get('role'))
    const body =
      this.kind === 'team'
        ? { kind: 'team', teamId: String(data.get('teamId') ?? ''), role }
        : { kind: this.kind, email: String(data.get('email') ?? '').trim(), role }
    this.link = null
    const answer = await this.invite.run(() => this.api.value!.post<InvitationAnswer>(`${this.base}/invitations`, body))
    if (!answer) return
    form.reset()
    if (answer.link) this.link = new URL(answer.link, location.origin).href
    const n = answer.invitations.length
    toast(
      this,
      n
        ? `${n} invitation${n === 1 ? '' : 's'} sent${answer.skipped ? ` (${answer.skipped} already members)` : ''}`
        : 'Everyone is already a member or invited',
    )
    await this.data.reload(true)
  }

  private async setRole(m: ProjectMember, role: Role): Promise<void> {
    await this.act.run(() => this.api.value!.put(`${this.base}/members/${m.userId}`, { role }), m.userId)
    if (!this.act.error) toast(this, `${m.email} is now ${role}`)
    await this.data.reload(true)
  }

  private async removeItem(m: ProjectMember): Promise<void> {
    const me = m.userId === this.user.value?.id
    const ok = await this.renderRoot.querySelector<McpoConfirm>('mcpo-confirm')!.ask({
      title: me ? 'Leave this project?' : `Remove ${m.name || m.email}?`,
      message: me
        ? 'You lose access to it, and the API keys you made in it stop working.'
        : 'They lose access to the project, and the API keys they made in it stop working.',
      confirmLabel: me ? 'Leave project' : 'Remove member',
    })
    if (!ok) return
    await this.act.run(() => this.api.value!.delete(`${this.base}/members/${m.userId}`), m.userId)
    if (this.act.error) return
    if (me) this.router.value?.navigate('/admin/projects')
    else {
      toast(this, `${m.email} removed`)
      await this.data.reload(true)
    }
  }

  private async invitation(i: Invitation, verb: 'resend' | 'revoke'): Promise<void> {
    if (verb === 'revoke') {
      const ok = await this.renderRoot.querySelector<McpoConfirm>('mcpo-confirm')!.ask({
        title: 'Revoke this invitation?',
        message: `${i.email ?? 'The invitee'} can no longer accept it${i.kind === 'external' ? ', and its link stops working' : ''}.`,
        confirmLabel: 'Revoke',
      })
      if (!ok) return
    }
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
    await this.data.reload(true)
  }

  override render() {
    const r = this.data
    if (r.error && !r.value) return errorAlert(r.error, () => r.reload())
    if (!r.value) return loading('Loading members')
    const { members, invitations } = r.value
    return html`${this.manage ? this.inviteForm(r.value.teams) : nothing}
      ${errorAlert(this.act.error)}
      <div class="card flush table-wrap">
        <table>
          <thead><tr><th>Member</th><th>Role</th><th class="hide-narrow">Came in</th><th class="hide-narrow">Since</th><th><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>${members.map((m) => this.row(m))}</tbody>
        </table>
      </div>
      ${
        this.manage && invitations.length
          ? html`<h2>Pending invitations</h2>
              <div class="card flush table-wrap"><table>
                <thead><tr><th>Invitee</th><th class="hide-narrow">Role</th><th class="hide-narrow">Kind</th><th>Expires</th><th><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>${invitations.map(
                  (i) => html`<tr>
                    <td>${i.email ?? '—'}</td><td class="hide-narrow">${roleBadge(i.role)}</td><td class="hide-narrow">${i.kind}</td>
                    <td>${i.status === 'expired' ? html`<span class="badge warn">expired</span>` : time(i.expiresAt)}</td>
                    <td class="actions">
                      <button class="small" ?disabled=${this.act.busy} @click=${() => this.invitation(i, 'resend')}>Resend</button>
                      <button class="small ghost" ?disabled=${this.act.busy} @click=${() => this.invitation(i, 'revoke')}>Revoke</button>
                    </td>
                  </tr>`,
                )}</tbody>
              </table></div>`
          : nothing
      }
      <mcpo-confirm></mcpo-confirm>`
  }

  private row(m: ProjectMember) {
    const me = m.userId === this.user.value?.id
    // Only a direct role can be changed here; a team-only member is changed in the team.
    const editable = this.manage && m.role !== null && m.inviteSource !== 'config'
    return html`<tr>
      <td><strong>${m.name || m.email}</strong>${me ? html` <span class="badge">you</span>` : nothing}<div class="muted small">${m.email}</div></td>
      <td>${
        editable
          ? html`<select class="role" aria-label="Role of ${m.email}" ?disabled=${this.act.busy}
              @change=${(e: Event) => this.setRole(m, (e.target as HTMLSelectElement).value as Role)}>
              ${ROLES.map((x) => html`<option ?selected=${x === m.role}>${x}</option>`)}</select>`
          : roleBadge(m.effectiveRole)
      }${m.teamRole && m.role && m.teamRole !== m.role ? html`<div class="muted small">team: ${m.teamRole}</div>` : nothing}</td>
      <td class="hide-narrow muted small">${SOURCE[m.inviteSource]}</td>
      <td class="hide-narrow">${time(m.createdAt)}</td>
      <td class="actions">${
        (this.manage && m.role !== null) || (me && m.role !== null)
          ? html`<button class="small ghost" ?disabled=${this.act.busy} @click=${() => this.removeItem(m)}>${me ? 'Leave' : 'Remove'}</button>`
          : nothing
      }</td>
    </tr>`
  }

  private inviteForm(teams: Team[]) {
    const a = this.invite
    const field = this.kind === 'team' ? 'teamId' : 'email'
    const err = a.field(field) ?? a.general(['role'])
    return html`<form class="card invite" @submit=${this.onInvite} novalidate aria-labelledby="invite-title">
      <h2 id="invite-title">Invite people</h2>
      <div class="kinds" role="group" aria-label="Kind of invitation">
        ${KINDS.map(
          ([
            k,
            label,
            hint,
          ]) => html`<button type="button" class="small" title=${hint} aria-pressed=${this.kind === k ? 'true' : 'false'}
            @click=${() => {
              this.kind = k
              this.invite.clear()
            }}>${label}</button>`,
        )}
      </div>
      <div class="invite-grid">
        <div class="field">
          ${
            this.kind === 'team'
              ? html`<label for="inv-team">Team</label>
                  <select id="inv-team" name="teamId" aria-invalid=${err ? 'true' : 'false'} aria-describedby="inv-target-error">
                    ${teams.length ? teams.map((t) => html`<option value=${t.id}>${t.name}</option>`) : html`<option value="">You are in no team</option>`}
                  </select>`
              : html`<label for="inv-email">Email</label>
                  <input id="inv-email" name="email" type="email" required placeholder="name@example.com"
                    aria-invalid=${err ? 'true' : 'false'} aria-describedby="inv-target-error inv-hint" />`
          }
          <div class="hint" id="inv-hint">${KINDS.find(([k]) => k === this.kind)![2]}</div>
          ${fieldError('inv-target', err)}
        </div>
        <div class="field">
          <label for="inv-role">Role</label>
          <select id="inv-role" name="role">${ROLES.map((x) => html`<option ?selected=${x === 'developer'}>${x}</option>`)}</select>
        </div>
        <div class="field"><label aria-hidden="true">&nbsp;</label>
          <button class="primary" type="submit" ?disabled=${a.busy}>${a.busy ? 'Inviting…' : 'Invite'}</button></div>
      </div>
      ${
        this.link
          ? html`<div class="alert info" role="status">
              <strong>Pass this link on</strong>: it works once and expires in 7 days. mcpo sends no mail.
              <div class="link"><code>${this.link}</code><mcpo-copy .text=${this.link} label="Copy link"></mcpo-copy></div>
            </div>`
          : nothing
      }
    </form>`
  }
}

customElements.define('mcpo-members-tab', McpoMembersTab)
