import type { Db } from '../db/connection.js';
import type { Random } from '../clock.js';
import type { AttributeValue } from './attributes.js';
import type { Identity, UserProfile } from './users.js';

/**
 * Bulk user import: many customer users into one tenant, as Entra's bulk create (Users → Bulk
 * operations) or a migration from another identity store fills a directory, without one Graph call
 * (and one argon2 hash) per user. Rows go in through one prepared statement per table inside
 * batched transactions, so a million users take seconds to minutes rather than hours.
 *
 * Passwords: hashing each user's password with argon2 would take ~25 ms per user (OWASP profile),
 * days for a million, so the caller hashes once and every imported user shares that hash (each can
 * still sign in with that password); a user may carry its own precomputed hash instead.
 *
 * Batches are atomic, the whole import is not: a bad row stops the import and rolls back its batch,
 * and the error says how many users (the batches before it) were imported. Graph's rules the
 * directory's constraints enforce hold here too: an identity taken by another user is refused.
 */
export interface BulkUser extends Partial<UserProfile> {
  /** object id; a new random UUID when absent */
  id?: string;
  accountEnabled?: boolean;
  /** emailAddress / userName identities (issuer: the tenant's default domain) */
  identities: Identity[];
  /** a precomputed argon2 hash for this user; otherwise the import's shared one */
  passwordHash?: string | null;
  /** extension_<appid>_<name> → value, as Graph names custom attributes */
  extensions?: Record<string, AttributeValue>;
}

export interface BulkImportOptions {
  /** the hash every user without its own gets (null: passwordless users, e.g. email one-time code) */
  passwordHash: string | null;
  /** createdDateTime and lastPasswordChangeDateTime of the users (ms) */
  now: number;
  random: Random;
  /** users per transaction (default 10,000) */
  batchSize?: number;
  /** called after each committed batch with the number of users imported so far */
  onProgress?: (imported: number) => void;
}

export interface BulkImportResult {
  users: number;
  identities: number;
  extensionValues: number;
}

export class BulkImportError extends Error {
  /** users committed before the failing batch */
  readonly imported: number;
  /** 0-based position of the rejected user in the input */
  readonly index: number;
  constructor(index: number, imported: number, message: string) {
    super(`user #${index}: ${message} (${imported} users imported before it)`);
    this.name = 'BulkImportError';
    this.index = index;
    this.imported = imported;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EXTENSION = /^extension_[0-9a-f]{32}_[A-Za-z0-9_]+$/;
const LOCAL_SIGN_IN_TYPES = new Set(['emailAddress', 'userName']);

/** Imports `users` into `tenantId` (which must exist). Reads the iterable lazily: a generator of a million users is fine. */
export function importUsers(db: Db, tenantId: string, users: Iterable<BulkUser>, options: BulkImportOptions): BulkImportResult {
  const tenant = db.prepare<[string], { default_domain: string }>('SELECT default_domain FROM tenants WHERE id = ?').get(tenantId);
  if (!tenant) throw new BulkImportError(0, 0, `no tenant '${tenantId}'`);
  const domain = tenant.default_domain.toLowerCase();
  const batchSize = Math.max(1, options.batchSize ?? 10_000);
  const insertUser = db.prepare(`INSERT INTO users (tenant_id, id, display_name, given_name, surname, mail, city, country, state,
    postal_code, street_address, job_title, company_name, account_enabled, user_type, creation_type, password_hash,
    last_password_change_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'Member', 'LocalAccount', ?, ?, ?)`);
  const insertIdentity = db.prepare('INSERT INTO identities (tenant_id, user_id, sign_in_type, issuer, issuer_assigned_id) VALUES (?, ?, ?, ?, ?)');
  const insertExtension = db.prepare('INSERT INTO user_extension_values (tenant_id, user_id, attribute_id, value_json) VALUES (?, ?, ?, ?)');
  const result: BulkImportResult = { users: 0, identities: 0, extensionValues: 0 };

  const check = (u: BulkUser): string | undefined => {
    if (u.id !== undefined && !UUID.test(u.id)) return `id '${u.id}' is not a GUID`;
    if (!Array.isArray(u.identities) || u.identities.length === 0) return 'a customer user needs at least one identity';
    for (const i of u.identities) {
      if (!i || !i.signInType || !i.issuer || !i.issuerAssignedId) return 'each identity needs signInType, issuer and issuerAssignedId';
      if (!LOCAL_SIGN_IN_TYPES.has(i.signInType)) return `signInType '${i.signInType}' cannot be imported (emailAddress or userName)`;
      if (i.issuer.toLowerCase() !== domain) return `local account identities must have the issuer '${tenant.default_domain}'`;
    }
    for (const k of Object.keys(u.extensions ?? {})) if (!EXTENSION.test(k)) return `'${k}' is not an extension attribute name`;
    return undefined;
  };

  const writeBatch = db.transaction((batch: BulkUser[], firstIndex: number) => {
    const added = { identities: 0, extensionValues: 0 };
    batch.forEach((u, n) => {
      const problem = check(u);
      if (problem) throw new BulkImportError(firstIndex + n, result.users, problem);
      const id = (u.id ?? options.random.uuid()).toLowerCase();
      const hash = u.passwordHash === undefined ? options.passwordHash : u.passwordHash;
      try {
        insertUser.run(tenantId, id, u.displayName ?? null, u.givenName ?? null, u.surname ?? null, u.mail ?? null, u.city ?? null,
          u.country ?? null, u.state ?? null, u.postalCode ?? null, u.streetAddress ?? null, u.jobTitle ?? null, u.companyName ?? null,
          u.accountEnabled === false ? 0 : 1, hash, hash ? options.now : null, options.now);
        for (const i of u.identities) insertIdentity.run(tenantId, id, i.signInType, i.issuer, i.issuerAssignedId);
        for (const [attribute, value] of Object.entries(u.extensions ?? {})) insertExtension.run(tenantId, id, attribute, JSON.stringify(value));
      } catch (e) {
        const code = (e as { code?: string }).code ?? '';
        if (code.startsWith('SQLITE_CONSTRAINT')) {
          // The identities primary key is (tenant, issuer, issuerAssignedId): Graph's ObjectConflict.
          const what = /identities/.test((e as Error).message) ? 'an identity is already taken by another user' : `object id '${id}' already exists`;
          throw new BulkImportError(firstIndex + n, result.users, what);
        }
        throw e;
      }
      added.identities += u.identities.length;
      added.extensionValues += Object.keys(u.extensions ?? {}).length;
    });
    return added;
  });

  // A bigger page cache while importing: index inserts at random UUID positions otherwise re-read
  // the same pages from disk over and over. Restored afterwards (it is per connection).
  const cacheSize = db.pragma('cache_size', { simple: true }) as number;
  db.pragma('cache_size = -262144'); // 256 MiB
  try {
    let batch: BulkUser[] = [];
    let first = 0;
    const flush = () => {
      const added = writeBatch(batch, first);
      result.users += batch.length;
      result.identities += added.identities;
      result.extensionValues += added.extensionValues;
      first += batch.length;
      batch = [];
      options.onProgress?.(result.users);
    };
    for (const u of users) {
      batch.push(u);
      if (batch.length >= batchSize) flush();
    }
    if (batch.length) flush();
  } finally {
    db.pragma(`cache_size = ${cacheSize}`);
  }
  return result;
}
