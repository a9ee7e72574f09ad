// A project's "MCP client authentication" setting (API keys, OAuth sign-in or both; Owners change it, others read it)
// and, once OAuth is on, the apps connected to the project. Sends `mcpo-project-changed` after a save.
import { ContextConsumer } from '@lit/context'
import { css, html, LitElement, nothing } from 'lit'
import type { Project } from '../api-types.ts'
import { apiContext, userContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { AUTH_MODE_CHOICES, type AuthMode, authModeOf } from '../oauth.ts'
import { canProject } from '../permissions.ts'
import { base } from '../styles.ts'
import './mcpo-connected-apps.ts'
import { errorAlert, toast } from './template-pieces.ts'

export class McpoProjectAuth extends LitElement {
  static override properties = { project: { attribute: false }, chosen: { state: true } }
  static override styles = [
    base,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: var(--gap);
      }
      fieldset {
        border: 0;
        margin: 0;
        padding: 0;
        display: flex;
        flex-direction: column;
        gap: 8px;
      }
      legend {
        padding: 0;
        margin-bottom: 8px;
        font-size: 0.875rem;
      }
      .choice {
        display: flex;
        gap: 10px;
        align-items: flex-start;
        padding: 10px 12px;
        border: 1px solid var(--border);
        border-radius: var(--radius);
        cursor: pointer;
        font-weight: 400;
      }
      .choice:has(input:checked) {
        border-color: var(--accent);
        background: var(--accent-bg);
      }
      .choice input {
        width: auto;
        margin: 3px 0 0;
        flex: none;
      }
      .choice strong {
        display: block;
        font-size: 0.875rem;
      }
      .current {
        display: flex;
        flex-direction: column;
        gap: 2px;
      }
      header {
        padding: 16px 20px 12px;
      }
      @media (max-width: 640px) {
        header {
          padding: 14px 14px 10px;
        }
      }
    `,
  ]

  declare project: Project
  /** The mode picked in the form and not saved yet; null shows the saved one. */
  declare chosen: AuthMode | null

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly user = new ContextConsumer(this, { context: userContext, subscribe: true })
  private readonly save = new Action(this)

  constructor() {
    super()
    this.chosen = null
  }

  private get saved(): AuthMode {
    return authModeOf(this.project.settings)
  }

  private async onSave(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const authMode = this.chosen ?? this.saved
    const updated = await this.save.run(() =>
      this.api.value!.put<Project>(`/api/projects/${encodeURIComponent(this.project.id)}`, {
        settings: { authMode },
        // Refuses the edit if someone changed the project since this page loaded.
        version: this.project.updatedAt,
      }),
    )
    if (!updated) return
    this.chosen = null
    toast(this, `MCP clients now authenticate with ${AUTH_MODE_CHOICES.find((c) => c.mode === authMode)?.label}`)
    this.dispatchEvent(new CustomEvent('mcpo-project-changed', { detail: updated, bubbles: true, composed: true }))
  }

  override render() {
    const p = this.project
    const owner = canProject(this.user.value ?? null, p, 'project.settings')
    // Config projects take the mode from mcpo.config.ts, like the rest of their settings.
    const editable = owner && !p.archived && p.source === 'ui'
    const saved = this.saved
    const shown = this.chosen ?? saved
    return html`<section class="card" aria-labelledby="auth-title">
        <h2 id="auth-title">MCP client authentication</h2>
        ${
          editable
            ? html`<form class="stack" @submit=${this.onSave}>
                ${errorAlert(this.save.error)}
                <fieldset>
                  <legend class="muted">How MCP clients prove who they are on this project's endpoints.</legend>
                  ${AUTH_MODE_CHOICES.map(
                    (c) => html`<label class="choice">
                      <input type="radio" name="authMode" value=${c.mode} .checked=${shown === c.mode}
                        @change=${() => (this.chosen = c.mode)} />
                      <span><strong>${c.label}</strong><span class="muted small">${c.line}</span></span>
                    </label>`,
                  )}
                </fieldset>
                <div><button class="primary" type="submit" ?disabled=${this.save.busy || shown === saved}>
                  ${this.save.busy ? 'Saving…' : 'Save'}</button></div>
              </form>`
            : this.readOnly(saved, owner, p)
        }
      </section>
      ${
        saved === 'keys'
          ? nothing
          : html`<section class="card flush" aria-labelledby="apps-title">
              <header>
                <h2 id="apps-title">Connected apps</h2>
                <p class="muted small">${
                  owner
                    ? 'MCP clients people in this project allowed with OAuth. Revoking one stops it within a second.'
                    : 'MCP clients you allowed on this project with OAuth. Owners see everyone’s.'
                }</p>
              </header>
              <mcpo-connected-apps scope="project"
                path=${`/api/projects/${encodeURIComponent(p.id)}/connected-apps`}></mcpo-connected-apps>
            </section>`
      }`
  }

  private readOnly(mode: AuthMode, owner: boolean, p: Project) {
    const c = AUTH_MODE_CHOICES.find((x) => x.mode === mode)!
    const why =
      p.source === 'config'
        ? 'Set in mcpo.config.ts (read-only here).'
        : p.archived
          ? 'The project is archived.'
          : owner
            ? ''
            : 'Only Owners can change this.'
    return html`<div class="current" data-auth-mode=${mode}>
      <strong>${c.label}</strong>
      <span class="muted small">${c.line}</span>
      ${why ? html`<span class="muted small">${why}</span>` : nothing}
    </div>`
  }
}

customElements.define('mcpo-project-auth', McpoProjectAuth)
