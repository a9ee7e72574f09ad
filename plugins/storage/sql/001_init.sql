-- mcpo data model, version 1. Runs unchanged on PostgreSQL (13+) and PGlite.
-- schema_migrations is created by migrate.ts (it must exist before this file runs).
-- Timestamps are timestamptz; updated_at is set by the queries, not by triggers.

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL CHECK (email <> ''),
  name text NOT NULL DEFAULT '',
  password_hash text,
  is_admin boolean NOT NULL DEFAULT false,
  disabled boolean NOT NULL DEFAULT false,
  oidc_issuer text,
  oidc_subject text,
  last_login_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Emails compare case-insensitively without the citext extension.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
-- A subject is only unique within its issuer.
CREATE UNIQUE INDEX users_oidc_key ON users (oidc_issuer, oidc_subject) WHERE oidc_subject IS NOT NULL;

CREATE TABLE teams (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL CONSTRAINT teams_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT teams_slug_key UNIQUE (slug)
);

CREATE TABLE team_members (
  team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner', 'developer', 'reporter')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT team_members_pkey PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_idx ON team_members (user_id);

-- The id is a slug or a UUID chosen at creation: it is the {projectId} of every endpoint URL,
-- so it holds only URL-safe characters. Case-sensitive, like URL paths.
CREATE TABLE projects (
  id text PRIMARY KEY CONSTRAINT projects_id_format CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$'),
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  -- A team's projects survive the team: they become unowned rather than vanish.
  team_id uuid REFERENCES teams (id) ON DELETE SET NULL,
  archived_at timestamptz,
  settings jsonb NOT NULL DEFAULT '{}',
  source text NOT NULL DEFAULT 'ui' CHECK (source IN ('ui', 'config')),
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_team_idx ON projects (team_id);

CREATE TABLE project_members (
  project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner', 'developer', 'reporter')),
  invite_source text NOT NULL DEFAULT 'direct' CHECK (invite_source IN ('direct', 'team', 'invitation', 'config')),
  -- Set when the member came with a whole team, so the team can be removed as a unit.
  source_team_id uuid REFERENCES teams (id) ON DELETE SET NULL,
  added_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT project_members_pkey PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user_idx ON project_members (user_id);

-- kind 'team' brings a whole team (source_team_id) into a project; 'individual' names an existing
-- user by email; 'external' is a single-use link for someone without an account.
CREATE TABLE invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('team', 'individual', 'external')),
  project_id text REFERENCES projects (id) ON DELETE CASCADE,
  team_id uuid REFERENCES teams (id) ON DELETE CASCADE,
  source_team_id uuid REFERENCES teams (id) ON DELETE CASCADE,
  email text,
  role text NOT NULL CHECK (role IN ('owner', 'developer', 'reporter')),
  token_hash text,
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined', 'revoked', 'expired')),
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT invitations_target CHECK (project_id IS NOT NULL OR team_id IS NOT NULL),
  CONSTRAINT invitations_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX invitations_project_idx ON invitations (project_id) WHERE status = 'pending';
CREATE INDEX invitations_team_idx ON invitations (team_id) WHERE status = 'pending';
CREATE INDEX invitations_email_idx ON invitations (lower(email)) WHERE status = 'pending';

CREATE TABLE servers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  -- [a-z0-9-] only (protocol.md §5): names prefix tools as <server>__<tool> and appear in URLs.
  name text NOT NULL CONSTRAINT servers_name_format CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  description text NOT NULL DEFAULT '',
  transport text NOT NULL CHECK (transport IN ('stdio', 'sse', 'streamable-http')),
  command text,
  args jsonb NOT NULL DEFAULT '[]',
  -- Values are encrypted by the callers (AES-256-GCM); storage sees opaque strings.
  env jsonb NOT NULL DEFAULT '{}',
  cwd text,
  url text,
  headers jsonb NOT NULL DEFAULT '{}',
  timeout_ms integer NOT NULL DEFAULT 60000 CHECK (timeout_ms > 0),
  isolation text CHECK (isolation IN ('shared', 'per-session')),
  enabled boolean NOT NULL DEFAULT true,
  auto_start boolean NOT NULL DEFAULT false,
  tool_toggles jsonb NOT NULL DEFAULT '{}',
  source text NOT NULL DEFAULT 'ui' CHECK (source IN ('ui', 'config')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT servers_project_name_key UNIQUE (project_id, name),
  CONSTRAINT servers_transport_fields CHECK (
    (transport = 'stdio' AND command IS NOT NULL) OR (transport <> 'stdio' AND url IS NOT NULL)
  )
);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  -- SHA-256 hex of the whole key; the key itself is never stored.
  key_hash text NOT NULL,
  prefix text NOT NULL,
  suffix text NOT NULL DEFAULT '',
  -- A key acts with its creator's rights, so it goes when the creator goes. NULL: from the config file.
  created_by uuid REFERENCES users (id) ON DELETE CASCADE,
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz,
  rate_limit jsonb,
  source text NOT NULL DEFAULT 'ui' CHECK (source IN ('ui', 'config')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
);
CREATE INDEX api_keys_project_idx ON api_keys (project_id);
CREATE INDEX api_keys_created_by_idx ON api_keys (created_by);
-- Config keys are identified by name so each boot updates the same row.
CREATE UNIQUE INDEX api_keys_config_name_key ON api_keys (project_id, name) WHERE source = 'config';

CREATE TABLE tool_policies (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  priority integer NOT NULL DEFAULT 0,
  effect text NOT NULL CHECK (effect IN ('allow', 'deny')),
  server_pattern text NOT NULL DEFAULT '*',
  tool_pattern text NOT NULL DEFAULT '*',
  -- JSON array of role names; empty means every role.
  roles jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(roles) = 'array'),
  description text NOT NULL DEFAULT '',
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tool_policies_project_idx ON tool_policies (project_id, priority);

-- The admin-approved catalog: the only stdio commands non-admins may add.
CREATE TABLE templates (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  transport text NOT NULL CHECK (transport IN ('stdio', 'sse', 'streamable-http')),
  command text,
  args jsonb NOT NULL DEFAULT '[]',
  env_template jsonb NOT NULL DEFAULT '{}',
  url text,
  headers_template jsonb NOT NULL DEFAULT '{}',
  approved boolean NOT NULL DEFAULT false,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT templates_name_key UNIQUE (name)
);

-- Append-only. No foreign keys: the record of a deletion must outlive what was deleted.
CREATE TABLE audit_events (
  id bigserial PRIMARY KEY,
  project_id text,
  team_id uuid,
  actor_type text NOT NULL,
  actor_id text,
  action text NOT NULL,
  target_type text,
  target_id text,
  before jsonb,
  after jsonb,
  ip text,
  user_agent text,
  request_id text,
  prev_hash text,
  hash text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_project_idx ON audit_events (project_id, id);
CREATE INDEX audit_events_team_idx ON audit_events (team_id, id) WHERE team_id IS NOT NULL;
CREATE INDEX audit_events_created_idx ON audit_events (created_at);

CREATE TABLE tool_calls (
  id bigserial PRIMARY KEY,
  project_id text NOT NULL,
  server_name text NOT NULL,
  tool_name text NOT NULL,
  principal_id text,
  key_id uuid,
  session_id text,
  client_name text,
  status text NOT NULL CHECK (status IN ('ok', 'error', 'denied', 'timeout', 'cancelled')),
  error_code text,
  error_message text,
  duration_ms integer NOT NULL DEFAULT 0,
  args_size integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tool_calls_project_idx ON tool_calls (project_id, id);
CREATE INDEX tool_calls_tool_idx ON tool_calls (project_id, server_name, tool_name, id);
CREATE INDEX tool_calls_session_idx ON tool_calls (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX tool_calls_created_idx ON tool_calls (created_at);

-- Client sessions as seen by the data plane; counters are aggregated in memory and flushed.
CREATE TABLE client_sessions (
  id text PRIMARY KEY,
  project_id text NOT NULL,
  server_name text,
  node_id text,
  transport text,
  client_name text,
  client_version text,
  user_agent text,
  ip text,
  principal_id text,
  key_id uuid,
  request_count integer NOT NULL DEFAULT 0,
  failure_count integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz
);
CREATE INDEX client_sessions_project_idx ON client_sessions (project_id, last_seen_at);

CREATE TABLE nodes (
  id text PRIMARY KEY,
  address text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE favorites (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT favorites_pkey PRIMARY KEY (user_id, project_id)
);
CREATE INDEX favorites_project_idx ON favorites (project_id);
