// <mcpo-activity-tab project-id>: tool calls and audit events of a project, newest first, with filters, cursor
// paging ("Load more"), tool-call metrics for the chosen window, and export (CSV / JSON of what is loaded, or a
// JSON link to the API).
import { css, html, LitElement, nothing } from 'lit'
import { buildQuery } from '../api-client.ts'
import type { ApiKey, Page, ProjectMember, Server } from '../api-types.ts'
import { Resource } from '../controllers/resource.ts'
import {
  type ActivityFilters,
  type ActivityKind,
  type ActivityPage,
  type AuditItem,
  activityQuery,
  defaultFilters,
  exportName,
  RANGES,
  STATUSES,
  type ToolCallItem,
  toCsv,
} from '../lib/activity.ts'
import { base } from '../styles.ts'
import { auditTable, callsTable, type Stats, statsCards } from './activity-tables.ts'
import { empty, errorAlert, fieldError, loading } from './template-pieces.ts'
import { consumeApi, consumeUser, download, shared } from './view-support.ts'

const PAGE = 50
const RANGE_LABEL: Record<string, string> = {
  '1h': 'Last hour',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  all: 'All time',
  custom: 'Custom…',
}

export class McpoActivityTab extends LitElement {
  static override properties = {
    projectId: { attribute: 'project-id' },
    /** Narrows the tab to one server (the server detail view uses it). */
    server: {},
    /** Offer the API link; off in embeds, whose bearer token a plain link cannot carry. */
    apiLink: { type: Boolean, attribute: 'api-link' },
    filters: { state: true },
    applied: { state: true },
    items: { state: true },
    itemsKind: { state: true },
    cursor: { state: true },
    more: { state: true },
    errors: { state: true },
  }
  static override styles = [
    base,
    shared,
    css`
      :host {
        display: block;
      }
      details summary {
        cursor: pointer;
        color: var(--accent);
        font-size: 0.8125rem;
      }
      details pre {
        margin-top: 6px;
        max-width: 560px;
        white-space: pre-wrap;
      }
      .status-ok {
        color: var(--ok);
      }
      .foot {
        padding: 12px 18px;
        border-top: 1px solid var(--border);
      }
    `,
  ]
  declare projectId: string
  declare server: string
  declare apiLink: boolean
  declare filters: ActivityFilters
  /** The filters of the list on screen (the form may hold unsent edits). */
  declare applied: ActivityFilters
  declare items: (ToolCallItem | AuditItem)[]
  /** What `items` hold: switching kinds keeps the old rows until the new ones arrive. */
  declare itemsKind: ActivityKind
  declare cursor: string | null
  declare more: boolean
  declare errors: Record<string, string>

  private readonly apiC = consumeApi(this)
  private readonly userC = consumeUser(this)
  private readonly p = () => `/api/projects/${encodeURIComponent(this.projectId)}`

  private readonly page = new Resource<ActivityPage<ToolCallItem | AuditItem>>(this, {
    load: (signal) => this.fetchPage(this.applied, null, signal),
    deps: () => [this.projectId, this.apiC.value, this.applied, this.server],
    enabled: () => Boolean(this.projectId && this.apiC.value),
  })
  private readonly stats = new Resource<Stats | null>(this, {
    load: async (signal) => {
      if (this.applied.kind !== 'tools') return null
      const q = activityQuery(this.withServer(this.applied), Date.now())
      if (!q.ok) return null
      const { since, until, server, tool } = q.query
      return this.apiC.value!.get<Stats>(`${this.p()}/tool-calls/stats`, {
        query: { since: since ?? new Date(0).toISOString(), until, server, tool },
        signal,
      })
    },
    deps: () => [this.projectId, this.apiC.value, this.applied, this.server],
    enabled: () => Boolean(this.projectId && this.apiC.value),
  })
  /** Names for actor ids and the server filter's choices. */
  /** Names for actor ids, the actor filter's people and keys, and the server filter's choices. */
  private readonly context = new Resource<{
    names: Map<string, string>
    members: ProjectMember[]
    keys: ApiKey[]
    servers: string[]
  }>(this, {
    load: async (signal) => {
      const api = this.apiC.value!
      const [members, keys, servers] = await Promise.all([
        api.get<Page<ProjectMember>>(`${this.p()}/members`, { query: { limit: 200 }, signal }).catch(() => null),
        // Everyone sees their own keys; owners see all of them. An API-key caller sees none.
        api.get<ApiKey[]>(`${this.p()}/api-keys`, { signal }).catch(() => [] as ApiKey[]),
        api.get<Server[]>(`${this.p()}/servers`, { signal }).catch(() => [] as Server[]),
      ])
      const names = new Map((members?.items ?? []).map((m) => [m.userId, m.email]))
      for (const k of keys) names.set(k.id, `key ${k.name}`)
      return { names, members: members?.items ?? [], keys, servers: servers.map((s) => s.name) }
    },
    deps: () => [this.projectId, this.apiC.value],
    enabled: () => Boolean(this.projectId && this.apiC.value),
  })

