// <mcpo-admin-keys>: the admin console's API keys across every project: search, filter by status and project, pages
// of 50, edit a key's expiry and rate limit, revoke with confirmation. Edits go through the project's key routes,
// where administrators act as owners, so the audit log and the key cache reload are the same as in the project.
import { css, html, LitElement, nothing } from 'lit'
import type { ApiKey, Page, Project } from '../api-types.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { type KeyDraft as Draft, dateValue, keyEditBody, type RateLimit } from '../lib/key-edit.ts'
import { projectHref } from '../router.ts'
import { base } from '../styles.ts'
import { empty, errorAlert, fieldError, loading, time } from './template-pieces.ts'
import { consumeApi, notify, shared } from './view-support.ts'
import './mcpo-confirm-button.ts'

type AdminKey = ApiKey & { projectName: string; rateLimit: RateLimit | null }
type Status = '' | 'active' | 'expired' | 'revoked'
const LIMIT = 50

export class McpoAdminKeys extends LitElement {
  static override properties = {
    search: { state: true },
    query: { state: true },
    status: { state: true },
    projectId: { state: true },
    offset: { state: true },
    editing: { state: true },
    draft: { state: true },
    draftErrors: { state: true },
  }
  static override styles = [
    base,
    shared,
    css`
      :host {
        display: block;
      }
      /* The sr-only header is absolutely placed: without a positioned frame it escapes the table's scroll box and
         widens the page on a phone. */
      .table-wrap {
        position: relative;
      }
      .edit-row td {
        background: var(--bg);
      }
      /* Top-aligned, so a field's error below it does not push its neighbours; the buttons line up with the inputs. */
      .edit {
        display: flex;
        flex-wrap: wrap;
        align-items: flex-start;
        gap: 12px;
      }
      .edit > button {
        margin-top: 22px;
      }
      .edit .field {
        min-width: 150px;
      }
    `,
  ]
  declare search: string
  declare query: string
  declare status: Status
  declare projectId: string
  declare offset: number
  declare editing: string | null
  declare draft: Draft
  declare draftErrors: Record<string, string>
  private readonly apiC = consumeApi(this)
  private readonly action = new Action(this)
  private readonly keys = new Resource<{ total: number; keys: AdminKey[] }>(this, {
    load: (signal) =>
      this.apiC.value!.get('/api/admin/api-keys', {
        query: {
          search: this.query || undefined,
          status: this.status || undefined,
          projectId: this.projectId || undefined,
          limit: LIMIT,
          offset: this.offset,
        },
        signal,
      }),
    deps: () => [this.query, this.status, this.projectId, this.offset, this.apiC.value],
    enabled: () => Boolean(this.apiC.value),
  })
  // Every project for the filter, archived ones included: their keys are listed too.
  private readonly projects = new Resource<Page<Project>>(this, {
    load: (signal) =>
      this.apiC.value!.get('/api/projects', { query: { all: 'true', includeArchived: 'true', limit: 200 }, signal }),
    deps: () => [this.apiC.value],
    enabled: () => Boolean(this.apiC.value),
  })

  constructor() {
    super()
    this.search = ''
    this.query = ''
    this.status = ''
    this.projectId = ''
    this.offset = 0
    this.editing = null
    this.draft = { expires: '', requests: '', perSeconds: '' }
    this.draftErrors = {}
  }

  private edit(k: AdminKey) {
    this.editing = k.id
    this.draftErrors = {}
    this.action.error = null
    this.draft = {
      expires: dateValue(k.expiresAt),
      requests: k.rateLimit ? String(k.rateLimit.requests) : '',
      perSeconds: k.rateLimit ? String(k.rateLimit.perSeconds) : '',
    }
  }

  private async save(e: Event, k: AdminKey) {
    e.preventDefault()
    const checked = keyEditBody(this.draft)
    this.draftErrors = checked.ok ? {} : checked.errors
    if (!checked.ok) return
    const ok = await this.action.run(
      () => this.apiC.value!.put(`/api/projects/${encodeURIComponent(k.projectId)}/api-keys/${k.id}`, checked.body),
      k.id,
    )
    if (!ok) return
    notify(this, `${k.name} updated`)
    this.editing = null
    await this.keys.reload(true)
  }

  private async revoke(k: AdminKey) {
    const ok = await this.action.run(
      () =>
        this.apiC.value!.delete(`/api/projects/${encodeURIComponent(k.projectId)}/api-keys/${k.id}`).then(() => true),
      k.id,
    )
    if (!ok) return
    notify(this, `${k.name} revoked`)
    await this.keys.reload(true)
  }

