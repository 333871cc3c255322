-- Indexes a directory of a million customers needs (bench/scale.ts measures them).

-- Sign-in by email or user name (UserRepository.findBySignInName) looks identities up without the
-- issuer; the primary key (tenant_id, issuer, issuer_assigned_id) cannot serve that, so every
-- sign-in read the whole tenant's identities.
CREATE INDEX identities_sign_in_name ON identities(tenant_id, issuer_assigned_id);

-- Graph compares strings case-insensitively: `displayName eq '…'` runs as `= ? COLLATE NOCASE` and
-- `startsWith(displayName,'…')` as a case-insensitive LIKE, and neither can use a BINARY index.
-- display_name is a BINARY column (mail is NOCASE already), so its index is rebuilt as NOCASE.
DROP INDEX users_display_name;
CREATE INDEX users_display_name ON users(tenant_id, display_name COLLATE NOCASE);

-- Only deleted users are looked up by deletion time (deleted items, the 30-day purge). Indexing
-- every live user under deleted_at = NULL made `deleted_at IS NULL` look like an equality as
-- selective as `mail = ?` to the planner (no statistics), so `mail eq '…'` could read the whole
-- tenant in id order instead of using users_mail. A partial index holds the deleted users only.
DROP INDEX users_deleted;
CREATE INDEX users_deleted ON users(tenant_id, deleted_at) WHERE deleted_at IS NOT NULL;
