import type { Db } from '../db/connection.js';

export interface Identity {
  signInType: string;
  issuer: string;
  issuerAssignedId: string;
}

/** Built-in profile attributes, named as Microsoft Graph names them. */
export interface UserProfile {
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  city: string | null;
  country: string | null;
  state: string | null;
  postalCode: string | null;
  streetAddress: string | null;
  jobTitle: string | null;
  companyName: string | null;
}

export interface User extends UserProfile {
  tenantId: string;
  id: string;
  accountEnabled: boolean;
  userType: string;
  creationType: string | null;
  passwordHash: string | null;
  forceChangePassword: boolean;
  sessionsValidFrom: number | null;
  failedSignIns: number;
  lockoutUntil: number | null;
  recentBadPasswords: string[];
  createdAt: number;
  identities: Identity[];
}

/**
 * A sign-in identity (issuer, issuerAssignedId) another user already holds. The database enforces
 * the uniqueness (the identities primary key), so two concurrent writers cannot both win; this is
 * what a violation of it becomes for the callers (Graph answers its ObjectConflict).
 */
export class IdentityTakenError extends Error {
  constructor() {
    super('Another user already holds one of these sign-in identities.');
    this.name = 'IdentityTakenError';
  }
}

/** Runs an identities write, turning the primary key violation into IdentityTakenError. */
export function writingIdentities<T>(write: () => T): T {
  try {
    return write();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') throw new IdentityTakenError();
    throw e;
  }
}

export interface LockoutState {
  failedSignIns: number;
  lockoutUntil: number | null;
  recentBadPasswords: string[];
}

interface UserRow {
  tenant_id: string;
  id: string;
  display_name: string | null;
  given_name: string | null;
  surname: string | null;
  mail: string | null;
  city: string | null;
  country: string | null;
  state: string | null;
  postal_code: string | null;
  street_address: string | null;
  job_title: string | null;
  company_name: string | null;
  account_enabled: number;
  user_type: string;
  creation_type: string | null;
  password_hash: string | null;
  force_change_password: number;
  sessions_valid_from: number | null;
  failed_sign_ins: number;
  lockout_until: number | null;
  recent_bad_passwords_json: string;
  created_at: number;
}

interface IdentityRow {
  sign_in_type: string;
  issuer: string;
  issuer_assigned_id: string;
}

export type UserInput = UserProfile & {
  id: string;
  accountEnabled: boolean;
  userType: string;
  creationType: string | null;
  passwordHash: string | null;
  forceChangePassword: boolean;
  identities: Identity[];
};

export class UserRepository {
  readonly #db: Db;
  readonly #byId;
  readonly #bySignInName;
  readonly #identities;
  readonly #upsert;
  readonly #deleteIdentities;
  readonly #insertIdentity;
  readonly #lockout;
  readonly #setPassword;

