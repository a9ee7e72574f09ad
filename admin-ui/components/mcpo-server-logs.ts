// <mcpo-server-logs project-id server-name>: the server modal's Logs section: the stderr tail it is given (`status`)
// and the server's audit events, which it loads.
import { css, html, LitElement, nothing } from 'lit'
import { Resource } from '../controllers/resource.ts'
import { type AuditItem, describeAudit } from '../lib/activity.ts'
import { base } from '../styles.ts'
import type { StatusView } from './server-detail-types.ts'
import { errorAlert, time } from './template-pieces.ts'
import { consumeApi, shared } from './view-support.ts'

export class McpoServerLogs extends LitElement {
  static override properties = {
    projectId: { attribute: 'project-id' },
    serverName: { attribute: 'server-name' },
    status: { attribute: false },
  }
  static override styles = [
    base,
    shared,
    css`
      pre.stderr {
        max-height: 320px;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
    `,
  ]
  declare projectId: string
  declare serverName: string
  declare status: StatusView | null
  private readonly apiC = consumeApi(this)
  private readonly events = new Resource<{ items: AuditItem[] }>(this, {
    load: (signal) =>
      this.apiC.value!.get<{ items: AuditItem[] }>(`/api/projects/${encodeURIComponent(this.projectId)}/activity`, {
        query: { kind: 'audit', server: this.serverName, limit: 20 },
        signal,
      }),
    deps: () => [this.projectId, this.serverName, this.apiC.value],
    enabled: () => Boolean(this.projectId && this.serverName && this.apiC.value),
  })

  constructor() {
    super()
    this.projectId = ''
    this.serverName = ''
    this.status = null
  }

  override render() {
    const st = this.status
    const lines = st?.stderr ?? []
    return html`<div class="stack">
      <div class="row">
        <h3>Standard error</h3>
        <span class="muted small">the last lines the process wrote; secret values are masked; refreshes every few seconds</span>
      </div>
      ${st?.lastError ? html`<div class="alert error">Last error: ${st.lastError}</div>` : nothing}
      ${
        lines.length
          ? html`<pre class="stderr" aria-label="stderr tail">${lines.join('\n')}</pre>`
          : html`<p class="muted small">
            ${st?.state === 'running' ? 'Nothing written to stderr yet.' : 'No output: the server is not running (it starts on first use).'}
          </p>`
      }
      <h3>Changes to this server</h3>
      ${this.events.error ? errorAlert(this.events.error) : nothing}
      ${
        (this.events.value?.items ?? []).length
          ? html`<div class="table-wrap"><table>
            <tbody>
              ${this.events.value!.items.map(
                (e) => html`<tr><td class="nowrap">${time(e.at)}</td><td>${describeAudit(e)}</td>
                  <td class="muted small">${e.actor.type ?? ''}</td></tr>`,
              )}
            </tbody>
          </table></div>`
          : html`<p class="muted small">No recorded changes (the audit plugin records them).</p>`
      }
    </div>`
  }
}

customElements.define('mcpo-server-logs', McpoServerLogs)
