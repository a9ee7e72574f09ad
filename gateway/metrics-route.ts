// `GET /metrics` and the gauges only the gateway can read (sessions, upstream processes, audit queue), plus the
// HTTP instrumentation wrapped around the routed handler. Present only when the metrics plugin is configured.
import { timingSafeEqual } from 'node:crypto'
import { BlockList, isIP } from 'node:net'
import { Gauge } from 'prom-client'
import { AUDIT_SERVICE, type AuditService } from '../plugins/audit/index.ts'
import type { PluginHost } from '../plugins/host.ts'
import type { MetricsService, RouteClass } from '../plugins/metrics/index.ts'
import type { HttpHandler, Responder } from './http.ts'
import { sendError } from './http.ts'
import type { Relay } from './mcp/relay.ts'
import type { SessionRegistry } from './mcp/sessions.ts'
import type { ServerState } from './mcp/supervisor.ts'
import type { Router } from './router.ts'

const SERVER_STATES: readonly ServerState[] = ['stopped', 'starting', 'running', 'backoff', 'failed']

export interface MetricsDeps {
  plugins: PluginHost
  relay: Relay
  sessions: SessionRegistry
  /** Projects whose upstreams are counted. */
  projectIds(): Iterable<string>
}

export function addMetricsRoute(router: Router, m: MetricsService, deps: MetricsDeps): void {
  const { registry, prefix } = m
  const auditService = deps.plugins.service(AUDIT_SERVICE)

  new Gauge({
    name: `${prefix}sessions_open`,
    help: 'Open MCP client sessions by transport',
    labelNames: ['transport'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const [transport, n] of Object.entries(deps.sessions.countByTransport())) this.set({ transport }, n)
    },
  })
  new Gauge({
    name: `${prefix}upstream_servers`,
    help: 'Configured upstream servers by state (stopped, starting, running, …)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.reset()
      const byState = new Map<string, number>()
      for (const id of deps.projectIds())
        for (const s of Object.values(deps.relay.status(id))) byState.set(s.state, (byState.get(s.state) ?? 0) + 1)
      for (const [state, n] of byState) this.set({ state }, n)
    },
  })
  // Per server, enabled ones only: a disabled server is neither up nor down, and its series would only be noise.
  new Gauge({
    name: `${prefix}upstream_up`,
    help:
      '1 when an upstream server answers, 0 when it is down (backoff, circuit open, or its last connection, ' +
      'health probe or test at save failed); no series until it was tried once',
    labelNames: ['project', 'server'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const id of deps.projectIds())
        for (const rt of deps.relay.runtimes(id)) {
          const health = rt.health()
          if (health !== 'unknown') this.set({ project: id, server: rt.spec.name }, health === 'up' ? 1 : 0)
        }
    },
  })
  new Gauge({
    name: `${prefix}upstream_state`,
    help: 'Supervisor state of each enabled upstream server: 1 for its current state, 0 for the others',
    labelNames: ['project', 'server', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const id of deps.projectIds())
        for (const rt of deps.relay.runtimes(id))
          for (const state of SERVER_STATES)
            this.set({ project: id, server: rt.spec.name, state }, rt.state === state ? 1 : 0)
    },
  })
  new Gauge({
    name: `${prefix}upstream_processes`,
    help: 'Live upstream child processes (stdio servers)',
    registers: [registry],
    collect() {
      let n = 0
      for (const id of deps.projectIds()) for (const s of Object.values(deps.relay.status(id))) n += s.pids.length
      this.set(n)
    },
  })
  // A gauge of a monotonic count that lives in the supervisor: Prometheus' rate() works on it like on a counter.
  new Gauge({
    name: `${prefix}upstream_restarts`,
    help: 'Upstream restarts since start, by project and server',
    labelNames: ['project', 'server'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const id of deps.projectIds())
        for (const [server, s] of Object.entries(deps.relay.status(id))) this.set({ project: id, server }, s.restarts)
    },
  })
  new Gauge({
    name: `${prefix}plugin_hook_failures`,
    help: 'Audit and tool-result hooks that threw',
    registers: [registry],
    collect() {
      this.set(deps.plugins.auditFailures)
    },
  })
  if (auditService) {
    const auditGauge = (name: string, help: string, pick: (s: ReturnType<AuditService['stats']>) => number) =>
      new Gauge({
        name: `${prefix}${name}`,
        help,
        registers: [registry],
        collect() {
          this.set(pick(auditService.stats()))
        },
      })
    auditGauge('audit_queue_depth', 'Audit events and tool calls waiting to be written', (s) => s.queued)
    auditGauge(
      'audit_dropped_events',
      'Audit events and tool calls dropped because the queue was full',
      (s) => s.dropped,
    )
    auditGauge(
      'audit_write_failures',
      'Failed batch writes of audit events or tool calls (retried)',
      (s) => s.writeFailures,
    )
    auditGauge('audit_written_events', 'Audit events and tool calls written', (s) => s.written)
  }

  const expected = m.bearerToken === null ? null : Buffer.from(`Bearer ${m.bearerToken}`)
  const loopbackOnly = expected === null && m.unauthenticatedFrom === 'loopback'
  router.add('GET', '/metrics', async (req, res) => {
    if (expected !== null) {
      const given = Buffer.from(req.headers.authorization ?? '')
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return sendError(res, 401, 'MCPO_ERR_UNAUTHORIZED', 'metrics need the configured bearer token', {
          'www-authenticate': 'Bearer',
        })
      }
    } else if (loopbackOnly && !isLoopback(req.ip)) {
      return sendError(
        res,
        403,
        'MCPO_ERR_FORBIDDEN',
        'metrics are served to this host only; set metrics({ bearerToken }) (MCPO_METRICS_TOKEN) to scrape from elsewhere',
      )
    }
    const text = await registry.metrics()
    if (!res.aborted) res.send(200, { 'content-type': registry.contentType }, text)
  })
}

