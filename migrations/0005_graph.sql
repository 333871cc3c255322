-- Microsoft Graph: groups and their members, and apps that ask for the `groups` claim.

CREATE TABLE groups (
  tenant_id         TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id                TEXT NOT NULL,
  display_name      TEXT NOT NULL,
  description       TEXT,
  mail_nickname     TEXT,
  mail_enabled      INTEGER NOT NULL DEFAULT 0,
  security_enabled  INTEGER NOT NULL DEFAULT 1,
  created_at        INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);

-- Members are users here (Graph allows other directory objects; the emulator does not yet).
CREATE TABLE group_members (
  tenant_id  TEXT NOT NULL,
  group_id   TEXT NOT NULL,
  member_id  TEXT NOT NULL,
  PRIMARY KEY (tenant_id, group_id, member_id),
  FOREIGN KEY (tenant_id, group_id) REFERENCES groups(tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, member_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX group_members_member ON group_members(tenant_id, member_id);

-- Graph's application.groupMembershipClaims ('None', 'SecurityGroup', 'All'): puts group object ids in tokens.
ALTER TABLE applications ADD COLUMN group_membership_claims TEXT;

-- Users listed in id order by Graph paging; deleted users listed by deletion time.
CREATE INDEX users_deleted ON users(tenant_id, deleted_at);
CREATE INDEX user_extension_values_attr ON user_extension_values(tenant_id, attribute_id, value_json);
