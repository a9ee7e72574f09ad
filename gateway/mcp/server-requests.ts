// Requests an upstream sends to its client (sampling, elicitation, roots, ping). `ping` is answered by mcpo; the rest
// go to the one client of a per-session upstream under an id of mcpo's, and its answer goes back under the upstream's
// id. A shared upstream has no single client to ask, so it is told the method is not available.
import { errorMessage, RpcCodes, type RpcId, type RpcMessage, replaceTopLevelId, resultMessage } from './json-rpc.ts'
import type { Session } from './session.ts'

export class ServerRequests {
  private seq = 0

  constructor(
    /** Sends a message to the upstream. */
    private readonly toUpstream: (text: string) => void,
    /** The session allowed to answer, or undefined for a shared upstream. */
    private readonly owner: () => Session | undefined,
  ) {}

  handle(msg: RpcMessage & { id: RpcId; method: string }, text: string): void {
    if (msg.method === 'ping') {
      this.toUpstream(resultMessage(msg.id, {}))
      return
    }
    const owner = this.owner()
    if (!owner || owner.closed) {
      this.toUpstream(
        errorMessage(
          msg.id,
          RpcCodes.METHOD_NOT_FOUND,
          `${msg.method} is not available: mcpo shares this server between clients, so it cannot ask one of them`,
        ),
      )
      return
    }
    const clientId = `mcpo-${++this.seq}`
    const upstreamId = JSON.stringify(msg.id)
    owner.serverRequests.set(clientId, (response) =>
      this.toUpstream(replaceTopLevelId(response.raw, upstreamId) ?? response.raw),
    )
    const delivered = owner.notify(
      replaceTopLevelId(text, JSON.stringify(clientId)) ?? JSON.stringify({ ...msg, id: clientId }),
    )
    if (delivered) return
    // No stream to the client is open (or it cannot take requests): the upstream learns now rather than at its timeout.
    owner.serverRequests.delete(clientId)
    this.toUpstream(
      errorMessage(
        msg.id,
        RpcCodes.METHOD_NOT_FOUND,
        `${msg.method} is not available: the client has no open stream on which mcpo could ask it`,
      ),
    )
  }
}
