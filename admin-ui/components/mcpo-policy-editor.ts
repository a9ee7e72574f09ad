// <mcpo-policy-editor>: a project's tool policies in evaluation order, with an add / edit form checked before it is
// sent. Properties in: `policies`, `keys` (for key-scoped rules), `editable`, `busy`, `errors` (field errors from
// the API). Events out: `policy-save` { id: string | null, body } and `policy-delete` { id }.
import { css, html, LitElement, nothing } from 'lit'
import type { ApiKey } from '../api-types.ts'
import { checkPolicy, emptyPolicy, type PolicyForm } from '../lib/validate.ts'
import { base } from '../styles.ts'
import { fieldError } from './template-pieces.ts'
import { shared } from './view-support.ts'
import './mcpo-confirm-button.ts'

export interface Policy {
  id: string
  priority: number
  effect: 'allow' | 'deny'
  serverPattern: string
  toolPattern: string
  roles: string[]
  keyIds: string[]
  description: string
  createdAt: string
  updatedAt: string
}

const ROLES = ['owner', 'developer', 'reporter']

export class McpoPolicyEditor extends LitElement {
  static override properties = {
    policies: { attribute: false },
    keys: { attribute: false },
    editable: { type: Boolean },
    busy: { type: Boolean },
    errors: { attribute: false },
    editing: { state: true },
    form: { state: true },
    localErrors: { state: true },
  }
  static override styles = [
    base,
    shared,
    css`
      .rule-effect {
        text-transform: uppercase;
        font-size: 0.6875rem;
        letter-spacing: 0.05em;
      }
      form {
        border-top: 1px solid var(--border);
        padding: 16px 18px;
        background: var(--subtle);
      }
      fieldset {
        border: 0;
        padding: 0;
        margin: 0;
      }
      legend {
        font-size: 0.8125rem;
        font-weight: 500;
        margin-bottom: 4px;
        padding: 0;
      }
      .checks {
        display: flex;
        gap: 14px;
        flex-wrap: wrap;
      }
      select[multiple] {
        min-height: 84px;
      }
    `,
  ]
  declare policies: Policy[]
  declare keys: ApiKey[]
  declare editable: boolean
  declare busy: boolean
  declare errors: Record<string, string>
  /** null: no form; 'new': adding; else the id being edited. */
  declare editing: string | null
  declare form: PolicyForm
  declare localErrors: Record<string, string>

  constructor() {
    super()
    this.policies = []
    this.keys = []
    this.editable = false
    this.busy = false
    this.errors = {}
    this.editing = null
    this.form = emptyPolicy()
    this.localErrors = {}
  }

  /** Closes the form after the container saved successfully. */
  done(): void {
    this.editing = null
    this.localErrors = {}
  }

  private open(p: Policy | null) {
    this.editing = p ? p.id : 'new'
    this.localErrors = {}
    this.form = p
      ? {
          effect: p.effect,
          serverPattern: p.serverPattern,
          toolPattern: p.toolPattern,
          roles: [...p.roles],
          keyIds: [...p.keyIds],
          priority: String(p.priority),
          description: p.description,
        }
      : emptyPolicy()
  }

  private set(field: keyof PolicyForm, value: PolicyForm[keyof PolicyForm]) {
    this.form = { ...this.form, [field]: value }
  }

  private submit(e: Event) {
    e.preventDefault()
    const checked = checkPolicy(this.form)
    if (!checked.ok) {
      this.localErrors = checked.errors
      return
    }
    this.localErrors = {}
    const id = this.editing === 'new' ? null : this.editing
    this.dispatchEvent(new CustomEvent('policy-save', { detail: { id, body: checked.value } }))
  }

  private err(field: string): string | null {
    return this.localErrors[field] ?? this.errors?.[field] ?? null
  }

  private subjects(p: Policy) {
    const names = p.keyIds.map((id) => `key ${this.keys.find((k) => k.id === id)?.name ?? id.slice(0, 8)}`)
    const all = [...p.roles, ...names]
    return all.length ? all.join(', ') : html`<span class="muted">everyone</span>`
  }

