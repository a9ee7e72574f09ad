// The Overview tab: counts and health at a glance, the project's endpoints with copy buttons, and ready-made configs
// for Cline, Claude Desktop, Cursor, VS Code and Claude Code (from the client-config API; the key is a placeholder
// the client fills from its environment).
import { ContextConsumer } from '@lit/context'
import { css, html, LitElement, nothing } from 'lit'
import type {
  ClientConfig,
  ClientName,
  Discovery,
  Page,
  Project,
  ProjectMember,
  Server,
  ToolCallStats,
} from '../api-types.ts'
import { apiContext } from '../contexts.ts'
import { Resource } from '../controllers/resource.ts'
import { projectHref } from '../router.ts'
import { base } from '../styles.ts'
import './mcpo-copy.ts'
import { breakable, codeLines, errorAlert, loading, stateBadge } from './template-pieces.ts'

const CLIENTS: [ClientName, string][] = [
  ['cline', 'Cline'],
  ['claude-desktop', 'Claude Desktop'],
  ['cursor', 'Cursor'],
  ['vscode', 'VS Code'],
  ['claude-code', 'Claude Code'],
]
/** Hosted apps that connect by URL with OAuth only: offered for projects that take OAuth. */
const OAUTH_CLIENTS: [ClientName, string][] = [
  ['claude', 'Claude (connector)'],
  ['chatgpt', 'ChatGPT'],
]

const authModeOf = (p: Project) => {
  const m = p.settings?.authMode
  return m === 'oauth' || m === 'both' ? m : 'keys'
}

