-- Protocol artefacts (codes, refresh tokens, sessions, interactions) are now stored under the
-- SHA-256 of their id, not the id itself, and their payloads no longer repeat it (server/oidc/adapter.ts):
-- a copied database file must not hand out live tokens. The rows written before cannot be rekeyed
-- in SQL (no SHA-256 here), and they all live minutes to days, so they are dropped: upgrading signs
-- everyone out once and earlier refresh tokens stop working.
DELETE FROM oidc_payloads;

-- The interaction ceiling (adapter.ts MAX_LIVE_INTERACTIONS) counts and evicts one tenant's
-- interactions oldest first; this index serves both without reading other rows.
CREATE INDEX oidc_payloads_model_expiry ON oidc_payloads(tenant_id, model, expires_at);
