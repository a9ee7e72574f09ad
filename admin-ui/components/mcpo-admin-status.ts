// <mcpo-admin-status>: system status for administrators, refreshed every 5 s: readiness (/readyz), this node,
// storage, sessions, upstream processes against their caps, the cluster's nodes and every loaded server.
import { css, html, LitElement, nothing } from 'lit'
import { Resource } from '../controllers/resource.ts'
import { base } from '../styles.ts'
import { empty, errorAlert, loading, stateBadge, time } from './template-pieces.ts'
import { consumeApi, shared } from './view-support.ts'

interface SystemStatus {
  node: {
    version: string
    pid: number
    nodeVersion: string
    platform: string
    startedAt: string
    uptimeS: number
    rssBytes: number
    heapUsedBytes: number
  }
  storage: { kind: string; reachable: boolean; migrated: boolean | null; pingMs: number | null; error: string | null }
  nodes: { id: string; address: string; startedAt: string; heartbeatAt: string; alive: boolean }[]
  sessions: { total: number; byTransport: Record<string, number> }
  processes: { running: number; maxPerProject: number; maxTotal: number }
  servers: {
    projectId: string
    name: string
    transport: string
    enabled: boolean
    state: string
    pids: number[]
    sessions: number
    restarts: number
    consecutiveFailures: number
    lastError: string | null
  }[]
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`
}

export function formatUptime(s: number): string {
  const d = Math.floor(s / 86_400)
  const h = Math.floor((s % 86_400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min ${s % 60} s`
}

export class McpoAdminStatus extends LitElement {
  static override styles = [
    base,
    shared,
    css`
      :host {
        display: block;
      }
      .pair {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(280px, 1fr));
        gap: var(--gap);
      }
      .note {
        padding: 14px 18px;
      }
    `,
  ]
  private readonly apiC = consumeApi(this)
  private readonly status = new Resource<{ status: SystemStatus; ready: { ok: boolean; reason?: string } }>(this, {
    load: async (signal) => {
      const api = this.apiC.value!
      const [status, ready] = await Promise.all([
        api.get<SystemStatus>('/api/admin/status', { signal }),
        fetch(api.url('/readyz'), { signal }).then(
          async (r) => ({ ok: r.ok, reason: ((await r.json().catch(() => ({}))) as { reason?: string }).reason }),
          () => ({ ok: false, reason: 'no answer' }),
        ),
      ])
      return { status, ready }
    },
    deps: () => [this.apiC.value],
    enabled: () => Boolean(this.apiC.value),
    pollMs: 5000,
  })

