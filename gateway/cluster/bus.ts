// Cache invalidation between nodes over PostgreSQL LISTEN/NOTIFY: a node that changed keys, servers, policies or
// members publishes one small message; every other node reloads the same caches the single-node code reloads.
import type postgres from 'postgres'
import type { Logger } from '../../plugins/contract.ts'
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

export class InvalidationBus {
  private listener: postgres.ListenMeta | null = null
  /** Set by the composition root: reloads this node's caches (never re-publishes). */
  onchange: ((change: Invalidation) => Promise<void>) | null = null
  /** A reload failed or notifications were missed: reload everything, as after a reconnect. */
  onresync: (() => Promise<void>) | null = null

  constructor(
    private readonly sql: postgres.Sql,
    private readonly opts: BusOptions,
  ) {}

  async start(): Promise<void> {
    let first = true
    this.listener = await this.sql.listen(
      this.opts.channel,
      (payload) => this.receive(payload),
      () => {
        // postgres.js re-listens after a lost connection; notifications sent meanwhile are lost, so resync then.
        if (!first) {
          this.opts.logger.warn('cluster notifications reconnected; reloading caches')
          void this.onresync?.().catch((err) => this.opts.logger.error({ err }, 'cache resync failed'))
        }
        first = false
      },
    )
  }

  /** Tells the other nodes; a failure is logged, and the periodic refreshes of each cache still catch up. */
  async publish(change: Invalidation): Promise<void> {
    const envelope: Envelope = { from: this.opts.nodeId, at: Date.now(), change }
    try {
      await this.sql.notify(this.opts.channel, JSON.stringify(envelope))
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
    await this.listener?.unlisten().catch(() => {})
    this.listener = null
  }
}
