-- oidc-provider's own state (sessions, interactions, codes, grants, refresh tokens), one table for
-- every model as its memory adapter does. Clients are not stored here: they come from `applications`.
CREATE TABLE oidc_payloads (
  tenant_id    TEXT NOT NULL,
  model        TEXT NOT NULL,
  id           TEXT NOT NULL,
  payload      TEXT NOT NULL,
  grant_id     TEXT,
  uid          TEXT,
  user_code    TEXT,
  account_id   TEXT,
  expires_at   INTEGER,        -- epoch seconds; NULL = no expiry
  consumed_at  INTEGER,
  PRIMARY KEY (tenant_id, model, id)
);
CREATE INDEX oidc_payloads_grant ON oidc_payloads(tenant_id, grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oidc_payloads_uid ON oidc_payloads(tenant_id, uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_payloads_user_code ON oidc_payloads(tenant_id, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oidc_payloads_expiry ON oidc_payloads(expires_at) WHERE expires_at IS NOT NULL;
