// SQL of mcpo as the OAuth client of upstream servers: the tokens it holds per project or user, its clients at
// authorization servers, and authorization requests in flight. Values arrive sealed; expiry and locks use the
// database clock, which every node of a cluster shares.
import type { PendingAuthorization, UpstreamCredential, UpstreamOAuthClient, UpstreamOAuthRepo } from './port.ts'
import type { Sql } from './sql.ts'

// Credentials are read column by column: the refresh lock stays inside the table, no caller sees who holds it.
export function upstreamOAuthRepo(sql: Sql): UpstreamOAuthRepo {
  return {
    async credential(projectId, serverName, userId) {
      const [row] = await sql<UpstreamCredential>`
        SELECT project_id, server_name, user_id, issuer, access_token, refresh_token, expires_at, scope, status,
               updated_at
        FROM upstream_credentials
        WHERE project_id = ${projectId}::text AND server_name = ${serverName}::text
          AND coalesce(user_id, '') = coalesce(${userId}::text, '')`
      return row ?? null
    },
    async saveCredential(c) {
      await sql`
        INSERT INTO upstream_credentials (project_id, server_name, user_id, issuer, access_token, refresh_token,
                                          expires_at, scope)
        VALUES (${c.projectId}::text, ${c.serverName}::text, ${c.userId}::text, ${c.issuer}::text,
                ${c.accessToken}::text, ${c.refreshToken}::text, ${c.expiresAt}::timestamptz, ${c.scope}::text)
        ON CONFLICT (project_id, server_name, (coalesce(user_id, ''))) DO UPDATE SET
          issuer = excluded.issuer,
          access_token = excluded.access_token,
          refresh_token = excluded.refresh_token,
          expires_at = excluded.expires_at,
          scope = excluded.scope,
          status = 'ok',
          refresh_holder = NULL,
          refresh_until = NULL,
          updated_at = now()`
    },
    async markNeedsReauth(projectId, serverName, userId) {
      await sql`
        UPDATE upstream_credentials SET status = 'needs-reauth', updated_at = now()
        WHERE project_id = ${projectId}::text AND server_name = ${serverName}::text
          AND coalesce(user_id, '') = coalesce(${userId}::text, '')`
    },
    async deleteCredential(projectId, serverName, userId) {
      const rows = await sql`
        DELETE FROM upstream_credentials
        WHERE project_id = ${projectId}::text AND server_name = ${serverName}::text
          AND coalesce(user_id, '') = coalesce(${userId}::text, '')
        RETURNING 1`
      return rows.length > 0
    },
    deleteCredentialsOfUser(projectId, userId) {
      return sql<UpstreamCredential>`
        DELETE FROM upstream_credentials
        WHERE user_id = ${userId}::text AND (${projectId}::text IS NULL OR project_id = ${projectId}::text)
        RETURNING project_id, server_name, user_id, issuer, access_token, refresh_token, expires_at, scope, status,
                  updated_at`
    },
    credentialsOf(projectId, serverName) {
      return sql<UpstreamCredential>`
        SELECT project_id, server_name, user_id, issuer, access_token, refresh_token, expires_at, scope, status,
               updated_at
        FROM upstream_credentials
        WHERE project_id = ${projectId}::text AND server_name = ${serverName}::text
        ORDER BY updated_at DESC, user_id NULLS FIRST`
    },
    async lockRefresh(projectId, serverName, userId, holder, ttlS) {
      // One UPDATE decides: a second node's UPDATE waits on the row lock, then re-reads the holder and matches nothing.
      const rows = await sql`
        UPDATE upstream_credentials
        SET refresh_holder = ${holder}::text, refresh_until = now() + make_interval(secs => ${ttlS}::float8)
        WHERE project_id = ${projectId}::text AND server_name = ${serverName}::text
          AND coalesce(user_id, '') = coalesce(${userId}::text, '')
          AND (refresh_holder IS NULL OR refresh_until <= now() OR refresh_holder = ${holder}::text)
        RETURNING 1`
      return rows.length > 0
    },
    async unlockRefresh(projectId, serverName, userId, holder) {
      await sql`
        UPDATE upstream_credentials SET refresh_holder = NULL, refresh_until = NULL
        WHERE project_id = ${projectId}::text AND server_name = ${serverName}::text
          AND coalesce(user_id, '') = coalesce(${userId}::text, '') AND refresh_holder = ${holder}::text`
    },
    async client(issuer, redirectUri) {
      const [row] = await sql<UpstreamOAuthClient>`
        SELECT issuer, redirect_uri, client_id, client_secret, method FROM upstream_oauth_clients
        WHERE issuer = ${issuer}::text AND redirect_uri = ${redirectUri}::text`
      return row ?? null
    },
    async saveClient(c) {
      await sql`
        INSERT INTO upstream_oauth_clients (issuer, redirect_uri, client_id, client_secret, method)
        VALUES (${c.issuer}::text, ${c.redirectUri}::text, ${c.clientId}::text, ${c.clientSecret}::text,
                ${c.method}::text)
        ON CONFLICT (issuer, redirect_uri) DO UPDATE SET
          client_id = excluded.client_id, client_secret = excluded.client_secret, method = excluded.method,
          created_at = now()`
    },
    async savePending(p, expiresInS) {
      // Requests nobody came back for are dropped here, so the table needs no pruning job.
      await sql`
        WITH stale AS (DELETE FROM upstream_oauth_pending WHERE expires_at <= now())
        INSERT INTO upstream_oauth_pending (state, project_id, server_name, user_id, issuer, code_verifier,
                                            redirect_uri, return_to, scopes, expires_at)
        VALUES (${p.state}::text, ${p.projectId}::text, ${p.serverName}::text, ${p.userId}::text, ${p.issuer}::text,
                ${p.codeVerifier}::text, ${p.redirectUri}::text, ${p.returnTo}::text, ${p.scopes}::text,
                now() + make_interval(secs => ${expiresInS}::float8))`
    },
    async takePending(state) {
      // Deleted whether or not it expired: a state is never good twice.
      const [row] = await sql<PendingAuthorization & { live: boolean }>`
        DELETE FROM upstream_oauth_pending WHERE state = ${state}::text
        RETURNING state, project_id, server_name, user_id, issuer, code_verifier, redirect_uri, return_to, scopes,
                  expires_at > now() AS live`
      if (!row?.live) return null
      const { live: _live, ...pending } = row
      return pending
    },
  }
}
