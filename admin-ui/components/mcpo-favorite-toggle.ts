// <mcpo-favorite-toggle project-id>: a star that marks a project as a favorite of the signed-in user. Give it
// `favorite` when the page already knows (a list of favorites), else it asks the API. Event out:
// `favorite-change` { projectId, favorite } after the API accepted the change.
import { css, html, LitElement } from 'lit'
import { consumeApi, notify } from './view-support.ts'

export class McpoFavoriteToggle extends LitElement {
  static override properties = {
    projectId: { attribute: 'project-id' },
    favorite: { type: Boolean, reflect: true },
    busy: { state: true },
  }
  static override styles = css`
    :host {
      display: inline-flex;
    }
    button {
      font: inherit;
      display: inline-flex;
      align-items: center;
      justify-content: center;
      width: 32px;
      height: 32px;
      border: 1px solid transparent;
      border-radius: var(--radius, 6px);
      background: transparent;
      color: var(--muted, #6b7280);
      cursor: pointer;
      padding: 0;
    }
    button:hover {
      background: var(--hover, #eef0f3);
    }
    button:focus-visible {
      outline: 2px solid var(--focus, #6366f1);
      outline-offset: 2px;
    }
    button[aria-pressed='true'] {
      color: #d97706;
    }
    svg {
      width: 18px;
      height: 18px;
    }
  `
  declare projectId: string
  /** Undefined until known. */
  declare favorite: boolean | undefined
  declare busy: boolean
  private readonly apiC = consumeApi(this)
  private askedFor: string | null = null

  constructor() {
    super()
    this.projectId = ''
    this.favorite = undefined
    this.busy = false
  }

  protected override updated(): void {
    if (this.favorite !== undefined || !this.projectId || !this.apiC.value || this.askedFor === this.projectId) return
    this.askedFor = this.projectId
    const id = this.projectId
    // The list, not GET /favorites/:id: that answers 404 for "no", which browsers log as an error.
    this.apiC.value
      .get<{ items: { projectId: string }[] }>('/api/me/favorites', { query: { limit: 200 } })
      .then(
        (page) => page.items.some((f) => f.projectId === id),
        (err) => {
          console.warn('could not read the favorites', err)
          return false
        },
      )
      .then((fav) => {
        if (this.projectId === id) this.favorite = fav
      })
  }

  private async toggle() {
    if (this.busy || !this.apiC.value) return
    const next = !this.favorite
    const path = `/api/me/favorites/${encodeURIComponent(this.projectId)}`
    this.busy = true
    try {
      if (next) await this.apiC.value.put(path)
      else await this.apiC.value.delete(path)
      this.favorite = next
      notify(this, next ? 'Added to favorites' : 'Removed from favorites')
      this.dispatchEvent(
        new CustomEvent('favorite-change', {
          detail: { projectId: this.projectId, favorite: next },
          bubbles: true,
          composed: true,
        }),
      )
    } catch (err) {
      notify(this, `Could not change the favorite: ${(err as Error).message}`)
    } finally {
      this.busy = false
    }
  }

  override render() {
    const on = this.favorite === true
    return html`<button type="button" aria-pressed=${on ? 'true' : 'false'} ?disabled=${this.busy}
      aria-label=${on ? 'Remove from favorites' : 'Add to favorites'} title=${on ? 'Remove from favorites' : 'Add to favorites'}
      @click=${this.toggle}>
      <svg viewBox="0 0 24 24" aria-hidden="true" fill=${on ? 'currentColor' : 'none'} stroke="currentColor" stroke-width="1.8" stroke-linejoin="round">
        <path d="M12 3.5l2.6 5.3 5.9.9-4.3 4.1 1 5.8L12 16.9l-5.2 2.7 1-5.8L3.5 9.7l5.9-.9z" />
      </svg>
    </button>`
  }
}

customElements.define('mcpo-favorite-toggle', McpoFavoriteToggle)
