import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/connection.js';
import { writingIdentities, type Identity, type UserProfile } from './users.js';

/**
 * What Microsoft Graph does to users beyond what the sign-in pages need: list with filters and
 * keyset paging, partial updates, soft delete (30 days in deleted items), restore and purge,
 * revoking sessions. Same tables as UserRepository: one directory, one source of truth.
 */
export const DELETED_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** A WHERE fragment over `users u`, with its parameters. */
export interface UserCondition {
  sql: string;
  params: unknown[];
  /** an index finds the matching users (identity, mail, displayName, id): see list() */
  indexed?: boolean;
}

export interface ListQuery {
  conditions: UserCondition[];
  orderBy: 'id' | 'displayName';
  /** keyset: rows after this (sort key, id) */
  after?: { key: string; id: string } | undefined;
  limit: number;
  deleted?: boolean;
}

/** The profile columns Graph may set, by Graph property name. */
export const PROFILE_COLUMNS: Record<keyof UserProfile, string> = {
  displayName: 'display_name', givenName: 'given_name', surname: 'surname', mail: 'mail', city: 'city', country: 'country',
  state: 'state', postalCode: 'postal_code', streetAddress: 'street_address', jobTitle: 'job_title', companyName: 'company_name',
};

export class UserAdminRepository {
  readonly #db: Db;
  readonly #statements = new Map<string, Statement<unknown[]>>();

  constructor(db: Db) {
    this.#db = db;
  }

  #stmt(sql: string) {
    let s = this.#statements.get(sql);
    if (!s) {
      s = this.#db.prepare<unknown[]>(sql);
      if (this.#statements.size > 500) this.#statements.clear();
      this.#statements.set(sql, s);
    }
    return s;
  }

