// The lists an upstream offers (tools, prompts, resources, templates), de-paginated and cached per connection until
// the upstream says one changed. Clients page through nothing: mcpo answers every list whole (protocol.md §4.7).

/** List methods and the result field that holds their items. */
export const LIST_METHODS: Readonly<Record<string, string>> = {
  'tools/list': 'tools',
  'prompts/list': 'prompts',
  'resources/list': 'resources',
  'resources/templates/list': 'resourceTemplates',
}

/** Which cached lists each list_changed notification invalidates. */
const LIST_CHANGED: Readonly<Record<string, readonly string[]>> = {
  'notifications/tools/list_changed': ['tools/list'],
  'notifications/prompts/list_changed': ['prompts/list'],
  'notifications/resources/list_changed': ['resources/list', 'resources/templates/list'],
}

/** Items a de-paginated list may hold before mcpo stops fetching pages. */
const LIST_CAP = 10_000
/** Pages fetched at most, so an upstream that hands out cursors forever cannot keep a list open. */
const PAGE_CAP = 1000

/** One page request to the upstream: resolves with the list result (`{ tools: [...], nextCursor? }`). */
export type FetchPage = (method: string, cursor: string | undefined) => Promise<unknown>

interface Cached {
  items: Promise<unknown[]>
  /** When the upstream's `ttlMs` runs out; Infinity while in flight or when it gave none (2025-era servers). */
  expiresAt: number
}

export class ListCache {
  private readonly lists = new Map<string, Cached>()

  constructor(
    private readonly fetchPage: FetchPage,
    private readonly capped: (method: string, items: number) => void,
  ) {}

  /**
   * A complete list; concurrent callers share one fetch, and a failed fetch is forgotten so the next one retries. A
   * list the upstream gave a `ttlMs` (2026-07-28) is fetched again once that has passed, except for `stale` lookups
   * (a tool's definition for mcpo's own checks), which take the last list rather than cost the upstream a fetch.
   */
  get(method: string, stale = false): Promise<unknown[]> {
    const cached = this.lists.get(method)
    if (cached && (stale || cached.expiresAt > Date.now())) return cached.items
    const entry: Cached = {
      items: this.fetchAll(method, (ttlMs) => (entry.expiresAt = Date.now() + ttlMs)),
      expiresAt: Infinity,
    }
    this.lists.set(method, entry)
    entry.items.catch(() => {
      if (this.lists.get(method) === entry) this.lists.delete(method)
    })
    return entry.items
  }

  /** Drops what a list_changed notification names; returns false for any other notification. */
  invalidate(notification: string): boolean {
    const methods = LIST_CHANGED[notification]
    if (!methods) return false
    for (const m of methods) this.lists.delete(m)
    return true
  }

  private async fetchAll(method: string, expires: (ttlMs: number) => void): Promise<unknown[]> {
    const key = LIST_METHODS[method]
    const items: unknown[] = []
    let cursor: string | undefined
    let ttl: number | undefined
    try {
      for (let page = 0; page < PAGE_CAP; page++) {
        const result = (await this.fetchPage(method, cursor)) as Record<string, unknown> | null
        // The list lives as long as its shortest-lived page.
        const pageTtl = result?.ttlMs
        if (typeof pageTtl === 'number' && pageTtl >= 0) ttl = Math.min(ttl ?? pageTtl, pageTtl)
        const got = result?.[key]
        if (Array.isArray(got)) items.push(...got)
        cursor = typeof result?.nextCursor === 'string' ? result.nextCursor : undefined
        if (cursor === undefined) return items
        if (items.length >= LIST_CAP) {
          this.capped(method, items.length)
          return items
        }
      }
      return items
    } finally {
      if (ttl !== undefined) expires(ttl)
    }
  }
}
