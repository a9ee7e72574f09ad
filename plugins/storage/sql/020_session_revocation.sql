-- Sign-in sessions (plugins/sessions): every session token names its row, so ending the row ends the sign-in on every
-- node (sign-out, password change, a disabled account, "sign out everywhere"). expires_at is the absolute end of the
-- sign-in, which renewing its tokens never moves.
CREATE TABLE user_sessions (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);

CREATE INDEX user_sessions_user ON user_sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX user_sessions_expiry ON user_sessions (expires_at);
