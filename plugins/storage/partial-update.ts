// Partial updates, written once: an UPDATE that sets only the keys present in a patch (a key set to null clears the
// column). The statement is built once per table from a fixed list of patch keys; a call sends the patch as one jsonb
// parameter and the row's key as parameters, so no value ever becomes SQL text.
import { json, type Row, type Sql } from './sql.ts'

/**
 * How a patch key's JSON value becomes its column's value: a scalar read as text and cast, `json` as is (JSON null
 * stored as JSON null), `json?` with JSON null clearing the column, or a JSON default that null resets it to.
 */
export type ColumnKind = 'text' | 'int' | 'boolean' | 'timestamptz' | 'uuid' | 'json' | 'json?' | { json: '[]' | '{}' }

/** A column of the row's key, and its SQL type. */
type KeyKind = 'text' | 'uuid'

/** The patch keys a statement may set: every key of the patch type, each with how its column is read. */
export type PatchColumns<P> = { readonly [K in keyof Required<P>]: ColumnKind }

export interface PartialUpdate<P, K extends string> {
  /** Updates the row whose key columns equal `key`; the updated row, or null when there is none. */
  run<T = Row>(sql: Sql, key: Record<K, string>, patch: P): Promise<T | null>
  /** The statement's text, `$n` for its parameters (the patch is `$1`). */
  readonly text: string
}

// Camel-case patch keys become snake-case columns; both are spliced into the statement, so only plain names pass.
const KEY = /^[a-z][a-zA-Z0-9]{0,62}$/
const TABLE = /^[a-z][a-z_]{0,62}$/

function column(key: string): string {
  if (!KEY.test(key)) throw new Error(`partial update: ${JSON.stringify(key)} is not a plain field name`)
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}

function readValue(key: string, kind: ColumnKind): string {
  const field = `p.v->'${key}'`
  if (typeof kind === 'object') return `coalesce(nullif(${field}, 'null'), '${kind.json}')`
  if (kind === 'json') return field
  if (kind === 'json?') return `nullif(${field}, 'null')`
  if (kind === 'text') return `p.v->>'${key}'`
  return `(p.v->>'${key}')::${kind}`
}

/**
 * Builds the partial update of `table`, where the row is named by the columns of `key` (camel-case names, with their
 * SQL types). `updated_at` is set to now() on every update.
 * @example
 * const updateTeam = partialUpdate<TeamPatch, 'id'>('teams', { slug: 'text', name: 'text', description: 'text' }, { id: 'uuid' })
 * const team = await updateTeam.run<Team>(sql, { id }, { name: 'Platform' })
 */
export function partialUpdate<P, K extends string>(
  table: string,
  columns: PatchColumns<P>,
  key: Readonly<Record<K, KeyKind>>,
): PartialUpdate<P, K> {
  const sets = Object.entries<ColumnKind>(columns).map(([k, kind]) => {
    const col = column(k)
    return `${col} = CASE WHEN p.v ? '${k}' THEN ${readValue(k, kind)} ELSE t.${col} END`
  })
  const keys = Object.entries<KeyKind>(key).map(([k, kind]) => ({ name: k as K, col: column(k), kind }))
  if (!TABLE.test(table) || keys.length === 0) throw new Error(`partial update: bad table ${table} or no key`)
  const set = [...sets, 'updated_at = now()'].join(',\n  ')
  // Parameters: $1 the patch, then the key's columns in order.
  const parts = [
    'WITH p AS (SELECT ',
    `::text::jsonb AS v)\nUPDATE ${table} t SET\n  ${set}\nFROM p WHERE t.${keys[0].col} = `,
    ...keys.slice(1).map((k, i) => `::${keys[i].kind} AND t.${k.col} = `),
    `::${keys[keys.length - 1].kind}\nRETURNING t.*`,
  ]
  // Built once: both drivers key their prepared statements (and PGlite its text) on this strings array.
  const strings = Object.assign([...parts], { raw: [...parts] }) as unknown as TemplateStringsArray
  return {
    text: parts.reduce((acc, part, i) => `${acc}$${i}${part}`),
    async run<T>(sql: Sql, id: Record<K, string>, patch: P): Promise<T | null> {
      const [row] = await sql<T>(strings, json(patch), ...keys.map((k) => id[k.name]))
      return row ?? null
    },
  }
}
