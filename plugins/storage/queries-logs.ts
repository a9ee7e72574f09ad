// SQL for what is appended in batches off the hot path: audit events, tool calls, client
// sessions. Batches travel as one jsonb array parameter.
import type { AuditRepo, ClientSessionsRepo, ToolCallsRepo } from './port.ts'
import type { AuditEvent, ClientSession, ToolCall, ToolCallFilter, ToolCallStats } from './rows.ts'
import { isUuid, json, limitOf, type Sql } from './sql.ts'

export function auditRepo(sql: Sql): AuditRepo {
  return {
    async append(events) {
      if (events.length === 0) return []
      const rows = await sql<AuditEvent>`
        INSERT INTO audit_events (project_id, team_id, actor_type, actor_id, action, target_type, target_id, before,
                                  after, ip, user_agent, request_id, prev_hash, hash, created_at)
        SELECT e->>'projectId', (e->>'teamId')::uuid, e->>'actorType', e->>'actorId', e->>'action',
               e->>'targetType', e->>'targetId', nullif(e->'before', 'null'), nullif(e->'after', 'null'), e->>'ip',
               e->>'userAgent', e->>'requestId', e->>'prevHash', e->>'hash',
               coalesce((e->>'createdAt')::timestamptz, now())
        FROM jsonb_array_elements(${json(events)}::text::jsonb) WITH ORDINALITY AS x(e, ord)
        ORDER BY ord
        RETURNING *`
      return rows.sort((a, b) => a.id - b.id)
    },
    async list(f = {}) {
      if (f.teamId !== undefined && !isUuid(f.teamId)) return []
      return sql<AuditEvent>`
        SELECT * FROM audit_events
        WHERE (${f.projectId}::text IS NULL OR project_id = ${f.projectId}::text)
          AND (NOT ${f.withoutProject === true}::boolean OR project_id IS NULL)
          AND (${f.teamId}::uuid IS NULL OR team_id = ${f.teamId}::uuid)
          AND (${f.actorId}::text IS NULL OR actor_id = ${f.actorId}::text)
          AND (${f.action}::text IS NULL OR action = ${f.action}::text)
          AND (${f.actionPrefix}::text IS NULL OR starts_with(action, ${f.actionPrefix}::text))
          AND (${f.targetType}::text IS NULL OR target_type = ${f.targetType}::text)
          AND (${f.targetId}::text IS NULL OR target_id = ${f.targetId}::text)
          AND (${f.since}::timestamptz IS NULL OR created_at >= ${f.since}::timestamptz)
          AND (${f.until}::timestamptz IS NULL OR created_at < ${f.until}::timestamptz)
          AND (${f.beforeId}::bigint IS NULL OR id < ${f.beforeId}::bigint)
        ORDER BY id DESC
        LIMIT ${limitOf(f.limit)}::int`
    },
    async last(projectId) {
      // Two statements rather than IS NOT DISTINCT FROM, which cannot use the (project_id, id) index.
      const [row] =
        projectId === null
          ? await sql<AuditEvent>`SELECT * FROM audit_events WHERE project_id IS NULL ORDER BY id DESC LIMIT 1`
          : await sql<AuditEvent>`
              SELECT * FROM audit_events WHERE project_id = ${projectId}::text ORDER BY id DESC LIMIT 1`
      return row ?? null
    },
    async prune(before, scope = {}) {
      const [row] = await sql<{ n: number }>`
        WITH d AS (
          DELETE FROM audit_events
          WHERE created_at < ${before}::timestamptz
            AND (${scope.projectId}::text IS NULL OR project_id = ${scope.projectId}::text)
            AND NOT (project_id IS NOT NULL AND ${json(scope.exceptProjects ?? [])}::text::jsonb ? project_id)
          RETURNING 1)
        SELECT count(*)::int AS n FROM d`
      return row.n
    },
  }
}

const TOOL_CALL_COLUMNS = [
  'project_id',
  'server_name',
  'tool_name',
  'principal_id',
  'key_id',
  'session_id',
  'client_name',
  'status',
  'error_code',
  'error_message',
  'duration_ms',
  'args_size',
  'request_id',
  'arguments',
  'created_at',
] as const

