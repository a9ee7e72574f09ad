-- mcpo as the OAuth client of upstream MCP servers' authorization servers (issue 22). Every secret here (a client
-- secret, access and refresh tokens, a PKCE verifier) is sealed with the gateway's keyring by the caller: storage only
-- ever sees ciphertext.

-- A server's OAuth settings; NULL: none (no auth, or static headers).
-- {"type":"oauth","credentials":"project"|"user","clientId":string|null,"clientSecret":<sealed>|null,"scopes":[…]}
ALTER TABLE servers ADD COLUMN auth jsonb CHECK (auth IS NULL OR auth->>'type' = 'oauth');

-- Tokens held for an upstream: the project's own (user_id NULL) or one user's. The foreign key follows the server
-- through a rename and takes the tokens with it when the server, or its project, is deleted.
CREATE TABLE upstream_credentials (
  project_id text NOT NULL,
  server_name text NOT NULL,
  user_id text,
  issuer text NOT NULL,
  access_token text NOT NULL,
  refresh_token text,
  expires_at timestamptz,
  scope text,
  status text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'needs-reauth')),
  -- Single-flight refresh across nodes: a rotating refresh token may be used once, so one node at a time refreshes.
  refresh_holder text,
  refresh_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT upstream_credentials_server_fkey FOREIGN KEY (project_id, server_name)
    REFERENCES servers (project_id, name) ON DELETE CASCADE ON UPDATE CASCADE
);
-- NULL user ids are distinct in a plain unique index; the project's credential must be one row too.
CREATE UNIQUE INDEX upstream_credentials_key ON upstream_credentials (project_id, server_name, (coalesce(user_id, '')));
CREATE INDEX upstream_credentials_user ON upstream_credentials (user_id) WHERE user_id IS NOT NULL;

-- Clients mcpo has at an authorization server, per redirect URI (one per public base URL): a Client ID Metadata
-- Document URL, a dynamically registered client, or the one configured on a server.
CREATE TABLE upstream_oauth_clients (
  issuer text NOT NULL,
  redirect_uri text NOT NULL,
  client_id text NOT NULL,
  client_secret text,
  method text NOT NULL CHECK (method IN ('metadata-document', 'dynamic', 'pre-registered')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (issuer, redirect_uri)
);

-- Authorization requests in flight, by their `state`; used once, and only until they expire.
CREATE TABLE upstream_oauth_pending (
  state text PRIMARY KEY,
  project_id text NOT NULL,
  server_name text NOT NULL,
  user_id text,
  issuer text NOT NULL,
  code_verifier text NOT NULL,
  redirect_uri text NOT NULL,
  return_to text,
  scopes text,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT upstream_oauth_pending_server_fkey FOREIGN KEY (project_id, server_name)
    REFERENCES servers (project_id, name) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX upstream_oauth_pending_expires ON upstream_oauth_pending (expires_at);