  constructor() {
    super()
    this.projectId = ''
    this.server = ''
    this.apiLink = true
    this.filters = defaultFilters('tools')
    this.applied = this.filters
    this.items = []
    this.itemsKind = 'tools'
    this.cursor = null
    this.more = false
    this.errors = {}
  }

  private withServer(f: ActivityFilters): ActivityFilters {
    return this.server ? { ...f, server: this.server } : f
  }

  private async fetchPage(f: ActivityFilters, cursor: string | null, signal?: AbortSignal) {
    const q = activityQuery(this.withServer(f), Date.now())
    if (!q.ok) throw new Error('invalid filters')
    const page = await this.apiC.value!.get<ActivityPage<ToolCallItem | AuditItem>>(`${this.p()}/activity`, {
      query: { ...q.query, limit: PAGE, cursor: cursor ?? undefined },
      signal,
    })
    this.itemsKind = f.kind
    this.items = cursor ? [...this.items, ...page.items] : page.items
    this.cursor = page.nextCursor
    return page
  }

  private apply(e?: Event) {
    e?.preventDefault()
    const q = activityQuery(this.withServer(this.filters), Date.now())
    this.errors = q.ok ? {} : q.errors
    if (q.ok) this.applied = { ...this.filters }
  }

  private setKind(kind: ActivityKind) {
    this.filters = { ...this.filters, kind }
    this.apply()
  }

  private set<K extends keyof ActivityFilters>(k: K, v: ActivityFilters[K]) {
    this.filters = { ...this.filters, [k]: v }
  }

  private async loadMore() {
    if (!this.cursor) return
    this.more = true
    try {
      await this.fetchPage(this.applied, this.cursor)
    } finally {
      this.more = false
    }
  }

  private exportLink(): string {
    const q = activityQuery(this.withServer(this.applied), Date.now())
    const api = this.apiC.value
    if (!q.ok || !api) return '#'
    return api.url(`${this.p()}/activity${buildQuery({ ...q.query, limit: 1000 })}`)
  }

  private exportFile(ext: 'csv' | 'json') {
    const kind = this.itemsKind
    const name = exportName(this.projectId, kind, ext, Date.now())
    if (ext === 'csv') download(name, toCsv(kind, this.items), 'text/csv;charset=utf-8')
    else download(name, `${JSON.stringify(this.items, null, 2)}\n`, 'application/json')
  }

  override render() {
    const f = this.filters
    const kind = this.itemsKind
    return html`<div class="layout">
      <div class="row">
        <div class="segmented" role="group" aria-label="What to show">
          <button type="button" aria-pressed=${f.kind === 'tools'} @click=${() => this.setKind('tools')}>Tool calls</button>
          <button type="button" aria-pressed=${f.kind === 'audit'} @click=${() => this.setKind('audit')}>Audit events</button>
        </div>
        <span class="spacer"></span>
        <button class="small" type="button" @click=${() => this.page.reload()}>Refresh</button>
        <button class="small" type="button" ?disabled=${!this.items.length} @click=${() => this.exportFile('csv')}>Export CSV</button>
        <button class="small" type="button" ?disabled=${!this.items.length} @click=${() => this.exportFile('json')}>Export JSON</button>
        ${
          this.apiLink
            ? html`<a class="btn small" href=${this.exportLink()} target="_blank" rel="noopener">API link (JSON, 1000 rows)</a>`
            : nothing
        }
      </div>
      ${this.renderFilters(f)} ${kind === 'tools' ? statsCards(this.stats.value) : nothing}
      <div class="card flush">
        ${this.page.error ? html`<div class="card-head">${errorAlert(this.page.error, () => this.page.reload())}</div>` : nothing}
        ${
          this.page.loading && !this.items.length
            ? html`<div class="card-head">${loading('Loading activity')}</div>`
            : this.items.length === 0
              ? empty(
                  kind === 'tools' ? 'No tool calls' : 'No audit events',
                  kind === 'tools'
                    ? 'Nothing matches these filters. Calls appear here once a client (or the test runner) calls a tool.'
                    : 'Nothing matches these filters. Changes to the project are recorded here.',
                )
              : kind === 'tools'
                ? callsTable(this.items as ToolCallItem[], this.names())
                : auditTable(this.items as AuditItem[], this.names())
        }
        ${
          this.cursor
            ? html`<div class="foot row">
              <span class="muted small">${this.items.length} shown</span><span class="spacer"></span>
              <button type="button" ?disabled=${this.more} @click=${this.loadMore}>${this.more ? 'Loading…' : 'Load more'}</button>
            </div>`
            : this.items.length
              ? html`<div class="foot muted small">${this.items.length} shown, no more.</div>`
              : nothing
        }
      </div>
    </div>`
  }

