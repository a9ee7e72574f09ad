// <mcpo-admin-events>: the audit events that belong to no project, for administrators: refused requests (invalid MCP
// keys, failed and throttled sign-ins, refused cross-site requests, 403s on the management API), sign-ins, user
// administration and config applied at boot. Newest first, a filter by action, "Load more" through the cursor.
import { css, html, LitElement, nothing } from 'lit'
import type { Page, User } from '../api-types.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import {
  actionLabel,
  actorText,
  changesText,
  type EventItem,
  type EventsPage,
  emptyText,
  eventsQuery,
  exactTime,
  FILTERS,
  isRefusal,
  refusalFacts,
  repeatedText,
  targetLabel,
} from '../lib/security-events.ts'
import { base } from '../styles.ts'
import { empty, errorAlert, loading, time } from './template-pieces.ts'
import { consumeApi, shared } from './view-support.ts'

const PAGE = 50

export class McpoAdminEvents extends LitElement {
  static override properties = {
    filter: { state: true },
    items: { state: true },
    cursor: { state: true },
  }
  static override styles = [
    base,
    shared,
    css`
      :host {
        display: block;
      }
      .table-wrap {
        position: relative;
      }
      /* Wide enough that no column is squeezed to a letter per line: on a phone the table scrolls in its frame. */
      table {
        min-width: 880px;
      }
      th {
        white-space: nowrap;
      }
      .toolbar .field.filter {
        flex: 1 1 180px;
        max-width: 320px;
      }
      td {
        vertical-align: top;
      }
      td.num,
      th.num {
        text-align: right;
      }
      td.num strong {
        font-variant-numeric: tabular-nums;
      }
      .details {
        display: grid;
        gap: 2px;
        max-width: 320px;
      }
      .details .mono {
        overflow-wrap: anywhere;
      }
      .clip.ua {
        max-width: 220px;
      }
      .by {
        white-space: nowrap;
      }
      details summary {
        cursor: pointer;
        color: var(--accent);
        font-size: 0.8125rem;
      }
      details pre {
        margin-top: 6px;
        max-width: 420px;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        font-size: 0.75rem;
      }
      .foot {
        padding: 12px 18px;
        border-top: 1px solid var(--border);
      }
    `,
  ]
  declare filter: string
  declare items: EventItem[]
  declare cursor: string | null
  private readonly apiC = consumeApi(this)
  private readonly more = new Action(this)
  private readonly first = new Resource<EventsPage>(this, {
    load: async (signal) => {
      const page = await this.apiC.value!.get<EventsPage>('/api/admin/events', {
        query: eventsQuery(this.filter, null, PAGE),
        signal,
      })
      this.items = page.items
      this.cursor = page.nextCursor
      this.more.error = null
      return page
    },
    deps: () => [this.filter, this.apiC.value],
    enabled: () => Boolean(this.apiC.value),
  })
  /** Emails by user id, for targets and actors; best effort (the page works without them). */
  private readonly users = new Resource<Map<string, string>>(this, {
    load: async (signal) => {
      const page = await this.apiC
        .value!.get<Page<User>>('/api/users', { query: { limit: 200 }, signal })
        .catch(() => null)
      return new Map((page?.items ?? []).map((u) => [u.id, u.email]))
    },
    deps: () => [this.apiC.value],
    enabled: () => Boolean(this.apiC.value),
  })

  constructor() {
    super()
    this.filter = ''
    this.items = []
    this.cursor = null
  }

  private async loadMore() {
    const cursor = this.cursor
    if (!cursor) return
    const filter = this.filter
    const page = await this.more.run(() =>
      this.apiC.value!.get<EventsPage>('/api/admin/events', { query: eventsQuery(filter, cursor, PAGE) }),
    )
    // A filter changed while the page was on its way: the answer belongs to the old list.
    if (!page || filter !== this.filter || cursor !== this.cursor) return
    this.items = [...this.items, ...page.items]
    this.cursor = page.nextCursor
  }

