// <mcpo-tools-tab project-id>: every tool of a project under its unified name, enable / disable one or many, the
// tool policy editor and the access check. Loads through the API client from context; needs no other input.
import { css, html, LitElement, nothing } from 'lit'
import type { ApiError } from '../api-client.ts'
import type { ApiKey, Page, ProjectMember } from '../api-types.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import type { PolicyBody } from '../lib/validate.ts'
import { base } from '../styles.ts'
import type { Verdict } from './mcpo-access-check.ts'
import type { McpoPolicyEditor, Policy } from './mcpo-policy-editor.ts'
import { empty, errorAlert, loading } from './template-pieces.ts'
import { consumeApi, consumeProject, consumeUser, notify, rightsOf, shared } from './view-support.ts'
import './mcpo-access-check.ts'
import './mcpo-policy-editor.ts'

export interface ToolRow {
  server: string
  name: string
  exposedName: string
  title?: string
  description?: string
  inputSchema?: unknown
  enabled: boolean
}

interface ToolsAnswer {
  tools: ToolRow[]
  servers: { name: string; enabled: boolean; toolCount: number; error: string | null }[]
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`
const key = (t: { server: string; name: string }) => `${t.server}\u0000${t.name}`

export class McpoToolsTab extends LitElement {
  static override properties = {
    projectId: { attribute: 'project-id' },
    filter: { state: true },
    serverFilter: { state: true },
    selected: { state: true },
    verdict: { state: true },
    explainError: { state: true },
  }
  static override styles = [
    base,
    shared,
    css`
      :host {
        display: block;
      }
      td.name .mono {
        overflow-wrap: anywhere;
      }
      .desc {
        max-width: 440px;
        display: -webkit-box;
        -webkit-line-clamp: 2;
        -webkit-box-orient: vertical;
        overflow: hidden;
      }
      .switch {
        display: inline-flex;
        align-items: center;
        gap: 6px;
        font-size: 0.8125rem;
        margin: 0;
        font-weight: 400;
      }
      tr.off td.name .mono {
        color: var(--muted);
        text-decoration: line-through;
      }
    `,
  ]
  declare projectId: string
  declare filter: string
  declare serverFilter: string
  declare selected: Set<string>
  declare verdict: Verdict | null
  declare explainError: string | null

  private readonly apiC = consumeApi(this)
  private readonly userC = consumeUser(this)
  private readonly projectC = consumeProject(this)
  private readonly action = new Action(this)
  private readonly explainAction = new Action(this)
  private readonly p = () => `/api/projects/${encodeURIComponent(this.projectId)}`

  private readonly tools = new Resource<ToolsAnswer>(this, {
    load: (signal) => this.apiC.value!.get<ToolsAnswer>(`${this.p()}/tools`, { signal }),
    deps: () => [this.projectId, this.apiC.value],
    enabled: () => Boolean(this.projectId && this.apiC.value),
  })
  private readonly policies = new Resource<Policy[]>(this, {
    load: (signal) => this.apiC.value!.get<Policy[]>(`${this.p()}/policies`, { signal }),
    deps: () => [this.projectId, this.apiC.value],
    enabled: () => Boolean(this.projectId && this.apiC.value),
  })
  /** Members and keys name the subjects of rules and checks; a reporter sees only their own keys. */
  private readonly people = new Resource<{ members: ProjectMember[]; keys: ApiKey[] }>(this, {
    load: async (signal) => {
      const api = this.apiC.value!
      const [members, keys] = await Promise.all([
        api.get<Page<ProjectMember>>(`${this.p()}/members`, { query: { limit: 200 }, signal }),
        api.get<ApiKey[]>(`${this.p()}/api-keys`, { signal }).catch(() => [] as ApiKey[]),
      ])
      return { members: members.items, keys }
    },
    deps: () => [this.projectId, this.apiC.value],
    enabled: () => Boolean(this.projectId && this.apiC.value),
  })

  constructor() {
    super()
    this.projectId = ''
    this.filter = ''
    this.serverFilter = ''
    this.selected = new Set()
    this.verdict = null
    this.explainError = null
  }

  private get rights() {
    return rightsOf(this.projectC.value, this.userC.value)
  }

  private visible(): ToolRow[] {
    const q = this.filter.trim().toLowerCase()
    return (this.tools.value?.tools ?? []).filter(
      (t) =>
        (!this.serverFilter || t.server === this.serverFilter) &&
        (!q || t.exposedName.toLowerCase().includes(q) || (t.description ?? '').toLowerCase().includes(q)),
    )
  }

  /** One PUT per server: the bulk route takes a server's tools at once. */
  private async setEnabled(rows: ToolRow[], enabled: boolean) {
    const byServer = new Map<string, Record<string, boolean>>()
    for (const t of rows) byServer.set(t.server, { ...(byServer.get(t.server) ?? {}), [t.name]: enabled })
    const api = this.apiC.value!
    const ok = await this.action.run(async () => {
      for (const [server, tools] of byServer) {
        await api.put(`${this.p()}/servers/${encodeURIComponent(server)}/tools`, { tools })
      }
      return true
    })
    if (ok) {
      notify(this, `${rows.length} tool${rows.length === 1 ? '' : 's'} ${enabled ? 'enabled' : 'disabled'}`)
      this.selected = new Set()
    }
    await this.tools.reload(true)
  }

  private async toggleOne(t: ToolRow, enabled: boolean) {
    const path = `${this.p()}/servers/${encodeURIComponent(t.server)}/tools/${encodeURIComponent(t.name)}`
    const ok = await this.action.run(() => this.apiC.value!.put(path, { enabled }), key(t))
    if (ok !== undefined) notify(this, `${t.exposedName} ${enabled ? 'enabled' : 'disabled'}`)
    await this.tools.reload(true)
  }

  private async savePolicy(e: CustomEvent<{ id: string | null; body: PolicyBody }>) {
    const { id, body } = e.detail
    // Read the target now: once dispatch ends, an event from inside a shadow root no longer names it.
    const editor = e.target as McpoPolicyEditor
    const api = this.apiC.value!
    const ok = await this.action.run(() =>
      id ? api.put(`${this.p()}/policies/${id}`, body) : api.post(`${this.p()}/policies`, body),
    )
    if (ok !== undefined) {
      editor.done()
      notify(this, id ? 'Policy saved' : 'Policy added')
      await this.policies.reload(true)
    }
  }

  private async deletePolicy(e: CustomEvent<{ id: string }>) {
    const ok = await this.action.run(() => this.apiC.value!.delete(`${this.p()}/policies/${e.detail.id}`))
    if (ok !== undefined) notify(this, 'Policy deleted')
    await this.policies.reload(true)
  }

  private async explain(e: CustomEvent<Record<string, string>>) {
    this.verdict = null
    this.explainError = null
    const v = await this.explainAction.run(() =>
      this.apiC.value!.get<Verdict>(`${this.p()}/policies/explain`, { query: e.detail }),
    )
    if (v) this.verdict = v
    else this.explainError = this.explainAction.error?.message ?? 'the check failed'
  }

  private toggleSelect(t: ToolRow, on: boolean) {
    const next = new Set(this.selected)
    if (on) next.add(key(t))
    else next.delete(key(t))
    this.selected = next
  }

  override render() {
    if (this.tools.error && !this.tools.ready) return errorAlert(this.tools.error, () => this.tools.reload())
    if (!this.tools.ready) return loading('Loading tools')
    const answer = this.tools.value!
    const rows = this.visible()
    const editable = this.rights.manageServers
    const allSelected = rows.length > 0 && rows.every((t) => this.selected.has(key(t)))
    const chosen = (answer.tools ?? []).filter((t) => this.selected.has(key(t)))
    const disabledCount = answer.tools.filter((t) => !t.enabled).length
    const failing = answer.servers.filter((s) => s.error && s.error !== 'disabled')
    return html`<div class="layout">
      ${this.action.error ? errorAlert(this.action.error as ApiError) : nothing}
      ${failing.map(
        (s) => html`<div class="alert warn" role="alert"><b>${s.name}</b> could not list its tools: ${s.error}</div>`,
      )}
      <div class="card flush">
        <header class="card-head">
          <div>
            <h2>Tools</h2>
            <p class="muted small">
              ${plural(answer.tools.length, 'tool')} on ${plural(answer.servers.filter((s) => s.enabled).length, 'enabled server')}${
                disabledCount ? html`, <b>${disabledCount}</b> switched off` : nothing
              }. Names are what the unified endpoint shows.
            </p>
          </div>
        </header>
        ${
          answer.tools.length === 0
            ? empty('No tools yet', 'Add a server on the Servers tab, or enable one: its tools show up here.')
            : html`<div class="card-head toolbar" role="search">
                <div class="field">
                  <label for="t-filter">Search</label>
                  <input id="t-filter" type="search" placeholder="Tool name or description" .value=${this.filter}
                    @input=${(e: Event) => (this.filter = (e.target as HTMLInputElement).value)} />
                </div>
                <div class="field">
                  <label for="t-server">Server</label>
                  <select id="t-server" @change=${(e: Event) => (this.serverFilter = (e.target as HTMLSelectElement).value)}>
                    <option value="">All servers</option>
                    ${answer.servers.map((s) => html`<option value=${s.name} ?selected=${s.name === this.serverFilter}>${s.name}</option>`)}
                  </select>
                </div>
                ${
                  editable
                    ? html`<div class="row">
                      <button class="small" type="button" ?disabled=${!chosen.length || this.action.busy}
                        @click=${() => this.setEnabled(chosen, true)}>Enable selected</button>
                      <button class="small" type="button" ?disabled=${!chosen.length || this.action.busy}
                        @click=${() => this.setEnabled(chosen, false)}>Disable selected</button>
                      <span class="muted small" aria-live="polite">${chosen.length ? `${chosen.length} selected` : ''}</span>
                    </div>`
                    : nothing
                }
              </div>
              ${
                rows.length === 0
                  ? empty('No matching tools', 'Change the search or the server filter.')
                  : this.renderTable(rows, editable, allSelected)
              }`
        }
      </div>
      <mcpo-policy-editor
        .policies=${this.policies.value ?? []}
        .keys=${this.people.value?.keys ?? []}
        ?editable=${this.rights.editPolicies}
        ?busy=${this.action.busy}
        .errors=${this.action.error?.fields ?? {}}
        @policy-save=${this.savePolicy}
        @policy-delete=${this.deletePolicy}
      ></mcpo-policy-editor>
      <mcpo-access-check
        .tools=${answer.tools}
        .members=${this.people.value?.members ?? []}
        .keys=${this.people.value?.keys ?? []}
        .verdict=${this.verdict}
        .error=${this.explainError}
        ?busy=${this.explainAction.busy}
        @explain=${this.explain}
      ></mcpo-access-check>
    </div>`
  }

  private renderTable(rows: ToolRow[], editable: boolean, allSelected: boolean) {
    return html`<div class="table-wrap">
      <table>
        <thead>
          <tr>
            ${
              editable
                ? html`<th><input type="checkbox" aria-label="Select all shown tools" .checked=${allSelected}
                  @change=${(e: Event) => {
                    const on = (e.target as HTMLInputElement).checked
                    this.selected = new Set(on ? rows.map(key) : [])
                  }} /></th>`
                : nothing
            }
            <th>Tool</th>
            <th class="hide-narrow">Server</th>
            <th class="hide-narrow">Description</th>
            <th>Enabled</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (t) => html`<tr class=${t.enabled ? '' : 'off'}>
              ${
                editable
                  ? html`<td><input type="checkbox" aria-label="Select ${t.exposedName}" .checked=${this.selected.has(key(t))}
                    @change=${(e: Event) => this.toggleSelect(t, (e.target as HTMLInputElement).checked)} /></td>`
                  : nothing
              }
              <td class="name"><span class="mono">${t.exposedName}</span>${t.title ? html`<div class="small muted">${t.title}</div>` : nothing}</td>
              <td class="hide-narrow">${t.server}</td>
              <td class="hide-narrow small muted"><div class="desc" title=${t.description ?? ''}>${t.description ?? ''}</div></td>
              <td>
                <label class="switch">
                  <input type="checkbox" .checked=${t.enabled} ?disabled=${!editable || this.action.busy}
                    aria-label="${t.enabled ? 'Disable' : 'Enable'} ${t.exposedName}"
                    @change=${(e: Event) => this.toggleOne(t, (e.target as HTMLInputElement).checked)} />
                  ${t.enabled ? 'on' : 'off'}
                </label>
              </td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`
  }
}

customElements.define('mcpo-tools-tab', McpoToolsTab)
