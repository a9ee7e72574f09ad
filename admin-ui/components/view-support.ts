// Pieces the tools, activity, server-detail, admin and embed views share: the API client, user and project from
// context, the caller's rights, copy and download helpers, and the styles of modals, copy fields and metric cards.
import { ContextConsumer } from '@lit/context'
import { css, html, type ReactiveControllerHost, type TemplateResult } from 'lit'
import type { Project, User } from '../api-types.ts'
import { apiContext, projectContext, userContext } from '../contexts.ts'
import { breakable } from './template-pieces.ts'

type Host = ReactiveControllerHost & HTMLElement

/** The page's API client (or an embed's), from the nearest provider. */
export function consumeApi(host: Host): ContextConsumer<typeof apiContext, Host> {
  return new ContextConsumer(host, { context: apiContext, subscribe: true })
}

export function consumeUser(host: Host): ContextConsumer<typeof userContext, Host> {
  return new ContextConsumer(host, { context: userContext, subscribe: true })
}

export function consumeProject(host: Host): ContextConsumer<typeof projectContext, Host> {
  return new ContextConsumer(host, { context: projectContext, subscribe: true })
}

/** What the caller may do in a project, from the project's `role` and the admin flag. */
export function rightsOf(project: Project | null | undefined, user: User | null | undefined) {
  const role = project?.role ?? null
  const admin = user?.isAdmin === true
  const archived = project?.archived === true
  return {
    manageServers: !archived && (admin || role === 'owner' || role === 'developer'),
    editPolicies: !archived && (admin || role === 'owner'),
    admin,
  }
}

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    // Clipboard access needs a secure context and focus; a hidden textarea works in the rest.
    const area = document.createElement('textarea')
    area.value = text
    area.setAttribute('readonly', '')
    area.className = 'sr-only'
    document.body.append(area)
    area.select()
    const ok = document.execCommand('copy')
    area.remove()
    return ok
  }
}

/** Tells the app shell to show a short notice; embeds without a shell ignore it. */
export function notify(from: Element, message: string): void {
  from.dispatchEvent(new CustomEvent('mcpo-toast', { detail: message, bubbles: true, composed: true }))
}

export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

/** A value to copy, shown whole (wrapped at its slashes), with its button; `label` names it for screen readers. */
export function copyField(label: string, value: string, onCopy: (value: string) => void, shown = ''): TemplateResult {
  return html`<div class="copy-field">
    ${shown ? html`<span class="copy-label small muted">${shown}</span>` : ''}
    <code class="mono">${breakable(value)}</code>
    <button class="small" type="button" aria-label="Copy ${label}" @click=${() => onCopy(value)}>Copy</button>
  </div>`
}

/** Styles for modals, copy fields, segmented controls and key/value lists used by several views. */
export const shared = css`
  dialog {
    border: 0;
    padding: 0;
    border-radius: var(--radius-lg);
    width: min(920px, calc(100vw - 24px));
    max-height: calc(100vh - 48px);
    box-shadow: 0 24px 64px rgba(15, 23, 42, 0.28);
    color: var(--fg);
    background: var(--surface);
  }
  dialog::backdrop {
    background: rgba(15, 23, 42, 0.45);
  }
  .modal-head {
    display: flex;
    align-items: center;
    gap: 10px;
    padding: 16px 20px;
    border-bottom: 1px solid var(--border);
    position: sticky;
    top: 0;
    background: var(--surface);
    z-index: 1;
  }
  /* minmax(0, 1fr): a wide table scrolls inside its card instead of widening the page. */
  .layout {
    display: grid;
    grid-template-columns: minmax(0, 1fr);
    gap: var(--gap);
  }
  .card > header.card-head {
    margin-bottom: 0;
  }
  .card-head {
    display: flex;
    align-items: center;
    gap: 10px;
    flex-wrap: wrap;
    padding: 14px 18px;
    border-bottom: 1px solid var(--border);
  }
  .form-actions {
    margin-top: 14px;
  }
  .modal-body {
    padding: 18px 20px 22px;
  }
  .copy-field {
    display: flex;
    align-items: flex-start;
    gap: 8px;
    min-width: 0;
  }
  .copy-label {
    flex: 0 0 124px;
    padding-top: 7px;
  }
  .copy-field code {
    flex: 1;
    min-width: 0;
    overflow-wrap: anywhere;
    background: var(--subtle);
    border: 1px solid var(--border);
    border-radius: var(--radius);
    padding: 6px 8px;
  }
  .segmented {
    display: inline-flex;
    border: 1px solid var(--border-strong);
    border-radius: var(--radius);
    overflow: hidden;
  }
  .segmented button {
    border: 0;
    border-radius: 0;
    min-height: 32px;
  }
  .segmented button[aria-pressed='true'] {
    background: var(--accent-bg);
    color: var(--accent);
  }
  dl.kv {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 6px 16px;
    margin: 0;
    font-size: 0.875rem;
  }
  dl.kv dt {
    color: var(--muted);
  }
  dl.kv dd {
    margin: 0;
    min-width: 0;
    overflow-wrap: anywhere;
  }
  .stats {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(140px, 1fr));
    gap: 12px;
  }
  .stat {
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: var(--radius-lg);
    padding: 12px 14px;
  }
  .stat .value {
    font-size: 1.25rem;
    font-weight: 600;
    margin-top: 2px;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    align-items: flex-end;
    gap: 10px;
  }
  .toolbar .field {
    min-width: 140px;
    flex: 1 1 140px;
  }
  .nowrap {
    white-space: nowrap;
  }
  .clip {
    max-width: 360px;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  @media (max-width: 640px) {
    .copy-field {
      flex-wrap: wrap;
    }
    .copy-label {
      flex-basis: 100%;
      padding-top: 0;
    }
    .modal-head,
    .modal-body {
      padding-left: 14px;
      padding-right: 14px;
    }
    dl.kv {
      grid-template-columns: 1fr;
      gap: 2px;
    }
    dl.kv dd {
      margin-bottom: 8px;
    }
    .clip {
      max-width: 180px;
    }
  }
`
