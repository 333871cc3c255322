-- Native authentication API (issue 7).

-- Entra's per-app "Enable native authentication" setting (Graph beta nativeAuthenticationApisEnabled).
ALTER TABLE applications ADD COLUMN native_auth_apis_enabled INTEGER NOT NULL DEFAULT 0;
-- A Conditional Access "require multifactor authentication" policy on the app (native sign-in only).
ALTER TABLE applications ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;

-- Continuation tokens: opaque, stored hashed, bound to tenant, client, flow and step; 10 minutes.
-- A token is spent when its step succeeds (the answer carries the next one).
CREATE TABLE native_auth_continuations (
  tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  token_hash   TEXT NOT NULL,
  client_id    TEXT NOT NULL,
  flow         TEXT NOT NULL,      -- signUp | signIn | passwordReset
  step         TEXT NOT NULL,
  email        TEXT NOT NULL,
  user_id      TEXT,
  tx_id        TEXT,               -- the flow transaction (flow_transactions.id) it drives, if any
  data_json    TEXT NOT NULL DEFAULT '{}',
  expires_at   INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, token_hash)
);
CREATE INDEX native_auth_continuations_expiry ON native_auth_continuations(expires_at);

-- Strong authentication methods registered just in time (native /register/v1.0): email only.
CREATE TABLE native_auth_mfa_methods (
  tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_id      TEXT NOT NULL,
  id           TEXT NOT NULL,      -- the method id /oauth2/v2.0/introspect lists
  email        TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, user_id)
);
