// Small template pieces every page uses the same way: loading, error, empty states, field errors, role badges,
// relative times. Plain functions returning templates, so they need no element of their own.
import { html, nothing, type TemplateResult } from 'lit'
import { ref } from 'lit/directives/ref.js'
import type { ApiError } from '../api-client.ts'
import type { Role } from '../api-types.ts'

export function loading(what = 'Loading'): TemplateResult {
  return html`<div class="loading muted" role="status" aria-live="polite">
    <span class="spinner" aria-hidden="true"></span>${what}…
  </div>`
}

export function errorAlert(error: ApiError | string | null, retry?: () => void): TemplateResult | typeof nothing {
  if (!error) return nothing
  const message = typeof error === 'string' ? error : error.message
  return html`<div class="alert error" role="alert">
    ${message}${retry ? html` <button class="link" @click=${retry}>Try again</button>` : nothing}
  </div>`
}

/** An empty list, saying what to do next. */
export function empty(title: string, next: string, action?: TemplateResult): TemplateResult {
  return html`<div class="empty">
    <h3>${title}</h3>
    <p>${next}</p>
    ${action ?? nothing}
  </div>`
}

/**
 * A long value (URL, file path) with a break opportunity after each `/` (not in `://`), so it wraps between path segments, never
 * mid-word when a segment fits on a line. Goes in an element with class `breakable`; copying the text copies the
 * value unchanged (<wbr> adds no characters).
 */
export function breakable(value: string): TemplateResult {
  const parts = value.split(/(?<=[^:/]\/)/)
  return html`${parts.map((part, i) => (i ? html`<wbr>${part}` : part))}`
}

/**
 * The lines of a code block (JSON, a command) for a `pre`: a line too long for the block wraps at a slash first and
 * continues indented under its own start (class `code-line`, in styles.ts), so a wrapped config keeps its shape. The
 * text, and what a reader selects and copies, stays exactly `text`.
 */
export function codeLines(text: string): TemplateResult {
  const lines = text.split('\n')
  return html`${lines.map((line, i) => {
    const indent = `${line.length - line.trimStart().length}ch`
    // Set through the CSSOM: the console's Content-Security-Policy refuses style attributes.
    const setIndent = (el?: Element) => (el as HTMLElement | undefined)?.style.setProperty('--indent', indent)
    return html`<span class="code-line" ${ref(setIndent)}>${breakable(line)}${i < lines.length - 1 ? '\n' : ''}</span>`
  })}`
}

/** The error under a field; the field references it with aria-describedby=`${id}-error`. */
export function fieldError(id: string, message: string | null): TemplateResult | typeof nothing {
  return message ? html`<div class="field-error" id="${id}-error" role="alert">${message}</div>` : nothing
}

export function roleBadge(role: Role | null): TemplateResult {
  if (!role) return html`<span class="badge">admin</span>`
  const cls = role === 'owner' ? 'accent' : role === 'developer' ? 'ok' : ''
  return html`<span class="badge ${cls}">${role}</span>`
}

/**
 * A server's state as a badge. With its health: an open circuit reads "circuit open", and a server whose last
 * connection, probe or test at save failed reads "failing" (red) rather than a grey "idle".
 */
export function stateBadge(state: string, enabled = true, health?: string): TemplateResult {
  if (!enabled) return html`<span class="badge"><span class="dot"></span>disabled</span>`
  if (state === 'failed') return html`<span class="badge bad"><span class="dot"></span>circuit open</span>`
  if (health === 'down' && state !== 'backoff' && state !== 'starting') {
    return html`<span class="badge bad"><span class="dot"></span>failing</span>`
  }
  const cls = state === 'running' ? 'ok' : state === 'starting' || state === 'backoff' ? 'warn' : ''
  const label = state === 'stopped' ? 'idle' : state
  return html`<span class="badge ${cls}"><span class="dot"></span>${label}</span>`
}

/** "Last error 3 minutes ago: …" for a server; red while it still holds, muted once the server recovered. */
export function lastErrorLine(status: {
  health?: string
  lastError: string | null
  lastErrorAt?: string | null
}): TemplateResult | typeof nothing {
  if (!status.lastError) return nothing
  const current = status.health !== 'up'
  return html`<div class="last-error ${current ? 'current' : 'past'}">
    <span class="when">${current ? 'Failing' : 'Recovered from'}${status.lastErrorAt ? html` · ${time(status.lastErrorAt)}` : nothing}:</span>
    ${status.lastError}
  </div>`
}

/** "3 minutes ago", "in 6 days"; the exact time goes in a title attribute. */
export function relativeTime(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never'
  const diff = Date.parse(iso) - now
  const abs = Math.abs(diff)
  const units: [number, Intl.RelativeTimeFormatUnit][] = [
    [86_400_000 * 365, 'year'],
    [86_400_000 * 30, 'month'],
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
  ]
  const fmt = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })
  for (const [ms, unit] of units) if (abs >= ms) return fmt.format(Math.round(diff / ms), unit)
  return 'just now'
}

export function time(iso: string | null): TemplateResult {
  return html`<time datetime=${iso ?? ''} title=${iso ? new Date(iso).toLocaleString() : ''}>${relativeTime(iso)}</time>`
}

/** Shows a short notice at the bottom of the screen (the app listens for `mcpo-toast`). */
export function toast(from: Element, message: string): void {
  from.dispatchEvent(new CustomEvent('mcpo-toast', { detail: message, bubbles: true, composed: true }))
}