export class McpoOverviewTab extends LitElement {
  static override properties = {
    project: { attribute: false },
    client: { state: true },
    transport: { state: true },
    scope: { state: true },
  }
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      .stats {
        display: grid;
        grid-template-columns: repeat(4, minmax(0, 1fr));
        gap: var(--gap);
        margin-bottom: var(--gap);
      }
      .stat .value {
        font-size: 1.625rem;
        font-weight: 600;
        letter-spacing: -0.02em;
      }
      .stat .label {
        font-size: 0.8125rem;
        color: var(--muted);
      }
      .stat a {
        color: inherit;
      }
      .cols {
        display: grid;
        grid-template-columns: minmax(0, 1fr) minmax(0, 1.35fr);
        gap: var(--gap);
        align-items: start;
      }
      .endpoint {
        padding: 10px 0;
        border-bottom: 1px solid var(--border);
      }
      .endpoint:last-child {
        border-bottom: 0;
      }
      .endpoint .url {
        display: flex;
        align-items: flex-start;
        gap: 8px;
        margin-top: 4px;
      }
      /* The whole URL, wrapped at its slashes: they differ at the end (server name, transport), never cut off. */
      .endpoint code {
        flex: 1;
        min-width: 0;
        background: var(--subtle);
        padding: 4px 8px;
        border-radius: 4px;
        line-height: 1.5;
      }
      .health {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 8px;
        padding: 6px 0;
        font-size: 0.875rem;
      }
      .clients {
        display: flex;
        gap: 4px;
        flex-wrap: wrap;
        margin-bottom: 10px;
      }
      .clients button[aria-pressed='true'] {
        background: var(--accent-bg);
        border-color: var(--accent);
        color: var(--accent);
      }
      .options {
        display: flex;
        gap: 10px;
        margin-bottom: 10px;
        flex-wrap: wrap;
      }
      .options select {
        width: auto;
      }
      .file {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 8px;
        margin-bottom: 6px;
        font-size: 0.8125rem;
        flex-wrap: wrap;
      }
      .file span {
        min-width: 0;
        flex: 1 1 200px;
      }
      .notes {
        margin: 10px 0 0;
        padding-left: 18px;
        font-size: 0.8125rem;
        color: var(--muted);
      }
      @media (max-width: 900px) {
        .cols {
          grid-template-columns: minmax(0, 1fr);
        }
        .stats {
          grid-template-columns: repeat(2, minmax(0, 1fr));
        }
      }
    `,
  ]

  declare project: Project
  declare client: ClientName
  declare transport: 'streamable-http' | 'sse'
  /** '' for every enabled server, 'unified' for the one project endpoint, or a server name. */
  declare scope: string

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly summary = new Resource(this, {
    load: async (signal) => {
      const api = this.api.value!
      const id = encodeURIComponent(this.project.id)
      const [servers, members, discovery, stats] = await Promise.all([
        api.get<Server[]>(`/api/projects/${id}/servers`, { signal }),
        api.get<Page<ProjectMember>>(`/api/projects/${id}/members`, { query: { limit: 1 }, signal }),
        // Every endpoint, down servers' too: the console shows them with their state; configs leave them out.
        api.get<Discovery>(`/projects/${id}/.well-known/mcp-servers`, { query: { includeFailing: 'true' }, signal }),
        api.get<ToolCallStats>(`/api/projects/${id}/tool-calls/stats`, { signal }),
      ])
      return { servers, members: members.total ?? members.items.length, discovery, stats }
    },
    deps: () => [this.project.id],
    pollMs: 10_000,
  })
  private readonly config = new Resource(this, {
    load: (signal) =>
      this.api.value!.get<ClientConfig>(`/api/projects/${encodeURIComponent(this.project.id)}/client-config`, {
        query: { client: this.client, transport: this.transport, server: this.scope || undefined },
        signal,
      }),
    deps: () => [this.project.id, this.client, this.transport, this.scope],
  })

  constructor() {
    super()
    this.client = 'cline'
    this.transport = 'streamable-http'
    this.scope = ''
  }

  override render() {
    const r = this.summary
    if (r.error && !r.value) return errorAlert(r.error, () => r.reload())
    if (!r.value) return loading('Loading overview')
    const { servers, members, discovery, stats } = r.value
    const enabled = servers.filter((s) => s.enabled)
    const running = enabled.filter((s) => s.status.state === 'running').length
    const failing = enabled.filter((s) => s.status.health === 'down').length
    const pct = stats.successRate === null ? '–' : `${Math.round(stats.successRate * 100)} %`
    return html`<div class="stats">
        <div class="card stat"><a href=${projectHref(this.project.id, 'servers')}><div class="value">${servers.length}</div>
          <div class="label">servers · ${enabled.length} enabled</div></a></div>
        <div class="card stat"><div class="value">${running}${failing ? html` <span class="badge bad">${failing} failing</span>` : nothing}</div>
          <div class="label">running now</div></div>
        <div class="card stat"><a href=${projectHref(this.project.id, 'members')}><div class="value">${members}</div>
          <div class="label">members</div></a></div>
        <div class="card stat"><a href=${projectHref(this.project.id, 'activity')}><div class="value">${stats.total}</div>
          <div class="label">${
            stats.total
              ? `tool calls in the last hour · ${pct} ok${stats.p95Ms !== null ? ` · p95 ${Math.round(stats.p95Ms)} ms` : ''}`
              : 'tool calls in the last hour'
          }</div></a></div>
      </div>
      <div class="cols">
        <div class="stack">
          <section class="card" aria-labelledby="ep-title">
            <h2 id="ep-title">Endpoints</h2>
            ${
              authModeOf(this.project) === 'oauth'
                ? html`<p class="muted small">Clients sign in with OAuth: give them the URL, no key; they open a browser
                    to sign in to mcpo and allow them.</p>`
                : html`<p class="muted small">Clients authenticate with <code>Authorization: Bearer mcp_proj_…</code>; create a
                    key in <a href=${projectHref(this.project.id, 'settings')}>Settings</a>${
                      authModeOf(this.project) === 'both' ? ', or sign in with OAuth (no key)' : ''
                    }.</p>`
            }
            ${this.endpoint('Unified (all servers) · Streamable HTTP', discovery.unified.endpoints.mcp)}
            ${this.endpoint('Unified (all servers) · SSE', discovery.unified.endpoints.sse)}
            ${discovery.servers.map((s) => this.endpoint(`${s.name} · Streamable HTTP`, s.endpoints.mcp))}
          </section>
          <section class="card" aria-labelledby="health-title">
            <h2 id="health-title">Health</h2>
            ${
              servers.length
                ? servers.map(
                    (
                      s,
                    ) => html`<div class="health"><a href=${projectHref(this.project.id, 'servers', s.name)}>${s.name}</a>
                      ${stateBadge(s.status.state, s.enabled, s.status.health)}</div>`,
                  )
                : html`<p class="muted small">No servers yet. <a href=${projectHref(this.project.id, 'servers')}>Add one</a> to get endpoints.</p>`
            }
          </section>
        </div>
        ${this.configs(servers)}
      </div>`
  }

  private endpoint(label: string, url: string) {
    return html`<div class="endpoint">
      <div class="small muted">${label}</div>
      <div class="url"><code class="breakable">${breakable(url)}</code><mcpo-copy .text=${url} label="Copy"></mcpo-copy></div>
    </div>`
  }

  private configs(servers: Server[]) {
    const c = this.config
    const text = c.value ? JSON.stringify(c.value.config, null, 2) : ''
    return html`<section class="card" aria-labelledby="cfg-title">
      <h2 id="cfg-title">Connect a client</h2>
      <div class="clients" role="group" aria-label="Client">
        ${(authModeOf(this.project) === 'keys' ? CLIENTS : [...CLIENTS, ...OAUTH_CLIENTS]).map(
          ([id, label]) => html`<button class="small" aria-pressed=${this.client === id ? 'true' : 'false'}
            @click=${() => (this.client = id)}>${label}</button>`,
        )}
      </div>
      <div class="options">
        <label class="sr-only" for="cfg-scope">Servers</label>
        <select id="cfg-scope" @change=${(e: Event) => (this.scope = (e.target as HTMLSelectElement).value)}>
          <option value="" ?selected=${this.scope === ''}>Each enabled server</option>
          <option value="unified" ?selected=${this.scope === 'unified'}>One unified entry</option>
          ${servers.filter((s) => s.enabled).map((s) => html`<option value=${s.name} ?selected=${this.scope === s.name}>${s.name} only</option>`)}
        </select>
        <label class="sr-only" for="cfg-transport">Transport</label>
        <select id="cfg-transport" @change=${(e: Event) => (this.transport = (e.target as HTMLSelectElement).value as 'sse')}>
          <option value="streamable-http" ?selected=${this.transport === 'streamable-http'}>Streamable HTTP</option>
          <option value="sse" ?selected=${this.transport === 'sse'}>SSE</option>
        </select>
      </div>
      ${
        !servers.some((s) => s.enabled)
          ? html`<p class="muted small">
              Configs appear here once the project has an enabled server.
              <a href=${projectHref(this.project.id, 'servers')}>Add a server</a>.
            </p>`
          : c.error
            ? errorAlert(c.error, () => c.reload())
            : !c.value
              ? loading('Loading config')
              : html`<div class="file"><span class="breakable">Paste into <code>${breakable(c.value.file)}</code></span>
                  <mcpo-copy .text=${text} label="Copy config" data-config-copy=${c.value.client}></mcpo-copy></div>
                <pre data-config=${c.value.client} tabindex="0" aria-label="${c.value.client} config">${codeLines(text)}</pre>
                ${
                  c.value.command
                    ? html`<div class="file"><span>Or run</span><mcpo-copy .text=${c.value.command} label="Copy command"></mcpo-copy></div>
                        <pre>${codeLines(c.value.command)}</pre>`
                    : nothing
                }
                <ul class="notes">${c.value.notes.map((n) => html`<li>${n}</li>`)}</ul>`
      }
    </section>`
  }
}

customElements.define('mcpo-overview-tab', McpoOverviewTab)
