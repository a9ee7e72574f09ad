// SQL for project API keys. Only SHA-256 hashes are stored; lookups are by hash.

import { partialUpdate } from './partial-update.ts'
import type { ApiKeysRepo } from './port.ts'
import type { ApiKey, ApiKeyPatch } from './rows.ts'
import { isUuid, json, type Sql } from './sql.ts'

const updateApiKey = partialUpdate<ApiKeyPatch, 'id'>(
  'api_keys',
  { name: 'text', description: 'text', expiresAt: 'timestamptz', rateLimit: 'json?' },
  { id: 'uuid' },
)

export function apiKeysRepo(sql: Sql): ApiKeysRepo {
  return {
    async create(k) {
      const [row] = await sql<ApiKey>`
        INSERT INTO api_keys (id, project_id, name, description, key_hash, prefix, suffix, created_by, expires_at,
                              rate_limit, source)
        VALUES (coalesce(${k.id}::uuid, gen_random_uuid()), ${k.projectId}, ${k.name}, ${k.description ?? ''},
                ${k.keyHash}, ${k.prefix}, ${k.suffix ?? ''}, ${k.createdBy}::uuid, ${k.expiresAt}::timestamptz,
                ${json(k.rateLimit)}::text::jsonb, ${k.source ?? 'ui'})
        RETURNING *`
      return row
    },
    async get(id) {
      if (!isUuid(id)) return null
      const [row] = await sql<ApiKey>`SELECT * FROM api_keys WHERE id = ${id}::uuid`
      return row ?? null
    },
    async getByHash(keyHash) {
      const [row] = await sql<ApiKey>`SELECT * FROM api_keys WHERE key_hash = ${keyHash}::text`
      return row ?? null
    },
    list(projectId) {
      return sql<ApiKey>`
        SELECT * FROM api_keys WHERE project_id = ${projectId}::text ORDER BY created_at DESC, id`
    },
    listActive(now) {
      // A key dies with its project's archiving and with its creator's access (product.md §2).
      return sql<ApiKey>`
        SELECT k.* FROM api_keys k
        JOIN projects p ON p.id = k.project_id
        LEFT JOIN users u ON u.id = k.created_by
        WHERE k.revoked_at IS NULL
          AND (k.expires_at IS NULL OR k.expires_at > coalesce(${now}::timestamptz, now()))
          AND p.archived_at IS NULL
          AND (k.created_by IS NULL OR (NOT u.disabled AND (
            u.is_admin
            OR EXISTS (SELECT 1 FROM project_members pm WHERE pm.project_id = k.project_id AND pm.user_id = k.created_by)
            OR EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = p.team_id AND tm.user_id = k.created_by))))
        ORDER BY k.project_id, k.created_at, k.id`
    },
    async update(id, patch) {
      if (!isUuid(id)) return null
      return updateApiKey.run<ApiKey>(sql, { id }, patch)
    },
    async revoke(id, at) {
      if (!isUuid(id)) return null
      const [row] = await sql<ApiKey>`
        UPDATE api_keys SET revoked_at = coalesce(revoked_at, ${at}::timestamptz, now()), updated_at = now()
        WHERE id = ${id}::uuid
        RETURNING *`
      return row ?? null
    },
    async touchLastUsed(entries) {
      const valid = entries.filter((e) => isUuid(e.id))
      if (valid.length === 0) return 0
      // Several nodes flush concurrently: greatest() keeps the newest time whatever the order.
      const rows = await sql`
        UPDATE api_keys k SET last_used_at = greatest(k.last_used_at, v.at)
        FROM (
          SELECT (e->>'id')::uuid AS id, max((e->>'at')::timestamptz) AS at
          FROM jsonb_array_elements(${json(valid)}::text::jsonb) AS e
          GROUP BY 1
        ) v
        WHERE k.id = v.id
        RETURNING k.id`
      return rows.length
    },
    async delete(id) {
      if (!isUuid(id)) return false
      const rows = await sql`DELETE FROM api_keys WHERE id = ${id}::uuid RETURNING id`
      return rows.length > 0
    },
    async upsertConfigKey(k) {
      // A revoked config key stays revoked until the config gives it a new value.
      const [row] = await sql<ApiKey>`
        INSERT INTO api_keys (project_id, name, description, key_hash, prefix, suffix, expires_at, rate_limit, source)
        VALUES (${k.projectId}, ${k.name}, ${k.description ?? ''}, ${k.keyHash}, ${k.prefix}, ${k.suffix ?? ''},
                ${k.expiresAt}::timestamptz, ${json(k.rateLimit)}::text::jsonb, 'config')
        ON CONFLICT (project_id, name) WHERE source = 'config' DO UPDATE SET
          description = excluded.description,
          key_hash = excluded.key_hash,
          prefix = excluded.prefix,
          suffix = excluded.suffix,
          expires_at = excluded.expires_at,
          rate_limit = excluded.rate_limit,
          revoked_at = CASE WHEN api_keys.key_hash = excluded.key_hash THEN api_keys.revoked_at END,
          updated_at = now()
        RETURNING *`
      return row
    },
  }
}
