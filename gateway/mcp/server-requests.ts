// Requests an upstream sends to its client (sampling, elicitation, roots, ping). `ping` is answered by mcpo; the rest
// go to the client of the request they belong to (the one whose POST stream carried them, or the one client of a
// per-session upstream) under an id of mcpo's, and its answer goes back under the upstream's id. A request nobody can
// be found for is refused at once, so the upstream never waits for an answer that cannot come (protocol.md §11.3 L1).
import { errorMessage, RpcCodes, type RpcId, type RpcMessage, replaceTopLevelId, resultMessage } from './json-rpc.ts'
import type { ClientSink, Session } from './session.ts'

/** A request the client was asked and has not answered: where it went, so a cancel can follow it. */
interface Asked {
  clientId: string
  owner: Session
  via: ClientSink | null
}

/** The client request a server→client request arrived for, when the upstream said. */
export interface Related {
  sink: ClientSink | null
  session: Session | null
}

/** Client-facing ids, unique per process: one unified session hears from several upstreams. */
let seq = 0

export class ServerRequests {
  /** By the upstream's id (as JSON text). */
  private readonly asked = new Map<string, Asked>()

  constructor(
    /** Sends a message to the upstream. */
    private readonly toUpstream: (text: string) => void,
    /** The session of a per-session upstream; undefined for a shared one, whose requests need a related request. */
    private readonly owner: () => Session | undefined,
    /** Told why a request was refused without asking anyone. */
    private readonly refused: (method: string, why: string) => void = () => {},
  ) {}

  /**
   * `related` is the client request the upstream was serving when it asked: the question goes on that request's own
   * stream, else on the session's stream; with neither open the upstream is refused at once instead of waiting.
   */
  handle(msg: RpcMessage & { id: RpcId; method: string }, text: string, related: Related | null = null): void {
    if (msg.method === 'ping') {
      this.toUpstream(resultMessage(msg.id, {}))
      return
    }
    const owner = this.owner() ?? related?.session ?? undefined
    const refuse = (why: string) => {
      this.refused(msg.method, why)
      this.toUpstream(errorMessage(msg.id, RpcCodes.METHOD_NOT_FOUND, `${msg.method} is not available: ${why}`))
    }
    if (!owner || owner.closed) {
      refuse('mcpo shares this server between clients and cannot tell which of them this request is for')
      return
    }
    const clientId = `mcpo-${++seq}`
    const upstreamId = JSON.stringify(msg.id)
    owner.serverRequests.set(clientId, (response) => {
      this.asked.delete(upstreamId)
      this.toUpstream(replaceTopLevelId(response.raw, upstreamId) ?? response.raw)
    })
    const json = replaceTopLevelId(text, JSON.stringify(clientId)) ?? JSON.stringify({ ...msg, id: clientId })
    const via = related?.sink ?? null
    const onRequestStream = via !== null && !via.closed && via.request?.(json) === true
    if (onRequestStream || owner.notify(json)) {
      this.asked.set(upstreamId, { clientId, owner, via: onRequestStream ? via : null })
      // A client that goes away unanswered leaves the upstream waiting for nothing: it is told instead.
      owner.onClose(() => {
        if (this.asked.get(upstreamId)?.clientId !== clientId) return
        this.asked.delete(upstreamId)
        this.toUpstream(errorMessage(msg.id, RpcCodes.UPSTREAM_CLOSED, 'the client went away before answering'))
      })
      return
    }
    owner.serverRequests.delete(clientId)
    refuse('the client has no open stream on which mcpo could ask it')
  }

  /**
   * The upstream gave up on a request it asked the client (`notifications/cancelled`): the client is told under the id
   * it saw, on the stream the request went to, and its late answer is dropped. False when the cancel is not about one.
   */
  cancelled(msg: RpcMessage & { method: string }): boolean {
    const requestId = (msg.params as { requestId?: unknown } | undefined)?.requestId
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return false
    const key = JSON.stringify(requestId)
    const asked = this.asked.get(key)
    if (!asked) return false
    this.asked.delete(key)
    asked.owner.serverRequests.delete(asked.clientId)
    const json = JSON.stringify({ ...msg, params: { ...msg.params, requestId: asked.clientId } })
    if (asked.via !== null && !asked.via.closed) asked.via.send(json)
    else asked.owner.notify(json)
    return true
  }
}
