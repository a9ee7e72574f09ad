// Connected apps: the MCP clients people allowed with OAuth, as a table with a two-step Revoke per row. The same table
// serves a project's settings (everyone's apps for Owners) and the profile (your own apps, across projects).
import { ContextConsumer } from '@lit/context'
import { css, html, LitElement, nothing } from 'lit'
import type { ConnectedApp } from '../api-types.ts'
import { apiContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { clientLabel, registrationLabel, serversOf } from '../oauth.ts'
import { projectHref } from '../router.ts'
import { base } from '../styles.ts'
import './mcpo-confirm-button.ts'
import { empty, errorAlert, loading, time, toast } from './template-pieces.ts'

export class McpoConnectedApps extends LitElement {
  static override properties = {
    path: {},
    scope: {},
  }
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      .who {
        overflow-wrap: anywhere;
      }
      th {
        white-space: nowrap;
      }
      .narrow-only {
        display: none;
      }
      @media (max-width: 640px) {
        .narrow-only {
          display: block;
        }
      }
    `,
  ]

  /** The list's API path: `/api/me/connected-apps` or `/api/projects/:id/connected-apps`. */
  declare path: string
  /** `project`: a project's apps, with who connected each; `me`: the caller's apps, with their project. */
  declare scope: 'project' | 'me'

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly revoke = new Action(this)
  private readonly apps = new Resource(this, {
    load: (signal) => this.api.value!.get<{ items: ConnectedApp[] }>(this.path, { signal }),
    deps: () => [this.path],
    enabled: () => Boolean(this.path),
  })

  constructor() {
    super()
    this.path = ''
    this.scope = 'project'
  }

  private async onRevoke(app: ConnectedApp): Promise<void> {
    await this.revoke.run(() => this.api.value!.delete(`${this.path}/${encodeURIComponent(app.grantId)}`), app.grantId)
    if (!this.revoke.error) toast(this, `${clientLabel({ id: app.clientId, name: app.clientName })} disconnected`)
    await this.apps.reload(true)
  }

  override render() {
    const r = this.apps
    if (r.error && !r.value) return errorAlert(r.error, () => r.reload())
    if (!r.value) return loading('Loading connected apps')
    if (!r.value.items.length) {
      return empty(
        'No connected apps',
        this.scope === 'me'
          ? 'Apps you allow on a consent page (Claude, VS Code, Cursor…) show here; disconnect one to stop it at once.'
          : 'Apps people allow with OAuth show here. Revoking one stops its access within a second.',
      )
    }
    const me = this.scope === 'me'
    const verb = me ? 'Disconnect' : 'Revoke'
    return html`${errorAlert(this.revoke.error)}
      <div class="table-wrap"><table>
        <thead><tr>
          <th>App</th>
          <th class="hide-narrow">${me ? 'Project' : 'Connected by'}</th>
          <th class="hide-narrow">Server</th>
          <th class="hide-narrow">Connected</th>
          <th>Last used</th>
          <th><span class="sr-only">Actions</span></th>
        </tr></thead>
        <tbody>${r.value.items.map((a) => {
          const name = clientLabel({ id: a.clientId, name: a.clientName })
          const servers = serversOf(a.resources)
          const who = me ? a.projectId : (a.userEmail ?? a.userId)
          return html`<tr data-grant=${a.grantId}>
            <td class="who"><strong>${name}</strong>
              <div class="muted small">${registrationLabel(a.registration)}</div>
              <div class="narrow-only muted small">${me ? 'Project' : 'By'} ${who}</div></td>
            <td class="hide-narrow who">${me ? html`<a href=${projectHref(a.projectId)}><code>${who}</code></a>` : who}</td>
            <td class="hide-narrow">${servers ? servers.map((s, i) => html`${i ? ', ' : nothing}<code>${s}</code>`) : html`<span class="muted">all servers</span>`}</td>
            <td class="hide-narrow">${time(a.createdAt)}</td>
            <td>${time(a.lastUsedAt)}</td>
            <td class="actions"><mcpo-confirm-button label=${verb} confirm-label=${verb}
              question=${`${verb} ${name}? It stops working at once.`} ?disabled=${this.revoke.busy}
              @confirm=${() => this.onRevoke(a)}></mcpo-confirm-button></td>
          </tr>`
        })}</tbody>
      </table></div>`
  }
}

customElements.define('mcpo-connected-apps', McpoConnectedApps)
