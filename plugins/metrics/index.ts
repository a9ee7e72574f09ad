// The metrics plugin: a prom-client registry of its own (never the global default one) with tool-call counters and
// latency from `onToolResult`; the gateway adds HTTP, session, upstream and audit gauges and serves `GET /metrics`.
import { collectDefaultMetrics, Registry } from 'prom-client'
import { defineService, type McpoPlugin, offer, type ToolCallRecord } from '../contract.ts'
import { CounterSeries, HistogramSeries } from './series.ts'

export const METRICS_PLUGIN = 'mcpo:metrics'

export interface MetricsOptions {
  /** Prefix of every metric name. Default 'mcpo_'. */
  prefix?: string
  /** Adds a `tool` label to tool-call metrics. Off by default: tool names are unbounded label values. */
  toolNames?: boolean
  /**
   * When set (non-empty), `/metrics` needs `Authorization: Bearer <token>` from every client. Without one it is served
   * only as `unauthenticatedFrom` allows: metrics name every project and server, which is not for anyone on the net.
   */
  bearerToken?: string
  /** Who may read `/metrics` without a token: 'loopback' (default: 127.0.0.0/8 and ::1 only) or 'anywhere'. */
  unauthenticatedFrom?: 'loopback' | 'anywhere'
  /** prom-client's process metrics (event-loop lag, memory, CPU, handles). Default true. */
  processMetrics?: boolean
  /** Latency buckets in seconds. */
  buckets?: number[]
}

export type RouteClass = 'mcp' | 'api' | 'ops' | 'other'

/** The registry `GET /metrics` serves, and HTTP observations the gateway reports into it. */
export interface MetricsService {
  readonly registry: Registry
  readonly prefix: string
  readonly bearerToken: string | null
  readonly unauthenticatedFrom: 'loopback' | 'anywhere'
  /** One finished (or started, for streams) HTTP response. */
  observeHttp(routeClass: RouteClass, status: number, seconds: number): void
}

export interface MetricsPlugin extends McpoPlugin, MetricsService {}

export const METRICS_SERVICE = defineService<MetricsService>('metrics', 'metrics()')

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

export function metrics(options: MetricsOptions = {}): MetricsPlugin {
  const prefix = options.prefix ?? 'mcpo_'
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
    throw new Error(`${METRICS_PLUGIN}: prefix must be a valid Prometheus name prefix (got ${JSON.stringify(prefix)})`)
  }
  const withTool = options.toolNames === true
  const buckets = options.buckets ?? BUCKETS
  const registry = new Registry()
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix })

  // Kept in plain maps (series.ts): every MCP request and tool call records into them, so no labels are hashed then.
  const httpRequests = new CounterSeries(
    `${prefix}http_requests_total`,
    'HTTP responses by route class (mcp, api, ops, other) and status code',
    ['class', 'status'],
  )
  const httpLatency = new HistogramSeries(
    `${prefix}http_request_duration_seconds`,
    'Time to the response status (streams: to their start), by route class',
    ['class'],
    buckets,
  )
  const toolCalls = new CounterSeries(
    `${prefix}tool_calls_total`,
    'MCP tools/call requests by project, server and outcome (ok, error, denied, timeout, cancelled)',
    withTool ? ['project', 'server', 'tool', 'outcome'] : ['project', 'server', 'outcome'],
  )
  const toolLatency = new HistogramSeries(
    `${prefix}tool_call_duration_seconds`,
    'MCP tools/call latency through the gateway, by project and server',
    withTool ? ['project', 'server', 'tool'] : ['project', 'server'],
    buckets,
  )
  for (const m of [httpRequests, httpLatency, toolCalls, toolLatency]) m.register(registry)

  const service: MetricsService = {
    registry,
    prefix,
    bearerToken: options.bearerToken || null,
    unauthenticatedFrom: options.unauthenticatedFrom ?? 'loopback',
    observeHttp(routeClass, status, seconds) {
      httpRequests.inc(`${routeClass}\0${status}`, splitKey, `${routeClass}\0${status}`)
      httpLatency.observe(routeClass, oneLabel, routeClass, seconds)
    },
  }
  return {
    name: METRICS_PLUGIN,
    provides: [offer(METRICS_SERVICE, service)],
    ...service,
    onToolResult(r: ToolCallRecord) {
      const series = withTool ? `${r.projectId}\0${r.serverName}\0${r.toolName}` : `${r.projectId}\0${r.serverName}`
      toolLatency.observe(series, withTool ? toolLabels : serverLabels, r, r.durationMs / 1000)
      toolCalls.inc(`${series}\0${r.status}`, withTool ? toolOutcomeLabels : serverOutcomeLabels, r)
    },
    async close() {
      registry.clear()
    },
  }
}

// Label values of a new series; static functions so that recording a call allocates no closure.
const splitKey = (key: string): string[] => key.split('\0')
const oneLabel = (value: string): string[] => [value]
const serverLabels = (r: ToolCallRecord): string[] => [r.projectId, r.serverName]
const toolLabels = (r: ToolCallRecord): string[] => [r.projectId, r.serverName, r.toolName]
const serverOutcomeLabels = (r: ToolCallRecord): string[] => [r.projectId, r.serverName, r.status]
const toolOutcomeLabels = (r: ToolCallRecord): string[] => [r.projectId, r.serverName, r.toolName, r.status]
