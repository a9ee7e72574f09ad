-- mcpo as the OAuth 2.1 authorization server for its MCP endpoints (issue 20). oidc-provider keeps every artefact it
-- issues (grants, authorization codes, refresh tokens, interactions, registered clients, sessions) in one table as its
-- adapter contract expects: a model, an id and a JSON payload, with the indexes it looks things up by. Access tokens
-- are JWTs and are not stored. project_id and account_id are copied out of grants so that a user's and a project's
-- connected apps are listed without reading every payload.
CREATE TABLE oauth_objects (
  model text NOT NULL,
  id text NOT NULL,
  payload jsonb NOT NULL,
  grant_id text,
  uid text,
  user_code text,
  account_id text,
  project_id text,
  expires_at timestamptz,
  consumed_at timestamptz,
  last_used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, id)
);
CREATE INDEX oauth_objects_grant ON oauth_objects (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oauth_objects_uid ON oauth_objects (uid) WHERE uid IS NOT NULL;
CREATE INDEX oauth_objects_user_code ON oauth_objects (user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oauth_objects_expires ON oauth_objects (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX oauth_objects_grants_of ON oauth_objects (account_id, project_id) WHERE model = 'Grant';

-- The keys access tokens are signed with. The private key is sealed with the gateway's keyring; the newest key signs,
-- older ones stay published in the JWKS until every token they signed has expired.
CREATE TABLE oauth_signing_keys (
  kid text PRIMARY KEY,
  sealed_jwk text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);
