// <mcpo-access-check>: "can this member or key call this tool, and which rule decides". Properties in: `tools`
// (exposed tools), `members`, `keys`, `verdict` (the explain answer, or null), `busy`, `error`. Event out:
// `explain` { server, tool, userId?, keyId?, role? } for the container to ask GET /policies/explain.
import { css, html, LitElement, nothing } from 'lit'
import type { ApiKey, ProjectMember } from '../api-types.ts'
import { base } from '../styles.ts'
import { shared } from './view-support.ts'

export interface ToolRef {
  server: string
  name: string
  exposedName: string
}

export interface Verdict {
  allowed: boolean
  reason: string
  rule:
    | { kind: 'toggle'; server: string; tool: string }
    | {
        kind: 'policy'
        policy: { id: string; effect: string; serverPattern: string; toolPattern: string; priority: number }
      }
    | { kind: 'default' }
  subject: { role: string | null; keyId: string | null }
}

export class McpoAccessCheck extends LitElement {
  static override properties = {
    tools: { attribute: false },
    members: { attribute: false },
    keys: { attribute: false },
    verdict: { attribute: false },
    busy: { type: Boolean },
    error: {},
    tool: { state: true },
    subject: { state: true },
  }
  static override styles = [
    base,
    shared,
    css`
      form > p {
        margin: 4px 0 14px;
      }
      .verdict {
        margin-top: 14px;
        display: flex;
        gap: 12px;
        align-items: flex-start;
      }
      .verdict .big {
        font-size: 1rem;
        font-weight: 600;
      }
    `,
  ]
  declare tools: ToolRef[]
  declare members: ProjectMember[]
  declare keys: ApiKey[]
  declare verdict: Verdict | null
  declare busy: boolean
  declare error: string | null
  declare tool: string
  /** `user:<id>`, `key:<id>` or `role:<role>`. */
  declare subject: string

  constructor() {
    super()
    this.tools = []
    this.members = []
    this.keys = []
    this.verdict = null
    this.busy = false
    this.error = null
    this.tool = ''
    this.subject = 'role:reporter'
  }

  private ask(e: Event) {
    e.preventDefault()
    const t = this.tools.find((x) => x.exposedName === this.tool) ?? this.tools[0]
    if (!t) return
    const [kind, id] = [
      this.subject.slice(0, this.subject.indexOf(':')),
      this.subject.slice(this.subject.indexOf(':') + 1),
    ]
    const detail: Record<string, string> = { server: t.server, tool: t.name }
    if (kind === 'user') detail.userId = id
    else if (kind === 'key') detail.keyId = id
    else detail.role = id
    this.dispatchEvent(new CustomEvent('explain', { detail }))
  }

  /** One sentence on what decided, in words. */
  private rule(v: Verdict) {
    const r = v.rule
    if (r.kind === 'toggle') return html`The tool is switched off in this project (tool toggle of <b>${r.server}</b>).`
    if (r.kind === 'default') return html`No rule matches, so it is allowed by default.`
    const p = r.policy
    return html`Decided by the <b>${p.effect}</b> rule <span class="mono">${p.serverPattern} / ${p.toolPattern}</span>
      (priority ${p.priority})${v.allowed ? '' : html`: ${v.reason}`}.`
  }

  override render() {
    if (!this.tools?.length) {
      return html`<div class="card"><h2>Check access</h2><p class="muted">No tools to check yet: add or enable a server.</p></div>`
    }
    const current = this.tool || this.tools[0].exposedName
    return html`<form class="card" @submit=${this.ask} aria-labelledby="ac-title">
      <h2 id="ac-title">Check access</h2>
      <p class="muted small">Can a member, a key or a role call a tool, and which rule decides?</p>
      <div class="toolbar">
        <div class="field">
          <label for="ac-subject">Who</label>
          <select id="ac-subject" @change=${(e: Event) => (this.subject = (e.target as HTMLSelectElement).value)}>
            <optgroup label="Roles">
              ${['owner', 'developer', 'reporter'].map(
                (r) => html`<option value="role:${r}" ?selected=${this.subject === `role:${r}`}>any ${r}</option>`,
              )}
            </optgroup>
            ${
              this.members?.length
                ? html`<optgroup label="Members">
                  ${this.members.map(
                    (m) => html`<option value="user:${m.userId}" ?selected=${this.subject === `user:${m.userId}`}>
                      ${m.email} (${m.effectiveRole})
                    </option>`,
                  )}
                </optgroup>`
                : nothing
            }
            ${
              this.keys?.length
                ? html`<optgroup label="API keys">
                  ${this.keys
                    .filter((k) => k.status === 'active')
                    .map(
                      (k) => html`<option value="key:${k.id}" ?selected=${this.subject === `key:${k.id}`}>
                        ${k.name} (${k.preview})
                      </option>`,
                    )}
                </optgroup>`
                : nothing
            }
          </select>
        </div>
        <div class="field">
          <label for="ac-tool">Tool</label>
          <select id="ac-tool" @change=${(e: Event) => (this.tool = (e.target as HTMLSelectElement).value)}>
            ${this.tools.map((t) => html`<option value=${t.exposedName} ?selected=${t.exposedName === current}>${t.exposedName}</option>`)}
          </select>
        </div>
        <button class="primary" type="submit" ?disabled=${this.busy}>Check</button>
      </div>
      ${this.error ? html`<div class="alert error verdict" role="alert">${this.error}</div>` : nothing}
      ${
        this.verdict && !this.error
          ? html`<div class="verdict" role="status" aria-live="polite">
            <span class="badge ${this.verdict.allowed ? 'ok' : 'bad'}">${this.verdict.allowed ? 'allowed' : 'denied'}</span>
            <div>
              <div class="big">${this.verdict.allowed ? 'Can call this tool' : 'Cannot call this tool'}</div>
              <div class="small">${this.rule(this.verdict)}</div>
              <div class="small muted">
                Checked as ${this.verdict.subject.role ? `a ${this.verdict.subject.role}` : 'someone without a role'}${
                  this.verdict.subject.keyId ? ' using this key' : ''
                }.
              </div>
            </div>
          </div>`
          : nothing
      }
    </form>`
  }
}

customElements.define('mcpo-access-check', McpoAccessCheck)
