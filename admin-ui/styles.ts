// The console's look, shared by every component: design tokens as CSS custom properties (set once on the page by
// page.css, inherited through shadow roots) and the base styles of buttons, fields, cards, tables, badges and tabs.
import { css } from 'lit'

/** Buttons, form fields, cards, tables, badges, tabs, empty states: adopted by every component. */
export const base = css`
  :host {
    box-sizing: border-box;
    font: inherit;
    color: var(--fg);
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  [hidden] {
    display: none !important;
  }
  a {
    color: var(--accent);
    text-decoration: none;
  }
  a:hover {
    text-decoration: underline;
  }
  h1,
  h2,
  h3 {
    margin: 0;
    font-weight: 600;
    letter-spacing: -0.01em;
  }
  h1 {
    font-size: 1.375rem;
  }
  h2 {
    font-size: 1.0625rem;
  }
  h3 {
    font-size: 0.9375rem;
  }
  p {
    margin: 0;
  }
  code,
  pre,
  .mono {
    font-family: var(--mono);
    font-size: 0.8125rem;
  }
  pre {
    margin: 0;
    padding: 12px 14px;
    background: var(--code-bg);
    color: var(--code-fg);
    border-radius: var(--radius);
    overflow: auto;
    max-height: 360px;
    line-height: 1.5;
    /* Long lines (URLs in a config) wrap: a code block never scrolls sideways, at any width. */
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  /* One line of codeLines(): wrapped parts continue two columns right of where the line starts. */
  .code-line {
    display: block;
    padding-left: calc(var(--indent, 0ch) + 2ch);
    text-indent: calc(-1 * var(--indent, 0ch) - 2ch);
  }
  /* A long value shown whole (a URL, a file path, a key): it wraps, at the <wbr> of breakable() first. */
  .breakable {
    white-space: normal;
    overflow-wrap: anywhere;
  }
  .muted {
    color: var(--muted);
  }
  .small {
    font-size: 0.8125rem;
  }
  .stack {
    display: flex;
    flex-direction: column;
    gap: var(--gap);
  }
  .row {
    display: flex;
    align-items: center;
    gap: 8px;
    flex-wrap: wrap;
  }
  .spacer {
    flex: 1;
  }
  .page-head {
    display: flex;
    align-items: flex-start;
    justify-content: space-between;
    gap: 12px;
    flex-wrap: wrap;
    margin-bottom: 20px;
  }
  .page-head p {
    margin-top: 4px;
  }

  button,
  .btn {
    font: inherit;
    font-size: 0.875rem;
    font-weight: 500;
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 6px;
    min-height: 34px;
    padding: 0 14px;
    border-radius: var(--radius);
    border: 1px solid var(--border-strong);
    background: var(--surface);
    color: var(--fg);
    cursor: pointer;
    white-space: nowrap;
    text-decoration: none;
    transition:
      background 0.12s,
      border-color 0.12s;
  }
  button:hover,
  .btn:hover {
    background: var(--hover);
    text-decoration: none;
  }
  button:focus-visible,
  .btn:focus-visible,
  input:focus-visible,
  select:focus-visible,
  textarea:focus-visible,
  a:focus-visible,
  [tabindex]:focus-visible {
    outline: 2px solid var(--focus);
    outline-offset: 2px;
  }
  button:disabled {
    opacity: 0.55;
    cursor: not-allowed;
  }
  button.primary,
  .btn.primary {
    background: var(--accent);
    border-color: var(--accent);
    color: #fff;
  }
  button.primary:hover,
  .btn.primary:hover {
    background: var(--accent-strong);
  }
  button.danger {
    background: var(--danger);
    border-color: var(--danger);
    color: #fff;
  }
  button.danger:hover {
    background: var(--danger-strong);
  }
  button.ghost {
    background: transparent;
    border-color: transparent;
  }
  button.ghost:hover {
    background: var(--hover);
  }
  button.small,
  .btn.small {
    min-height: 28px;
    padding: 0 10px;
    font-size: 0.8125rem;
  }
  button.link {
    border: 0;
    background: none;
    padding: 0;
    min-height: 0;
    color: var(--accent);
  }

  label {
    display: block;
    font-size: 0.8125rem;
    font-weight: 500;
    margin-bottom: 4px;
  }
  input,
  select,
  textarea {
    font: inherit;
    font-size: 0.875rem;
    width: 100%;
    min-height: 36px;
    padding: 7px 10px;
    border: 1px solid var(--border-strong);
    border-radius: var(--radius);
    background: var(--surface);
    color: var(--fg);
  }
  input[type='checkbox'] {
    width: auto;
    min-height: 0;
  }
  textarea {
    min-height: 80px;
    font-family: var(--mono);
    font-size: 0.8125rem;
    resize: vertical;
  }
  input[aria-invalid='true'],
  select[aria-invalid='true'],
  textarea[aria-invalid='true'] {
    border-color: var(--danger);
  }
  .field {
    display: flex;
    flex-direction: column;
  }
  .hint {
    color: var(--muted);
    font-size: 0.75rem;
    margin-top: 4px;
  }
  .field-error {
    color: var(--danger);
    font-size: 0.8125rem;
    margin-top: 4px;
  }
  .form-grid {
    display: grid;
    grid-template-columns: repeat(2, minmax(0, 1fr));
    gap: 14px 16px;
  }
  .form-grid .wide {
    grid-column: 1 / -1;
  }
  .check {
    display: flex;
    align-items: center;
    gap: 8px;
    font-weight: 400;
    margin: 0;
  }

  .card {
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: var(--radius-lg);
    padding: 18px 20px;
    box-shadow: var(--shadow);
  }
  .card > h2,
  .card > header {
    margin-bottom: 12px;
  }
  .card.flush {
    padding: 0;
    overflow: hidden;
  }
  .grid {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(min(260px, 100%), 1fr));
    gap: var(--gap);
  }

  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 0.875rem;
  }
  th {
    text-align: left;
    font-weight: 500;
    font-size: 0.75rem;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    color: var(--muted);
    background: var(--subtle);
    padding: 9px 14px;
    border-bottom: 1px solid var(--border);
  }
  td {
    padding: 10px 14px;
    border-bottom: 1px solid var(--border);
    vertical-align: middle;
  }
  tr:last-child td {
    border-bottom: 0;
  }
  td.actions {
    text-align: right;
    white-space: nowrap;
  }
  /* A table wider than its frame scrolls inside it. Shadows at the edges say there is more (they ride with the
     content: the covers scroll along, the shadows stay). Positioned, so absolutely placed screen-reader text inside
     stays inside the frame instead of widening the page. */
  .table-wrap {
    overflow-x: auto;
    position: relative;
    background:
      linear-gradient(to right, var(--surface) 30%, transparent) left / 40px 100% no-repeat local,
      linear-gradient(to left, var(--surface) 30%, transparent) right / 40px 100% no-repeat local,
      radial-gradient(farthest-side at 0 50%, rgba(15, 23, 42, 0.24), transparent) left / 16px 100% no-repeat scroll,
      radial-gradient(farthest-side at 100% 50%, rgba(15, 23, 42, 0.24), transparent) right / 16px 100% no-repeat
      scroll,
      var(--surface);
  }

  .badge {
    display: inline-flex;
    align-items: center;
    gap: 5px;
    padding: 2px 8px;
    border-radius: 999px;
    font-size: 0.75rem;
    font-weight: 500;
    background: var(--subtle);
    color: var(--muted);
    border: 1px solid var(--border);
    white-space: nowrap;
  }
  .badge.ok {
    background: var(--ok-bg);
    color: var(--ok);
    border-color: transparent;
  }
  .badge.warn {
    background: var(--warn-bg);
    color: var(--warn);
    border-color: transparent;
  }
  .badge.bad {
    background: var(--danger-bg);
    color: var(--danger);
    border-color: transparent;
  }
  .badge.accent {
    background: var(--accent-bg);
    color: var(--accent);
    border-color: transparent;
  }
  .dot {
    width: 7px;
    height: 7px;
    border-radius: 50%;
    background: currentColor;
  }

  .alert {
    padding: 10px 14px;
    border-radius: var(--radius);
    font-size: 0.875rem;
    border: 1px solid transparent;
  }
  .alert.error {
    background: var(--danger-bg);
    color: var(--danger);
  }
  .alert.info {
    background: var(--accent-bg);
    color: var(--fg);
  }
  .alert.warn {
    background: var(--warn-bg);
    color: var(--warn);
  }

  .empty {
    text-align: center;
    padding: 36px 20px;
    color: var(--muted);
  }
  /* The heading leads: the body text is smaller than it. */
  .empty h3 {
    color: var(--fg);
    font-size: 1rem;
    margin-bottom: 6px;
  }
  .empty p {
    font-size: 0.875rem;
    max-width: 60ch;
    margin: 0 auto 14px;
  }

  .tabs {
    display: flex;
    gap: 2px;
    border-bottom: 1px solid var(--border);
    overflow-x: auto;
    scrollbar-width: none;
    margin-bottom: 20px;
  }
  .tabs a {
    padding: 9px 14px;
    color: var(--muted);
    font-size: 0.875rem;
    font-weight: 500;
    border-bottom: 2px solid transparent;
    margin-bottom: -1px;
    white-space: nowrap;
  }
  .tabs a:hover {
    color: var(--fg);
    text-decoration: none;
  }
  .tabs a[aria-current='page'] {
    color: var(--accent);
    border-bottom-color: var(--accent);
  }

  .loading {
    display: flex;
    align-items: center;
    gap: 10px;
    padding: 28px 0;
  }
  .spinner {
    width: 14px;
    height: 14px;
    border: 2px solid var(--border-strong);
    border-top-color: var(--accent);
    border-radius: 50%;
    animation: spin 0.7s linear infinite;
    flex: none;
  }
  @keyframes spin {
    to {
      transform: rotate(360deg);
    }
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }

  @media (max-width: 640px) {
    .form-grid {
      grid-template-columns: 1fr;
    }
    .card {
      padding: 14px;
    }
    th,
    td {
      padding: 8px 10px;
    }
    .hide-narrow {
      display: none;
    }
    /* Tabs wrap into a grid of whole buttons: every tab is on the screen, none is cut or needs a sideways swipe. */
    .tabs {
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(96px, 1fr));
      gap: 6px;
      border-bottom: 0;
      overflow: visible;
    }
    .tabs a {
      margin: 0;
      padding: 7px 6px;
      text-align: center;
      border: 1px solid var(--border);
      border-radius: var(--radius);
      background: var(--surface);
    }
    .tabs a[aria-current='page'] {
      border-color: var(--accent);
      background: var(--accent-bg);
    }
  }
`
