// <mcpo-server-detail project-id server-name open>: the server modal. Overview (status, the Authorization block of
// a server behind OAuth, copyable SSE, Streamable HTTP and unified configs), Tools (each with a test runner generated
// from its input schema), Usage (metrics and calls), Logs (stderr tail, audit events), Settings. Events out: `close`,
// `server-changed` { name }, `server-deleted` { name }.
import { css, html, LitElement, nothing, type PropertyValues } from 'lit'
import type { ClientConfig, Discovery, Server } from '../api-types.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { protocolLabel } from '../server-form.ts'
import { base } from '../styles.ts'
import type { TestCallResult } from './mcpo-tool-runner.ts'
import type { ToolRow } from './mcpo-tools-tab.ts'
import type { ServerPatch, StatusView } from './server-detail-types.ts'
import { breakable, codeLines, empty, errorAlert, loading, stateBadge, time } from './template-pieces.ts'
import {
  consumeApi,
  consumeProject,
  consumeUser,
  copyField,
  copyText,
  notify,
  rightsOf,
  shared,
} from './view-support.ts'
import './mcpo-server-logs.ts'
import './mcpo-server-oauth.ts'
import './mcpo-server-settings.ts'
import './mcpo-activity-tab.ts'
import './mcpo-tool-runner.ts'

const TABS = ['overview', 'tools', 'usage', 'logs', 'settings'] as const
type Tab = (typeof TABS)[number]

export class McpoServerDetail extends LitElement {
  static override properties = {
    projectId: { attribute: 'project-id' },
    serverName: { attribute: 'server-name' },
    open: { type: Boolean, reflect: true },
    tab: { state: true },
    testing: { state: true },
    results: { state: true },
  }
  static override styles = [
    base,
    shared,
    css`
      .tabs {
        margin: 0 20px;
      }
      .error-text {
        color: var(--danger);
        overflow-wrap: anywhere;
      }
      .tool {
        border: 1px solid var(--border);
        border-radius: var(--radius);
        padding: 12px 14px;
      }
      .tool + .tool {
        margin-top: 10px;
      }
      .tool mcpo-tool-runner {
        margin-top: 12px;
        padding-top: 12px;
        border-top: 1px solid var(--border);
      }
      .configs {
        display: grid;
        gap: 14px;
      }
      @media (max-width: 640px) {
        .tabs {
          margin: 12px 14px 0;
        }
      }
    `,
  ]
  declare projectId: string
  declare serverName: string
  declare open: boolean
  declare tab: Tab
  /** The tool whose runner is open. */
  declare testing: string | null
  declare results: Record<string, { result: TestCallResult | null; error: string | null }>

  private readonly apiC = consumeApi(this)
  private readonly userC = consumeUser(this)
  private readonly projectC = consumeProject(this)
  private readonly action = new Action(this)
  private readonly runAction = new Action(this)
  private readonly base = () =>
    `/api/projects/${encodeURIComponent(this.projectId)}/servers/${encodeURIComponent(this.serverName)}`
  private readonly on = () => Boolean(this.open && this.projectId && this.serverName && this.apiC.value)

  private readonly server = new Resource<Server>(this, {
    load: (signal) => this.apiC.value!.get<Server>(this.base(), { signal }),
    deps: () => [this.projectId, this.serverName, this.open, this.apiC.value],
    enabled: this.on,
  })
  private readonly status = new Resource<StatusView>(this, {
    load: (signal) => this.apiC.value!.get<StatusView>(`${this.base()}/status`, { signal }),
    deps: () => [this.projectId, this.serverName, this.open, this.apiC.value],
    enabled: this.on,
    pollMs: 4000,
  })
  private readonly tools = new Resource<{ tools: ToolRow[] }>(this, {
    load: (signal) => this.apiC.value!.get<{ tools: ToolRow[] }>(`${this.base()}/tools`, { signal }),
    deps: () => [this.projectId, this.serverName, this.open && this.tab === 'tools', this.apiC.value],
    enabled: () => this.on() && this.tab === 'tools',
  })
  private readonly configs = new Resource<{ discovery: Discovery | null; configs: [string, ClientConfig][] }>(this, {
    load: async (signal) => {
      const api = this.apiC.value!
      const p = encodeURIComponent(this.projectId)
      const cfg = (server: string, transport: string) =>
        api.get<ClientConfig>(`/api/projects/${p}/client-config`, {
          query: { client: 'cline', server, transport },
          signal,
        })
      const [discovery, sse, http, unified] = await Promise.all([
        api
          .get<Discovery>(`/projects/${p}/.well-known/mcp-servers`, { query: { includeFailing: 'true' }, signal })
          .catch(() => null),
        cfg(this.serverName, 'sse'),
        cfg(this.serverName, 'streamable-http'),
        cfg('unified', 'streamable-http'),
      ])
      return {
        discovery,
        configs: [
          ['SSE (Cline "type": "sse")', sse],
          ['Streamable HTTP', http],
          ['Unified project endpoint (every server)', unified],
        ],
      }
    },
    deps: () => [this.projectId, this.serverName, this.open && this.tab === 'overview', this.apiC.value],
    enabled: () => this.on() && this.tab === 'overview',
  })

