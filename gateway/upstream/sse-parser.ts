// Reads a server-sent event stream from an upstream, per the WHATWG HTML "event stream interpretation" algorithm:
// CR, LF and CRLF line ends, multi-line data, comments, `id` and `retry`. Byte chunks may split anything, even a CRLF.

export interface SseEvent {
  /** `message` unless the event named another type. */
  event: string
  data: string
  /** The last event id seen on this stream so far (sticky, as the spec says), if any. */
  id: string | undefined
}

export interface SseParserOptions {
  onevent: (event: SseEvent) => void
  /** The server asked for a reconnection delay (`retry: <ms>`). */
  onretry?: (ms: number) => void
  /** A comment line (`: text`), such as a keepalive; the text after the colon, one leading space removed. */
  oncomment?: (text: string) => void
  /**
   * An event (or a single line) exceeded `maxEventChars` and will be dropped. Called once per event, as soon as the
   * cap is passed (with the characters seen so far), so a reader can stop reading instead of skipping to its end.
   */
  onoversize?: (chars: number) => void
  /** Default 16 Mi characters. */
  maxEventChars?: number
}

export class SseParser {
  private readonly options: SseParserOptions
  private readonly max: number
  // TextDecoder strips one leading BOM by default, which is what the spec asks for.
  private readonly decoder = new TextDecoder('utf-8')
  private partial = ''
  private skippingLine = false
  private afterCR = false
  private data = ''
  private dataChars = 0
  private oversized = false
  private eventType = ''
  private lastEventId: string | undefined

  constructor(options: SseParserOptions) {
    this.options = options
    this.max = options.maxEventChars ?? 16 * 1024 * 1024
  }

  push(chunk: Uint8Array | string): void {
    this.feed(typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }))
  }

  /** End of stream: an event without its terminating blank line is discarded, as the spec says. */
  end(): void {
    this.feed(this.decoder.decode())
    this.partial = ''
    this.data = ''
    this.dataChars = 0
    this.eventType = ''
  }

  private feed(text: string): void {
    let pos = 0
    if (this.afterCR) {
      this.afterCR = false
      if (text.startsWith('\n')) pos = 1
    }
    // Cached search positions keep a chunk of many lines linear instead of quadratic.
    let lf = text.indexOf('\n', pos)
    let cr = text.indexOf('\r', pos)
    while (lf !== -1 || cr !== -1) {
      let end: number
      let next: number
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr
        next = cr + 1
        if (next === text.length) this.afterCR = true
        else if (text.charCodeAt(next) === 10) next++
      } else {
        end = lf
        next = lf + 1
      }
      this.line(this.skippingLine ? '' : this.partial + text.slice(pos, end), this.skippingLine)
      this.partial = ''
      this.skippingLine = false
      pos = next
      if (lf !== -1 && lf < pos) lf = text.indexOf('\n', pos)
      if (cr !== -1 && cr < pos) cr = text.indexOf('\r', pos)
    }
    if (pos < text.length && !this.skippingLine) {
      this.partial += text.slice(pos)
      if (this.partial.length > this.max) {
        this.skippingLine = true
        this.overflow(this.partial.length)
        this.partial = ''
      }
    }
  }

  private line(line: string, skipped: boolean): void {
    // A line too long to keep: whatever event it belonged to is dropped too (overflow() already marked it).
    if (skipped) return
    if (line === '') {
      this.dispatch()
      return
    }
    if (line.charCodeAt(0) === 58) {
      // ':' comment (keepalives)
      this.options.oncomment?.(line.charCodeAt(1) === 32 ? line.slice(2) : line.slice(1))
      return
    }
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.charCodeAt(0) === 32) value = value.slice(1)
    switch (field) {
      case 'event':
        this.eventType = value
        break
      case 'data':
        if (this.oversized) break
        this.dataChars += value.length + 1
        if (this.dataChars > this.max) {
          this.overflow(this.dataChars)
          this.data = ''
          break
        }
        this.data += value + '\n'
        break
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value
        break
      case 'retry':
        if (/^\d+$/.test(value)) this.options.onretry?.(Number(value))
        break
    }
  }

  private overflow(chars: number): void {
    if (this.oversized) return
    this.oversized = true
    this.options.onoversize?.(chars)
  }

  private dispatch(): void {
    const type = this.eventType || 'message'
    const data = this.data
    const oversized = this.oversized
    this.data = ''
    this.dataChars = 0
    this.eventType = ''
    this.oversized = false
    if (oversized || data === '') return
    this.options.onevent({ event: type, data: data.slice(0, -1), id: this.lastEventId })
  }
}
