// Paging for every control-plane list: `limit` (1–200, default 50) and `offset` in the query, and one answer shape,
// `{ items, total, limit, offset, nextOffset }`, so clients page every list the same way.
import { z } from 'zod'

export const MAX_PAGE_SIZE = 200
export const DEFAULT_PAGE_SIZE = 50

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
})
export type PageQuery = z.infer<typeof pageQuery>

/** A yes/no query flag. `z.coerce.boolean()` would read the string 'false' as true. */
export const queryFlag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1')

export interface Page<T> {
  items: T[]
  /** Null when counting would cost a second scan (a filtered user search). */
  total: number | null
  limit: number
  offset: number
  /** The offset of the next page, or null on the last one. */
  nextOffset: number | null
}

/** The documented shape of a page of `item`. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int().nullable(),
    limit: z.number().int(),
    offset: z.number().int(),
    nextOffset: z.number().int().nullable(),
  })
}

/** Pages an in-memory list (lists that are per project or per team, so bounded). */
export function paginate<T, U>(all: readonly T[], q: PageQuery, map: (row: T) => U): Page<U> {
  const items = all.slice(q.offset, q.offset + q.limit).map(map)
  const end = q.offset + items.length
  return { items, total: all.length, limit: q.limit, offset: q.offset, nextOffset: end < all.length ? end : null }
}
