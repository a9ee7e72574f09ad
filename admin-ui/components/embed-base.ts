// What the standalone views (<mcpo-embed-servers>, -members, -keys, -activity) share: the `api-base`, `token` and
// `project-id` attributes, the API client built from them, the project and user contexts the console components
// inside read, and the console's design tokens on the host so the portal page needs no stylesheet.
import { ContextProvider } from '@lit/context'
import { css, html, LitElement, type PropertyValues } from 'lit'
import { ApiClient } from '../api-client.ts'
import type { Project, User } from '../api-types.ts'
import { apiContext, projectContext, userContext } from '../contexts.ts'
import { Resource } from '../controllers/resource.ts'
import { base } from '../styles.ts'
import { errorAlert } from './template-pieces.ts'
import { rightsOf, shared } from './view-support.ts'

/** The console's design tokens (page.css), on the host so every shadow root below inherits them. */
export const tokens = css`
  :host {
    --bg: #f6f7f9;
    --surface: #ffffff;
    --subtle: #f3f4f6;
    --hover: #eef0f3;
    --fg: #111827;
    --muted: #6b7280;
    --border: #e5e7eb;
    --border-strong: #d1d5db;
    --accent: #4f46e5;
    --accent-strong: #4338ca;
    --accent-bg: #eef2ff;
    --focus: #6366f1;
    --ok: #047857;
    --ok-bg: #ecfdf5;
    --warn: #b45309;
    --warn-bg: #fffbeb;
    --danger: #dc2626;
    --danger-strong: #b91c1c;
    --danger-bg: #fef2f2;
    --code-bg: #0f172a;
    --code-fg: #e2e8f0;
    --radius: 6px;
    --radius-lg: 10px;
    --gap: 16px;
    --shadow: 0 1px 2px rgba(16, 24, 40, 0.04);
    --mono: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
    display: block;
    font-family: Inter, ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    font-size: 15px;
    line-height: 1.45;
  }
`

/** What every embedded view shares: attributes, the API client and the project and user contexts. */
export abstract class EmbedBase extends LitElement {
  static override properties = {
    apiBase: { attribute: 'api-base' },
    token: {},
    projectId: { attribute: 'project-id' },
  }
  // Tokens last: `base` makes every host inherit its font, which on a portal page may be the browser's serif default.
  static override styles = [base, shared, tokens]
  declare apiBase: string
  declare token: string
  declare projectId: string
  protected readonly apiP = new ContextProvider(this, { context: apiContext, initialValue: new ApiClient() })
  protected readonly projectP = new ContextProvider(this, { context: projectContext, initialValue: null })
  protected readonly userP = new ContextProvider(this, { context: userContext, initialValue: null })
  protected readonly project = new Resource<Project>(this, {
    load: (signal) => this.api.get<Project>(`/api/projects/${encodeURIComponent(this.projectId)}`, { signal }),
    deps: () => [this.projectId, this.api],
    enabled: () => this.connected,
  })
  protected readonly me = new Resource<User | null>(this, {
    load: (signal) => this.api.get<User>('/api/auth/me', { signal }).catch(() => null),
    deps: () => [this.api, this.projectId],
    enabled: () => this.connected,
  })

  constructor() {
    super()
    this.apiBase = ''
    this.token = ''
    this.projectId = ''
  }

  get api(): ApiClient {
    return this.apiP.value
  }

  /**
   * Whether the views may call the API: a project is set and the token is not a project key, which the management
   * API refuses (keys are for MCP endpoints; SECURITY.md). With a key they say so instead of collecting 401s.
   */
  protected get connected(): boolean {
    return Boolean(this.projectId) && !this.token.startsWith('mcp_proj_')
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('apiBase') || changed.has('token')) {
      // Bearer only: a portal's page has no mcpo cookie, and the CSRF header is for cookie sessions.
      this.apiP.setValue(new ApiClient({ baseUrl: this.apiBase, token: this.token || null, csrfToken: () => null }))
    }
    if (this.project.value !== this.projectP.value) this.projectP.setValue(this.project.value ?? null)
    if ((this.me.value ?? null) !== this.userP.value) this.userP.setValue(this.me.value ?? null)
  }

  protected get rights() {
    return rightsOf(this.project.value, this.me.value)
  }

  protected frame(title: string, body: unknown) {
    if (!this.projectId) return html`<div class="alert error">Set the project-id attribute.</div>`
    if (!this.connected) {
      return html`<div class="alert error" role="alert">
        A project API key (<code>mcp_proj_…</code>) only opens MCP endpoints: give this view a session token.
      </div>`
    }
    if (this.project.error) return errorAlert(this.project.error, () => this.project.reload())
    return html`<section aria-label=${title}>${body}</section>`
  }
}
