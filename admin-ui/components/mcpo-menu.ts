// A dropdown menu: a button that opens a panel of the links and buttons given as children. Keyboard: Enter/Space or
// ArrowDown open it and focus the first item, arrows move, Escape closes and returns focus; a click outside or on an
// item closes it. Sends `mcpo-menu-open` when it opens, so the owner can load what it lists.
import { css, html, LitElement } from 'lit'
import { base } from '../styles.ts'

export class McpoMenu extends LitElement {
  static override properties = {
    label: {},
    align: {},
    open: { type: Boolean, reflect: true },
  }
  static override styles = [
    base,
    css`
      :host {
        position: relative;
        display: inline-block;
        color: inherit;
      }
      .trigger {
        background: transparent;
        border-color: transparent;
        color: inherit;
      }
      .trigger:hover,
      :host([open]) .trigger {
        background: rgba(255, 255, 255, 0.1);
      }
      .caret {
        font-size: 0.625rem;
        opacity: 0.7;
      }
      .panel {
        position: absolute;
        top: calc(100% + 6px);
        left: 0;
        min-width: 260px;
        max-width: min(360px, calc(100vw - 24px));
        max-height: min(70vh, 520px);
        overflow: auto;
        background: var(--surface);
        color: var(--fg);
        border: 1px solid var(--border);
        border-radius: var(--radius-lg);
        box-shadow: 0 12px 32px rgba(16, 24, 40, 0.16);
        padding: 6px;
        z-index: 50;
      }
      :host([align='right']) .panel {
        left: auto;
        right: 0;
      }
      @media (max-width: 640px) {
        :host {
          position: static;
        }
        .panel,
        :host([align='right']) .panel {
          left: 8px;
          right: 8px;
          max-width: none;
          top: 52px;
        }
      }
    `,
  ]

  declare label: string
  declare align: 'left' | 'right'
  declare open: boolean

  constructor() {
    super()
    this.label = ''
    this.align = 'left'
    this.open = false
  }

  private readonly outside = (e: Event) => {
    if (this.open && !e.composedPath().includes(this)) this.close(false)
  }

  override connectedCallback(): void {
    super.connectedCallback()
    document.addEventListener('click', this.outside)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    document.removeEventListener('click', this.outside)
  }

  private items(): HTMLElement[] {
    return [...this.querySelectorAll<HTMLElement>('a[href], button:not(:disabled)')]
  }

  private async toggle(focusFirst = false): Promise<void> {
    if (this.open) return this.close(true)
    this.open = true
    this.dispatchEvent(new CustomEvent('mcpo-menu-open'))
    await this.updateComplete
    if (focusFirst) this.items()[0]?.focus()
  }

  close(refocus: boolean): void {
    if (!this.open) return
    this.open = false
    if (refocus) this.renderRoot.querySelector<HTMLButtonElement>('.trigger')?.focus()
  }

  private onTriggerKey(e: KeyboardEvent): void {
    if (e.key === 'Escape' && this.open) {
      e.preventDefault()
      this.close(true)
    } else if (e.key === 'ArrowDown') {
      e.preventDefault()
      if (!this.open) void this.toggle(true)
      else this.items()[0]?.focus()
    }
  }

  private onPanelKey(e: KeyboardEvent): void {
    const items = this.items()
    const at = items.indexOf(e.composedPath()[0] as HTMLElement)
    if (e.key === 'Escape') {
      e.preventDefault()
      this.close(true)
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      const next = e.key === 'ArrowDown' ? at + 1 : at - 1
      items[(next + items.length) % items.length]?.focus()
    } else if (e.key === 'Tab' && at === (e.shiftKey ? 0 : items.length - 1)) {
      this.close(false)
    }
  }

  private onPanelClick(e: Event): void {
    const hit = e.composedPath().find((n) => n instanceof HTMLAnchorElement || n instanceof HTMLButtonElement)
    if (hit) this.close(false)
  }

  override render() {
    return html`<button
        class="trigger"
        aria-haspopup="true"
        aria-expanded=${this.open ? 'true' : 'false'}
        @click=${() => void this.toggle(false)}
        @keydown=${this.onTriggerKey}
      >
        <slot name="label">${this.label}</slot><span class="caret" aria-hidden="true">▼</span>
      </button>
      <div
        class="panel"
        role="menu"
        ?hidden=${!this.open}
        @keydown=${this.onPanelKey}
        @click=${this.onPanelClick}
      >
        <slot></slot>
      </div>`
  }
}

customElements.define('mcpo-menu', McpoMenu)
