-- An application's certificate credentials (Graph: application.keyCredentials, type AsymmetricX509Cert,
-- usage Verify): the public certificate only, never a private key. The token endpoint verifies
-- client assertions (private_key_jwt) against them, finding the key by its SHA-1 (`x5t`) or
-- SHA-256 (`x5t#S256`) thumbprint as Entra does.
CREATE TABLE app_keys (
  tenant_id              TEXT NOT NULL,
  app_object_id          TEXT NOT NULL,
  key_id                 TEXT NOT NULL,
  display_name           TEXT,
  custom_key_identifier  TEXT,
  -- base64 DER of the X.509 certificate
  cert_der_base64        TEXT NOT NULL,
  -- upper-case hex, as Entra prints them in AADSTS700027
  thumbprint_sha1        TEXT NOT NULL,
  thumbprint_sha256      TEXT NOT NULL,
  start_at               INTEGER NOT NULL,
  end_at                 INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, key_id),
  FOREIGN KEY (tenant_id, app_object_id) REFERENCES applications(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX app_keys_app ON app_keys(tenant_id, app_object_id);
