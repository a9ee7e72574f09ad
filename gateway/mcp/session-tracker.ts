// Client session tracking: for every MCP session, the client (its MCP clientInfo, else the User-Agent), IP, principal,
// and request and failure counts. Counted in memory on the hot path; written to client_sessions in batches.
import type { Exchange, Logger } from '../../plugins/contract.ts'
import type { ClientSessionInput, Store } from '../../plugins/storage/port.ts'
import type { Session } from './session.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

interface Entry {
  row: ClientSessionInput & { requestCount: number; failureCount: number }
  /** Epoch ms of the last request; `row.lastSeenAt` is made from it when written, not on every request. */
  lastSeenMs: number
  dirty: boolean
}

/** `Cline/3.17.0 (…)` → Cline, 3.17.0: the product token of a User-Agent, for clients that send no clientInfo. */
export function clientFromUserAgent(ua: string | undefined): { name: string; version: string | null } | null {
  const m = ua ? /^\s*([A-Za-z][\w.-]{0,63})(?:\/([\w.+-]{1,40}))?/.exec(ua) : null
  return m ? { name: m[1], version: m[2] ?? null } : null
}

/** One session's counters, as `request` hands them out for its `failed` to count an answer. */
export type SessionCounter = Entry

export class SessionTracker {
  private readonly entries = new Map<string, Entry>()
  private timer: NodeJS.Timeout | null = null
  private writing: Promise<void> = Promise.resolve()

  constructor(
    private readonly store: Store,
    private readonly nodeId: string,
    private readonly log: Logger,
    private readonly flushMs = 2000,
  ) {}

  /** One client request on `session`; pass the returned counter to `failed` when its answer is an error. */
  request(session: Session, ex: Exchange): SessionCounter {
    const entry = this.entries.get(session.id) ?? this.open(session, ex)
    const row = entry.row
    row.requestCount++
    entry.lastSeenMs = Date.now()
    if (session.clientInfo?.name && row.clientName !== session.clientInfo.name) {
      row.clientName = session.clientInfo.name.slice(0, 200)
      row.clientVersion = session.clientInfo.version?.slice(0, 100) ?? null
    }
    entry.dirty = true
    this.schedule()
    return entry
  }

  /** The answer to a request counted by `request` was a JSON-RPC error or a tool result flagged `isError`. */
  failed(entry: SessionCounter): void {
    entry.row.failureCount++
    entry.dirty = true
  }

  private open(session: Session, ex: Exchange): Entry {
    const ua = ex.headers['user-agent']
    const fromUa = clientFromUserAgent(ua)
    const p = ex.principal
    const now = new Date()
    const entry: Entry = {
      row: {
        id: session.id,
        projectId: session.projectId,
        serverName: session.serverName,
        nodeId: this.nodeId,
        transport: session.transport,
        clientName: session.clientInfo?.name ?? fromUa?.name ?? null,
        clientVersion: session.clientInfo?.version ?? fromUa?.version ?? null,
        userAgent: ua ? ua.slice(0, 500) : null,
        ip: ex.ip,
        principalId: p?.id ?? session.principalId,
        keyId: p?.kind === 'api-key' && UUID.test(p.id) ? p.id : null,
        requestCount: 0,
        failureCount: 0,
        createdAt: now,
        lastSeenAt: now,
      },
      lastSeenMs: now.getTime(),
      dirty: true,
    }
    this.entries.set(session.id, entry)
    session.onClose(() => {
      entry.row.closedAt = new Date()
      entry.dirty = true
      this.schedule()
    })
    return entry
  }

  private schedule(): void {
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = null
      void this.flush()
    }, this.flushMs)
    this.timer.unref()
  }

  /** Writes every changed session; closed ones are then forgotten (their row stays). */
  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      const batch: ClientSessionInput[] = []
      for (const [id, e] of this.entries) {
        if (e.dirty) batch.push({ ...e.row, lastSeenAt: new Date(e.lastSeenMs) })
        e.dirty = false
        if (e.row.closedAt) this.entries.delete(id)
      }
      if (batch.length === 0) return
      try {
        await this.store.clientSessions.upsert(batch)
      } catch (err) {
        // Counters are absolute: the next flush writes the latest values, so marking them dirty again loses nothing.
        for (const b of batch) {
          const e = this.entries.get(b.id)
          if (e) e.dirty = true
          else
            this.entries.set(b.id, {
              row: b as Entry['row'],
              lastSeenMs: b.lastSeenAt?.getTime() ?? Date.now(),
              dirty: true,
            })
        }
        this.log.warn({ err, sessions: batch.length }, 'writing client sessions failed; will retry')
        this.schedule()
      }
    })
    return this.writing
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    await this.flush()
  }
}