  constructor() {
    super()
    this.projectId = ''
    this.serverName = ''
    this.open = false
    this.tab = 'overview'
    this.testing = null
    this.results = {}
  }

  private get rights() {
    return rightsOf(this.projectC.value, this.userC.value)
  }

  protected override updated(changed: PropertyValues<this>): void {
    const dialog = this.renderRoot.querySelector('dialog')
    if (!dialog) return
    if (this.open && !dialog.open) dialog.showModal()
    else if (!this.open && dialog.open) dialog.close()
    if (changed.has('serverName')) {
      this.tab = 'overview'
      this.testing = null
      this.results = {}
    }
  }

  private close() {
    this.open = false
    this.dispatchEvent(new CustomEvent('close'))
  }

  private async copy(value: string) {
    if (await copyText(value)) notify(this, 'Copied')
  }

  private async save(patch: ServerPatch) {
    const ok = await this.action.run(() => this.apiC.value!.put<Server>(this.base(), patch))
    if (ok) {
      notify(this, 'Server saved')
      this.changed()
    }
  }

  private async serverAction(what: 'enable' | 'disable' | 'restart' | 'delete') {
    const api = this.apiC.value!
    const ok = await this.action.run(() =>
      what === 'delete' ? api.delete(this.base()).then(() => true) : api.post(`${this.base()}/${what}`),
    )
    if (ok === undefined) return
    notify(this, what === 'delete' ? 'Server deleted' : what === 'restart' ? 'Server restarted' : `Server ${what}d`)
    this.changed(what === 'delete')
  }

  /** After a change: reload, and tell the container so its list is current. */
  private changed(deleted = false) {
    const detail = { name: this.serverName }
    if (deleted) {
      this.dispatchEvent(new CustomEvent('server-deleted', { detail }))
      this.close()
      return
    }
    this.dispatchEvent(new CustomEvent('server-changed', { detail }))
    void this.server.reload(true)
    void this.status.reload(true)
  }

  private async run(tool: string, args: Record<string, unknown>) {
    const path = `${this.base()}/tools/${encodeURIComponent(tool)}/call`
    const res = await this.runAction.run(() => this.apiC.value!.post<TestCallResult>(path, { arguments: args }), tool)
    this.results = {
      ...this.results,
      [tool]: res ? { result: res, error: null } : { result: null, error: this.runAction.error?.message ?? 'failed' },
    }
  }

  override render() {
    return html`<dialog aria-labelledby="sd-title" @close=${() => this.open && this.close()}
      @cancel=${(e: Event) => {
        e.preventDefault()
        this.close()
      }}>
      ${this.open ? this.renderBody() : nothing}
    </dialog>`
  }

  private renderBody() {
    const s = this.server.value
    return html`<div class="modal-head">
        <div>
          <h2 id="sd-title">${this.serverName}</h2>
          ${s ? html`<p class="muted small">${s.transport} · ${s.description || 'no description'}</p>` : nothing}
        </div>
        ${s ? stateBadge(this.status.value?.state ?? s.status.state, s.enabled, this.status.value?.health ?? s.status.health) : nothing}
        <span class="spacer"></span>
        <button class="ghost" type="button" aria-label="Close" @click=${this.close}>✕</button>
      </div>
      <nav class="tabs" aria-label="Server sections">
        ${TABS.map(
          (t) => html`<a href="#${t}" aria-current=${t === this.tab ? 'page' : 'false'}
            @click=${(e: Event) => {
              e.preventDefault()
              this.tab = t
            }}>${t[0].toUpperCase() + t.slice(1)}</a>`,
        )}
      </nav>
      <div class="modal-body">
        ${this.server.error && !s ? errorAlert(this.server.error, () => this.server.reload()) : nothing}
        ${!s ? (this.server.error ? nothing : loading('Loading server')) : this.renderTab(s)}
      </div>`
  }

  private renderTab(s: Server) {
    switch (this.tab) {
      case 'overview':
        return this.renderOverview(s)
      case 'tools':
        return this.renderTools()
      case 'usage':
        return html`<mcpo-activity-tab .projectId=${this.projectId} .server=${this.serverName}></mcpo-activity-tab>`
      case 'logs':
        return html`<mcpo-server-logs .projectId=${this.projectId} .serverName=${this.serverName}
          .status=${this.status.value ?? null}></mcpo-server-logs>`
      case 'settings':
        return html`<mcpo-server-settings .server=${s} ?editable=${this.rights.manageServers} ?busy=${this.action.busy}
          .error=${this.action.error} @save=${(e: CustomEvent<ServerPatch>) => this.save(e.detail)}
          @server-action=${(e: CustomEvent<'enable' | 'disable' | 'restart' | 'delete'>) => this.serverAction(e.detail)}
        ></mcpo-server-settings>`
    }
  }

