// SQL of the OAuth authorization server: oidc-provider's stored artefacts and the keys access tokens are signed with.
// Expiry is the database clock's, like every other time the cluster agrees on.
import type { OAuthObject, OAuthRepo, OAuthSigningKey } from './port.ts'
import { json, type Sql } from './sql.ts'

export function oauthRepo(sql: Sql): OAuthRepo {
  const one = async (rows: Promise<OAuthObject[]>) => (await rows)[0] ?? null
  return {
    async upsert(o) {
      const expiresIn = o.expiresInS ?? null
      await sql`
        INSERT INTO oauth_objects (model, id, payload, grant_id, uid, user_code, account_id, project_id, expires_at)
        VALUES (${o.model}::text, ${o.id}::text, ${json(o.payload)}::text::jsonb, ${o.grantId ?? null}::text,
                ${o.uid ?? null}::text, ${o.userCode ?? null}::text, ${o.accountId ?? null}::text,
                ${o.projectId ?? null}::text,
                CASE WHEN ${expiresIn}::float8 IS NULL THEN NULL
                     ELSE now() + make_interval(secs => ${expiresIn}::float8) END)
        ON CONFLICT (model, id) DO UPDATE SET
          payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
          user_code = excluded.user_code, account_id = excluded.account_id, project_id = excluded.project_id,
          expires_at = excluded.expires_at`
    },
    find(model, id) {
      return one(sql<OAuthObject>`
        SELECT * FROM oauth_objects WHERE model = ${model}::text AND id = ${id}::text AND (expires_at IS NULL OR expires_at > now())`)
    },
    findByUid(model, uid) {
      return one(sql<OAuthObject>`
        SELECT * FROM oauth_objects WHERE model = ${model}::text AND uid = ${uid}::text AND (expires_at IS NULL OR expires_at > now()) LIMIT 1`)
    },
    findByUserCode(model, userCode) {
      return one(sql<OAuthObject>`
        SELECT * FROM oauth_objects
        WHERE model = ${model}::text AND user_code = ${userCode}::text AND (expires_at IS NULL OR expires_at > now()) LIMIT 1`)
    },
    async consume(model, id) {
      const rows = await sql`
        UPDATE oauth_objects SET consumed_at = now()
        WHERE model = ${model}::text AND id = ${id}::text AND consumed_at IS NULL RETURNING id`
      return rows.length > 0
    },
    async destroy(model, id) {
      await sql`DELETE FROM oauth_objects WHERE model = ${model}::text AND id = ${id}::text`
    },
    async revokeGrant(grantId) {
      const rows = await sql`
        DELETE FROM oauth_objects
        WHERE grant_id = ${grantId}::text OR (model = 'Grant' AND id = ${grantId}::text) RETURNING id`
      return rows.length
    },
    grants(f) {
      return sql<OAuthObject>`
        SELECT * FROM oauth_objects
        WHERE model = 'Grant' AND (expires_at IS NULL OR expires_at > now())
          AND (${f.accountId ?? null}::text IS NULL OR account_id = ${f.accountId ?? null}::text)
          AND (${f.projectId ?? null}::text IS NULL OR project_id = ${f.projectId ?? null}::text)
        ORDER BY created_at DESC, id`
    },
    async touchGrant(grantId) {
      await sql`UPDATE oauth_objects SET last_used_at = now() WHERE model = 'Grant' AND id = ${grantId}::text`
    },
    async revokeGrantsOf(accountId, projectId) {
      const rows = await sql<{ id: string }>`
        WITH g AS (
          DELETE FROM oauth_objects
          WHERE model = 'Grant' AND account_id = ${accountId}::text
            AND (${projectId}::text IS NULL OR project_id = ${projectId}::text)
          RETURNING id
        ),
        -- A data-modifying WITH runs whether or not the outer query reads it.
        issued AS (DELETE FROM oauth_objects WHERE grant_id IN (SELECT id FROM g))
        SELECT id FROM g`
      return rows.map((r) => r.id)
    },
    async prune() {
      const rows = await sql`DELETE FROM oauth_objects WHERE expires_at <= now() RETURNING 1`
      return rows.length
    },
    signingKeys() {
      return sql<OAuthSigningKey>`SELECT * FROM oauth_signing_keys ORDER BY created_at DESC, kid`
    },
    async addSigningKey(kid, sealedJwk) {
      await sql`INSERT INTO oauth_signing_keys (kid, sealed_jwk) VALUES (${kid}::text, ${sealedJwk}::text)`
    },
    async retireSigningKey(kid) {
      await sql`UPDATE oauth_signing_keys SET retired_at = now() WHERE kid = ${kid}::text AND retired_at IS NULL`
    },
    async dropRetiredKeys(olderThanS) {
      const rows = await sql`
        DELETE FROM oauth_signing_keys
        WHERE retired_at < now() - make_interval(secs => ${olderThanS}::float8) RETURNING 1`
      return rows.length
    },
  }
}
