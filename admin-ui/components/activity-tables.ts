// The Activity tab's tables and metric cards: plain template functions of the rows they are given.
import { html, nothing } from 'lit'
import {
  type AuditItem,
  actorLabel,
  describeAudit,
  formatDuration,
  formatPercent,
  type ToolCallItem,
} from '../lib/activity.ts'
import { time } from './template-pieces.ts'

export interface Stats {
  total: number
  ok: number
  errors: number
  successRate: number | null
  avgMs: number | null
  p50Ms: number | null
  p95Ms: number | null
  callsPerMinute: number
}

export function statsCards(s: Stats | null | undefined) {
  if (!s) return nothing
  const stat = (label: string, value: string) =>
    html`<div class="stat"><div class="muted small">${label}</div><div class="value">${value}</div></div>`
  return html`<div class="stats" aria-label="Tool-call metrics for the chosen time">
    ${stat('Calls', String(s.total))} ${stat('Success rate', formatPercent(s.successRate))}
    ${stat('Errors', String(s.errors))} ${stat('Average', formatDuration(s.avgMs))} ${stat('p50', formatDuration(s.p50Ms))}
    ${stat('p95', formatDuration(s.p95Ms))} ${stat('Calls / min', String(s.callsPerMinute))}
  </div>`
}

export function callsTable(items: ToolCallItem[], names: ReadonlyMap<string, string>) {
  return html`<div class="table-wrap">
    <table>
      <thead>
        <tr>
          <th>When</th><th>Tool</th><th>Outcome</th><th>Duration</th><th class="hide-narrow">Who</th>
          <th class="hide-narrow">Client</th>
        </tr>
      </thead>
      <tbody>
        ${items.map(
          (c) => html`<tr>
            <td class="nowrap">${time(c.at)}</td>
            <td><span class="mono">${c.server}__${c.tool}</span></td>
            <td>
              <span class="badge ${c.status === 'ok' ? 'ok' : c.status === 'denied' ? 'warn' : 'bad'}">${c.status}</span>
              ${c.errorMessage ? html`<div class="small muted clip" title=${c.errorMessage}>${c.errorMessage}</div>` : nothing}
            </td>
            <td class="nowrap">${formatDuration(c.durationMs)}</td>
            <td class="hide-narrow">${actorLabel(c.keyId ? 'api-key' : 'user', c.keyId ?? c.principalId, names)}</td>
            <td class="hide-narrow muted small">${c.clientName ?? '—'}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`
}

export function auditTable(items: AuditItem[], names: ReadonlyMap<string, string>) {
  return html`<div class="table-wrap">
    <table>
      <thead>
        <tr><th>When</th><th>Event</th><th>Who</th><th class="hide-narrow">Details</th></tr>
      </thead>
      <tbody>
        ${items.map(
          (e) => html`<tr>
            <td class="nowrap">${time(e.at)}</td>
            <td>${describeAudit(e)}</td>
            <td>${actorLabel(e.actor.type, e.actor.id, names)}</td>
            <td class="hide-narrow">
              ${
                e.before || e.after
                  ? html`<details>
                    <summary>Changes</summary>
                    <pre>${JSON.stringify({ before: e.before, after: e.after }, null, 2)}</pre>
                  </details>`
                  : html`<span class="muted small">${e.ip ?? ''}</span>`
              }
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`
}