  override render() {
    const ready = this.first.value !== undefined
    return html`<div class="layout">
      <div class="page-head">
        <div>
          <h1>Security events</h1>
          <p class="muted">Events that belong to no project, newest first: refused requests (invalid keys, failed
            sign-ins, refused cross-site requests, 403s), sign-ins and user administration. Repeated refusals from one
            source are recorded once, then as one count per window.</p>
        </div>
      </div>
      <div class="card flush">
        <div class="card-head toolbar">
          <div class="field filter">
            <label for="ev-filter">Show</label>
            <select id="ev-filter" @change=${(e: Event) => (this.filter = (e.target as HTMLSelectElement).value)}>
              ${this.options('main')}
              <optgroup label="One kind of refusal">${this.options('refusal')}</optgroup>
              <optgroup label="Other events">${this.options('other')}</optgroup>
            </select>
          </div>
          <span class="spacer"></span>
          <button class="small" type="button" ?disabled=${this.first.loading} @click=${() => this.first.reload()}>
            Refresh
          </button>
        </div>
        ${this.renderBody(ready)}
      </div>
    </div>`
  }

  private options(group: 'main' | 'refusal' | 'other') {
    return FILTERS.filter((f) => f.group === group).map(
      (f) => html`<option value=${f.value} ?selected=${f.value === this.filter}>${f.label}</option>`,
    )
  }

  private renderBody(ready: boolean) {
    if (this.first.error && !ready) {
      return html`<div class="card-head">${errorAlert(this.first.error, () => this.first.reload())}</div>`
    }
    if (!ready) return html`<div class="card-head">${loading('Loading events')}</div>`
    const names = this.users.value ?? new Map<string, string>()
    const refreshError = this.first.error
      ? html`<div class="card-head">${errorAlert(this.first.error, () => this.first.reload())}</div>`
      : nothing
    if (this.items.length === 0) {
      const { title, next } = emptyText(this.filter)
      return html`${refreshError}${empty(title, next)}`
    }
    return html`${refreshError}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Time</th><th>Event</th><th>Source address</th><th>Subject</th><th class="num">Count</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>${this.items.map((e) => this.renderRow(e, names))}</tbody>
        </table>
      </div>
      ${this.more.error ? html`<div class="card-head">${errorAlert(this.more.error, () => this.loadMore())}</div>` : nothing}
      ${
        this.cursor
          ? html`<div class="foot row">
            <span class="muted small">${this.items.length} shown</span><span class="spacer"></span>
            <button type="button" ?disabled=${this.more.busy} @click=${() => this.loadMore()}>
              ${this.more.busy ? 'Loading…' : 'Load more'}
            </button>
          </div>`
          : html`<div class="foot muted small">${this.items.length} shown, no more.</div>`
      }`
  }

  private renderRow(e: EventItem, names: ReadonlyMap<string, string>) {
    const refusal = isRefusal(e.action)
    const facts = refusal ? refusalFacts(e) : null
    const subject = targetLabel(e.target, names)
    const actor = actorText(e.actor, names)
    return html`<tr data-action=${e.action}>
      <td class="nowrap">${time(e.at)}<div class="muted small">${exactTime(e.at)}</div></td>
      <td>
        <div>${refusal ? html`<span class="badge bad">refused</span> ` : nothing}${actionLabel(e.action)}</div>
        <div class="muted small mono">${e.action}</div>
      </td>
      <td>
        ${e.ip ? html`<span class="mono">${e.ip}</span>` : html`<span class="muted">—</span>`}
        ${e.userAgent ? html`<div class="muted small clip ua" title=${e.userAgent}>${e.userAgent}</div>` : nothing}
      </td>
      <td>
        ${subject ? html`<div>${subject}</div>` : nothing}
        ${actor && actor !== subject ? html`<div class="muted small by">by ${actor}</div>` : nothing}
        ${!subject && !(actor && actor !== subject) ? html`<span class="muted">—</span>` : nothing}
      </td>
      <td class="num">
        ${facts?.count != null ? html`<strong>${facts.count}</strong>` : html`<span class="muted">—</span>`}
      </td>
      <td>${facts ? this.refusalDetail(e, facts) : this.changes(e)}</td>
    </tr>`
  }

  private refusalDetail(e: EventItem, facts: ReturnType<typeof refusalFacts>) {
    const lines = [
      ...facts.details.map((d) => html`<span class="mono small">${d}</span>`),
      facts.aggregated ? html`<span class="muted small">${repeatedText(facts.since, e.at)}</span>` : nothing,
      facts.note ? html`<span class="muted small">${facts.note}</span>` : nothing,
    ]
    return facts.details.length || facts.aggregated || facts.note
      ? html`<div class="details">${lines}</div>`
      : html`<span class="muted">—</span>`
  }

  private changes(e: EventItem) {
    const text = changesText(e)
    return text
      ? html`<details><summary>Changes</summary><pre>${text}</pre></details>`
      : html`<span class="muted">—</span>`
  }
}

customElements.define('mcpo-admin-events', McpoAdminEvents)
