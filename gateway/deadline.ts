// One way to bound a promise in time, so every timeout in mcpo fails the same way and clears its timer.

/** Rejects with `onTimeout()` if `promise` has not settled within `ms`; the timer is cleared as soon as it settles. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
