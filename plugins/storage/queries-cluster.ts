// SQL of cluster mode: the node registry and the leases of shared upstreams. Every time is the database clock's
// (now()), so nodes with skewed clocks still agree on who is alive and who holds a lease.
import type { LeasesRepo, NodesRepo } from './port.ts'
import type { GatewayNode, LeaseHolder, LeaseKey } from './rows.ts'
import type { Sql } from './sql.ts'

export function nodesRepo(sql: Sql): NodesRepo {
  return {
    async upsert(n) {
      const [row] = await sql<GatewayNode>`
        INSERT INTO nodes (id, address, started_at, heartbeat_at)
        VALUES (${n.id}, ${n.address}, coalesce(${n.startedAt}::timestamptz, now()),
                coalesce(${n.heartbeatAt}::timestamptz, now()))
        ON CONFLICT (id) DO UPDATE SET
          address = excluded.address, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at
        RETURNING *`
      return row
    },
    async heartbeat(id, address) {
      const rows = await sql`
        UPDATE nodes SET heartbeat_at = now(), address = ${address}::text WHERE id = ${id}::text RETURNING id`
      return rows.length > 0
    },
    list(f = {}) {
      return sql<GatewayNode>`
        SELECT * FROM nodes
        WHERE ${f.aliveSince}::timestamptz IS NULL OR heartbeat_at >= ${f.aliveSince}::timestamptz
        ORDER BY id`
    },
    liveness(withinMs) {
      return sql<GatewayNode & { alive: boolean }>`
        SELECT *, heartbeat_at > now() - make_interval(secs => ${withinMs / 1000}::float8) AS alive
        FROM nodes ORDER BY id`
    },
    async prune(silentMs) {
      const [row] = await sql<{ n: number }>`
        WITH d AS (
          DELETE FROM nodes WHERE heartbeat_at < now() - make_interval(secs => ${silentMs / 1000}::float8) RETURNING 1
        )
        SELECT count(*)::int AS n FROM d`
      return row.n
    },
    async delete(id) {
      const rows = await sql`DELETE FROM nodes WHERE id = ${id}::text RETURNING id`
      return rows.length > 0
    },
  }
}

export function leasesRepo(sql: Sql): LeasesRepo {
  return {
    async acquire(l) {
      const [taken] = await sql<LeaseHolder>`
        WITH taken AS (
          INSERT INTO cluster_leases (project_id, server_name, node_id, expires_at)
          VALUES (${l.projectId}::text, ${l.serverName}::text, ${l.nodeId}::text,
                  now() + make_interval(secs => ${l.ttlMs / 1000}::float8))
          ON CONFLICT (project_id, server_name) DO UPDATE SET
            node_id = excluded.node_id, acquired_at = now(), expires_at = excluded.expires_at
          WHERE cluster_leases.expires_at < now() OR cluster_leases.node_id = excluded.node_id
          RETURNING node_id
        )
        SELECT t.node_id, n.address FROM taken t LEFT JOIN nodes n ON n.id = t.node_id`
      if (taken) return taken
      // A second statement, so a fresh snapshot: when another node's insert committed while this one waited on the
      // conflict, a read in the same statement would not see that holder and find no lease at all.
      const [held] = await sql<LeaseHolder>`
        SELECT l.node_id, n.address FROM cluster_leases l LEFT JOIN nodes n ON n.id = l.node_id
        WHERE l.project_id = ${l.projectId}::text AND l.server_name = ${l.serverName}::text`
      return held ?? null
    },
    renew(nodeId, ttlMs) {
      return sql<LeaseKey>`
        UPDATE cluster_leases SET expires_at = now() + make_interval(secs => ${ttlMs / 1000}::float8)
        WHERE node_id = ${nodeId}::text
        RETURNING project_id, server_name`
    },
    async release(l) {
      const rows = await sql`
        DELETE FROM cluster_leases
        WHERE project_id = ${l.projectId}::text AND server_name = ${l.serverName}::text AND node_id = ${l.nodeId}::text
        RETURNING 1`
      return rows.length > 0
    },
    async releaseAll(nodeId) {
      const [row] = await sql<{ n: number }>`
        WITH d AS (DELETE FROM cluster_leases WHERE node_id = ${nodeId}::text RETURNING 1)
        SELECT count(*)::int AS n FROM d`
      return row.n
    },
  }
}
