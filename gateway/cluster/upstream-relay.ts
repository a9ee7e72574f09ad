// Shared stdio upstreams in a cluster: the node holding a server's lease runs its one process; every other node
// reaches it as a Streamable HTTP upstream at the owner's internal endpoint, where each peer node is one session.
// Policies, rate limits and id rewriting for clients happen on the client's node; the owner only multiplexes.
import { randomUUID } from 'node:crypto'
import type { Logger } from '../../plugins/contract.ts'
import type { IncomingRequest, Responder } from '../http.ts'
import { rpcHttpError } from '../mcp/body.ts'
import { type UpstreamConnection, UpstreamError } from '../mcp/connection.ts'
import { classify, errorMessage, idKey, RpcCodes, type RpcId, resultMessage } from '../mcp/json-rpc.ts'
import { LIST_METHODS } from '../mcp/list-cache.ts'
import type { Relay } from '../mcp/relay.ts'
import { Session } from '../mcp/session.ts'
import { type KeepaliveTicker, SSE_HEADERS, SseChannel } from '../mcp/sse.ts'
import type { ServerSpec, SharedPlacement } from '../mcp/supervisor.ts'
import { LATEST_VERSION } from '../mcp/versions.ts'
import { StreamableHttpTransport } from '../upstream/streamable-http.ts'
import type { UpstreamTransport } from '../upstream/transport.ts'
import type { NodeAuth } from './hmac.ts'
import type { NodeRegistry } from './registry.ts'

export const UPSTREAM_PREFIX = '/_mcpo/cluster/upstream'

const JSON_TYPE = { 'content-type': 'application/json' }

export interface UpstreamRelayOptions {
  registry: NodeRegistry
  auth: NodeAuth
  relay: () => Relay
  ticker: KeepaliveTicker
  connectTimeoutMs: number
  logger: Logger
}

export class UpstreamRelay implements SharedPlacement {
  /** Peer sessions on this node (as owner), by the id handed out on their initialize. */
  private readonly peers = new Map<string, Session>()
  /** Transports to other owners, by owner node, so a dead owner's can be closed at once (the runtime then re-places). */
  private readonly remotes = new Map<string, Set<UpstreamTransport>>()

  constructor(private readonly opts: UpstreamRelayOptions) {}

  // --- the client side: where does a shared stdio upstream run? ---

  async place(spec: ServerSpec): Promise<UpstreamTransport | null> {
    const { owner, address } = await this.opts.registry.acquire(spec.projectId, spec.name)
    if (owner === this.opts.registry.nodeId) return null
    if (!address) throw new Error('its lease owner is not reachable yet')
    // No check against this node's live set: a lease another node holds has not expired, so its owner renewed it
    // within deadAfterMs, which is fresher news than the live set of this node's last heartbeat (a node that joined
    // since then is missing from it). A dead owner's lease expires as it would leave the live set.
    const url = `${address.replace(/\/$/, '')}${UPSTREAM_PREFIX}/${encodeURIComponent(spec.projectId)}/${encodeURIComponent(spec.name)}`
    this.opts.logger.info({ project: spec.projectId, server: spec.name, owner }, 'shared upstream runs on another node')
    const transport = new StreamableHttpTransport({
      url,
      interceptor: this.opts.auth.interceptor(),
      connectTimeoutMs: this.opts.connectTimeoutMs,
      deleteTimeoutMs: this.opts.connectTimeoutMs,
      reconnect: { initialMs: 250, maxMs: 2000, factor: 2 },
      logger: this.opts.logger,
    })
    let set = this.remotes.get(owner)
    if (!set) {
      set = new Set()
      this.remotes.set(owner, set)
    }
    const owned = set
    owned.add(transport)
    // The connection owns the transport's onclose; wrapping close() is how the set forgets it on every path.
    const close = transport.close.bind(transport)
    transport.close = () => {
      owned.delete(transport)
      return close()
    }
    return transport
  }