  override render() {
    const answer = this.keys.value
    const items = answer?.keys ?? []
    const projects = this.projects.value?.items ?? []
    const filtered = Boolean(this.query || this.status || this.projectId)
    return html`<div class="layout">
      <div class="page-head">
        <div><h1>API keys</h1><p class="muted">Every project's keys. Revoking a key stops it at once and closes its sessions.</p></div>
      </div>
      ${this.action.error && !this.editing ? errorAlert(this.action.error) : nothing}
      <div class="card flush">
        <form class="card-head toolbar" role="search" @submit=${(e: Event) => {
          e.preventDefault()
          this.offset = 0
          this.query = this.search.trim()
        }}>
          <div class="field">
            <label for="k-search">Search</label>
            <input id="k-search" type="search" placeholder="Name, description, key prefix or project" .value=${this.search}
              @input=${(e: Event) => (this.search = (e.target as HTMLInputElement).value)} />
          </div>
          <div class="field">
            <label for="k-status">Status</label>
            <select id="k-status" .value=${this.status} @change=${(e: Event) => {
              this.offset = 0
              this.status = (e.target as HTMLSelectElement).value as Status
            }}>
              <option value="">All</option><option value="active">Active</option>
              <option value="expired">Expired</option><option value="revoked">Revoked</option>
            </select>
          </div>
          <div class="field">
            <label for="k-project">Project</label>
            <select id="k-project" @change=${(e: Event) => {
              this.offset = 0
              this.projectId = (e.target as HTMLSelectElement).value
            }}>
              <option value="" ?selected=${!this.projectId}>All projects</option>
              ${projects.map(
                (p) =>
                  html`<option value=${p.id} ?selected=${p.id === this.projectId}>${p.name}${p.archived ? ' (archived)' : ''}</option>`,
              )}
            </select>
          </div>
          <button type="submit">Search</button>
        </form>
        ${
          this.keys.error && !answer
            ? html`<div class="card-head">${errorAlert(this.keys.error, () => this.keys.reload())}</div>`
            : !answer
              ? html`<div class="card-head">${loading('Loading keys')}</div>`
              : items.length === 0
                ? empty('No keys found', filtered ? 'Nothing matches these filters.' : 'No project has an API key yet.')
                : html`<div class="table-wrap"><table>
                  <thead><tr>
                    <th>Key</th><th>Project</th><th>Status</th><th>Expires</th><th>Rate limit</th>
                    <th class="hide-narrow">Last used</th><th><span class="sr-only">Actions</span></th>
                  </tr></thead>
                  <tbody>${items.map((k) => this.renderRow(k))}</tbody>
                </table></div>
                <div class="card-head row">
                  <span class="muted small">${`${answer.total ? this.offset + 1 : 0}–${this.offset + items.length} of ${answer.total}`}</span>
                  <span class="spacer"></span>
                  <button class="small" type="button" ?disabled=${this.offset === 0}
                    @click=${() => (this.offset = Math.max(0, this.offset - LIMIT))}>Previous</button>
                  <button class="small" type="button" ?disabled=${this.offset + items.length >= answer.total}
                    @click=${() => (this.offset += LIMIT)}>Next</button>
                </div>`
        }
      </div>
    </div>`
  }

  private renderRow(k: AdminKey) {
    const badge = k.status === 'active' ? 'ok' : k.status === 'expired' ? 'warn' : 'bad'
    const fixed = k.source === 'config'
    const row = html`<tr>
      <td><div>${k.name}</div><div class="muted small mono">${k.preview}</div></td>
      <td><a href=${projectHref(k.projectId)}>${k.projectName}</a></td>
      <td><span class="badge ${badge}">${k.status}</span></td>
      <td class="nowrap">${k.expiresAt ? time(k.expiresAt) : html`<span class="muted">never</span>`}</td>
      <td class="nowrap">${k.rateLimit ? `${k.rateLimit.requests} / ${k.rateLimit.perSeconds} s` : html`<span class="muted">none</span>`}</td>
      <td class="hide-narrow">${time(k.lastUsedAt)}</td>
      <td class="actions">
        ${
          fixed
            ? html`<span class="muted small" title="Defined in the config file: change it there">config file</span>`
            : k.status === 'revoked'
              ? nothing
              : html`<button class="small" type="button" aria-label="Edit ${k.name}" ?disabled=${this.action.busy}
                  @click=${() => (this.editing === k.id ? (this.editing = null) : this.edit(k))}>Edit</button>
                <mcpo-confirm-button label="Revoke" question="Revoke ${k.name}?" confirm-label="Revoke key"
                  ?disabled=${this.action.busy} @confirm=${() => this.revoke(k)}></mcpo-confirm-button>`
        }
      </td>
    </tr>`
    if (this.editing !== k.id) return row
    const d = this.draft
    const set = (field: keyof Draft) => (e: Event) =>
      (this.draft = { ...this.draft, [field]: (e.target as HTMLInputElement).value })
    const general = this.action.error ? errorAlert(this.action.error) : nothing
    return html`${row}<tr class="edit-row"><td colspan="7">
      <form class="edit" aria-label="Edit ${k.name}" novalidate @submit=${(e: Event) => this.save(e, k)}>
        <div class="field">
          <label for="e-expires">Expires on (empty: never)</label>
          <input id="e-expires" type="date" .value=${d.expires} @input=${set('expires')}
            aria-invalid=${Boolean(this.draftErrors.expiresAt)} aria-describedby="e-expires-error" />
          ${fieldError('e-expires', this.draftErrors.expiresAt ?? null)}
        </div>
        <div class="field">
          <label for="e-requests">Requests (empty: no limit)</label>
          <input id="e-requests" type="number" min="1" step="1" .value=${d.requests} @input=${set('requests')}
            aria-invalid=${Boolean(this.draftErrors.requests)} aria-describedby="e-requests-error" />
          ${fieldError('e-requests', this.draftErrors.requests ?? null)}
        </div>
        <div class="field">
          <label for="e-per">Per seconds</label>
          <input id="e-per" type="number" min="1" step="1" .value=${d.perSeconds} @input=${set('perSeconds')}
            aria-invalid=${Boolean(this.draftErrors.perSeconds)} aria-describedby="e-per-error" />
          ${fieldError('e-per', this.draftErrors.perSeconds ?? null)}
        </div>
        <button class="primary" type="submit" ?disabled=${this.action.busy}>Save</button>
        <button type="button" @click=${() => (this.editing = null)}>Cancel</button>
      </form>
      ${general}
    </td></tr>`
  }
}

customElements.define('mcpo-admin-keys', McpoAdminKeys)