  override render() {
    const v = this.status.value
    if (this.status.error && !v) return errorAlert(this.status.error, () => this.status.reload())
    if (!v) return loading('Loading system status')
    const { status: s, ready } = v
    const stat = (label: string, value: unknown, sub: unknown = nothing) =>
      html`<div class="stat"><div class="muted small">${label}</div><div class="value">${value}</div><div class="small muted">${sub}</div></div>`
    const failing = s.servers.filter((x) => x.state === 'failed' || x.state === 'backoff')
    return html`<div class="layout">
      <div class="page-head">
        <div><h1>System status</h1><p class="muted">mcpo ${s.node.version} · refreshes every 5 seconds</p></div>
        <span class="badge ${ready.ok ? 'ok' : 'bad'}"><span class="dot"></span>${ready.ok ? 'ready' : `not ready: ${ready.reason ?? ''}`}</span>
      </div>
      ${this.status.error ? errorAlert(`Showing the last answer: ${this.status.error.message}`) : nothing}
      ${failing.length ? html`<div class="alert warn" role="alert">${failing.length} server${failing.length === 1 ? ' is' : 's are'} failing: ${failing.map((f) => `${f.projectId}/${f.name}`).join(', ')}</div>` : nothing}
      <div class="stats">
        ${stat('Uptime', formatUptime(s.node.uptimeS), `since ${new Date(s.node.startedAt).toLocaleString()}`)}
        ${stat('Memory', formatBytes(s.node.rssBytes), `heap ${formatBytes(s.node.heapUsedBytes)}`)}
        ${stat(
          'Sessions',
          s.sessions.total,
          Object.entries(s.sessions.byTransport)
            .map(([k, n]) => `${n} ${k}`)
            .join(', '),
        )}
        ${stat('Processes', s.processes.running, `of ${s.processes.maxTotal} allowed (${s.processes.maxPerProject} per project)`)}
        ${stat('Servers', s.servers.length, `${s.servers.filter((x) => x.state === 'running').length} running`)}
      </div>
      <div class="pair">
        <div class="card">
          <h2>This node</h2>
          <dl class="kv">
            <dt>Process</dt><dd>pid ${s.node.pid}</dd>
            <dt>Runtime</dt><dd>Node.js ${s.node.nodeVersion.replace(/^v/, '')}, ${s.node.platform}</dd>
          </dl>
        </div>
        <div class="card">
          <h2>Storage</h2>
          <dl class="kv">
            <dt>Kind</dt><dd>${s.storage.kind === 'postgres' ? 'PostgreSQL' : 'embedded (PGlite)'}</dd>
            <dt>State</dt><dd>${s.storage.reachable ? html`<span class="badge ok">reachable</span>` : html`<span class="badge bad">unreachable</span>`}
              ${s.storage.migrated === false ? html`<span class="badge warn">migrations pending</span>` : nothing}</dd>
            <dt>Round trip</dt><dd>${s.storage.pingMs === null ? '—' : `${s.storage.pingMs} ms`}</dd>
            ${s.storage.error ? html`<dt>Error</dt><dd>${s.storage.error}</dd>` : nothing}
          </dl>
        </div>
      </div>
      <div class="card flush">
        <header class="card-head"><h2>Cluster nodes</h2></header>
        ${
          s.nodes.length === 0
            ? html`<p class="note muted small">Only this node: no other gateway has registered with this database.</p>`
            : html`<div class="table-wrap"><table>
              <thead><tr><th>Node</th><th>Address</th><th>Started</th><th>Last heartbeat</th></tr></thead>
              <tbody>${s.nodes.map(
                (n) => html`<tr><td class="mono small">${n.id}</td><td>${n.address}</td><td>${time(n.startedAt)}</td>
                  <td>${time(n.heartbeatAt)} ${n.alive ? nothing : html`<span class="badge bad">gone</span>`}</td></tr>`,
              )}</tbody>
            </table></div>`
        }
      </div>
      <div class="card flush">
        <header class="card-head"><h2>Upstream servers</h2></header>
        ${
          s.servers.length === 0
            ? empty('No servers loaded', 'Projects add servers on their Servers tab.')
            : html`<div class="table-wrap"><table>
              <thead><tr><th>Project / server</th><th>State</th><th>Processes</th><th>Sessions</th><th class="hide-narrow">Restarts</th><th class="hide-narrow">Last error</th></tr></thead>
              <tbody>${s.servers.map(
                (x) => html`<tr>
                  <td><a href="/admin/projects/${encodeURIComponent(x.projectId)}/servers/${encodeURIComponent(x.name)}">${x.projectId} / ${x.name}</a>
                    <div class="muted small">${x.transport}</div></td>
                  <td>${stateBadge(x.state, x.enabled)}</td>
                  <td class="mono small">${x.pids.length ? x.pids.join(', ') : '—'}</td>
                  <td>${x.sessions}</td>
                  <td class="hide-narrow">${x.restarts}${x.consecutiveFailures ? ` (${x.consecutiveFailures} failing)` : ''}</td>
                  <td class="hide-narrow small muted clip" title=${x.lastError ?? ''}>${x.lastError ?? '—'}</td>
                </tr>`,
              )}</tbody>
            </table></div>`
        }
      </div>
    </div>`
  }
}

customElements.define('mcpo-admin-status', McpoAdminStatus)
