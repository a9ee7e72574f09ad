// The id table of one upstream connection: every request waiting on the upstream under a fresh upstream id, mapped
// back to who asked (a client's sink and original id, or mcpo itself), its deadline and its progress token.
import type { RpcId, RpcMessage } from './json-rpc.ts'
import { idKey } from './json-rpc.ts'
import type { ClientSink, Session } from './session.ts'

export interface Pending {
  originalId: RpcId
  method: string
  sink: ClientSink | null
  session: Session | null
  timer: NodeJS.Timeout
  /** The client's own progress token, restored on each progress notification (shared mode rewrites it). */
  progressToken?: { upstream: string | number; original: string | number }
  /** Set for mcpo's own requests (handshake, list pages): the answer settles a promise instead of reaching a sink. */
  resolve?: (msg: RpcMessage) => void
  reject?: (err: Error) => void
  /** A modern upstream's request: its params without the envelope, for a retry after `input_required` (U4). */
  params?: Record<string, unknown>
  /** Rounds of `input_required` this call has taken so far. */
  rounds?: number
}

export class RequestTable {
  private seq = 0
  private readonly byId = new Map<number, Pending>()
  private readonly byProgress = new Map<string | number, Pending>()

  /** The next upstream id; ids are never reused within a connection, so a late answer cannot reach a new request. */
  nextId(): number {
    return ++this.seq
  }

  add(id: number, entry: Pending): void {
    this.byId.set(id, entry)
    if (entry.progressToken) this.byProgress.set(entry.progressToken.upstream, entry)
  }

  get(id: number): Pending | undefined {
    return this.byId.get(id)
  }

  /** The request a progress notification belongs to, by the token the upstream saw. */
  progressOf(token: string | number): Pending | undefined {
    return this.byProgress.get(token)
  }

  /** Removes a request that got its answer (or never will): its timer stops and its client forgets it. */
  settle(id: number, entry: Pending): void {
    clearTimeout(entry.timer)
    this.byId.delete(id)
    if (entry.progressToken) this.byProgress.delete(entry.progressToken.upstream)
    entry.session?.inflight.delete(idKey(entry.originalId))
  }

  /** The one client request waiting here, when there is exactly one (else undefined). */
  only(): Pending | undefined {
    let found: Pending | undefined
    for (const entry of this.byId.values()) {
      if (entry.sink === null) continue
      if (found !== undefined) return undefined
      found = entry
    }
    return found
  }

  get size(): number {
    return this.byId.size
  }

  /** A snapshot, so callers may settle entries while they go through it. */
  entries(): [number, Pending][] {
    return [...this.byId]
  }
}
