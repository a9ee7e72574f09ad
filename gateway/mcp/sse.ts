// Server-sent events toward clients: message framing, and one shared keepalive ticker for every open stream.
import type { HeaderMap, ResponseStream } from '../http.ts'

export const SSE_HEADERS: HeaderMap = Object.freeze({
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
})

/** One `message` event. JSON from upstreams may hold raw newlines (pretty-printed), which SSE needs split into data lines. */
export function sseEvent(data: string, event = 'message'): string {
  if (data.indexOf('\n') === -1 && data.indexOf('\r') === -1) return `event: ${event}\ndata: ${data}\n\n`
  return `event: ${event}\ndata: ${data.split(/\r\n|\r|\n/).join('\ndata: ')}\n\n`
}

const KEEPALIVE = ': keepalive\n\n'

/** An open SSE response. Writes count as activity, so keepalives go only to streams that were quiet. */
export class SseChannel {
  lastWrite = Date.now()
  private readonly ticker: KeepaliveTicker

  constructor(
    readonly stream: ResponseStream,
    ticker: KeepaliveTicker,
  ) {
    this.ticker = ticker
    ticker.add(this)
    stream.onClose(() => ticker.remove(this))
  }

  get closed(): boolean {
    return this.stream.closed
  }

  send(json: string, event?: string): boolean {
    this.lastWrite = Date.now()
    return this.stream.write(sseEvent(json, event))
  }

  raw(text: string): boolean {
    this.lastWrite = Date.now()
    return this.stream.write(text)
  }

  keepalive(now: number): void {
    this.lastWrite = now
    this.stream.write(KEEPALIVE)
  }

  /** Ends cleanly; `retryMs` tells the client when to reconnect (protocol.md §3: never close abruptly). */
  end(retryMs?: number): void {
    this.ticker.remove(this)
    this.stream.end(retryMs === undefined ? undefined : `retry: ${retryMs}\n\n`)
  }
}

/** One timer for all streams instead of one per stream: 10,000 idle sessions cost one interval. */
export class KeepaliveTicker {
  private readonly channels = new Set<SseChannel>()
  private timer: NodeJS.Timeout | null = null
  private readonly tickMs: number

  constructor(private readonly intervalMs: number) {
    this.tickMs = Math.max(25, Math.min(1000, Math.floor(intervalMs / 4)))
  }

  add(ch: SseChannel): void {
    this.channels.add(ch)
    if (this.timer === null) {
      this.timer = setInterval(() => this.tick(), this.tickMs)
      this.timer.unref()
    }
  }

  remove(ch: SseChannel): void {
    this.channels.delete(ch)
    if (this.channels.size === 0 && this.timer !== null) {
      clearInterval(this.timer)
      this.timer = null
    }
  }

  get size(): number {
    return this.channels.size
  }

  private tick(): void {
    const now = Date.now()
    // Fire one tick early so the gap between writes never exceeds the interval.
    const due = now - this.intervalMs + this.tickMs
    for (const ch of this.channels) if (ch.lastWrite <= due) ch.keepalive(now)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    this.channels.clear()
  }
}
