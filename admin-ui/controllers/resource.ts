// Loads data for a component: runs a loader when its inputs change (or on reload), with a fresh AbortSignal per
// run so a stale answer never lands, and keeps loading / value / error for the template. Optional polling.
import type { ReactiveController, ReactiveControllerHost } from 'lit'
import { ApiError, isAbort } from '../api-client.ts'

export interface ResourceOptions<T> {
  /** Loads the value; must pass `signal` to every request. */
  load: (signal: AbortSignal) => Promise<T>
  /** The inputs: the loader runs again when any of them changes (compared with ===). */
  deps?: () => readonly unknown[]
  /** Reload every this many ms while the host is connected (live status). */
  pollMs?: number
  /** Skip loading while this says so (e.g. a missing id). */
  enabled?: () => boolean
}

/**
 * @example
 * private servers = new Resource(this, {
 *   load: (signal) => this.api.get<Server[]>(`/api/projects/${this.projectId}/servers`, { signal }),
 *   deps: () => [this.projectId],
 * })
 */
export class Resource<T> implements ReactiveController {
  value: T | undefined = undefined
  error: ApiError | null = null
  loading = false
  private controller: AbortController | null = null
  private lastDeps: readonly unknown[] | null = null
  private timer: ReturnType<typeof setTimeout> | null = null
  private connected = false

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: ResourceOptions<T>,
  ) {
    host.addController(this)
  }

  /** True once a value arrived (a reload keeps showing the old one). */
  get ready(): boolean {
    return this.value !== undefined
  }

  hostConnected(): void {
    this.connected = true
    this.lastDeps = null
  }

  hostUpdate(): void {
    if (!this.connected) return
    const deps = this.options.deps?.() ?? []
    if (this.lastDeps && deps.length === this.lastDeps.length && deps.every((d, i) => d === this.lastDeps![i])) return
    const changed = this.lastDeps !== null
    this.lastDeps = deps
    // New inputs: the old value belongs to something else, so do not show it while loading.
    if (changed) this.value = undefined
    void this.run()
  }

  hostDisconnected(): void {
    this.connected = false
    this.controller?.abort()
    this.controller = null
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  /** Loads again now; resolves when this run ends. Quiet runs (polling) do not flip `loading`. */
  reload(quiet = false): Promise<void> {
    return this.run(quiet)
  }

  private async run(quiet = false): Promise<void> {
    if (this.options.enabled && !this.options.enabled()) return
    this.controller?.abort()
    const controller = new AbortController()
    this.controller = controller
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (!quiet) {
      this.loading = true
      this.host.requestUpdate()
    }
    try {
      const value = await this.options.load(controller.signal)
      if (controller.signal.aborted) return
      this.value = value
      this.error = null
    } catch (err) {
      if (controller.signal.aborted || isAbort(err)) return
      this.error = err instanceof ApiError ? err : new ApiError(0, 'MCPO_ERR_CLIENT', (err as Error).message)
    } finally {
      if (this.controller === controller) {
        this.loading = false
        this.controller = null
        if (this.connected && this.options.pollMs) {
          this.timer = setTimeout(() => void this.run(true), this.options.pollMs)
        }
        this.host.requestUpdate()
      }
    }
  }
}
