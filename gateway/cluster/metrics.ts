// Prometheus series for cluster mode, in the metrics plugin's registry: what an operator alerts on when nodes die,
// keys disagree or invalidations stop flowing (deploy/README.md, "What to monitor").
import { Counter, Gauge, type Registry } from 'prom-client'

/** Counters the cluster modules bump; read by the collectors below at scrape time. */
export class ClusterStats {
  forwarded = 0
  /** The session's node is dead or unknown: answered 404 without trying. */
  ownerGone = 0
  /** The owner refused or timed out: answered 404 after trying. */
  ownerUnreachable = 0
  authRefused = 0
  published = 0
  received = 0
}

export function addClusterMetrics(
  registry: Registry,
  prefix: string,
  stats: ClusterStats,
  live: () => { nodes: number; leases: number },
): void {
  new Gauge({
    name: `${prefix}cluster_nodes_live`,
    help: 'Nodes with a recent heartbeat, this one included, as this node saw them at its last heartbeat',
    registers: [registry],
    collect() {
      this.set(live().nodes)
    },
  })
  new Gauge({
    name: `${prefix}cluster_leases_held`,
    help: 'Shared stdio upstreams this node runs under a lease',
    registers: [registry],
    collect() {
      this.set(live().leases)
    },
  })
  const forwards = new Counter({
    name: `${prefix}cluster_forwarded_requests_total`,
    help: 'Client requests for sessions of other nodes, by outcome (forwarded, owner_gone, owner_unreachable)',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      forwards.reset()
      forwards.inc({ outcome: 'forwarded' }, stats.forwarded)
      forwards.inc({ outcome: 'owner_gone' }, stats.ownerGone)
      forwards.inc({ outcome: 'owner_unreachable' }, stats.ownerUnreachable)
    },
  })
  const refused = new Counter({
    name: `${prefix}cluster_node_auth_refused_total`,
    help: 'Node-to-node requests refused: bad or stale signature, replay (a secret key mismatch shows here)',
    registers: [registry],
    collect() {
      refused.reset()
      refused.inc(stats.authRefused)
    },
  })
  const invalidations = new Counter({
    name: `${prefix}cluster_invalidations_total`,
    help: 'Cache invalidations sent to and received from other nodes (LISTEN/NOTIFY)',
    labelNames: ['direction'] as const,
    registers: [registry],
    collect() {
      invalidations.reset()
      invalidations.inc({ direction: 'sent' }, stats.published)
      invalidations.inc({ direction: 'received' }, stats.received)
    },
  })
}