  adopt(spec: ServerSpec, conn: UpstreamConnection): void {
    this.opts.registry.adopt(spec.projectId, spec.name, () => conn.state !== 'closed')
  }

  /**
   * Nodes that stopped sending heartbeats: transports to them close, so each runtime restarts and re-places (taking
   * the lease over once it expires); their streamless peer sessions here close, so an idle upstream can stop.
   */
  nodesGone(ids: string[]): void {
    for (const id of ids) {
      const set = this.remotes.get(id)
      this.remotes.delete(id)
      for (const t of set ?? []) void t.close().catch(() => {})
      // A peer that still holds its stream open is alive whatever its heartbeat says: only streamless ones go.
      for (const s of [...this.peers.values()]) {
        if (s.principalId === `node:${id}` && (!s.channel || s.channel.closed)) s.close('peer node is gone')
      }
    }
  }

  // --- the owner side: the internal endpoint peers talk to ---

  async handle(req: IncomingRequest, res: Responder, params: Record<string, string>, peer: string): Promise<void> {
    const { projectId, serverName } = params
    const rt = this.opts.relay().runtime(projectId, serverName)
    if (rt?.spec.transport !== 'stdio' || rt.isolation !== 'shared') {
      return rpcHttpError(res, 404, RpcCodes.SESSION_NOT_FOUND, 'no shared stdio server here')
    }
    const sid = req.headers['mcp-session-id']
    if (req.method === 'DELETE') {
      const s = sid ? this.peers.get(sid) : undefined
      s?.close('peer ended its session')
      return res.send(s ? 200 : 404, null)
    }
    if (req.method === 'GET') {
      const s = sid ? this.peers.get(sid) : undefined
      if (!s) return rpcHttpError(res, 404, RpcCodes.SESSION_NOT_FOUND, 'Session not found')
      const channel = new SseChannel(res.stream(200, { ...SSE_HEADERS, 'mcp-session-id': s.id }), this.opts.ticker)
      s.channel?.end()
      s.channel = channel
      channel.raw(': stream open\n\n')
      // The stream of a dead peer breaks with its socket; without a heartbeat either, the session is over.
      channel.stream.onClose(() => {
        if (!this.opts.registry.isLive(peer)) s.close('peer node is gone')
      })
      return
    }
    let value: unknown
    try {
      value = JSON.parse(req.body?.toString('utf8') ?? '')
    } catch {
      return rpcHttpError(res, 400, RpcCodes.PARSE_ERROR, 'Parse error')
    }
    const raw = req.body?.toString('utf8') ?? ''
    const c = classify(value)
    if (c.kind === 'invalid') return rpcHttpError(res, 400, RpcCodes.INVALID_REQUEST, c.reason)
    if (c.kind === 'request' && c.msg.method === 'initialize') {
      return this.initialize(res, projectId, serverName, peer, c.msg.id)
    }
    const session = sid ? this.peers.get(sid) : undefined
    if (!session) return rpcHttpError(res, 404, RpcCodes.SESSION_NOT_FOUND, 'Session not found')
    session.lastActivity = Date.now()
    if (c.kind === 'notification') {
      if (c.msg.method === 'notifications/cancelled') {
        const requestId = (c.msg.params as { requestId?: RpcId } | undefined)?.requestId
        const inflight = requestId === undefined ? undefined : session.inflight.get(idKey(requestId))
        if (inflight && requestId !== undefined) {
          session.inflight.delete(idKey(requestId))
          inflight.cancel('cancelled by the client')
        }
      }
      return res.send(202, null)
    }
    if (c.kind === 'response') return res.send(202, null)
    const msg = c.msg
    let conn: UpstreamConnection
    try {
      conn = await rt.acquire(session)
    } catch (err) {
      const e = err instanceof UpstreamError ? err : new UpstreamError(RpcCodes.INTERNAL_ERROR, 'internal error')
      return res.send(200, JSON_TYPE, errorMessage(msg.id, e.rpcCode, e.message, e.data))
    }
    const params_ = msg.params ?? {}
    try {
      const listKey = LIST_METHODS[msg.method]
      if (listKey) return res.send(200, JSON_TYPE, resultMessage(msg.id, { [listKey]: await conn.list(msg.method) }))
      if (msg.method === 'ping') return res.send(200, JSON_TYPE, resultMessage(msg.id, {}))
      if (msg.method === 'resources/subscribe' || msg.method === 'resources/unsubscribe') {
        const uri = typeof params_.uri === 'string' ? params_.uri : ''
        if (msg.method === 'resources/subscribe') await conn.subscribe(session, uri)
        else await conn.unsubscribe(session, uri)
        return res.send(200, JSON_TYPE, resultMessage(msg.id, {}))
      }
      if (msg.method === 'logging/setLevel') {
        session.logLevel = typeof params_.level === 'string' ? params_.level : null
        await conn.syncLogLevel()
        return res.send(200, JSON_TYPE, resultMessage(msg.id, {}))
      }
    } catch (err) {
      const e = err instanceof UpstreamError ? err : new UpstreamError(RpcCodes.INTERNAL_ERROR, (err as Error).message)
      return res.send(200, JSON_TYPE, errorMessage(msg.id, e.rpcCode, e.message, e.data))
    }
    // Everything else may send progress first: an SSE answer that ends after the response.
    const channel = new SseChannel(res.stream(200, { ...SSE_HEADERS, 'mcp-session-id': session.id }), this.opts.ticker)
    conn.forward(
      session,
      {
        send: (json) => {
          if (!channel.closed) channel.send(json)
        },
        respond: (json) => {
          if (channel.closed) return
          channel.send(json)
          channel.end()
        },
        get closed() {
          return channel.closed
        },
      },
      msg,
      raw,
    )
  }

