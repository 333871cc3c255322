-- The tenant's directory: what Entra keeps per customer tenant and Microsoft Graph exposes.
-- Every table is keyed by tenant, so tenants stay isolated.

CREATE TABLE tenants (
  id                     TEXT PRIMARY KEY,             -- tenant GUID
  subdomain              TEXT NOT NULL UNIQUE COLLATE NOCASE,  -- 'contoso' of contoso.ciamlogin.com
  default_domain         TEXT NOT NULL UNIQUE COLLATE NOCASE,  -- contoso.onmicrosoft.com
  display_name           TEXT NOT NULL,
  b2c_extensions_app_id  TEXT,
  branding_json          TEXT NOT NULL DEFAULT '{}',
  -- secrets the emulator makes for itself at first start (cookie signing keys)
  cookie_keys_json       TEXT NOT NULL,
  created_at             INTEGER NOT NULL
);

CREATE TABLE applications (
  tenant_id                   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id                          TEXT NOT NULL,           -- object id
  app_id                      TEXT NOT NULL,           -- client id
  display_name                TEXT NOT NULL,
  web_redirect_uris_json      TEXT NOT NULL DEFAULT '[]',
  spa_redirect_uris_json      TEXT NOT NULL DEFAULT '[]',
  public_redirect_uris_json   TEXT NOT NULL DEFAULT '[]',
  logout_url                  TEXT,
  id_token_issuance           INTEGER NOT NULL DEFAULT 0,  -- web.implicitGrantSettings.enableIdTokenIssuance
  access_token_issuance       INTEGER NOT NULL DEFAULT 0,  -- web.implicitGrantSettings.enableAccessTokenIssuance
  is_fallback_public_client   INTEGER NOT NULL DEFAULT 0,
  identifier_uris_json        TEXT NOT NULL DEFAULT '[]',
  access_token_version        INTEGER NOT NULL DEFAULT 2,  -- api.requestedAccessTokenVersion
  scopes_json                 TEXT NOT NULL DEFAULT '[]',  -- api.oauth2PermissionScopes [{id,value,…}]
  app_roles_json              TEXT NOT NULL DEFAULT '[]',  -- appRoles [{id,value,allowedMemberTypes,…}]
  -- permissions granted with admin consent: [{resourceAppId, scopes:[value], roles:[value]}]
  granted_permissions_json    TEXT NOT NULL DEFAULT '[]',
  optional_claims_json        TEXT NOT NULL DEFAULT '{}',
  created_at                  INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, app_id)
);

-- Client secrets (passwordCredentials), stored as SHA-256: they are high-entropy, so a fast hash is
-- safe, and argon2 at the token endpoint would cap it at tens of requests per second.
CREATE TABLE app_passwords (
  tenant_id        TEXT NOT NULL,
  app_object_id    TEXT NOT NULL,
  key_id           TEXT NOT NULL,
  display_name     TEXT,
  hint             TEXT NOT NULL,
  secret_sha256    TEXT NOT NULL,
  start_at         INTEGER NOT NULL,
  end_at           INTEGER,
  PRIMARY KEY (tenant_id, key_id),
  FOREIGN KEY (tenant_id, app_object_id) REFERENCES applications(tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE users (
  tenant_id                 TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id                        TEXT NOT NULL,             -- object id (oid)
  display_name              TEXT,
  given_name                TEXT,
  surname                   TEXT,
  mail                      TEXT COLLATE NOCASE,
  city                      TEXT,
  country                   TEXT,
  state                     TEXT,
  postal_code               TEXT,
  street_address            TEXT,
  job_title                 TEXT,
  company_name              TEXT,
  account_enabled           INTEGER NOT NULL DEFAULT 1,
  user_type                 TEXT NOT NULL DEFAULT 'Member',
  creation_type             TEXT,
  password_hash             TEXT,                      -- argon2id; NULL for email-OTP users
  force_change_password     INTEGER NOT NULL DEFAULT 0,
  password_policies         TEXT,
  last_password_change_at   INTEGER,
  sessions_valid_from       INTEGER,                   -- revokeSignInSessions
  -- smart lockout state (Entra: 10 failures lock for 60 s; a repeated wrong password counts once)
  failed_sign_ins           INTEGER NOT NULL DEFAULT 0,
  lockout_until             INTEGER,
  recent_bad_passwords_json TEXT NOT NULL DEFAULT '[]',
  created_at                INTEGER NOT NULL,
  deleted_at                INTEGER,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX users_mail ON users(tenant_id, mail);
CREATE INDEX users_display_name ON users(tenant_id, display_name);

-- Sign-in names (Graph `identities`). (issuer, issuerAssignedId) is unique in the tenant.
CREATE TABLE identities (
  tenant_id           TEXT NOT NULL,
  user_id             TEXT NOT NULL,
  sign_in_type        TEXT NOT NULL,
  issuer              TEXT NOT NULL COLLATE NOCASE,
  issuer_assigned_id  TEXT NOT NULL COLLATE NOCASE,
  PRIMARY KEY (tenant_id, issuer, issuer_assigned_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX identities_user ON identities(tenant_id, user_id);

-- Token signing keys, per tenant, generated at first start and kept.
CREATE TABLE signing_keys (
  tenant_id         TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kid               TEXT NOT NULL,
  alg               TEXT NOT NULL,
  private_jwk_json  TEXT NOT NULL,
  created_at        INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, kid)
);

-- What each fixture record looked like when it was last applied, so an unchanged fixture does not
-- overwrite runtime changes (a reset password) at restart while an edited one wins.
CREATE TABLE fixture_digests (
  tenant_id  TEXT NOT NULL,
  kind       TEXT NOT NULL,
  record_id  TEXT NOT NULL,
  digest     TEXT NOT NULL,
  PRIMARY KEY (tenant_id, kind, record_id)
);
