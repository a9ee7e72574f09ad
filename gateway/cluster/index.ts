// Cluster mode (design.md §9): nodes share one PostgreSQL and nothing else. This module wires the registry, the
// node-to-node signature, session forwarding, cache invalidation and shared-upstream leases into the gateway.
import { randomBytes, randomUUID } from 'node:crypto'
import type { ResolvedConfig } from '../../config/define-config.ts'
import type { Logger } from '../../plugins/contract.ts'
import { deriveKey, type Keyring } from '../../plugins/secrets/keyring.ts'
import type { Store } from '../../plugins/storage/index.ts'
import { GatewayError } from '../errors.ts'
import { type HttpHandler, type IncomingRequest, type Responder, sendError } from '../http.ts'
import type { Relay } from '../mcp/relay.ts'
import type { KeepaliveTicker } from '../mcp/sse.ts'
import { InvalidationBus } from './bus.ts'
import { Forwarder } from './forward.ts'
import { NodeAuth, SIG_HEADER } from './hmac.ts'
import { ClusterStats } from './metrics.ts'
import { NodeRegistry } from './registry.ts'
import { UPSTREAM_PREFIX, UpstreamRelay } from './upstream-relay.ts'

export type { Invalidation } from './bus.ts'

const INTERNAL_PREFIX = '/_mcpo/cluster/'

export interface ClusterOptions {
  config: ResolvedConfig
  keyring: Keyring
  logger: Logger
}

/** Decides, for a request naming a session, whether this node answers it or the owner does. */
export interface SessionRouter {
  /** True when the request was handled here (forwarded, or 404 because the owner is gone). */
  route(req: IncomingRequest, res: Responder, sessionId: string, notFound: (res: Responder) => void): boolean
}

export class Cluster implements SessionRouter {
  readonly nodeId: string
  readonly auth: NodeAuth
  readonly bus: InvalidationBus
  readonly upstreams: UpstreamRelay
  readonly stats = new ClusterStats()
  private readonly registry: NodeRegistry
  private readonly forwarder: Forwarder
  private readonly fromNode = new WeakSet<IncomingRequest>()
  private relay: Relay | null = null
  private ticker: KeepaliveTicker | null = null
  private liveCount = 1

  /** Cluster mode needs the shared database; null when the config does not ask for it. */
  static open(opts: ClusterOptions): Cluster | null {
    const c = opts.config.cluster
    if (!c) return null
    const storage = opts.config.storage
    if (storage.kind !== 'postgres') {
      throw new GatewayError(
        'MCPO_ERR_CONFIG',
        'cluster: needs PostgreSQL storage (set DATABASE_URL or storage: postgresStorage({ url }))',
      )
    }
    return new Cluster(opts, storage.options.schema)
  }

  /** The cluster's own store, opened by start(). */
  private store: Store | null = null

  private constructor(
    private readonly opts: ClusterOptions,
    schema: string | undefined,
  ) {
    const c = opts.config.cluster!
    this.nodeId = c.nodeId ?? randomBytes(6).toString('hex')
    const logger = opts.logger.child({ node: this.nodeId })
    this.auth = new NodeAuth(deriveKey(opts.keyring, 'mcpo:cluster:node-auth'), this.nodeId)
    // Notifications are database-wide; a channel per schema keeps separate deployments (or test runs) apart.
    this.bus = new InvalidationBus({
      nodeId: this.nodeId,
      channel: `mcpo_${schema ?? 'public'}`,
      logger,
      stats: this.stats,
    })
    this.forwarder = new Forwarder({ auth: this.auth, connectTimeoutMs: c.connectTimeoutMs, logger, stats: this.stats })
    this.registry = new NodeRegistry({
      nodeId: this.nodeId,
      address: c.internalUrl ?? '',
      heartbeatMs: c.heartbeatMs,
      deadAfterMs: c.deadAfterMs,
      logger,
    })
    this.registry.onlive = (n) => {
      this.liveCount = n
    }
    this.registry.ondead = (ids) => this.upstreams.nodesGone(ids)
    this.registry.onleaselost = (projectId, serverName) => {
      this.relay
        ?.runtime(projectId, serverName)
        ?.restart()
        .catch((err) => logger.warn({ err: (err as Error).message }, 're-placing a shared upstream failed'))
    }
    this.upstreams = new UpstreamRelay({
      registry: this.registry,
      auth: this.auth,
      relay: () => {
        if (!this.relay) throw new Error('cluster used before the relay exists')
        return this.relay
      },
      ticker: {
        // Resolved lazily too: the ticker is built after the cluster.
        add: (ch) => this.ticker?.add(ch),
        remove: (ch) => this.ticker?.remove(ch),
      } as KeepaliveTicker,
      connectTimeoutMs: c.connectTimeoutMs,
      logger,
    })
  }