  #where(tenantId: string, q: Pick<ListQuery, 'conditions' | 'deleted'>): { sql: string; params: unknown[] } {
    const parts = ['u.tenant_id = ?', q.deleted ? 'u.deleted_at IS NOT NULL' : 'u.deleted_at IS NULL', ...q.conditions.map((c) => `(${c.sql})`)];
    return { sql: parts.join(' AND '), params: [tenantId, ...q.conditions.flatMap((c) => c.params)] };
  }

  /** Runs `fn` in one transaction (a Graph PATCH changes several tables at once). */
  transaction(fn: () => void): void {
    this.#db.transaction(fn)();
  }

  /** Ids (with their sort key) of one page of users, in order. */
  list(tenantId: string, q: ListQuery): { id: string; key: string }[] {
    const where = this.#where(tenantId, q);
    // With a condition an index answers, the matches are read through that index and sorted. `+u.id`
    // stops SQLite (which has no statistics) from preferring to read the whole tenant in id order to
    // skip the sort: with a million users that is a million rows for each page of a rare match.
    const idExpr = q.conditions.some((c) => c.indexed) ? '+u.id' : 'u.id';
    const keyExpr = q.orderBy === 'displayName' ? "coalesce(u.display_name, '')" : idExpr;
    let sql = `SELECT u.id AS id, ${keyExpr} AS key FROM users u WHERE ${where.sql}`;
    const params = [...where.params];
    if (q.after) {
      sql += ` AND (${keyExpr} > ? OR (${keyExpr} = ? AND u.id > ?))`;
      params.push(q.after.key, q.after.key, q.after.id);
    }
    sql += ` ORDER BY ${keyExpr}, u.id LIMIT ?`;
    params.push(q.limit);
    return this.#stmt(sql).all(...params) as { id: string; key: string }[];
  }

  count(tenantId: string, q: Pick<ListQuery, 'conditions' | 'deleted'>): number {
    const where = this.#where(tenantId, q);
    return (this.#stmt(`SELECT count(*) AS n FROM users u WHERE ${where.sql}`).get(...where.params) as { n: number }).n;
  }

  /** Sets the given profile columns (Graph property names); others keep their values. */
  updateProfile(tenantId: string, id: string, values: Partial<Record<keyof UserProfile, string | null>>): void {
    const keys = Object.keys(values) as (keyof UserProfile)[];
    if (!keys.length) return;
    const sets = keys.map((k) => `${PROFILE_COLUMNS[k]} = ?`).join(', ');
    this.#stmt(`UPDATE users SET ${sets} WHERE tenant_id = ? AND id = ?`).run(...keys.map((k) => values[k] ?? null), tenantId, id);
  }

  setAccountEnabled(tenantId: string, id: string, enabled: boolean): void {
    this.#stmt('UPDATE users SET account_enabled = ? WHERE tenant_id = ? AND id = ?').run(enabled ? 1 : 0, tenantId, id);
  }

  setPasswordPolicies(tenantId: string, id: string, policies: string | null): void {
    this.#stmt('UPDATE users SET password_policies = ? WHERE tenant_id = ? AND id = ?').run(policies, tenantId, id);
  }

  passwordPolicies(tenantId: string, id: string): string | null {
    const r = this.#stmt('SELECT password_policies AS p FROM users WHERE tenant_id = ? AND id = ?').get(tenantId, id) as { p: string | null } | undefined;
    return r?.p ?? null;
  }

  /** forceChangePasswordNextSignIn: the hosted sign-in page should ask for a new password. */
  setForceChangePassword(tenantId: string, id: string, force: boolean): void {
    this.#stmt('UPDATE users SET force_change_password = ? WHERE tenant_id = ? AND id = ?').run(force ? 1 : 0, tenantId, id);
  }

  /**
   * Replaces a user's sign-in identities; IdentityTakenError when another user (deleted ones
   * included) holds one, or the list names one twice: the identities primary key decides, so
   * concurrent requests cannot both take an identity.
   */
  replaceIdentities(tenantId: string, id: string, identities: Identity[]): void {
    this.#db.transaction(() => {
      this.#stmt('DELETE FROM identities WHERE tenant_id = ? AND user_id = ?').run(tenantId, id);
      writingIdentities(() => {
        for (const i of identities) {
          this.#stmt('INSERT INTO identities (tenant_id, user_id, sign_in_type, issuer, issuer_assigned_id) VALUES (?, ?, ?, ?, ?)')
            .run(tenantId, id, i.signInType, i.issuer, i.issuerAssignedId);
        }
      });
    })();
  }

  /** revokeSignInSessions: sessions and refresh tokens issued before `now` stop working. */
  revokeSessions(tenantId: string, id: string, nowMs: number): void {
    this.#stmt('UPDATE users SET sessions_valid_from = ? WHERE tenant_id = ? AND id = ?').run(nowMs, tenantId, id);
  }

  softDelete(tenantId: string, id: string, nowMs: number): void {
    this.#stmt('UPDATE users SET deleted_at = ? WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL').run(nowMs, tenantId, id);
  }

  restore(tenantId: string, id: string): boolean {
    return this.#stmt('UPDATE users SET deleted_at = NULL WHERE tenant_id = ? AND id = ? AND deleted_at IS NOT NULL').run(tenantId, id).changes > 0;
  }

  /** Deletes a soft-deleted user for good (identities, attribute values and memberships cascade). */
  purge(tenantId: string, id: string): boolean {
    return this.#stmt('DELETE FROM users WHERE tenant_id = ? AND id = ? AND deleted_at IS NOT NULL').run(tenantId, id).changes > 0;
  }

  /** Users deleted more than 30 days ago are gone for good, as in Entra. */
  purgeExpired(tenantId: string, nowMs: number): void {
    this.#stmt('DELETE FROM users WHERE tenant_id = ? AND deleted_at IS NOT NULL AND deleted_at <= ?').run(tenantId, nowMs - DELETED_RETENTION_MS);
  }

  lastPasswordChange(tenantId: string, id: string): number | null {
    const r = this.#stmt('SELECT last_password_change_at AS t FROM users WHERE tenant_id = ? AND id = ?').get(tenantId, id) as { t: number | null } | undefined;
    return r?.t ?? null;
  }

  deleteExtensionValue(tenantId: string, id: string, attributeId: string): void {
    this.#stmt('DELETE FROM user_extension_values WHERE tenant_id = ? AND user_id = ? AND attribute_id = ?').run(tenantId, id, attributeId);
  }
}
