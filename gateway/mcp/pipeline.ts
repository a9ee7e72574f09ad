// The one way a client request reaches a server, shared by the per-server and the unified endpoints (and so by
// both transports, cluster-forwarded requests and the admin UI's tool tester). The request was authenticated when
// its HTTP request was guarded; here it is authorized (`authorize`), offered to `onToolCall` hooks when it calls a
// tool, given an upstream connection, and forwarded. Its answer goes to the request's `Reply`, which observes it.
import type { Exchange, Logger } from '../../plugins/contract.ts'
import type { PluginHost } from '../../plugins/host.ts'
import type { SendOptions } from '../upstream/transport.ts'
import type { UpstreamConnection } from './connection.ts'
import { argumentsBytes, errorMessage, RpcCodes, type RpcId, type RpcMessage, resultMessage } from './json-rpc.ts'
import { LIST_METHODS } from './list-cache.ts'
import type { Reply } from './reply.ts'
import type { ServerLog } from './server-log.ts'
import type { ClientSink, Session } from './session.ts'
import type { ServerRuntime } from './supervisor.ts'
import { traceContext, traceHeaders, withTraceMeta } from './trace.ts'

export type Request = RpcMessage & { id: RpcId; method: string }

/** Where the pipeline finds a project's servers and their logs (the relay owns them). */
export interface ServerDirectory {
  runtime(projectId: string, serverName: string): ServerRuntime | undefined
  /** Enabled servers of a project, in name order. */
  runtimes(projectId: string): ServerRuntime[]
  serverLog(projectId: string, serverName: string): ServerLog
}

export interface PipelineOptions {
  plugins: PluginHost
  logger: Logger
  servers: ServerDirectory
}

/** Which call each list guards, and the field of a list item that call names. */
const LIST_GUARDS: Record<string, { method: string; field: string }> = {
  'tools/list': { method: 'tools/call', field: 'name' },
  'prompts/list': { method: 'prompts/get', field: 'name' },
  'resources/list': { method: 'resources/read', field: 'uri' },
}
const CALL_TARGETS: Record<string, { param: string; what: string }> = {
  'tools/call': { param: 'name', what: 'Tool' },
  'prompts/get': { param: 'name', what: 'Prompt' },
  'resources/read': { param: 'uri', what: 'Resource' },
}

export class Pipeline {
  constructor(private readonly opts: PipelineOptions) {}

  /** Sends one request to one server: calls checked first, lists from cache, subscriptions ref-counted. */
  async toServer(
    rt: ServerRuntime,
    session: Session,
    msg: Request,
    raw: string,
    reply: Reply,
    ex: Exchange,
  ): Promise<void> {
    // Only requests that wait on an upstream count; what mcpo answers itself (ping, initialize) never does.
    if (session.inflight.size >= session.maxInflight) {
      return reply.respond(
        errorMessage(
          msg.id,
          RpcCodes.LIMIT_REACHED,
          `Too many requests in flight: this session already waits on ${session.inflight.size}`,
          { retryAfterMs: 1000 },
        ),
      )
    }
    const params = msg.params ?? {}
    const method = msg.method
    const serverName = rt.spec.name
    const guarded = CALL_TARGETS[method]
    if (guarded) {
      const name = typeof params[guarded.param] === 'string' ? (params[guarded.param] as string) : ''
      if (method === 'tools/call') {
        const args = params.arguments
        reply.observeTool(serverName, name, args, args === undefined ? 0 : (argumentsBytes(raw) ?? jsonBytes(args)))
      }
      if (!(await this.admitted(session, serverName, msg, name, guarded.what, reply, ex))) return
    }
    const log = this.opts.servers.serverLog(session.projectId, serverName)
    let conn: UpstreamConnection
    try {
      conn = await rt.acquire(session.upstream)
    } catch (err) {
      log.failed((err as Error).message)
      throw err
    }
    const listKey = LIST_METHODS[method]
    if (listKey) {
      if (params.cursor !== undefined) {
        return reply.respond(errorMessage(msg.id, RpcCodes.INVALID_PARAMS, 'Invalid cursor'))
      }
      const items = await this.listFor(conn, method, session, ex, serverName).catch(async (err: unknown) => {
        // A remote session that expired (404) is re-initialized once and idempotent requests retried (protocol.md §4.8).
        if (!conn.sessionExpired) throw err
        await conn.whenClosed
        return this.listFor(await rt.acquire(session.upstream), method, session, ex, serverName)
      })
      return reply.respond(resultMessage(msg.id, { [listKey]: items }))
    }
    if (conn.holdsSubscriptions && (method === 'resources/subscribe' || method === 'resources/unsubscribe')) {
      const uri = typeof params.uri === 'string' ? params.uri : ''
      if (method === 'resources/subscribe') await conn.subscribe(session, uri)
      else await conn.unsubscribe(session, uri)
      return reply.respond(resultMessage(msg.id, {}))
    }
    reply.watchServer(log)
    let sendOptions: SendOptions | undefined
    const trace = traceContext(ex, params)
    if (trace && rt.spec.transport !== 'stdio') sendOptions = traceHeaders(trace)
    else if (trace) {
      const traced = withTraceMeta(msg, trace)
      if (traced) {
        msg = traced
        raw = JSON.stringify(traced)
      }
    }
    // A stateless request whose client left while the upstream was being reached is not sent at all.
    if (session.closed) return reply.cancelled('the client went away')
    const sink = method === 'resources/read' ? new RetryOnExpiry(rt, session, msg, raw, reply, conn) : reply
    conn.forward(session, sink, msg, raw, sendOptions)
  }