export function toolCallsRepo(sql: Sql): ToolCallsRepo {
  return {
    async append(calls) {
      if (calls.length === 0) return 0
      if (sql.copy !== null) {
        const now = new Date()
        await sql.copy(
          'tool_calls',
          TOOL_CALL_COLUMNS,
          calls.map((c) => [
            c.projectId,
            c.serverName,
            c.toolName,
            c.principalId,
            c.keyId,
            c.sessionId,
            c.clientName,
            c.status,
            c.errorCode,
            c.errorMessage,
            c.durationMs ?? 0,
            c.argsSize ?? 0,
            c.requestId,
            c.arguments,
            c.createdAt ?? now,
          ]),
        )
      } else {
        await sql`
          INSERT INTO tool_calls (project_id, server_name, tool_name, principal_id, key_id, session_id, client_name,
                                  status, error_code, error_message, duration_ms, args_size, request_id, arguments,
                                  created_at)
          SELECT e->>'projectId', e->>'serverName', e->>'toolName', e->>'principalId', (e->>'keyId')::uuid,
                 e->>'sessionId', e->>'clientName', e->>'status', e->>'errorCode', e->>'errorMessage',
                 coalesce((e->>'durationMs')::int, 0), coalesce((e->>'argsSize')::int, 0), e->>'requestId',
                 nullif(e->'arguments', 'null'), coalesce((e->>'createdAt')::timestamptz, now())
          FROM jsonb_array_elements(${json(calls)}::text::jsonb) WITH ORDINALITY AS x(e, ord)
          ORDER BY ord`
      }
      // A BRIN index narrows a search only over the block ranges it has summarised, and on the embedded store
      // nothing else summarises them (no autovacuum): without this, time-window reads would scan the whole table.
      await sql`SELECT brin_summarize_new_values('tool_calls_created_brin'::regclass)`
      return calls.length
    },
    async list(f = {}) {
      const q = normalise(f)
      if (!q) return []
      return sql<ToolCall>`
        SELECT * FROM tool_calls
        WHERE (${q.projectId}::text IS NULL OR project_id = ${q.projectId}::text)
          AND (${q.serverName}::text IS NULL OR server_name = ${q.serverName}::text)
          AND (${q.toolName}::text IS NULL OR tool_name = ${q.toolName}::text)
          AND (${q.status}::text IS NULL OR status = ${q.status}::text)
          AND (${q.sessionId}::text IS NULL OR session_id = ${q.sessionId}::text)
          AND (${q.keyId}::uuid IS NULL OR key_id = ${q.keyId}::uuid)
          AND (${q.principalId}::text IS NULL OR principal_id = ${q.principalId}::text)
          AND (${q.since}::timestamptz IS NULL OR created_at >= ${q.since}::timestamptz)
          AND (${q.until}::timestamptz IS NULL OR created_at < ${q.until}::timestamptz)
          AND (${q.minDurationMs}::int IS NULL OR duration_ms >= ${q.minDurationMs}::int)
          AND (${q.text}::text IS NULL OR strpos(lower(tool_name || ' ' || server_name || ' ' ||
               coalesce(client_name, '') || ' ' || coalesce(error_message, '')), ${q.text}::text) > 0)
          AND (${q.beforeId}::bigint IS NULL OR id < ${q.beforeId}::bigint)
        ORDER BY id DESC
        LIMIT ${limitOf(q.limit)}::int`
    },
    async stats(f = {}) {
      const q = normalise(f)
      if (!q) return { total: 0, ok: 0, errors: 0, avgMs: null, p50Ms: null, p95Ms: null }
      // Same filter as list(), without paging.
      const [row] = await sql<ToolCallStats>`
        SELECT count(*)::int AS total,
               (count(*) FILTER (WHERE status = 'ok'))::int AS ok,
               (count(*) FILTER (WHERE status <> 'ok'))::int AS errors,
               avg(duration_ms)::float8 AS avg_ms,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms)::float8 AS p50_ms,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)::float8 AS p95_ms
        FROM tool_calls
        WHERE (${q.projectId}::text IS NULL OR project_id = ${q.projectId}::text)
          AND (${q.serverName}::text IS NULL OR server_name = ${q.serverName}::text)
          AND (${q.toolName}::text IS NULL OR tool_name = ${q.toolName}::text)
          AND (${q.status}::text IS NULL OR status = ${q.status}::text)
          AND (${q.sessionId}::text IS NULL OR session_id = ${q.sessionId}::text)
          AND (${q.keyId}::uuid IS NULL OR key_id = ${q.keyId}::uuid)
          AND (${q.principalId}::text IS NULL OR principal_id = ${q.principalId}::text)
          AND (${q.since}::timestamptz IS NULL OR created_at >= ${q.since}::timestamptz)
          AND (${q.until}::timestamptz IS NULL OR created_at < ${q.until}::timestamptz)
          AND (${q.minDurationMs}::int IS NULL OR duration_ms >= ${q.minDurationMs}::int)
          AND (${q.text}::text IS NULL OR strpos(lower(tool_name || ' ' || server_name || ' ' ||
               coalesce(client_name, '') || ' ' || coalesce(error_message, '')), ${q.text}::text) > 0)`
      return row
    },
    async prune(before, scope = {}) {
      const [row] = await sql<{ n: number }>`
        WITH d AS (
          DELETE FROM tool_calls
          WHERE created_at < ${before}::timestamptz
            AND (${scope.projectId}::text IS NULL OR project_id = ${scope.projectId}::text)
            AND NOT ${json(scope.exceptProjects ?? [])}::text::jsonb ? project_id
          RETURNING 1)
        SELECT count(*)::int AS n FROM d`
      return row.n
    },
  }
}

