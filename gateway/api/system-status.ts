// /api/admin/status: what the admin console's system page shows: this node (version, uptime, memory), the storage
// (kind, reachable, migrated, round-trip time), the nodes sharing the database, open sessions, and every loaded
// upstream server with its state and processes. Error texts are redacted like in the server routes.
import { z } from 'zod'
import { GATEWAY_VERSION } from '../version.ts'
import { route } from './define.ts'
import { redact, secretValues } from './server-model.ts'

/** A node whose heartbeat is older than this is listed as gone. */
const NODE_ALIVE_MS = 60_000

const statusSchema = z.object({
  node: z.object({
    version: z.string(),
    pid: z.number(),
    nodeVersion: z.string(),
    platform: z.string(),
    startedAt: z.string(),
    uptimeS: z.number(),
    rssBytes: z.number(),
    heapUsedBytes: z.number(),
  }),
  storage: z.object({
    kind: z.enum(['embedded', 'postgres']),
    reachable: z.boolean(),
    migrated: z.boolean().nullable(),
    pingMs: z.number().nullable(),
    error: z.string().nullable(),
  }),
  nodes: z.array(
    z.object({
      id: z.string(),
      address: z.string(),
      startedAt: z.string(),
      heartbeatAt: z.string(),
      alive: z.boolean(),
    }),
  ),
  sessions: z.object({ total: z.number(), byTransport: z.record(z.string(), z.number()) }),
  processes: z.object({ running: z.number(), maxPerProject: z.number(), maxTotal: z.number() }),
  servers: z.array(
    z.object({
      projectId: z.string(),
      name: z.string(),
      transport: z.string(),
      enabled: z.boolean(),
      state: z.string(),
      pids: z.array(z.number()),
      sessions: z.number(),
      restarts: z.number(),
      consecutiveFailures: z.number(),
      lastError: z.string().nullable(),
    }),
  ),
})

export function systemStatusRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/admin/status',
      tag: 'admin',
      summary: 'System status: this node, storage, cluster nodes, sessions and every upstream server (administrators)',
      auth: 'admin',
      response: statusSchema,
      handler: async ({ services }) => {
        const { store, relay, sessions, config, keyring } = services
        const storage = {
          kind: store.kind,
          reachable: false,
          migrated: null as boolean | null,
          pingMs: null as number | null,
          error: null as string | null,
        }
        const t0 = performance.now()
        try {
          await store.ping()
          storage.pingMs = Math.round((performance.now() - t0) * 10) / 10
          storage.reachable = true
          storage.migrated = await store.isMigrated()
        } catch (err) {
          storage.error = err instanceof Error ? err.message : String(err)
        }
        const now = Date.now()
        const nodes = storage.reachable
          ? (await store.nodes.list()).map((n) => ({
              id: n.id,
              address: n.address,
              startedAt: n.startedAt.toISOString(),
              heartbeatAt: n.heartbeatAt.toISOString(),
              alive: now - n.heartbeatAt.getTime() < NODE_ALIVE_MS,
            }))
          : []
        const servers: z.infer<typeof statusSchema>['servers'] = []
        let running = 0
        for (const projectId of [...relay.projectIds()].sort()) {
          const rows = storage.reachable ? await store.servers.list(projectId) : []
          for (const [name, s] of Object.entries(relay.status(projectId))) {
            const row = rows.find((r) => r.name === name)
            running += s.pids.length
            servers.push({
              projectId,
              name,
              transport: relay.runtime(projectId, name)?.spec.transport ?? 'unknown',
              enabled: relay.runtime(projectId, name)?.spec.enabled ?? false,
              state: s.state,
              pids: s.pids,
              sessions: s.sessions,
              restarts: s.restarts,
              consecutiveFailures: s.consecutiveFailures,
              // Without the row its secrets are unknown, so an unredactable error is not shown.
              lastError: s.lastError
                ? row
                  ? redact(s.lastError, secretValues(keyring, row))
                  : 'see the server page'
                : null,
            })
          }
        }
        const byTransport = sessions.countByTransport()
        const mem = process.memoryUsage()
        return {
          node: {
            version: GATEWAY_VERSION,
            pid: process.pid,
            nodeVersion: process.version,
            platform: `${process.platform}-${process.arch}`,
            startedAt: new Date(now - process.uptime() * 1000).toISOString(),
            uptimeS: Math.round(process.uptime()),
            rssBytes: mem.rss,
            heapUsedBytes: mem.heapUsed,
          },
          storage,
          nodes,
          sessions: { total: Object.values(byTransport).reduce((a, b) => a + b, 0), byTransport },
          processes: {
            running,
            maxPerProject: config.upstreams.maxProcessesPerProject,
            maxTotal: config.upstreams.maxProcessesTotal,
          },
          servers,
        }
      },
    }),
  ]
}
