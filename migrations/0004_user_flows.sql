-- User flows (Graph: externalUsersSelfServiceSignUpEventsFlow), custom attributes and the runtime
-- state of self-service flows: one-time codes and flow transactions.

CREATE TABLE user_flows (
  tenant_id            TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id                   TEXT NOT NULL,
  display_name         TEXT NOT NULL,
  identity_providers   TEXT NOT NULL,   -- JSON ["EmailPassword-OAUTH"] or ["EmailOtpSignup-OAUTH"]
  is_sign_up_allowed   INTEGER NOT NULL DEFAULT 0,
  inputs_json          TEXT NOT NULL DEFAULT '[]',  -- the attribute collection page's inputs, in order
  created_at           INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, display_name)
);

-- An app is linked to at most one user flow (Entra's rule); the primary key enforces it.
CREATE TABLE user_flow_apps (
  tenant_id  TEXT NOT NULL,
  app_id     TEXT NOT NULL,
  flow_id    TEXT NOT NULL,
  PRIMARY KEY (tenant_id, app_id),
  FOREIGN KEY (tenant_id, flow_id) REFERENCES user_flows(tenant_id, id) ON DELETE CASCADE
);

-- Custom user attributes (identityUserFlowAttribute, userFlowAttributeType 'custom'), kept on the
-- b2c-extensions-app as extension_<appId without hyphens>_<name>.
CREATE TABLE custom_attributes (
  tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id            TEXT NOT NULL,
  name          TEXT NOT NULL,
  display_name  TEXT NOT NULL,
  description   TEXT,
  data_type     TEXT NOT NULL CHECK (data_type IN ('string', 'boolean', 'int64')),
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE user_extension_values (
  tenant_id     TEXT NOT NULL,
  user_id       TEXT NOT NULL,
  attribute_id  TEXT NOT NULL,
  value_json    TEXT NOT NULL,
  PRIMARY KEY (tenant_id, user_id, attribute_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
);

-- Claims an app adds to its tokens from user attributes (Enterprise app → Attributes & Claims).
ALTER TABLE applications ADD COLUMN claims_mapping_json TEXT NOT NULL DEFAULT '[]';
-- Fixed one-time codes per email address (fixtures), for deterministic tests.
ALTER TABLE tenants ADD COLUMN fixed_codes_json TEXT NOT NULL DEFAULT '{}';

-- A self-service flow in progress (sign-up, email-code sign-in, password reset), shared by the hosted
-- pages and the native authentication API: what has been proven so far and what is pending.
CREATE TABLE flow_transactions (
  tenant_id        TEXT NOT NULL,
  id               TEXT NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('signUp', 'signIn', 'passwordReset')),
  client_id        TEXT NOT NULL,
  email            TEXT NOT NULL COLLATE NOCASE,
  user_id          TEXT,
  step             TEXT NOT NULL,
  password_hash    TEXT,
  attributes_json  TEXT NOT NULL DEFAULT '{}',
  verified_at      INTEGER,
  expires_at       INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);

-- Emailed one-time codes, stored hashed; single-use, expiring, with an attempt limit.
CREATE TABLE one_time_codes (
  tenant_id       TEXT NOT NULL,
  transaction_id  TEXT NOT NULL,
  code_hash       TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  expires_at      INTEGER NOT NULL,
  consumed_at     INTEGER,
  created_at      INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, transaction_id)
);