  /**
   * `authorize`, then for a tool call the `onToolCall` hooks. A refusal is answered here (as `denied` in the tool-call
   * record); returns whether the request may go on.
   */
  private async admitted(
    session: Session,
    serverName: string,
    msg: Request,
    name: string,
    what: string,
    reply: Reply,
    ex: Exchange,
  ): Promise<boolean> {
    const { plugins } = this.opts
    const projectId = session.projectId
    const decision = await plugins.authorize(ex, { projectId, serverName, method: msg.method, toolName: name })
    if (!decision.allow) {
      if (decision.status === 429) {
        reply.deny(
          errorMessage(msg.id, RpcCodes.LIMIT_REACHED, `Rate limited: ${decision.reason}`, {
            retryAfterMs: decision.retryAfterMs ?? 1000,
          }),
        )
      } else {
        reply.deny(
          errorMessage(msg.id, RpcCodes.INVALID_PARAMS, `${what} ${name} is not available: ${decision.reason}`),
        )
      }
      return false
    }
    if (msg.method !== 'tools/call' || plugins.hooks.onToolCall === null) return true
    const call = { projectId, serverName, toolName: name, principal: ex.principal, arguments: msg.params?.arguments }
    const refusal = await plugins.onToolCall(ex, call)
    if (refusal === null) return true
    this.opts.logger.info(
      {
        requestId: ex.requestId,
        project: projectId,
        server: serverName,
        tool: name,
        plugin: refusal.plugin,
        reason: refusal.reason,
      },
      'tool call refused by a plugin',
    )
    reply.deny(errorMessage(msg.id, refusal.code, `${what} ${name} was refused: ${refusal.reason}`, refusal.data))
    return false
  }

  /**
   * A server's list; tools, prompts and resources nobody may use are left out, by the same decision that guards
   * `tools/call`, `prompts/get` and `resources/read`.
   */
  async listFor(
    conn: UpstreamConnection,
    method: string,
    session: Session,
    ex: Exchange,
    serverName: string,
  ): Promise<unknown[]> {
    const items = await conn.list(method)
    const guarded = LIST_GUARDS[method]
    if (!guarded || this.opts.plugins.hooks.authorize === null) return items
    const allowed: unknown[] = []
    for (const item of items) {
      const name = (item as Record<string, unknown>)[guarded.field]
      const d = await this.opts.plugins.authorize(ex, {
        projectId: session.projectId,
        serverName,
        method: guarded.method,
        toolName: typeof name === 'string' ? name : '',
        listing: true,
      })
      if (d.allow) allowed.push(item)
    }
    return allowed
  }
}

/**
 * The sink of an idempotent request: if it fails because the remote upstream session expired (404), it is sent once
 * more on a new connection (protocol.md §4.8). tools/call never gets one, so it is never replayed.
 */
class RetryOnExpiry implements ClientSink {
  private retried = false

  constructor(
    private readonly rt: ServerRuntime,
    private readonly session: Session,
    private readonly msg: Request,
    private readonly raw: string,
    private readonly reply: Reply,
    private readonly conn: UpstreamConnection,
  ) {}

  send(json: string): void {
    this.reply.send(json)
  }

  request(json: string): boolean {
    return this.reply.request(json)
  }

  respond(json: string, parsed?: Pick<RpcMessage, 'error' | 'result'>): void {
    if (this.retried || !this.conn.sessionExpired || !isError(json, parsed)) {
      this.reply.respond(json, parsed)
      return
    }
    this.retried = true
    this.conn.whenClosed
      .then(() => this.rt.acquire(this.session.upstream))
      .then(
        (fresh) => fresh.forward(this.session, this.reply, this.msg, this.raw),
        () => this.reply.respond(json, parsed),
      )
  }

  cancelled(reason: string): void {
    this.reply.cancelled(reason)
  }

  get closed(): boolean {
    return this.reply.closed
  }
}

function isError(json: string, parsed: Pick<RpcMessage, 'error'> | undefined): boolean {
  return (parsed ?? (JSON.parse(json) as Pick<RpcMessage, 'error'>)).error !== undefined
}

/** Bytes of a value as JSON; 0 when it cannot be serialised, so the record is written regardless. */
function jsonBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value))
  } catch {
    // Only a value the edge should have refused (nesting past MAX_JSON_DEPTH) gets here: a record without its size
    // is better than none.
    return 0
  }
}
