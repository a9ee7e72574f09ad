// A copy-to-clipboard button for endpoints, configs and new keys; says "Copied" for a moment. Sends `mcpo-copied`
// with the text, so pages (and tests) can see what was copied.
import { css, html, LitElement } from 'lit'
import { base } from '../styles.ts'

export class McpoCopy extends LitElement {
  static override properties = { text: {}, label: {}, done: { state: true } }
  static override styles = [
    base,
    css`
      :host {
        display: inline-block;
      }
    `,
  ]

  declare text: string
  declare label: string
  declare done: boolean

  constructor() {
    super()
    this.text = ''
    this.label = 'Copy'
    this.done = false
  }

  private async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.text)
    } catch {
      // No clipboard permission (an insecure origin): select-and-copy the old way.
      const area = document.createElement('textarea')
      area.value = this.text
      area.setAttribute('readonly', '')
      area.className = 'sr-only'
      this.renderRoot.appendChild(area)
      area.select()
      document.execCommand('copy')
      area.remove()
    }
    this.done = true
    this.dispatchEvent(new CustomEvent('mcpo-copied', { detail: this.text, bubbles: true, composed: true }))
    setTimeout(() => (this.done = false), 1500)
  }

  override render() {
    return html`<button class="small" @click=${this.copy} aria-live="polite">${this.done ? 'Copied ✓' : this.label}</button>`
  }
}

customElements.define('mcpo-copy', McpoCopy)