/** Lower-cases the text filter; null when the filter can match nothing (a malformed key id). */
function normalise(f: ToolCallFilter): ToolCallFilter | null {
  if (f.keyId !== undefined && !isUuid(f.keyId)) return null
  return f.text ? { ...f, text: f.text.toLowerCase() } : f
}

export function clientSessionsRepo(sql: Sql): ClientSessionsRepo {
  return {
    async upsert(sessions) {
      if (sessions.length === 0) return 0
      // ON CONFLICT may touch a row once per statement: keep the last entry of each id.
      const byId = new Map(sessions.map((s) => [s.id, s]))
      const [row] = await sql<{ n: number }>`
        WITH i AS (
          INSERT INTO client_sessions (id, project_id, server_name, node_id, transport, client_name, client_version,
                                       user_agent, ip, principal_id, key_id, request_count, failure_count,
                                       created_at, last_seen_at, closed_at)
          SELECT e->>'id', e->>'projectId', e->>'serverName', e->>'nodeId', e->>'transport', e->>'clientName',
                 e->>'clientVersion', e->>'userAgent', e->>'ip', e->>'principalId', (e->>'keyId')::uuid,
                 coalesce((e->>'requestCount')::int, 0), coalesce((e->>'failureCount')::int, 0),
                 coalesce((e->>'createdAt')::timestamptz, now()), coalesce((e->>'lastSeenAt')::timestamptz, now()),
                 (e->>'closedAt')::timestamptz
          FROM jsonb_array_elements(${json([...byId.values()])}::text::jsonb) AS e
          ON CONFLICT (id) DO UPDATE SET
            server_name = coalesce(excluded.server_name, client_sessions.server_name),
            node_id = coalesce(excluded.node_id, client_sessions.node_id),
            transport = coalesce(excluded.transport, client_sessions.transport),
            client_name = coalesce(excluded.client_name, client_sessions.client_name),
            client_version = coalesce(excluded.client_version, client_sessions.client_version),
            user_agent = coalesce(excluded.user_agent, client_sessions.user_agent),
            ip = coalesce(excluded.ip, client_sessions.ip),
            principal_id = coalesce(excluded.principal_id, client_sessions.principal_id),
            key_id = coalesce(excluded.key_id, client_sessions.key_id),
            request_count = excluded.request_count,
            failure_count = excluded.failure_count,
            last_seen_at = excluded.last_seen_at,
            closed_at = coalesce(excluded.closed_at, client_sessions.closed_at)
          RETURNING 1
        )
        SELECT count(*)::int AS n FROM i`
      return row.n
    },
    list(f) {
      return sql<ClientSession>`
        SELECT * FROM client_sessions
        WHERE project_id = ${f.projectId}::text
          AND (${f.serverName}::text IS NULL OR server_name = ${f.serverName}::text)
          AND (${f.activeSince}::timestamptz IS NULL OR last_seen_at >= ${f.activeSince}::timestamptz)
        ORDER BY last_seen_at DESC, id
        LIMIT ${limitOf(f.limit)}::int`
    },
    async delete(id) {
      const rows = await sql`DELETE FROM client_sessions WHERE id = ${id}::text RETURNING id`
      return rows.length > 0
    },
    async prune(before) {
      const [row] = await sql<{ n: number }>`
        WITH d AS (DELETE FROM client_sessions WHERE last_seen_at < ${before}::timestamptz RETURNING 1)
        SELECT count(*)::int AS n FROM d`
      return row.n
    },
  }
}
