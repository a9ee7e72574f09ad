import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { partialUpdate } from './partial-update.ts'

describe('partial updates', () => {
  it('set only the keys present, read as their column types, with values and keys as parameters', () => {
    const update = partialUpdate<
      { name?: string; timeoutMs?: number; args?: string[]; limit?: object | null },
      'projectId' | 'name'
    >(
      'servers',
      { name: 'text', timeoutMs: 'int', args: { json: '[]' }, limit: 'json?' },
      { projectId: 'text', name: 'text' },
    )
    assert.equal(
      update.text,
      [
        'WITH p AS (SELECT $1::text::jsonb AS v)',
        'UPDATE servers t SET',
        "  name = CASE WHEN p.v ? 'name' THEN p.v->>'name' ELSE t.name END,",
        "  timeout_ms = CASE WHEN p.v ? 'timeoutMs' THEN (p.v->>'timeoutMs')::int ELSE t.timeout_ms END,",
        "  args = CASE WHEN p.v ? 'args' THEN coalesce(nullif(p.v->'args', 'null'), '[]') ELSE t.args END,",
        "  limit = CASE WHEN p.v ? 'limit' THEN nullif(p.v->'limit', 'null') ELSE t.limit END,",
        '  updated_at = now()',
        'FROM p WHERE t.project_id = $2::text AND t.name = $3::text',
        'RETURNING t.*',
      ].join('\n'),
    )
  })

  it('refuses names that are not plain identifiers, so nothing but the fixed list becomes SQL text', () => {
    assert.throws(
      () =>
        partialUpdate<Record<string, string>, 'id'>('users', { "x'; DROP TABLE users; --": 'text' }, { id: 'uuid' }),
      /not a plain field name/,
    )
    assert.throws(() => partialUpdate<{ a?: string }, 'id'>('users; --', { a: 'text' }, { id: 'uuid' }), /bad table/)
    assert.throws(() => partialUpdate<{ a?: string }, never>('users', { a: 'text' }, {}), /no key/)
  })
})
