// Per-address limits on the authorization server's endpoints that cost work or guess secrets (token, registration,
// revocation, authorization): a fixed window per address, so a client hammering the token endpoint with codes or
// refresh tokens gets 429 long before it matters, and one address cannot fill the registration table.

export class WindowThrottle {
  private readonly windows = new Map<string, { start: number; count: number }>()

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** 0 when the request may go on; else the milliseconds until the address's window opens again. */
  take(key: string): number {
    const now = this.now()
    let w = this.windows.get(key)
    if (!w || now - w.start >= this.windowMs) {
      if (this.windows.size > 100_000) this.sweep(now)
      w = { start: now, count: 0 }
      this.windows.set(key, w)
    }
    w.count++
    return w.count > this.limit ? w.start + this.windowMs - now : 0
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(k)
  }
}
