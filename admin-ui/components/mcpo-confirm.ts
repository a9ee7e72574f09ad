// Confirmation for destructive actions, in a native <dialog> (focus trap, Escape and backdrop for free). A typed
// confirmation (`expect`) guards the irreversible ones: the user repeats a name before the button enables.
import { css, html, LitElement, nothing } from 'lit'
import { base } from '../styles.ts'

export interface ConfirmOptions {
  title: string
  message: string
  confirmLabel?: string
  /** The user must type this before confirming (e.g. a project id before deleting it). */
  expect?: string
  danger?: boolean
}

export class McpoConfirm extends LitElement {
  static override properties = { options: { state: true }, typed: { state: true } }
  static override styles = [
    base,
    css`
      dialog {
        border: 0;
        border-radius: var(--radius-lg);
        padding: 22px;
        width: min(440px, calc(100vw - 28px));
        box-shadow: 0 24px 48px rgba(16, 24, 40, 0.25);
        color: var(--fg);
      }
      dialog::backdrop {
        background: rgba(17, 24, 39, 0.45);
      }
      p {
        margin: 8px 0 16px;
        color: var(--muted);
        font-size: 0.875rem;
      }
      .buttons {
        display: flex;
        justify-content: flex-end;
        gap: 8px;
        margin-top: 18px;
      }
    `,
  ]

  declare options: ConfirmOptions | null
  declare typed: string
  private resolve: ((ok: boolean) => void) | null = null

  constructor() {
    super()
    this.options = null
    this.typed = ''
  }

  /** Opens the dialog; resolves true when confirmed. */
  async ask(options: ConfirmOptions): Promise<boolean> {
    this.resolve?.(false)
    this.options = options
    this.typed = ''
    await this.updateComplete
    const dialog = this.renderRoot.querySelector('dialog')!
    dialog.showModal()
    return new Promise((resolve) => (this.resolve = resolve))
  }

  private finish(ok: boolean): void {
    const dialog = this.renderRoot.querySelector('dialog')
    if (dialog?.open) dialog.close()
    this.resolve?.(ok)
    this.resolve = null
  }

  override render() {
    const o = this.options
    const blocked = o?.expect !== undefined && this.typed !== o.expect
    return html`<dialog aria-labelledby="confirm-title" @close=${() => this.finish(false)}>
      ${
        o
          ? html`<h2 id="confirm-title">${o.title}</h2>
              <p>${o.message}</p>
              ${
                o.expect !== undefined
                  ? html`<div class="field">
                      <label for="confirm-typed">Type <code>${o.expect}</code> to confirm</label>
                      <input id="confirm-typed" autocomplete="off" .value=${this.typed}
                        @input=${(e: Event) => (this.typed = (e.target as HTMLInputElement).value)} />
                    </div>`
                  : nothing
              }
              <div class="buttons">
                <button @click=${() => this.finish(false)} autofocus>Cancel</button>
                <button class=${o.danger === false ? 'primary' : 'danger'} ?disabled=${blocked} @click=${() => this.finish(true)}>
                  ${o.confirmLabel ?? 'Confirm'}
                </button>
              </div>`
          : nothing
      }
    </dialog>`
  }
}

customElements.define('mcpo-confirm', McpoConfirm)
