-- The emulator's control plane (/_emulator/v1): what each tenant resets to, and recent sign-ins.

-- The fixture set a tenant was made from (files at start, or POST /_emulator/v1/tenants), so
-- POST …/reset can return to it without reading files.
CREATE TABLE tenant_fixtures (
  tenant_id   TEXT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  set_json    TEXT NOT NULL
);

-- Sign-in events (Graph's signIn shape, reduced): GET /_emulator/v1/tenants/{t}/sign-ins.
CREATE TABLE sign_in_events (
  tenant_id        TEXT NOT NULL,
  id               TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  user_id          TEXT,
  user_name        TEXT,
  app_id           TEXT,
  method           TEXT NOT NULL,      -- password | emailCode | signUp | passwordReset | loginAs
  error_code       INTEGER NOT NULL,   -- 0 for success, else the AADSTS code
  failure_reason   TEXT,
  correlation_id   TEXT,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX sign_in_events_time ON sign_in_events(tenant_id, created_at);