  private renderOverview(s: Server) {
    const st = this.status.value
    const endpoints = this.configs.value?.discovery?.servers.find((x) => x.name === s.name)?.endpoints
    const unified = this.configs.value?.discovery?.unified.endpoints
    const copy = (v: string) => this.copy(v)
    return html`<div class="stack">
      <dl class="kv">
        <dt>State</dt><dd>${stateBadge(st?.state ?? s.status.state, s.enabled, st?.health ?? s.status.health)} ${st?.pid ? html`<span class="muted small">pid ${st.pid}</span>` : nothing}</dd>
        <dt>${s.transport === 'stdio' ? 'Command' : 'URL'}</dt>
        <dd class="mono">${breakable(s.transport === 'stdio' ? [s.command, ...s.args].join(' ') : (s.url ?? ''))}</dd>
        <dt>Restarts</dt><dd>${st?.restarts ?? s.status.restarts}${st?.consecutiveFailures ? ` (${st.consecutiveFailures} failures in a row)` : ''}</dd>
        <dt>Sessions</dt><dd>${st?.sessions ?? 0} open, isolation ${st?.isolation ?? s.isolation ?? 'default'}</dd>
        <dt>Timeout</dt><dd>${Math.round(s.timeoutMs / 1000)} s</dd>
        <dt>Defined in</dt><dd>${s.source === 'config' ? 'the config file (read-only here)' : 'the console'}</dd>
        ${
          st?.lastError
            ? html`<dt>Last error</dt><dd class="mono ${st.health === 'up' ? 'muted' : 'error-text'}">${st.lastErrorAt ? html`${time(st.lastErrorAt)}: ` : nothing}${st.lastError}${st.health === 'up' ? html` <span class="small">(recovered${st.lastOkAt ? html` ${time(st.lastOkAt)}` : nothing})</span>` : nothing}</dd>`
            : nothing
        }
        <dt>Protocol era</dt><dd>${protocolLabel(s)}</dd>
        <dt>Health check</dt><dd>${s.healthCheckIntervalMs === null ? 'gateway default' : s.healthCheckIntervalMs === 0 ? 'off' : `every ${Math.round(s.healthCheckIntervalMs / 1000)} s`}</dd>
      </dl>
      ${
        s.auth?.type === 'oauth'
          ? html`<mcpo-server-oauth .projectId=${this.projectId} .serverName=${s.name}
            @oauth-changed=${() => void this.status.reload(true)}></mcpo-server-oauth>`
          : nothing
      }
      <h3>Endpoints</h3>
      ${
        endpoints
          ? html`<div class="stack">
            ${copyField('SSE endpoint', endpoints.sse, copy, 'SSE')}
            ${copyField('Streamable HTTP endpoint', endpoints.mcp, copy, 'Streamable HTTP')}
            ${unified ? copyField('unified endpoint', unified.mcp, copy, 'Unified (project)') : nothing}
          </div>`
          : this.configs.loading
            ? loading('Loading endpoints')
            : html`<p class="muted small">Enable the server to get its endpoints.</p>`
      }
      <h3>Connection configs</h3>
      <p class="muted small">Cline format; the key is read from an environment variable, never pasted here.</p>
      ${this.configs.error ? errorAlert(this.configs.error) : nothing}
      <div class="configs">
        ${(this.configs.value?.configs ?? []).map(([label, c]) => {
          const text = JSON.stringify(c.config, null, 2)
          return html`<div>
            <div class="row"><b class="small">${label}</b><span class="spacer"></span>
              <button class="small" type="button" aria-label="Copy ${label} config" @click=${() => this.copy(text)}>Copy</button></div>
            <pre>${codeLines(text)}</pre>
          </div>`
        })}
      </div>
    </div>`
  }

  private renderTools() {
    if (this.tools.error) return errorAlert(this.tools.error, () => this.tools.reload())
    if (!this.tools.ready) return loading('Asking the server for its tools')
    const list = this.tools.value!.tools
    if (list.length === 0) return empty('No tools', 'This server lists no tools.')
    return html`${list.map((t) => {
      const r = this.results[t.name]
      return html`<div class="tool">
        <div class="row">
          <span class="mono"><b>${t.name}</b></span>
          ${t.enabled ? nothing : html`<span class="badge">disabled</span>`}
          <span class="spacer"></span>
          <button class="small" type="button" aria-expanded=${this.testing === t.name}
            @click=${() => (this.testing = this.testing === t.name ? null : t.name)}>${this.testing === t.name ? 'Hide test' : 'Test'}</button>
        </div>
        ${t.description ? html`<p class="muted small">${t.description}</p>` : nothing}
        ${
          this.testing === t.name
            ? html`<mcpo-tool-runner .tool=${t} .result=${r?.result ?? null} .error=${r?.error ?? null}
              ?busy=${this.runAction.busy && this.runAction.subject === t.name}
              @tool-run=${(e: CustomEvent<{ arguments: Record<string, unknown> }>) => this.run(t.name, e.detail.arguments)}></mcpo-tool-runner>`
            : nothing
        }
      </div>`
    })}`
  }
}

customElements.define('mcpo-server-detail', McpoServerDetail)
