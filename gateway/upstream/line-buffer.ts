// Newline framing for a byte stream (a child's stdout or stderr): whole lines out, across chunk boundaries, with a hard cap.
// Splitting bytes on 0x0A is safe for UTF-8: no multi-byte sequence contains that byte.

export interface LineBufferOptions {
  /** A line longer than this (in bytes, without its newline) is dropped whole. */
  maxLineBytes: number
  online: (line: string) => void
  /** An oversized line was dropped; `bytes` is how many bytes it had. */
  onoversize: (bytes: number) => void
}

export class LineBuffer {
  private readonly options: LineBufferOptions
  private chunks: Buffer[] = []
  private pending = 0
  // Set once the current line passes the cap: its bytes are counted, not kept, until the next newline.
  private discarding = false
  private discarded = 0

  constructor(options: LineBufferOptions) {
    this.options = options
  }

  push(chunk: Buffer): void {
    let start = 0
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start)
      if (nl === -1) {
        this.append(chunk.subarray(start))
        return
      }
      this.append(chunk.subarray(start, nl))
      this.finishLine()
      start = nl + 1
    }
  }

  /** End of stream: a last line without a newline is still handed over (the consumer validates it). */
  end(): void {
    if (this.pending > 0 || this.discarding) this.finishLine()
  }

  private append(part: Buffer): void {
    if (part.length === 0) return
    if (this.discarding) {
      this.discarded += part.length
      return
    }
    if (this.pending + part.length > this.options.maxLineBytes) {
      this.discarding = true
      this.discarded = this.pending + part.length
      this.chunks = []
      this.pending = 0
      return
    }
    this.chunks.push(part)
    this.pending += part.length
  }

  private finishLine(): void {
    if (this.discarding) {
      const bytes = this.discarded
      this.discarding = false
      this.discarded = 0
      this.options.onoversize(bytes)
      return
    }
    const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.pending)
    this.chunks = []
    this.pending = 0
    let end = buf.length
    if (end > 0 && buf[end - 1] === 0x0d) end--
    this.options.online(buf.toString('utf8', 0, end))
  }
}
