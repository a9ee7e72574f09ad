// Sign-in throttling: failures per account and per IP within a window; over the limit answers 429 + Retry-After.
import type { Clock } from '../contract.ts'

export interface ThrottleOptions {
  windowMs: number
  maxPerAccount: number
  maxPerIp: number
}

export const DEFAULT_THROTTLE: ThrottleOptions = { windowMs: 15 * 60_000, maxPerAccount: 5, maxPerIp: 20 }

export class SignInThrottle {
  private readonly failures = new Map<string, number[]>()

  constructor(
    private readonly opts: ThrottleOptions = DEFAULT_THROTTLE,
    private readonly clock: Clock = { now: Date.now },
  ) {}

  /** Seconds to wait before trying again, or 0 when a sign-in may be attempted. */
  retryAfter(account: string, ip: string): number {
    const now = this.clock.now()
    return Math.max(
      this.wait(`a:${account}`, this.opts.maxPerAccount, now),
      this.wait(`i:${ip}`, this.opts.maxPerIp, now),
    )
  }

  fail(account: string, ip: string): void {
    const now = this.clock.now()
    for (const key of [`a:${account}`, `i:${ip}`]) {
      const list = this.recent(key, now)
      list.push(now)
      this.failures.set(key, list)
    }
  }

  succeed(account: string): void {
    this.failures.delete(`a:${account}`)
  }

  private wait(key: string, max: number, now: number): number {
    const list = this.recent(key, now)
    if (list.length < max) return 0
    return Math.ceil((list[list.length - max] + this.opts.windowMs - now) / 1000)
  }

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.opts.windowMs)
    if (list.length === 0) this.failures.delete(key)
    return list
  }
}
