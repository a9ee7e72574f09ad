// Answers the hottest keyed reads of the control plane (a project by id, a membership) from memory while nothing
// they read from was written. Only the embedded store uses it: one process owns that database (the directory
// lock), so every write passes through here and invalidation is exact. A store shared by several processes
// (PostgreSQL) would see other writers' changes late, so it gets no cache.
import type { Row } from './sql.ts'

const WRITE = /^\s*(?:INSERT\s+INTO|UPDATE)\s+([a-z_][a-z0-9_]*)/i
const READ = /^\s*SELECT\b/i

export interface ReadCacheOptions {
  /** Entries older than this are read again, as a bound on any staleness the invalidation missed. */
  ttlMs?: number
  /** Past this many entries the cache starts over. */
  maxEntries?: number
  now?: () => number
}

interface Entry {
  rows: Row[]
  at: number
  stamp: string
}

export class ReadCache {
  private readonly entries = new Map<string, Entry>()
  private readonly generations = new Map<string, number>()
  private epoch = 0
  private readonly ttlMs: number
  private readonly maxEntries: number
  private readonly now: () => number
  hits = 0
  misses = 0

  constructor(options: ReadCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 5000
    this.maxEntries = options.maxEntries ?? 20_000
    this.now = options.now ?? Date.now
  }

  /**
   * Called for every statement before and after it runs. An INSERT or UPDATE invalidates its table; anything
   * else that is not a SELECT (DELETE with its cascades, WITH … UPDATE, DDL, savepoints) invalidates everything.
   */
  wrote(text: string): void {
    if (READ.test(text)) return
    const table = WRITE.exec(text)?.[1]
    if (table) this.wroteTable(table.toLowerCase())
    else this.clear()
  }

  /** Rows were added to `table` (a COPY): reads of it miss from now on. */
  wroteTable(table: string): void {
    this.generations.set(table, (this.generations.get(table) ?? 0) + 1)
  }

  /** A transaction ended (committed or rolled back): what it wrote became visible, or vanished. */
  clear(): void {
    this.epoch++
    this.entries.clear()
  }

  /** Rows for `key` if cached and current; otherwise runs `load` and keeps its rows unless a write overlapped it. */
  async read(tables: readonly string[], key: string, load: () => Promise<Row[]>): Promise<Row[]> {
    const stamp = this.stampOf(tables)
    const hit = this.entries.get(key)
    if (hit && hit.stamp === stamp && this.now() - hit.at < this.ttlMs) {
      this.hits++
      // Callers own the rows they get; a copy keeps their changes out of the cache.
      return structuredClone(hit.rows)
    }
    this.misses++
    const at = this.now()
    const rows = await load()
    if (this.stampOf(tables) === stamp) {
      if (this.entries.size >= this.maxEntries) this.entries.clear()
      this.entries.set(key, { rows: structuredClone(rows), at, stamp })
    }
    return rows
  }

  private stampOf(tables: readonly string[]): string {
    let stamp = String(this.epoch)
    for (const t of tables) stamp += `:${this.generations.get(t) ?? 0}`
    return stamp
  }
}
