// <mcpo-confirm-button label question confirm-label>: a destructive action in two steps without a blocking dialog.
import { css, html, LitElement } from 'lit'
import { base } from '../styles.ts'

/**
 * A destructive action in two steps, without a blocking browser dialog: the first click asks, the second does it.
 * Sends `confirm`. Escape or "Cancel" backs out.
 */
export class McpoConfirmButton extends LitElement {
  static override properties = {
    label: {},
    question: {},
    confirmLabel: { attribute: 'confirm-label' },
    disabled: { type: Boolean },
    asking: { state: true },
  }
  static override styles = [
    base,
    css`
      :host {
        display: inline-flex;
      }
      .ask {
        display: inline-flex;
        align-items: center;
        gap: 6px;
        flex-wrap: wrap;
      }
    `,
  ]
  declare label: string
  declare question: string
  declare confirmLabel: string
  declare disabled: boolean
  declare asking: boolean

  constructor() {
    super()
    this.label = 'Delete'
    this.question = 'Are you sure?'
    this.confirmLabel = ''
    this.disabled = false
    this.asking = false
  }

  override render() {
    if (!this.asking) {
      return html`<button class="small" type="button" ?disabled=${this.disabled} @click=${this.ask}>${this.label}</button>`
    }
    return html`<span class="ask" role="group" aria-label=${this.question} @keydown=${this.onKey}>
      <span class="small">${this.question}</span>
      <button class="small danger" type="button" @click=${this.confirm}>${this.confirmLabel || this.label}</button>
      <button class="small" type="button" @click=${this.cancel}>Cancel</button>
    </span>`
  }

  private async ask() {
    this.asking = true
    await this.updateComplete
    this.renderRoot.querySelector<HTMLButtonElement>('button.danger')?.focus()
  }

  private confirm() {
    this.asking = false
    this.dispatchEvent(new CustomEvent('confirm', { bubbles: true, composed: true }))
  }

  private cancel() {
    this.asking = false
  }

  private onKey(e: KeyboardEvent) {
    if (e.key === 'Escape') {
      e.stopPropagation()
      this.cancel()
    }
  }
}
customElements.define('mcpo-confirm-button', McpoConfirmButton)
