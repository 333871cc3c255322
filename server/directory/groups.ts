import type { Db } from '../db/connection.js';

/** A security group (Graph `group`); its members are users. */
export interface Group {
  tenantId: string;
  id: string;
  displayName: string;
  description: string | null;
  mailNickname: string | null;
  mailEnabled: boolean;
  securityEnabled: boolean;
  createdAt: number;
}

interface Row {
  tenant_id: string; id: string; display_name: string; description: string | null; mail_nickname: string | null;
  mail_enabled: number; security_enabled: number; created_at: number;
}

const toGroup = (r: Row): Group => ({
  tenantId: r.tenant_id, id: r.id, displayName: r.display_name, description: r.description, mailNickname: r.mail_nickname,
  mailEnabled: r.mail_enabled === 1, securityEnabled: r.security_enabled === 1, createdAt: r.created_at,
});

export type GroupInput = Omit<Group, 'tenantId' | 'createdAt'>;

export class GroupRepository {
  readonly #get;
  readonly #list;
  readonly #upsert;
  readonly #delete;
  readonly #members;
  readonly #addMember;
  readonly #removeMember;
  readonly #memberOf;
  readonly #claimsSetting;
  readonly #setClaimsSetting;

  constructor(db: Db) {
    this.#get = db.prepare<[string, string], Row>('SELECT * FROM groups WHERE tenant_id = ? AND id = lower(?)');
    this.#list = db.prepare<[string], Row>('SELECT * FROM groups WHERE tenant_id = ? ORDER BY display_name, id');
    this.#upsert = db.prepare(`INSERT INTO groups (tenant_id, id, display_name, description, mail_nickname, mail_enabled, security_enabled, created_at)
      VALUES (@tenantId, @id, @displayName, @description, @mailNickname, @mailEnabled, @securityEnabled, @now)
      ON CONFLICT (tenant_id, id) DO UPDATE SET display_name = excluded.display_name, description = excluded.description,
        mail_nickname = excluded.mail_nickname, mail_enabled = excluded.mail_enabled, security_enabled = excluded.security_enabled`);
    this.#delete = db.prepare('DELETE FROM groups WHERE tenant_id = ? AND id = ?');
    this.#members = db.prepare<[string, string], { member_id: string }>(`SELECT m.member_id FROM group_members m
      JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.member_id AND u.deleted_at IS NULL
      WHERE m.tenant_id = ? AND m.group_id = ? ORDER BY m.member_id`);
    this.#addMember = db.prepare('INSERT INTO group_members (tenant_id, group_id, member_id) VALUES (?, ?, ?)');
    this.#removeMember = db.prepare('DELETE FROM group_members WHERE tenant_id = ? AND group_id = ? AND member_id = ?');
    this.#memberOf = db.prepare<[string, string], Row>(`SELECT g.* FROM group_members m JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
      WHERE m.tenant_id = ? AND m.member_id = ? ORDER BY g.display_name, g.id`);
    this.#claimsSetting = db.prepare<[string, string], { v: string | null }>(
      'SELECT group_membership_claims AS v FROM applications WHERE tenant_id = ? AND app_id = lower(?)');
    this.#setClaimsSetting = db.prepare('UPDATE applications SET group_membership_claims = ? WHERE tenant_id = ? AND app_id = lower(?)');
  }

  get(tenantId: string, id: string): Group | undefined {
    const r = this.#get.get(tenantId, id);
    return r && toGroup(r);
  }

  list(tenantId: string): Group[] {
    return this.#list.all(tenantId).map(toGroup);
  }

  upsert(tenantId: string, g: GroupInput, now: number): void {
    this.#upsert.run({ tenantId, id: g.id.toLowerCase(), displayName: g.displayName, description: g.description, mailNickname: g.mailNickname,
      mailEnabled: g.mailEnabled ? 1 : 0, securityEnabled: g.securityEnabled ? 1 : 0, now });
  }

  delete(tenantId: string, id: string): void {
    this.#delete.run(tenantId, id);
  }

  memberIds(tenantId: string, groupId: string): string[] {
    return this.#members.all(tenantId, groupId).map((r) => r.member_id);
  }

  /** Adds a member; false when it already was one. */
  addMember(tenantId: string, groupId: string, userId: string): boolean {
    try {
      this.#addMember.run(tenantId, groupId, userId);
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
      throw e;
    }
  }

  removeMember(tenantId: string, groupId: string, userId: string): boolean {
    return this.#removeMember.run(tenantId, groupId, userId).changes > 0;
  }

  /** The groups a user is a direct member of. */
  memberOf(tenantId: string, userId: string): Group[] {
    return this.#memberOf.all(tenantId, userId).map(toGroup);
  }

  /** application.groupMembershipClaims ('SecurityGroup', 'All', 'None' or null): whether tokens carry `groups`. */
  groupMembershipClaims(tenantId: string, appId: string): string | null {
    return this.#claimsSetting.get(tenantId, appId)?.v ?? null;
  }

  setGroupMembershipClaims(tenantId: string, appId: string, value: string | null): void {
    this.#setClaimsSetting.run(value, tenantId, appId);
  }
}
