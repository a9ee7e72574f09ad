// "Did you mean" for config typos: the known field names at an issue's path, and the one a mistyped name is closest to.
import type { z } from 'zod'

interface Def {
  type: string
  shape?: Record<string, unknown>
  element?: unknown
  innerType?: unknown
  in?: unknown
  options?: unknown[]
}

function defOf(schema: unknown): Def | null {
  return (schema as { def?: Def } | null)?.def ?? null
}

/** Unwraps defaults, optionals, pipes and unions down to the objects whose fields a config value may have. */
function objectsOf(schema: unknown, depth = 0): Def[] {
  const def = defOf(schema)
  if (!def || depth > 8) return []
  if (def.type === 'object') return [def]
  if (def.type === 'union') return (def.options ?? []).flatMap((o) => objectsOf(o, depth + 1))
  const inner = def.innerType ?? def.in
  return inner ? objectsOf(inner, depth + 1) : []
}

/** The field names the schema allows at `path` (array indexes step into elements). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let here: unknown[] = [schema]
  for (const part of path) {
    const next: unknown[] = []
    for (const s of here) {
      if (typeof part === 'number') {
        let def = defOf(s)
        for (let i = 0; def && def.type !== 'array' && i < 8; i++) def = defOf(def.innerType ?? def.in)
        if (def?.element) next.push(def.element)
      } else for (const o of objectsOf(s)) if (o.shape && String(part) in o.shape) next.push(o.shape[String(part)])
    }
    here = next
  }
  return [...new Set(here.flatMap((s) => objectsOf(s).flatMap((o) => Object.keys(o.shape ?? {}))))]
}

/** Edit distance (insert, delete, substitute, swap of neighbours); names are short, so the table is tiny. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}

/** The known name closest to `typed`, when it is close enough to be a typo (or differs only in case). */
export function closest(typed: string, known: readonly string[]): string | null {
  if (typed.length > 64) return null
  let best: string | null = null
  let bestDistance = Number.POSITIVE_INFINITY
  for (const k of known) {
    const dist = k.toLowerCase() === typed.toLowerCase() ? 0 : distance(typed, k)
    if (dist < bestDistance) {
      best = k
      bestDistance = dist
    }
  }
  return best !== null && bestDistance <= Math.max(1, Math.floor(typed.length / 3)) ? best : null
}
