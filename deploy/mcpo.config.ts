// The cluster deployment of deploy/compose.yaml. Each node gets the same file; what differs per node (its id and
// internal address) comes from MCPO_NODE_ID and MCPO_CLUSTER_INTERNAL_URL, which also turn cluster mode on.
// DATABASE_URL selects PostgreSQL; MCPO_SECRET_KEY must be the same on every node.
import { apiKeys, audit, defineConfig, metrics, rateLimits, sessions, toolPolicies } from '../config/index.ts'

export default defineConfig({
  listen: { host: '0.0.0.0', port: 8080 },
  plugins: [
    sessions(),
    apiKeys(),
    toolPolicies(),
    rateLimits(),
    audit(),
    metrics({ bearerToken: process.env.MCPO_METRICS_TOKEN }),
  ],
  // The nodes are reached only through the bundled nginx, so its X-Forwarded-* headers are the truth.
  security: { trustProxy: true },
  cluster: {
    // A node is dead after deadAfterMs without a heartbeat: its sessions then answer 404 and its leases move.
    heartbeatMs: 2000,
    deadAfterMs: 10_000,
  },
})