const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK.addAddress('::1', 'ipv6')

/** True for 127.0.0.0/8 and ::1, in any spelling (IPv4-mapped `::ffff:127.0.0.1`, uncompressed IPv6). */
export function isLoopback(ip: string): boolean {
  const family = isIP(ip)
  if (family === 0) return false
  // BlockList matches an IPv4-mapped IPv6 address against the IPv4 rules.
  return LOOPBACK.check(ip, family === 4 ? 'ipv4' : 'ipv6')
}

/** Counts every response by route class and status; the class comes from the path, so labels stay bounded. */
export function instrumentHandler(handler: HttpHandler, m: MetricsService): HttpHandler {
  return (req, res) => handler(req, new InstrumentedResponder(res, m, classify(req.path)))
}

/** A class rather than per-request closures: this wraps every request, and closures cost more to create. */
class InstrumentedResponder implements Responder {
  private readonly started = performance.now()
  private seen = false

  constructor(
    private readonly res: Responder,
    private readonly m: MetricsService,
    private readonly routeClass: RouteClass,
  ) {}

  get aborted(): boolean {
    return this.res.aborted
  }

  onAbort(cb: () => void): void {
    this.res.onAbort(cb)
  }

  send(status: number, headers: Parameters<Responder['send']>[1], body?: string | Uint8Array): void {
    this.observe(status)
    this.res.send(status, headers, body)
  }

  stream(status: number, headers: Parameters<Responder['stream']>[1]): ReturnType<Responder['stream']> {
    this.observe(status)
    return this.res.stream(status, headers)
  }

  private observe(status: number): void {
    if (this.seen) return
    this.seen = true
    this.m.observeHttp(this.routeClass, status, (performance.now() - this.started) / 1000)
  }
}

function classify(path: string): RouteClass {
  if (path.startsWith('/projects/') || path === '/register' || path === '/token' || path === '/authorize') return 'mcp'
  if (path.startsWith('/api/')) return 'api'
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return 'ops'
  return 'other'
}
