// The node registry and the upstream leases in PostgreSQL. Every time comparison uses the database clock (now()),
// so nodes with skewed clocks still agree on who is alive and who holds a lease.
import type postgres from 'postgres'
import type { Logger } from '../../plugins/contract.ts'

export interface LiveNode {
  id: string
  address: string
}

export interface RegistryOptions {
  nodeId: string
  address: string
  heartbeatMs: number
  deadAfterMs: number
  logger: Logger
}

/** A shared upstream this node runs under a lease; `alive` says whether it still does. */
interface OwnedLease {
  projectId: string
  serverName: string
  alive: () => boolean
}

export class NodeRegistry {
  /** Live nodes, this one included, as of the last heartbeat: the data plane reads this, never the database. */
  private live = new Map<string, LiveNode>()
  private readonly owned = new Map<string, OwnedLease>()
  private timer: NodeJS.Timeout | null = null
  private beating: Promise<void> | null = null
  /** Called with the ids of nodes that were alive at the previous heartbeat and are not any more. */
  ondead: ((ids: string[]) => void) | null = null
  /** Called after each heartbeat with the live node count (budgets are split by it). */
  onlive: ((count: number) => void) | null = null

  constructor(
    private readonly sql: postgres.Sql,
    private readonly opts: RegistryOptions,
  ) {
    this.live.set(opts.nodeId, { id: opts.nodeId, address: opts.address })
  }

  /** The internal address is known once the port is bound. */
  setAddress(address: string): void {
    this.opts.address = address
    this.live.set(this.opts.nodeId, { id: this.opts.nodeId, address })
  }

  get nodeId(): string {
    return this.opts.nodeId
  }

  node(id: string): LiveNode | undefined {
    return this.live.get(id)
  }

  get liveCount(): number {
    return Math.max(1, this.live.size)
  }

  liveNodes(): LiveNode[] {
    return [...this.live.values()]
  }

  async start(): Promise<void> {
    await this.sql`
      INSERT INTO nodes (id, address, started_at, heartbeat_at) VALUES (${this.opts.nodeId}, ${this.opts.address}, now(), now())
      ON CONFLICT (id) DO UPDATE SET address = excluded.address, started_at = now(), heartbeat_at = now()`
    // A restarted node with a fixed id held leases in its previous life; those upstreams are gone.
    await this.sql`DELETE FROM cluster_leases WHERE node_id = ${this.opts.nodeId}`
    await this.beat()
    this.timer = setInterval(() => {
      this.beating ??= this.beat()
        .catch((err) => this.opts.logger.warn({ err: (err as Error).message }, 'cluster heartbeat failed'))
        .finally(() => {
          this.beating = null
        })
    }, this.opts.heartbeatMs)
    this.timer.unref()
  }

  /** Records this node's heartbeat, renews its leases, and reloads the live set. */
  private async beat(): Promise<void> {
    const ttl = this.opts.deadAfterMs
    await this.sql`UPDATE nodes SET heartbeat_at = now(), address = ${this.opts.address} WHERE id = ${this.opts.nodeId}`
    for (const [key, lease] of this.owned) {
      if (lease.alive()) continue
      this.owned.delete(key)
      await this.release(lease.projectId, lease.serverName)
    }
    await this.sql`
      UPDATE cluster_leases SET expires_at = now() + make_interval(secs => ${ttl / 1000}::float8)
      WHERE node_id = ${this.opts.nodeId}`
    const rows = await this.sql<{ id: string; address: string }[]>`
      SELECT id, address FROM nodes
      WHERE heartbeat_at > now() - make_interval(secs => ${ttl / 1000}::float8)`
    const next = new Map(rows.map((r) => [r.id, { id: r.id, address: r.address }]))
    next.set(this.opts.nodeId, { id: this.opts.nodeId, address: this.opts.address })
    const gone = [...this.live.keys()].filter((id) => !next.has(id))
    this.live = next
    if (gone.length) {
      this.opts.logger.warn({ nodes: gone }, 'cluster nodes stopped sending heartbeats')
      this.ondead?.(gone)
    }
    this.onlive?.(this.live.size)
  }

  /**
   * Takes the lease of a shared upstream, or tells who holds it. A lease is free when nobody holds it, when it has
   * expired (its owner stopped renewing: dead), or when this node already holds it.
   */
  async acquire(projectId: string, serverName: string): Promise<{ owner: string; address: string | null }> {
    const ttl = this.opts.deadAfterMs / 1000
    const [row] = await this.sql<{ node_id: string }[]>`
      INSERT INTO cluster_leases (project_id, server_name, node_id, expires_at)
      VALUES (${projectId}, ${serverName}, ${this.opts.nodeId}, now() + make_interval(secs => ${ttl}::float8))
      ON CONFLICT (project_id, server_name) DO UPDATE SET
        node_id = excluded.node_id, acquired_at = now(), expires_at = excluded.expires_at
      WHERE cluster_leases.expires_at < now() OR cluster_leases.node_id = excluded.node_id
      RETURNING node_id`
    if (row) return { owner: this.opts.nodeId, address: this.opts.address }
    const [held] = await this.sql<{ node_id: string; address: string | null }[]>`
      SELECT l.node_id, n.address FROM cluster_leases l LEFT JOIN nodes n ON n.id = l.node_id
      WHERE l.project_id = ${projectId} AND l.server_name = ${serverName}`
    // Released between the two statements: the caller retries through its restart backoff.
    if (!held) return { owner: '', address: null }
    return { owner: held.node_id, address: held.address }
  }

  /** Keeps a lease renewed for as long as `alive()` holds; released at the first heartbeat after it stops. */
  adopt(projectId: string, serverName: string, alive: () => boolean): void {
    this.owned.set(`${projectId}\u0000${serverName}`, { projectId, serverName, alive })
  }

  holds(projectId: string, serverName: string): boolean {
    return this.owned.has(`${projectId}\u0000${serverName}`)
  }

  private async release(projectId: string, serverName: string): Promise<void> {
    await this.sql`
      DELETE FROM cluster_leases
      WHERE project_id = ${projectId} AND server_name = ${serverName} AND node_id = ${this.opts.nodeId}`
  }

  /** Leaves the cluster: leases and the node row go at once, so others take over without waiting for expiry. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.beating
    await this.sql`DELETE FROM cluster_leases WHERE node_id = ${this.opts.nodeId}`
    await this.sql`DELETE FROM nodes WHERE id = ${this.opts.nodeId}`
  }
}