  private renderFilters(f: ActivityFilters) {
    const text = (k: 'tool' | 'text', label: string, placeholder: string) =>
      html`<div class="field">
        <label for="a-${k}">${label}</label>
        <input id="a-${k}" type="search" placeholder=${placeholder} .value=${f[k]}
          @input=${(e: Event) => this.set(k, (e.target as HTMLInputElement).value)} />
      </div>`
    const servers = this.context.value?.servers ?? []
    return html`<form class="card toolbar" @submit=${this.apply} role="search" aria-label="Filter activity">
      ${this.renderActor(f)}
      ${
        this.server
          ? nothing
          : html`<div class="field">
            <label for="a-server">Server</label>
            <select id="a-server" @change=${(e: Event) => this.set('server', (e.target as HTMLSelectElement).value)}>
              <option value="">All servers</option>
              ${servers.map((s) => html`<option value=${s} ?selected=${s === f.server}>${s}</option>`)}
            </select>
          </div>`
      }
      ${
        f.kind === 'tools'
          ? html`${text('tool', 'Tool', 'tool name')}
            <div class="field">
              <label for="a-status">Outcome</label>
              <select id="a-status" @change=${(e: Event) => this.set('status', (e.target as HTMLSelectElement).value)}>
                <option value="">Any</option>
                ${STATUSES.map((s) => html`<option value=${s} ?selected=${s === f.status}>${s}</option>`)}
              </select>
            </div>
            ${text('text', 'Text', 'in errors, tool, client')}`
          : nothing
      }
      <div class="field">
        <label for="a-range">Time</label>
        <select id="a-range" @change=${(e: Event) => this.set('range', (e.target as HTMLSelectElement).value as ActivityFilters['range'])}>
          ${RANGES.map((r) => html`<option value=${r} ?selected=${r === f.range}>${RANGE_LABEL[r]}</option>`)}
        </select>
      </div>
      ${
        f.range === 'custom'
          ? html`<div class="field">
              <label for="a-since">From</label>
              <input id="a-since" type="datetime-local" .value=${f.since} aria-invalid=${Boolean(this.errors.since)}
                aria-describedby="a-since-error" @input=${(e: Event) => this.set('since', (e.target as HTMLInputElement).value)} />
              ${fieldError('a-since', this.errors.since ?? null)}
            </div>
            <div class="field">
              <label for="a-until">To</label>
              <input id="a-until" type="datetime-local" .value=${f.until} aria-invalid=${Boolean(this.errors.until)}
                aria-describedby="a-until-error" @input=${(e: Event) => this.set('until', (e.target as HTMLInputElement).value)} />
              ${fieldError('a-until', this.errors.until ?? null)}
            </div>`
          : nothing
      }
      <button class="primary" type="submit">Apply</button>
    </form>`
  }

  /** Who: a member, the signed-in user or a key; the API filters on the user or key id. */
  private renderActor(f: ActivityFilters) {
    const ctx = this.context.value
    const me = this.userC.value
    const members = ctx?.members ?? []
    const opt = (value: string, label: string) =>
      html`<option value=${value} ?selected=${value === f.actor}>${label}</option>`
    return html`<div class="field">
      <label for="a-actor">Actor</label>
      <select id="a-actor" @change=${(e: Event) => this.set('actor', (e.target as HTMLSelectElement).value)}>
        ${opt('', 'Anyone')}
        ${me && !members.some((m) => m.userId === me.id) ? opt(me.id, `${me.email} (you)`) : nothing}
        ${members.length ? html`<optgroup label="Members">${members.map((m) => opt(m.userId, m.email))}</optgroup>` : nothing}
        ${ctx?.keys.length ? html`<optgroup label="API keys">${ctx.keys.map((k) => opt(k.id, `${k.name} (${k.preview})`))}</optgroup>` : nothing}
      </select>
    </div>`
  }

  /** Member emails by user id, and the signed-in user (an administrator need not be a member). */
  private names(): Map<string, string> {
    const names = new Map(this.context.value?.names ?? [])
    const me = this.userC.value
    if (me) names.set(me.id, `${me.email} (you)`)
    return names
  }
}

customElements.define('mcpo-activity-tab', McpoActivityTab)
