// The audit hash chain: canonical form, hashing, and verification of what is stored (one chain per project).
import { createHash } from 'node:crypto'
import type { StoredAuditEvent as AuditEvent, NewAuditEvent, Store } from '../contract.ts'

/** The stored fields a hash covers, in the shape they round-trip through the database. */
const FIELDS = [
  'projectId',
  'teamId',
  'actorType',
  'actorId',
  'action',
  'targetType',
  'targetId',
  'before',
  'after',
  'ip',
  'userAgent',
  'requestId',
] as const

/** JSON with object keys sorted at every level, so jsonb's own key order cannot change a hash. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value instanceof Date) return JSON.stringify(value.toISOString())
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** SHA-256 (hex) over the canonical form of the stored fields, `createdAt` and `prevHash`. */
export function eventHash(e: NewAuditEvent | AuditEvent, prevHash: string | null): string {
  const doc: Record<string, unknown> = { prevHash, createdAt: toIso(e.createdAt) }
  for (const f of FIELDS) doc[f] = e[f] ?? null
  return createHash('sha256').update(canonicalJson(doc)).digest('hex')
}

function toIso(at: Date | undefined): string | null {
  return at ? at.toISOString() : null
}

export interface VerifyResult {
  ok: boolean
  /** Events checked. */
  checked: number
  /** Chains (projects, plus the one of events without a project) seen. */
  chains: number
  /** The lowest id whose hash or link does not match, and why. */
  broken: { id: number; projectId: string | null; reason: string } | null
}

/**
 * Walks the stored events newest first, page by page, and checks each hash and each link to the next older event
 * of the same chain. The oldest remaining event's `prevHash` is trusted, so retention purges do not break a chain.
 */
export async function verifyAuditChain(store: Store, projectId?: string): Promise<VerifyResult> {
  const newer = new Map<string, AuditEvent>()
  let checked = 0
  let broken: VerifyResult['broken'] = null
  const flag = (id: number, p: string | null, reason: string) => {
    if (broken === null || id < broken.id) broken = { id, projectId: p, reason }
  }
  let beforeId: number | undefined
  for (;;) {
    const page = await store.audit.list({ projectId, beforeId, limit: 1000 })
    if (page.length === 0) break
    for (const e of page) {
      checked++
      if (e.hash === null || eventHash(e, e.prevHash) !== e.hash) flag(e.id, e.projectId, 'hash does not match content')
      const chain = e.projectId ?? '\u0000global'
      const next = newer.get(chain)
      if (next && next.prevHash !== e.hash) flag(next.id, next.projectId, `prev_hash does not match event ${e.id}`)
      newer.set(chain, e)
    }
    beforeId = page[page.length - 1].id
  }
  return { ok: broken === null, checked, chains: newer.size, broken }
}

/**
 * Appends one event to its project's chain from outside the audit plugin (the CLI's `config apply`). A gateway
 * writing the same chain at the same moment could fork it; verify would then report the fork.
 */
export async function appendChained(store: Store, e: NewAuditEvent): Promise<AuditEvent> {
  const prev = (await store.audit.last(e.projectId ?? null))?.hash ?? null
  const [row] = await store.audit.append([{ ...e, prevHash: prev, hash: eventHash(e, prev) }])
  return row
}
