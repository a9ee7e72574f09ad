// The Settings tab: name and description (owners), how MCP clients authenticate (with the connected OAuth apps), the
// project's API keys, and the danger zone: archive, restore and
// delete, each after a confirmation (delete also asks for the project id). Sends `mcpo-project-changed`.
import { ContextConsumer } from '@lit/context'
import { css, html, LitElement, nothing } from 'lit'
import type { Page, Project, ProjectMember } from '../api-types.ts'
import { apiContext, routerContext, userContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { canProject } from '../permissions.ts'
import { base } from '../styles.ts'
import type { McpoConfirm } from './mcpo-confirm.ts'
import './mcpo-api-keys.ts'
import './mcpo-confirm.ts'
import './mcpo-project-auth.ts'
import { errorAlert, fieldError, toast } from './template-pieces.ts'

export class McpoSettingsTab extends LitElement {
  static override properties = { project: { attribute: false } }
  static override styles = [
    base,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: var(--gap);
      }
      .danger {
        border-color: #fecaca;
      }
      .danger-row {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 16px;
        padding: 12px 0;
        border-top: 1px solid var(--border);
        flex-wrap: wrap;
      }
      .danger-row:first-of-type {
        border-top: 0;
      }
      .danger-row p {
        max-width: 620px;
      }
      select.auto {
        width: auto;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 6px 16px;
        margin: 0;
        font-size: 0.875rem;
      }
      dt {
        color: var(--muted);
      }
      dd {
        margin: 0;
      }
    `,
  ]

  declare project: Project

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly router = new ContextConsumer(this, { context: routerContext })
  private readonly user = new ContextConsumer(this, { context: userContext, subscribe: true })
  private readonly save = new Action(this)
  private readonly danger = new Action(this)
  /** Candidates for an ownership transfer: direct members other than the caller. */
  private readonly members = new Resource(this, {
    load: (signal) =>
      this.api.value!.get<Page<ProjectMember>>(`${this.path}/members`, { query: { limit: 200 }, signal }),
    deps: () => [this.project.id, this.owner],
    enabled: () => this.owner && !this.project.archived,
  })

  private get owner(): boolean {
    return canProject(this.user.value ?? null, this.project, 'project.settings')
  }

  private get path(): string {
    return `/api/projects/${encodeURIComponent(this.project.id)}`
  }

  private changed(p: Project): void {
    this.dispatchEvent(new CustomEvent('mcpo-project-changed', { detail: p, bubbles: true, composed: true }))
  }

  private async onSave(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const data = new FormData(e.target as HTMLFormElement)
    const updated = await this.save.run(() =>
      this.api.value!.put<Project>(this.path, {
        name: String(data.get('name') ?? '').trim(),
        description: String(data.get('description') ?? ''),
        // Refuses the edit if someone changed the project since this page loaded.
        version: this.project.updatedAt,
      }),
    )
    if (!updated) return
    toast(this, 'Project saved')
    this.changed(updated)
  }

  private confirm() {
    return this.renderRoot.querySelector<McpoConfirm>('mcpo-confirm')!
  }

  private async archive(restore: boolean): Promise<void> {
    const ok = await this.confirm().ask(
      restore
        ? {
            title: 'Restore this project?',
            message: 'Its servers load again and its endpoints serve with the existing keys.',
            confirmLabel: 'Restore',
            danger: false,
          }
        : {
            title: 'Archive this project?',
            message: 'Its MCP endpoints stop serving and open sessions close. Nothing is deleted; you can restore it.',
            confirmLabel: 'Archive',
          },
    )
    if (!ok) return
    const p = await this.danger.run(() =>
      this.api.value!.post<Project>(`${this.path}/${restore ? 'restore' : 'archive'}`),
    )
    if (!p) return
    toast(this, restore ? 'Project restored' : 'Project archived')
    this.changed(p)
  }

  private async transfer(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const userId = String(new FormData(e.target as HTMLFormElement).get('userId') ?? '')
    const to = this.members.value?.items.find((m) => m.userId === userId)
    if (!to) return
    const ok = await this.confirm().ask({
      title: `Make ${to.name || to.email} the owner?`,
      message:
        'They become an owner of this project and you become a developer: you can no longer change settings or members.',
      confirmLabel: 'Transfer ownership',
    })
    if (!ok) return
    const p = await this.danger.run(() => this.api.value!.post<Project>(`${this.path}/transfer`, { userId }))
    if (!p) return
    toast(this, `${to.email} now owns the project`)
    this.changed(p)
  }

  private async removeItem(): Promise<void> {
    const ok = await this.confirm().ask({
      title: 'Delete this project?',
      message: 'Its servers, keys, members, policies and activity are deleted for good. Clients using it stop working.',
      confirmLabel: 'Delete project',
      expect: this.project.id,
    })
    if (!ok) return
    await this.danger.run(() => this.api.value!.delete(this.path, { query: { confirm: this.project.id } }))
    if (this.danger.error) return
    toast(this, `Project “${this.project.name}” deleted`)
    this.router.value?.navigate('/admin/projects')
  }

  private transferRow() {
    const me = this.user.value?.id
    const others = (this.members.value?.items ?? []).filter((m) => m.userId !== me)
    if (this.project.archived || !others.length) return nothing
    return html`<form class="danger-row" @submit=${this.transfer}>
      <div><strong>Transfer ownership</strong><p class="muted small">Hand the project to another member; you stay on as a developer.</p></div>
      <div class="row">
        <label class="sr-only" for="t-user">New owner</label>
        <select id="t-user" name="userId" class="auto">${others.map((m) => html`<option value=${m.userId}>${m.name || m.email}</option>`)}</select>
        <button type="submit" ?disabled=${this.danger.busy}>Transfer</button>
      </div>
    </form>`
  }

  override render() {
    const p = this.project
    const a = this.save
    const editable = this.owner && !p.archived && p.source === 'ui'
    return html`<section class="card" aria-labelledby="general-title">
        <h2 id="general-title">General</h2>
        ${
          editable
            ? html`<form class="stack" @submit=${this.onSave} novalidate>
                ${errorAlert(a.general(['name', 'description']))}
                <div class="form-grid">
                  <div class="field">
                    <label for="g-name">Name</label>
                    <input id="g-name" name="name" .value=${p.name} required maxlength="200"
                      aria-invalid=${a.field('name') ? 'true' : 'false'} aria-describedby="g-name-error" />
                    ${fieldError('g-name', a.field('name'))}
                  </div>
                  <div class="field">
                    <label for="g-id">Project id</label>
                    <input id="g-id" class="mono" .value=${p.id} readonly aria-describedby="g-id-hint" />
                    <div class="hint" id="g-id-hint">Part of every endpoint URL; it cannot change.</div>
                  </div>
                  <div class="field wide">
                    <label for="g-description">Description</label>
                    <textarea id="g-description" name="description" maxlength="2000" rows="2"
                      aria-describedby="g-description-error">${p.description}</textarea>
                    ${fieldError('g-description', a.field('description'))}
                  </div>
                </div>
                <div><button class="primary" type="submit" ?disabled=${a.busy}>${a.busy ? 'Saving…' : 'Save'}</button></div>
              </form>`
            : html`<dl>
                <dt>Name</dt><dd>${p.name}</dd>
                <dt>Project id</dt><dd><code>${p.id}</code></dd>
                <dt>Description</dt><dd>${p.description || html`<span class="muted">none</span>`}</dd>
                ${p.source === 'config' ? html`<dt>Managed in</dt><dd>mcpo.config.ts (read-only here)</dd>` : nothing}
              </dl>`
        }
      </section>
      <mcpo-project-auth .project=${p}></mcpo-project-auth>
      <mcpo-api-keys .project=${p}></mcpo-api-keys>
      ${
        this.owner
          ? html`<section class="card danger" aria-labelledby="danger-title">
              <h2 id="danger-title">Danger zone</h2>
              ${errorAlert(this.danger.error)}
              <div class="danger-row">
                <div><strong>${p.archived ? 'Restore' : 'Archive'} this project</strong>
                  <p class="muted small">${p.archived ? 'Loads its servers again.' : 'Stops its endpoints; nothing is deleted.'}</p></div>
                <button ?disabled=${this.danger.busy} @click=${() => this.archive(p.archived)}>${p.archived ? 'Restore project' : 'Archive project'}</button>
              </div>
              ${this.transferRow()}
              ${
                p.source === 'ui'
                  ? html`<div class="danger-row">
                      <div><strong>Delete this project</strong><p class="muted small">Removes it and everything in it, for good.</p></div>
                      <button class="danger" ?disabled=${this.danger.busy} @click=${this.removeItem}>Delete project</button>
                    </div>`
                  : nothing
              }
            </section>`
          : nothing
      }
      <mcpo-confirm></mcpo-confirm>`
  }
}

customElements.define('mcpo-settings-tab', McpoSettingsTab)
