-- Proven email addresses (SECURITY.md "Invitations and email addresses"). Anything addressed to an email (pending
-- invitations, SSO and NextAuth identities, MCPO_ADMIN_EMAIL) reaches only an account whose email is verified:
-- created or confirmed by an administrator, the operator or an identity provider that verified it, or proven by a
-- link sent through a mail plugin. An account made by following an invitation link no mail plugin delivered is not.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

-- Accounts from before this migration count as verified, except those made by accepting an external invitation link:
-- that link may have been shown to the inviter, who could have chosen the password. They are recognised by the
-- accept transaction: the account's created_at and the invitation's last update share its now(). An administrator
-- confirms them (POST /api/users/{id}/confirm-email) or their owner verifies by mail.
UPDATE users u SET email_verified_at = u.created_at
WHERE NOT EXISTS (
  SELECT 1 FROM invitations i
  WHERE i.kind = 'external' AND i.status = 'accepted' AND i.accepted_by = u.id AND i.updated_at = u.created_at
);

-- One pending verification link per user, stored as a SHA-256 hash; it verifies only the email it was sent to.
CREATE TABLE email_verifications (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  email text NOT NULL,
  token_hash text NOT NULL CONSTRAINT email_verifications_token_hash_key UNIQUE,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- When a mail plugin took the current link of an invitation: following such a link proves the email it went to.
-- Resending replaces the link and clears it until the new one is delivered.
ALTER TABLE invitations ADD COLUMN delivered_at timestamptz;