  override render() {
    const list = this.policies ?? []
    return html`<div class="card flush">
      <header class="card-head">
        <div>
          <h2>Tool policies</h2>
          <p class="muted small">Deny rules win. Allow rules restrict a tool to their subjects. Everything else is allowed.</p>
        </div>
        <span class="spacer"></span>
        ${
          this.editable && this.editing === null
            ? html`<button class="primary small" type="button" @click=${() => this.open(null)}>Add policy</button>`
            : nothing
        }
      </header>
      ${
        list.length === 0
          ? html`<div class="empty">
            <h3>No policies</h3>
            <p>
              Every enabled tool can be called by every member and key.
              ${this.editable ? 'Add a deny rule to block a tool for a role or a key.' : 'Project owners can add rules.'}
            </p>
          </div>`
          : html`<div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Priority</th>
                  <th>Effect</th>
                  <th>Server</th>
                  <th>Tool</th>
                  <th>Applies to</th>
                  <th class="hide-narrow">Note</th>
                  ${this.editable ? html`<th><span class="sr-only">Actions</span></th>` : nothing}
                </tr>
              </thead>
              <tbody>
                ${list.map(
                  (p) => html`<tr>
                    <td>${p.priority}</td>
                    <td><span class="badge rule-effect ${p.effect === 'deny' ? 'bad' : 'ok'}">${p.effect}</span></td>
                    <td class="mono">${p.serverPattern}</td>
                    <td class="mono">${p.toolPattern}</td>
                    <td>${this.subjects(p)}</td>
                    <td class="hide-narrow muted clip">${p.description}</td>
                    ${
                      this.editable
                        ? html`<td class="actions">
                          <button class="small" type="button" @click=${() => this.open(p)}>Edit</button>
                          <mcpo-confirm-button
                            label="Delete"
                            question="Delete this rule?"
                            @confirm=${() => this.dispatchEvent(new CustomEvent('policy-delete', { detail: { id: p.id } }))}
                          ></mcpo-confirm-button>
                        </td>`
                        : nothing
                    }
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
      }
      ${this.editing !== null ? this.renderForm() : nothing}
    </div>`
  }

  private renderForm() {
    const f = this.form
    const input = (field: 'serverPattern' | 'toolPattern' | 'priority' | 'description', label: string, hint = '') =>
      html`<div class="field">
        <label for="p-${field}">${label}</label>
        <input
          id="p-${field}"
          .value=${f[field]}
          aria-invalid=${this.err(field) ? 'true' : 'false'}
          aria-describedby="p-${field}-error"
          @input=${(e: Event) => this.set(field, (e.target as HTMLInputElement).value)}
        />
        ${hint ? html`<span class="hint">${hint}</span>` : nothing} ${fieldError(`p-${field}`, this.err(field))}
      </div>`
    return html`<form @submit=${this.submit} novalidate aria-label=${this.editing === 'new' ? 'New policy' : 'Edit policy'}>
      <div class="form-grid">
        <div class="field">
          <label for="p-effect">Effect</label>
          <select id="p-effect" .value=${f.effect} @change=${(e: Event) => this.set('effect', (e.target as HTMLSelectElement).value)}>
            <option value="deny">Deny: block matching calls</option>
            <option value="allow">Allow: only these subjects may call</option>
          </select>
          ${fieldError('p-effect', this.err('effect'))}
        </div>
        ${input('priority', 'Priority', 'Lower numbers are checked first.')}
        ${input('serverPattern', 'Server pattern', 'A server name or a glob, e.g. * or git*')}
        ${input('toolPattern', 'Tool pattern', 'A tool name or a glob, e.g. delete_* ')}
        <fieldset>
          <legend>Roles (none: everyone)</legend>
          <div class="checks">
            ${ROLES.map(
              (r) => html`<label class="check">
                <input
                  type="checkbox"
                  .checked=${f.roles.includes(r)}
                  @change=${(e: Event) =>
                    this.set(
                      'roles',
                      (e.target as HTMLInputElement).checked ? [...f.roles, r] : f.roles.filter((x) => x !== r),
                    )}
                />${r}
              </label>`,
            )}
          </div>
          ${fieldError('p-roles', this.err('roles'))}
        </fieldset>
        <div class="field">
          <label for="p-keys">API keys</label>
          <select
            id="p-keys"
            multiple
            @change=${(e: Event) =>
              this.set(
                'keyIds',
                [...(e.target as HTMLSelectElement).selectedOptions].map((o) => o.value),
              )}
          >
            ${(this.keys ?? []).map(
              (k) => html`<option value=${k.id} ?selected=${f.keyIds.includes(k.id)}>${k.name} (${k.preview})</option>`,
            )}
          </select>
          <span class="hint">${(this.keys ?? []).length ? 'Ctrl/Cmd-click to pick several.' : 'This project has no keys you can see.'}</span>
          ${fieldError('p-keyIds', this.err('keyIds'))}
        </div>
        <div class="wide">${input('description', 'Note')}</div>
      </div>
      <div class="row form-actions">
        <span class="spacer"></span>
        <button type="button" @click=${() => this.done()}>Cancel</button>
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.editing === 'new' ? 'Add policy' : 'Save policy'}</button>
      </div>
    </form>`
  }
}

customElements.define('mcpo-policy-editor', McpoPolicyEditor)
