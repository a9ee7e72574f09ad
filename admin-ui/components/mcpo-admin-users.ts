// <mcpo-admin-users>: the admin console's users: search, pages of 50, select many and disable / enable / delete them
// at once (each gets its own result), make or unmake administrators, confirm an unverified email, and create a user
// with a password.
import { css, html, LitElement, nothing } from 'lit'
import type { Page, User } from '../api-types.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { checkNewUser } from '../lib/validate.ts'
import { base } from '../styles.ts'
import { empty, errorAlert, fieldError, loading, time } from './template-pieces.ts'
import { consumeApi, consumeUser, notify, shared } from './view-support.ts'
import './mcpo-confirm-button.ts'

type AdminUser = User & { updatedAt: string }
interface BulkAnswer {
  changed: number
  results: { id: string; ok: boolean; error?: { message: string } }[]
}

const LIMIT = 50

export class McpoAdminUsers extends LitElement {
  static override properties = {
    search: { state: true },
    query: { state: true },
    offset: { state: true },
    selected: { state: true },
    failures: { state: true },
    creating: { state: true },
    form: { state: true },
    formErrors: { state: true },
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
    `,
  ]
  declare search: string
  declare query: string
  declare offset: number
  declare selected: Set<string>
  declare failures: { email: string; message: string }[]
  declare creating: boolean
  declare form: { email: string; name: string; password: string; isAdmin: boolean }
  declare formErrors: Record<string, string>
  private readonly apiC = consumeApi(this)
  private readonly meC = consumeUser(this)
  private readonly action = new Action(this)
  private readonly users = new Resource<Page<AdminUser>>(this, {
    load: (signal) =>
      this.apiC.value!.get<Page<AdminUser>>('/api/users', {
        query: { search: this.query || undefined, limit: LIMIT, offset: this.offset },
        signal,
      }),
    deps: () => [this.query, this.offset, this.apiC.value],
    enabled: () => Boolean(this.apiC.value),
  })

  constructor() {
    super()
    this.search = ''
    this.query = ''
    this.offset = 0
    this.selected = new Set()
    this.failures = []
    this.creating = false
    this.form = { email: '', name: '', password: '', isAdmin: false }
    this.formErrors = {}
  }

  private async bulk(action: 'disable' | 'enable' | 'delete') {
    const ids = [...this.selected]
    const items = this.users.value?.items ?? []
    const r = await this.action.run(() => this.apiC.value!.post<BulkAnswer>('/api/users/bulk', { ids, action }))
    if (!r) return
    this.failures = r.results
      .filter((x) => !x.ok)
      .map((x) => ({ email: items.find((u) => u.id === x.id)?.email ?? x.id, message: x.error?.message ?? 'failed' }))
    notify(this, `${r.changed} user${r.changed === 1 ? '' : 's'} ${action}d`)
    this.selected = new Set()
    await this.users.reload(true)
  }

  private async patchUser(u: AdminUser, patch: Partial<Pick<User, 'isAdmin' | 'disabled'>>) {
    const ok = await this.action.run(
      () => this.apiC.value!.put(`/api/users/${u.id}`, { ...patch, version: u.updatedAt }),
      u.id,
    )
    if (ok) notify(this, `${u.email} updated`)
    await this.users.reload(true)
  }

  private async confirmEmail(u: AdminUser) {
    const ok = await this.action.run(() => this.apiC.value!.post(`/api/users/${u.id}/confirm-email`), u.id)
    if (ok) notify(this, `${u.email} confirmed`)
    await this.users.reload(true)
  }

  private async signOutEverywhere(u: AdminUser) {
    const ok = await this.action.run(() => this.apiC.value!.post(`/api/users/${u.id}/sessions/revoke`), u.id)
    if (ok) notify(this, `${u.email} is signed out everywhere`)
  }

  private async create(e: Event) {
    e.preventDefault()
    const checked = checkNewUser(this.form)
    this.formErrors = checked.ok ? {} : checked.errors
    if (!checked.ok) return
    const ok = await this.action.run(() => this.apiC.value!.post('/api/users', checked.value))
    if (!ok) {
      this.formErrors = { ...this.action.error!.fields }
      return
    }
    notify(this, `${checked.value.email} created`)
    this.creating = false
    this.form = { email: '', name: '', password: '', isAdmin: false }
    await this.users.reload(true)
  }

  override render() {
    const page = this.users.value
    const me = this.meC.value
    const items = page?.items ?? []
    const n = this.selected.size
    return html`<div class="layout">
      <div class="page-head">
        <div><h1>Users</h1><p class="muted">Everyone who can sign in. Disabled users lose their sessions and keys at once.</p></div>
        <button class="primary" type="button" @click=${() => (this.creating = !this.creating)}>${this.creating ? 'Cancel' : 'Create user'}</button>
      </div>
      ${this.creating ? this.renderCreate() : nothing}
      ${this.action.error && !this.creating ? errorAlert(this.action.error) : nothing}
      ${
        this.failures.length
          ? html`<div class="alert warn" role="alert">
            ${this.failures.map((f) => html`<div><b>${f.email}</b>: ${f.message}</div>`)}
          </div>`
          : nothing
      }
      <div class="card flush">
        <form class="card-head toolbar" role="search" @submit=${(e: Event) => {
          e.preventDefault()
          this.offset = 0
          this.query = this.search.trim()
        }}>
          <div class="field">
            <label for="u-search">Search</label>
            <input id="u-search" type="search" placeholder="Email or name" .value=${this.search}
              @input=${(e: Event) => (this.search = (e.target as HTMLInputElement).value)} />
          </div>
          <button type="submit">Search</button>
          <span class="spacer"></span>
          <span class="muted small" aria-live="polite">${n ? `${n} selected` : ''}</span>
          <button class="small" type="button" ?disabled=${!n || this.action.busy} @click=${() => this.bulk('enable')}>Enable</button>
          <button class="small" type="button" ?disabled=${!n || this.action.busy} @click=${() => this.bulk('disable')}>Disable</button>
          <mcpo-confirm-button label="Delete" question="Delete ${n} user${n === 1 ? '' : 's'} and their keys?" ?disabled=${!n}
            @confirm=${() => this.bulk('delete')}></mcpo-confirm-button>
        </form>
        ${
          this.users.error && !page
            ? html`<div class="card-head">${errorAlert(this.users.error, () => this.users.reload())}</div>`
            : !page
              ? html`<div class="card-head">${loading('Loading users')}</div>`
              : items.length === 0
                ? empty('No users found', this.query ? 'Nothing matches this search.' : 'Create the first user.')
                : html`<div class="table-wrap"><table>
                  <thead><tr>
                    <th><input type="checkbox" aria-label="Select all on this page"
                      .checked=${items.length > 0 && items.every((u) => this.selected.has(u.id))}
                      @change=${(e: Event) => (this.selected = new Set((e.target as HTMLInputElement).checked ? items.map((u) => u.id) : []))} /></th>
                    <th>User</th><th>Role</th><th>Status</th><th class="hide-narrow">Last sign-in</th><th><span class="sr-only">Actions</span></th>
                  </tr></thead>
                  <tbody>
                    ${items.map((u) => {
                      const self = u.id === me?.id
                      return html`<tr>
                        <td><input type="checkbox" aria-label="Select ${u.email}" .checked=${this.selected.has(u.id)}
                          @change=${(e: Event) => {
                            const next = new Set(this.selected)
                            if ((e.target as HTMLInputElement).checked) next.add(u.id)
                            else next.delete(u.id)
                            this.selected = next
                          }} /></td>
                        <td><div>${u.email}${self ? html` <span class="badge accent">you</span>` : nothing}</div><div class="muted small">${u.name}</div></td>
                        <td>${u.isAdmin ? html`<span class="badge accent">administrator</span>` : html`<span class="muted small">user</span>`}</td>
                        <td>${u.disabled ? html`<span class="badge bad">disabled</span>` : html`<span class="badge ok">active</span>`}
                          ${
                            u.emailVerified
                              ? nothing
                              : html`<span class="badge warn" title="Made through an invitation link nobody mailed: invitations sent to this address and SSO sign-ins wait until it is confirmed">email unverified</span>`
                          }</td>
                        <td class="hide-narrow">${time(u.lastLoginAt)}</td>
                        <td class="actions">
                          ${
                            u.emailVerified
                              ? nothing
                              : html`<mcpo-confirm-button label="Confirm email" confirm-label="Confirm"
                                  question="Confirm that ${u.email} belongs to this account? It then gets every invitation sent to the address."
                                  ?disabled=${this.action.busy} @confirm=${() => this.confirmEmail(u)}></mcpo-confirm-button>`
                          }
                          <button class="small" type="button" ?disabled=${this.action.busy}
                            @click=${() => this.patchUser(u, { isAdmin: !u.isAdmin })}>${u.isAdmin ? 'Remove admin' : 'Make admin'}</button>
                          ${
                            self
                              ? nothing
                              : html`<button class="small" type="button" ?disabled=${this.action.busy}
                                @click=${() => this.patchUser(u, { disabled: !u.disabled })}>${u.disabled ? 'Enable' : 'Disable'}</button>`
                          }
                          ${
                            self
                              ? nothing
                              : html`<mcpo-confirm-button label="Sign out everywhere" confirm-label="Sign out"
                                  question="End every session of ${u.email}? Their keys keep working."
                                  ?disabled=${this.action.busy} @confirm=${() => this.signOutEverywhere(u)}></mcpo-confirm-button>`
                          }
                        </td>
                      </tr>`
                    })}
                  </tbody>
                </table></div>
                <div class="card-head row">
                  <span class="muted small">${page.total === null ? `${items.length} shown` : `${page.offset + 1}–${page.offset + items.length} of ${page.total}`}</span>
                  <span class="spacer"></span>
                  <button class="small" type="button" ?disabled=${page.offset === 0} @click=${() => (this.offset = Math.max(0, page.offset - LIMIT))}>Previous</button>
                  <button class="small" type="button" ?disabled=${page.nextOffset === null} @click=${() => (this.offset = page.nextOffset ?? 0)}>Next</button>
                </div>`
        }
      </div>
    </div>`
  }

  private renderCreate() {
    const f = this.form
    const input = (k: 'email' | 'name' | 'password', label: string, type = 'text') => html`<div class="field">
      <label for="nu-${k}">${label}</label>
      <input id="nu-${k}" type=${type} autocomplete=${k === 'password' ? 'new-password' : 'off'} .value=${f[k]}
        aria-invalid=${Boolean(this.formErrors[k])} aria-describedby="nu-${k}-error"
        @input=${(e: Event) => (this.form = { ...f, [k]: (e.target as HTMLInputElement).value })} />
      ${fieldError(`nu-${k}`, this.formErrors[k] ?? null)}
    </div>`
    const general =
      this.action.error && !Object.keys(this.action.error.fields).length ? this.action.error.message : null
    return html`<form class="card" @submit=${this.create} novalidate aria-label="Create user">
      <div class="form-grid">
        ${input('email', 'Email', 'email')} ${input('name', 'Name')} ${input('password', 'Password (12 characters or more)', 'password')}
        <div class="field"><span class="small"><b>Role</b></span>
          <label class="check"><input type="checkbox" .checked=${f.isAdmin}
            @change=${(e: Event) => (this.form = { ...f, isAdmin: (e.target as HTMLInputElement).checked })} />Administrator</label>
        </div>
      </div>
      ${general ? html`<div class="form-actions">${errorAlert(general)}</div>` : nothing}
      <div class="row form-actions"><span class="spacer"></span>
        <button class="primary" type="submit" ?disabled=${this.action.busy}>Create user</button></div>
    </form>`
  }
}

customElements.define('mcpo-admin-users', McpoAdminUsers)
