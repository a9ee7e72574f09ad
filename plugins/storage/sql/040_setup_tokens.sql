-- First-run set-up tokens (issue 17 point 2): stored, so that the link any node printed works on every node of a
-- cluster, and once. Only each token's SHA-256 is kept. Every node that starts while no admin exists adds its own;
-- creating the first admin with one deletes them all.
CREATE TABLE setup_tokens (
  token_hash text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);
