// <mcpo-embed-members api-base token project-id>: a project's members with their effective role and how they joined.
import { html } from 'lit'
import type { Page, ProjectMember } from '../api-types.ts'
import { Resource } from '../controllers/resource.ts'
import { EmbedBase } from './embed-base.ts'
import { empty, errorAlert, loading, roleBadge, time } from './template-pieces.ts'

export class McpoEmbedMembers extends EmbedBase {
  private readonly members = new Resource<Page<ProjectMember>>(this, {
    load: (signal) =>
      this.api.get<Page<ProjectMember>>(`/api/projects/${encodeURIComponent(this.projectId)}/members`, {
        query: { limit: 200 },
        signal,
      }),
    deps: () => [this.projectId, this.api],
    enabled: () => this.connected,
  })

  override render() {
    const page = this.members.value
    return this.frame(
      'Members',
      html`<div class="card flush">
        <header class="card-head"><h2>Members</h2></header>
        ${
          this.members.error && !page
            ? html`<div class="card-head">${errorAlert(this.members.error, () => this.members.reload())}</div>`
            : !page
              ? html`<div class="card-head">${loading('Loading members')}</div>`
              : page.items.length === 0
                ? empty('No members', 'Project owners invite members from the console.')
                : html`<div class="table-wrap"><table>
                  <thead><tr><th>Member</th><th>Role</th><th class="hide-narrow">Joined through</th><th class="hide-narrow">Since</th></tr></thead>
                  <tbody>${page.items.map(
                    (
                      m,
                    ) => html`<tr><td>${m.email}<div class="muted small">${m.name}</div></td><td>${roleBadge(m.effectiveRole)}</td>
                      <td class="hide-narrow">${m.inviteSource}</td><td class="hide-narrow">${time(m.createdAt)}</td></tr>`,
                  )}</tbody>
                </table></div>`
        }
      </div>`,
    )
  }
}

customElements.define('mcpo-embed-members', McpoEmbedMembers)
