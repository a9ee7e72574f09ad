// Cache invalidation between nodes over the store's notifications (LISTEN/NOTIFY): a node that changed keys, servers,
// policies or members publishes one small message; every other node reloads the same caches the single-node code
// reloads.
import type { Logger } from '../../plugins/contract.ts'
import type { Store, Unlisten } from '../../plugins/storage/index.ts'
import type { ClusterStats } from './metrics.ts'

/** `keys`: API keys changed; `members`: memberships of these projects; `project`: its servers, toggles or policies. */
export type Invalidation =
  | { kind: 'keys' }
  | { kind: 'members'; projectIds: string[] }
  | { kind: 'project'; projectId: string }

interface Envelope {
  from: string
  at: number
  change: Invalidation
}

export interface BusOptions {
  nodeId: string
  /** The channel name; one per schema so that test runs (or tenants) sharing a database do not hear each other. */
  channel: string
  logger: Logger
  stats: ClusterStats
}

/** What the bus needs of the store. */
export type BusStore = Pick<Store, 'listen' | 'notify'>

export class InvalidationBus {
  private store: BusStore | null = null
  private unlisten: Unlisten | null = null
  /** Set by the composition root: reloads this node's caches (never re-publishes). */
  onchange: ((change: Invalidation) => Promise<void>) | null = null
  /** A reload failed or notifications were missed: reload everything, as after a reconnect. */
  onresync: (() => Promise<void>) | null = null

  constructor(private readonly opts: BusOptions) {}

  async start(store: BusStore): Promise<void> {
    this.store = store
    this.unlisten = await store.listen(
      this.opts.channel,
      (payload) => this.receive(payload),
      () => {
        // Notifications sent while the connection was lost are gone: reload everything.
        this.opts.logger.warn('cluster notifications reconnected; reloading caches')
        void this.onresync?.().catch((err) => this.opts.logger.error({ err }, 'cache resync failed'))
      },
    )
  }

  /** Tells the other nodes; a failure is logged, and the periodic refreshes of each cache still catch up. */
  async publish(change: Invalidation): Promise<void> {
    const envelope: Envelope = { from: this.opts.nodeId, at: Date.now(), change }
    if (!this.store) return
    try {
      await this.store.notify(this.opts.channel, JSON.stringify(envelope))
      this.opts.stats.published++
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message, change }, 'could not publish a cache invalidation')
    }
  }

  private receive(payload: string): void {
    let env: Envelope
    try {
      env = JSON.parse(payload) as Envelope
    } catch {
      this.opts.logger.warn('ignoring a malformed cluster notification')
      return
    }
    if (env.from === this.opts.nodeId || !env.change) return
    this.opts.stats.received++
    this.onchange?.(env.change).catch((err) =>
      this.opts.logger.error({ err, change: env.change }, 'applying a cluster invalidation failed'),
    )
  }

  async stop(): Promise<void> {
    await this.unlisten?.().catch(() => {})
    this.unlisten = null
  }
}
