// Sign-in throttling that an attacker cannot turn against an account's owner: failures count per (account, client
// address), so five wrong passwords from one place lock that place out, not the account. Guessing stays slow: an
// address that fails on many accounts is stopped too, and an account failing from many addresses at once (a
// distributed guess) is spaced to one attempt a second, except from addresses it recently signed in from.
import { isIPv6 } from 'node:net'
import type { Clock } from '../contract.ts'

export interface ThrottleOptions {
  windowMs: number
  /** Failures of one account from one address within the window; then that pair waits. */
  maxPerPair: number
  /** Failures from one address on any accounts within the window; then the address waits. */
  maxPerAddress: number
  /** Failures of one account from all addresses within the window, past which its attempts are spaced. */
  maxPerAccount: number
  /** The spacing: at most one attempt per this many ms on the account, from addresses it has not signed in from. */
  accountSpacingMs: number
  /** How long a successful sign-in from an address exempts that address from the account's spacing. */
  knownForMs: number
  /** Bound on the addresses and accounts tracked: a spread of addresses must not grow memory without end. */
  maxKeys: number
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  windowMs: 15 * 60_000,
  maxPerPair: 5,
  maxPerAddress: 20,
  maxPerAccount: 100,
  accountSpacingMs: 1000,
  knownForMs: 30 * 24 * 3_600_000,
  maxKeys: 100_000,
}

export class SignInThrottle {
  private readonly failures = new Map<string, number[]>()
  /** When each account over its limit last let an attempt through. */
  private readonly lastTry = new Map<string, number>()
  /** (account, address) pairs that signed in, and when. */
  private readonly known = new Map<string, number>()
  private readonly opts: ThrottleOptions

  constructor(
    options: Partial<ThrottleOptions> = {},
    private readonly clock: Clock = { now: Date.now },
  ) {
    this.opts = { ...DEFAULT_THROTTLE, ...options }
  }

  /**
   * Seconds to wait before trying again, or 0 when a sign-in may be attempted now. For an account whose attempts are
   * being spaced, a 0 takes the next slot.
   */
  retryAfter(account: string, ip: string): number {
    const now = this.clock.now()
    const address = addressKey(ip)
    const pair = `${account}\n${address}`
    const wait = Math.max(
      this.wait(`p:${pair}`, this.opts.maxPerPair, now),
      this.wait(`i:${address}`, this.opts.maxPerAddress, now),
    )
    if (wait > 0) return wait
    if (this.recent(`a:${account}`, now).length < this.opts.maxPerAccount) return 0
    const signedInAt = this.known.get(pair)
    if (signedInAt !== undefined && now - signedInAt < this.opts.knownForMs) return 0
    const gap = (this.lastTry.get(account) ?? Number.NEGATIVE_INFINITY) + this.opts.accountSpacingMs - now
    if (gap > 0) return Math.ceil(gap / 1000)
    this.remember(this.lastTry, account, now)
    return 0
  }

  fail(account: string, ip: string): void {
    const now = this.clock.now()
    const address = addressKey(ip)
    this.record(`p:${account}\n${address}`, this.opts.maxPerPair, now)
    this.record(`i:${address}`, this.opts.maxPerAddress, now)
    this.record(`a:${account}`, this.opts.maxPerAccount, now)
  }

  /** The pair's failures are forgotten and the address is known to the account; others' failures stay counted. */
  succeed(account: string, ip: string): void {
    const pair = `${account}\n${addressKey(ip)}`
    this.failures.delete(`p:${pair}`)
    this.remember(this.known, pair, this.clock.now())
  }

  private wait(key: string, max: number, now: number): number {
    const list = this.recent(key, now)
    if (list.length < max) return 0
    return Math.ceil((list[list.length - max] + this.opts.windowMs - now) / 1000)
  }

  /** Keeps only the newest `max` times of a key: enough to decide, bounded however hard it is hit. */
  private record(key: string, max: number, now: number): void {
    const list = this.recent(key, now)
    list.push(now)
    if (list.length > max) list.splice(0, list.length - max)
    this.remember(this.failures, key, list)
  }

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.opts.windowMs)
    if (list.length === 0) this.failures.delete(key)
    return list
  }

  /** Sets a key as the newest entry, dropping the oldest past `maxKeys`. */
  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key)
    if (map.size >= this.opts.maxKeys) {
      const oldest = map.keys().next()
      if (!oldest.done) map.delete(oldest.value)
    }
    map.set(key, value)
  }
}

/**
 * Who an address stands for: IPv4 as is (also when IPv4-mapped), IPv6 by its /64, which a single client is usually
 * given whole and could otherwise walk through to dodge per-address limits.
 */
export function addressKey(ip: string): string {
  const bare = ip.split('%')[0].toLowerCase()
  if (!isIPv6(bare)) return bare
  const g = ipv6Groups(bare)
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return [g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255].join('.')
  }
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted quad as two groups). */
function ipv6Groups(addr: string): number[] {
  const parse = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((x) => {
          if (!x.includes('.')) return [Number.parseInt(x, 16)]
          const [a, b, c, d] = x.split('.').map(Number)
          return [(a << 8) | b, (c << 8) | d]
        })
  const gap = addr.indexOf('::')
  if (gap === -1) return parse(addr)
  const head = parse(addr.slice(0, gap))
  const tail = parse(addr.slice(gap + 2))
  return [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail]
}