  constructor(db: Db) {
    this.#db = db;
    this.#byId = db.prepare<[string, string], UserRow>('SELECT * FROM users WHERE tenant_id = ? AND id = lower(?) AND deleted_at IS NULL');
    this.#bySignInName = db.prepare<[string, string], UserRow>(`
      SELECT u.* FROM identities i JOIN users u ON u.tenant_id = i.tenant_id AND u.id = i.user_id
      WHERE i.tenant_id = ? AND i.issuer_assigned_id = ? AND i.sign_in_type IN ('emailAddress', 'userName')
        AND u.deleted_at IS NULL LIMIT 1`);
    this.#identities = db.prepare<[string, string], IdentityRow>(
      'SELECT sign_in_type, issuer, issuer_assigned_id FROM identities WHERE tenant_id = ? AND user_id = ? ORDER BY rowid');
    this.#upsert = db.prepare(`
      INSERT INTO users (tenant_id, id, display_name, given_name, surname, mail, city, country, state, postal_code,
        street_address, job_title, company_name, account_enabled, user_type, creation_type, password_hash,
        force_change_password, last_password_change_at, created_at)
      VALUES (@tenantId, @id, @displayName, @givenName, @surname, @mail, @city, @country, @state, @postalCode,
        @streetAddress, @jobTitle, @companyName, @accountEnabled, @userType, @creationType, @passwordHash,
        @forceChangePassword, @now, @now)
      ON CONFLICT (tenant_id, id) DO UPDATE SET display_name = excluded.display_name, given_name = excluded.given_name,
        surname = excluded.surname, mail = excluded.mail, city = excluded.city, country = excluded.country,
        state = excluded.state, postal_code = excluded.postal_code, street_address = excluded.street_address,
        job_title = excluded.job_title, company_name = excluded.company_name, account_enabled = excluded.account_enabled,
        user_type = excluded.user_type, creation_type = excluded.creation_type, password_hash = excluded.password_hash,
        force_change_password = excluded.force_change_password, last_password_change_at = excluded.last_password_change_at,
        failed_sign_ins = 0, lockout_until = NULL, recent_bad_passwords_json = '[]', deleted_at = NULL`);
    this.#deleteIdentities = db.prepare('DELETE FROM identities WHERE tenant_id = ? AND user_id = ?');
    this.#insertIdentity = db.prepare(
      'INSERT INTO identities (tenant_id, user_id, sign_in_type, issuer, issuer_assigned_id) VALUES (?, ?, ?, ?, ?)');
    this.#setPassword = db.prepare(`UPDATE users SET password_hash = @passwordHash, force_change_password = 0, last_password_change_at = @now,
      failed_sign_ins = 0, lockout_until = NULL, recent_bad_passwords_json = '[]' WHERE tenant_id = @tenantId AND id = @id`);
    this.#lockout = db.prepare(`UPDATE users SET failed_sign_ins = @failedSignIns, lockout_until = @lockoutUntil,
      recent_bad_passwords_json = @recentBadPasswords WHERE tenant_id = @tenantId AND id = @id`);
  }

  #toUser(r: UserRow): User {
    return {
      tenantId: r.tenant_id,
      id: r.id,
      displayName: r.display_name,
      givenName: r.given_name,
      surname: r.surname,
      mail: r.mail,
      city: r.city,
      country: r.country,
      state: r.state,
      postalCode: r.postal_code,
      streetAddress: r.street_address,
      jobTitle: r.job_title,
      companyName: r.company_name,
      accountEnabled: r.account_enabled === 1,
      userType: r.user_type,
      creationType: r.creation_type,
      passwordHash: r.password_hash,
      forceChangePassword: r.force_change_password === 1,
      sessionsValidFrom: r.sessions_valid_from,
      failedSignIns: r.failed_sign_ins,
      lockoutUntil: r.lockout_until,
      recentBadPasswords: JSON.parse(r.recent_bad_passwords_json) as string[],
      createdAt: r.created_at,
      identities: this.#identities.all(r.tenant_id, r.id).map((i) => ({
        signInType: i.sign_in_type,
        issuer: i.issuer,
        issuerAssignedId: i.issuer_assigned_id,
      })),
    };
  }

  findById(tenantId: string, id: string): User | undefined {
    const row = this.#byId.get(tenantId, id);
    return row && this.#toUser(row);
  }

  // Added for Microsoft Graph (server/graph): deleted items (soft-deleted users) are read too.
  /** A user even if soft-deleted, with the deletion time (ms) or null. */
  findByIdIncludingDeleted(tenantId: string, id: string): (User & { deletedAt: number | null }) | undefined {
    const row = this.#db.prepare<[string, string], UserRow & { deleted_at: number | null }>(
      'SELECT * FROM users WHERE tenant_id = ? AND id = lower(?)').get(tenantId, id);
    return row && { ...this.#toUser(row), deletedAt: row.deleted_at };
  }

  /** The user who signs in with this email address or user name (case-insensitive), if any. */
  findBySignInName(tenantId: string, signInName: string): User | undefined {
    const row = this.#bySignInName.get(tenantId, signInName.trim());
    return row && this.#toUser(row);
  }

  /** Creates or replaces a user and its identities in one transaction; IdentityTakenError if another user holds one. */
  upsert(tenantId: string, u: UserInput, now: number): void {
    this.#db.transaction(() => {
      const { identities, ...rest } = u;
      this.#upsert.run({
        ...rest,
        tenantId,
        id: u.id.toLowerCase(),
        accountEnabled: u.accountEnabled ? 1 : 0,
        forceChangePassword: u.forceChangePassword ? 1 : 0,
        now,
      });
      this.#deleteIdentities.run(tenantId, u.id.toLowerCase());
      writingIdentities(() => {
        for (const i of identities) this.#insertIdentity.run(tenantId, u.id.toLowerCase(), i.signInType, i.issuer, i.issuerAssignedId);
      });
    })();
  }

  /** A new password (self-service reset, admin reset): it also ends any lockout. */
  setPassword(tenantId: string, id: string, passwordHash: string, now: number): void {
    this.#setPassword.run({ tenantId, id, passwordHash, now });
  }

  saveLockoutState(tenantId: string, id: string, s: LockoutState): void {
    this.#lockout.run({ tenantId, id, ...s, recentBadPasswords: JSON.stringify(s.recentBadPasswords) });
  }
}
