-- Signing-key rollover (server/oidc/keys.ts): a key signs from `activates_at` (epoch ms) until the
-- next key activates, and is published before and for the longest token lifetime after. Keys made
-- before this migration sign from the start (0), as do keys of snapshots exported before it.
ALTER TABLE signing_keys ADD COLUMN activates_at INTEGER NOT NULL DEFAULT 0;
