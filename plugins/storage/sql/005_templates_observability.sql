-- Project templates (servers from the catalog, tool policies, role assignments) and what observability adds to the
-- activity tables: the request id and optionally the (redacted) arguments of each tool call.
-- Version 005 leaves 002-004 free for work on other branches.

CREATE TABLE project_templates (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  -- [{ name, templateId, description?, timeoutMs?, enabled, autoStart }]: servers come from the catalog only.
  servers jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(servers) = 'array'),
  -- [{ effect, serverPattern, toolPattern, roles, priority, description }]
  policies jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(policies) = 'array'),
  -- [{ email, role } | { team, role }]: who joins a project made from the template, besides its creator.
  roles jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(roles) = 'array'),
  settings jsonb NOT NULL DEFAULT '{}',
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT project_templates_name_key UNIQUE (name)
);

ALTER TABLE tool_calls ADD COLUMN request_id text;
-- Only for projects that turned argument capture on; redacted before it is written.
ALTER TABLE tool_calls ADD COLUMN arguments jsonb;
CREATE INDEX audit_events_project_created_idx ON audit_events (project_id, created_at);
CREATE INDEX tool_calls_project_created_idx ON tool_calls (project_id, created_at);

-- Teams declared in mcpo.config.ts are marked like projects, servers and keys: the API may not rename or delete them.
ALTER TABLE teams ADD COLUMN source text NOT NULL DEFAULT 'ui' CHECK (source IN ('ui', 'config'));