  private async initialize(
    res: Responder,
    projectId: string,
    serverName: string,
    peer: string,
    id: RpcId,
  ): Promise<void> {
    // Only the lease holder serves; a peer that asks the wrong node retries after its restart backoff.
    const lease = await this.opts.registry.acquire(projectId, serverName).catch(() => null)
    if (!lease || lease.owner !== this.opts.registry.nodeId) {
      return rpcHttpError(res, 409, RpcCodes.UPSTREAM_UNAVAILABLE, 'this node does not hold the lease')
    }
    const session = new Session({
      id: `peer.${randomUUID()}`,
      projectId,
      serverName,
      principalId: `node:${peer}`,
      principalKind: 'node',
      transport: 'streamable',
      protocolVersion: LATEST_VERSION,
      now: Date.now(),
    })
    // list_changed and resource updates reach the peer on its GET stream from the start.
    session.initialized = true
    const rt = this.opts.relay().runtime(projectId, serverName)
    let conn: UpstreamConnection
    try {
      if (!rt) throw new UpstreamError(RpcCodes.UPSTREAM_UNAVAILABLE, 'no such server')
      conn = await rt.acquire(session)
    } catch (err) {
      const e = err instanceof UpstreamError ? err : new UpstreamError(RpcCodes.INTERNAL_ERROR, 'internal error')
      return res.send(200, JSON_TYPE, errorMessage(id, e.rpcCode, e.message, e.data))
    }
    this.peers.set(session.id, session)
    session.onClose(() => this.peers.delete(session.id))
    const init = conn.initializeResult
    res.send(200, { ...JSON_TYPE, 'mcp-session-id': session.id }, resultMessage(id, init))
  }

  /** This node stops: peers see their sessions end and re-place on their next start. */
  close(): void {
    for (const s of [...this.peers.values()]) s.close('node shutting down')
    for (const set of this.remotes.values()) for (const t of set) void t.close().catch(() => {})
    this.remotes.clear()
  }
}
