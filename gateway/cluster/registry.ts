// The node registry and the upstream leases, kept in the shared database through the store (nodes and leases repos,
// whose times are all the database clock's, so nodes with skewed clocks still agree on who is alive and who holds a
// lease). The data plane reads the copy held here, never the database.
import type { Logger } from '../../plugins/contract.ts'
import type { Store } from '../../plugins/storage/index.ts'

/** What the registry needs of the store. */
export type RegistryStore = Pick<Store, 'nodes' | 'leases'>

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
  /** Every node seen, dead ones included: a request for a suspected node's session is still tried there. */
  private readonly known = new Map<string, LiveNode>()
  private beats = 0
  private lastLookup = 0
  private lookup: Promise<void> | null = null
  private readonly owned = new Map<string, OwnedLease>()
  private timer: NodeJS.Timeout | null = null
  private beating: Promise<void> | null = null
  /** Called with the ids of nodes that were alive at the previous heartbeat and are not any more. */
  ondead: ((ids: string[]) => void) | null = null
  /** Called when another node took over a lease this node held (it missed heartbeats). */
  onleaselost: ((projectId: string, serverName: string) => void) | null = null
  /** Called after each heartbeat with the live node count (budgets are split by it). */
  onlive: ((count: number) => void) | null = null
  /** Set by start(): until then only this node is known. */
  private store: RegistryStore | null = null

  constructor(private readonly opts: RegistryOptions) {
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

  /** A node by id if it was ever seen, alive or not. */
  node(id: string): LiveNode | undefined {
    return this.live.get(id) ?? this.known.get(id)
  }

  /**
   * A node by id; one not seen yet is looked up in the database, for a node that joined since the last heartbeat
   * (without this its sessions answered 404 elsewhere for up to a heartbeat). The ids come from unauthenticated
   * requests, so lookups are shared and run at most once a second: a flood of made-up ids costs one query a second.
   */
  async find(id: string): Promise<LiveNode | undefined> {
    const hit = this.node(id)
    const store = this.store
    if (hit || !store) return hit
    this.lookup ??= (async () => {
      const wait = this.lastLookup + 1000 - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait).unref())
      try {
        for (const r of await store.nodes.list()) this.known.set(r.id, { id: r.id, address: r.address })
      } finally {
        this.lastLookup = Date.now()
        this.lookup = null
      }
    })()
    await this.lookup.catch((err: unknown) => this.opts.logger.warn({ err }, 'could not look up cluster nodes'))
    return this.node(id)
  }

  isLive(id: string): boolean {
    return this.live.has(id)
  }

  get liveCount(): number {
    return Math.max(1, this.live.size)
  }

  liveNodes(): LiveNode[] {
    return [...this.live.values()]
  }

  /** Joins: registers this node, then heartbeats every `heartbeatMs`. */
  async start(store: RegistryStore): Promise<void> {
    this.store = store
    await store.nodes.upsert({ id: this.opts.nodeId, address: this.opts.address })
    // A restarted node with a fixed id held leases in its previous life; those upstreams are gone.
    await store.leases.releaseAll(this.opts.nodeId)
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
    const store = this.started()
    const { nodeId, address, deadAfterMs } = this.opts
    // A node pruned while it was stopped for a day (a suspended VM) registers again.
    if (!(await store.nodes.heartbeat(nodeId, address))) await store.nodes.upsert({ id: nodeId, address })
    for (const [key, lease] of this.owned) {
      if (lease.alive()) continue
      // Released in the database first: until then this node still holds it, and says so (holds()).
      await store.leases.release({ projectId: lease.projectId, serverName: lease.serverName, nodeId })
      this.owned.delete(key)
    }
    const renewed = await store.leases.renew(nodeId, deadAfterMs)
    const kept = new Set(renewed.map((r) => leaseKey(r.projectId, r.serverName)))
    for (const [key, lease] of this.owned) {
      if (kept.has(key)) continue
      // This node missed heartbeats long enough for another to take the lease over: one owner per upstream, so
      // the local one goes and its users are re-placed on the new owner.
      this.owned.delete(key)
      this.opts.logger.warn(
        { project: lease.projectId, server: lease.serverName },
        'lost the lease of a shared upstream',
      )
      this.onleaselost?.(lease.projectId, lease.serverName)
    }
    // Dead nodes' rows are kept a day, so their sessions' addresses are still known (and answer 404 fast).
    if (++this.beats % 500 === 1) await store.nodes.prune(DAY_MS)
    const rows = await store.nodes.liveness(deadAfterMs)
    const next = new Map<string, LiveNode>()
    for (const r of rows) {
      this.known.set(r.id, { id: r.id, address: r.address })
      if (r.alive) next.set(r.id, { id: r.id, address: r.address })
    }
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
    const { nodeId, address, deadAfterMs } = this.opts
    const take = () => this.started().leases.acquire({ projectId, serverName, nodeId, ttlMs: deadAfterMs })
    // A pooled connection the database ended (a failover, a terminated backend) fails the next query on it once and
    // the pool connects again; taking a lease is idempotent, so one retry spares the client's call that error.
    const held = await take().catch(() => take())
    // Released while the lease was being taken: the caller retries through its restart backoff.
    if (!held) return { owner: '', address: null }
    if (held.nodeId === nodeId) return { owner: nodeId, address }
    return { owner: held.nodeId, address: held.address }
  }

  /** Keeps a lease renewed for as long as `alive()` holds; released at the first heartbeat after it stops. */
  adopt(projectId: string, serverName: string, alive: () => boolean): void {
    this.owned.set(leaseKey(projectId, serverName), { projectId, serverName, alive })
  }

  get leaseCount(): number {
    return this.owned.size
  }

  holds(projectId: string, serverName: string): boolean {
    return this.owned.has(leaseKey(projectId, serverName))
  }

  /** Leaves the cluster: leases and the node row go at once, so others take over without waiting for expiry. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.beating
    const store = this.store
    if (!store) return
    await store.leases.releaseAll(this.opts.nodeId)
    await store.nodes.delete(this.opts.nodeId)
  }

  private started(): RegistryStore {
    if (!this.store) throw new Error('the cluster registry is used before it started')
    return this.store
  }
}

const DAY_MS = 86_400_000

function leaseKey(projectId: string, serverName: string): string {
  return `${projectId}\u0000${serverName}`
}