  /** Starts listening for invalidations; called at boot, before any request. */
  async start(relay: Relay, ticker: KeepaliveTicker): Promise<void> {
    this.relay = relay
    this.ticker = ticker
    const c = this.opts.config.cluster!
    // A small pool of its own: heartbeats must not queue behind API queries (LISTEN has a connection of its own).
    this.store = await this.opts.config.storage.open({
      logger: this.opts.logger,
      dataDir: this.opts.config.dataDir,
      pool: { max: 2, name: `mcpo-cluster-${this.nodeId}`, connectTimeoutS: Math.ceil(c.connectTimeoutMs / 1000) },
    })
    await this.bus.start(this.store)
  }

  /** Joins the registry once the port is bound (the default internal address needs it). */
  async join(port: number): Promise<void> {
    const c = this.opts.config.cluster!
    const address = (c.internalUrl ?? `http://127.0.0.1:${port}`).replace(/\/$/, '')
    this.registry.setAddress(address)
    if (!this.store) throw new Error('the cluster joins after start()')
    await this.registry.start(this.store)
    this.opts.logger.info({ node: this.nodeId, address, nodes: this.liveCount }, 'joined the cluster')
  }

  /** Live nodes, this one included, as of the last heartbeat. */
  liveNodes(): number {
    return this.liveCount
  }

  /** Shared upstreams this node runs under a lease. */
  leasesHeld(): number {
    return this.registry.leaseCount
  }

  newSessionId(): string {
    return `${this.nodeId}.${randomUUID()}`
  }

  route(req: IncomingRequest, res: Responder, sessionId: string, notFound: (res: Responder) => void): boolean {
    // One hop at most: a forwarded request is answered where it lands, even if the id names someone else.
    if (this.fromNode.has(req)) return false
    const dot = sessionId.indexOf('.')
    const owner = dot > 0 ? sessionId.slice(0, dot) : null
    if (owner === null || owner === this.nodeId) return false
    const node = this.registry.node(owner)
    if (node) {
      // A node only suspected dead is still tried: a refused connection answers 404 in a moment.
      void this.forwarder.forward(req, res, node.address, notFound)
      return true
    }
    void this.registry.find(owner).then((found) => {
      if (found) return this.forwarder.forward(req, res, found.address, notFound)
      // Its node never existed (or left a day ago): the session is gone, and 404 tells clients to start a new one.
      this.stats.ownerGone++
      notFound(res)
    })
    return true
  }

  /**
   * Signed requests from other nodes: verified here, then served by the internal endpoints or passed on with the
   * original client address. Anything claiming to be a node without a valid signature is refused.
   */
  wrap(handler: HttpHandler): HttpHandler {
    return (req, res) => {
      const internal = req.path.startsWith(INTERNAL_PREFIX)
      if (!internal && req.headers[SIG_HEADER] === undefined) return handler(req, res)
      const path = req.query ? `${req.path}?${req.query}` : req.path
      const v = this.auth.verify(req.method, path, req.headers, req.body)
      if (!v.ok) {
        this.stats.authRefused++
        return sendError(res, 401, 'MCPO_ERR_UNAUTHENTICATED', `node request refused: ${v.reason}`)
      }
      if (req.path.startsWith(`${UPSTREAM_PREFIX}/`)) {
        const [projectId, serverName] = req.path
          .slice(UPSTREAM_PREFIX.length + 1)
          .split('/')
          .map((p) => decodeURIComponent(p))
        return this.upstreams.handle(req, res, { projectId, serverName }, v.node)
      }
      if (internal) return sendError(res, 404, 'MCPO_ERR_NOT_FOUND', 'no such route')
      const inner: IncomingRequest = { ...req, ip: v.clientIp || req.ip }
      this.fromNode.add(inner)
      return handler(inner, res)
    }
  }

  /** Ends the answers this node is relaying for sessions of other nodes, each owed request answered with the error. */
  drainForwarded(code: number, message: string): void {
    this.forwarder.drain(code, message)
  }

  async close(): Promise<void> {
    this.upstreams.close()
    await this.bus.stop()
    await this.registry.stop().catch((err) => this.opts.logger.warn({ err }, 'leaving the cluster failed'))
    await this.forwarder.close()
    await this.store?.close()
    this.store = null
  }
}
