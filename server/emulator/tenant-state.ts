import type { Db } from '../db/connection.js';
import type { Directory } from '../directory/index.js';
import type { PasswordHasher } from '../directory/passwords.js';
import type { Clock, Random } from '../clock.js';
import { applyFixtures, tenantTables } from '../fixtures/apply.js';
import type { FixtureSet } from '../fixtures/schema.js';
import type { TenantRegistry } from '../oidc/registry.js';
import { redactTables, restoreRedacted } from './snapshot-secrets.js';

/**
 * A tenant's state as the control plane moves it: back to its fixtures (reset), out to JSON and in
 * again (snapshot), or made new from a fixture body (POST /tenants).
 */
export interface TenantStateDeps {
  db: Db;
  directory: Directory;
  registry: TenantRegistry;
  hasher: PasswordHasher;
  clock: Clock;
  random: Random;
}

export class TenantStateError extends Error {
  /** read by the control plane's error handler */
  readonly statusCode: number;
  constructor(status: 400 | 404 | 409, message: string) {
    super(message);
    this.statusCode = status;
  }
}

/**
 * Fixture passwords hash once per process: a reset re-applies the same fixtures in milliseconds
 * instead of running argon2 for every fixture user again.
 */
export function memoizedHasher(hasher: PasswordHasher): PasswordHasher {
  const hashes = new Map<string, Promise<string>>();
  return {
    hash: (password) => {
      let h = hashes.get(password);
      if (!h) hashes.set(password, (h = hasher.hash(password)));
      return h;
    },
    verify: (hash, password) => hasher.verify(hash, password),
  };
}

export function fixtureSetOf(db: Db, tenantId: string): FixtureSet | undefined {
  const row = db.prepare<[string], { set_json: string }>('SELECT set_json FROM tenant_fixtures WHERE tenant_id = ?').get(tenantId);
  return row && (JSON.parse(row.set_json) as FixtureSet);
}

/** Back to the tenant's fixtures: directory, sessions, codes, mail and sign-ins; keys stay. */
export async function resetTenant(deps: TenantStateDeps, tenantId: string): Promise<void> {
  const set = fixtureSetOf(deps.db, tenantId);
  if (!set) throw new TenantStateError(404, `tenant ${tenantId} has no fixtures to reset to`);
  await applyFixtures(deps, set, { replace: true });
}

/** A new tenant from a fixture body, with its own keys and issuer. */
export async function createTenant(deps: TenantStateDeps, set: FixtureSet): Promise<string> {
  const t = set.tenant;
  for (const alias of [t.id, t.subdomain, t.defaultDomain]) {
    if (deps.directory.tenants.findByAlias(alias)) throw new TenantStateError(409, `a tenant already answers to '${alias}'`);
  }
  const { tenantId } = await applyFixtures(deps, set);
  await deps.registry.load(tenantId);
  return tenantId;
}

// What a snapshot carries: the tenant's directory, apps, flows and keys; not its runtime state
// (sessions, codes, mail, sign-ins), which a restore starts without.
const RUNTIME_TABLES = new Set(['oidc_payloads', 'flow_transactions', 'one_time_codes', 'mail_outbox', 'sign_in_events', 'fixture_digests', 'native_auth_continuations']);
export const SNAPSHOT_FORMAT = 'ciam-emulator-snapshot/1';

export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT;
  tenantId: string;
  exportedAt: string;
  /** true when private keys, cookie keys and plaintext fixture secrets were left out (the default) */
  redacted?: boolean;
  tables: Record<string, Record<string, unknown>[]>;
}

function snapshotTables(db: Db): string[] {
  return ['tenants', 'signing_keys', 'tenant_fixtures', ...tenantTables(db).filter((t) => !RUNTIME_TABLES.has(t))];
}

/**
 * The tenant as JSON. Secrets (private signing keys, cookie keys, plaintext fixture passwords and
 * client secrets) are redacted unless `includeSecrets` is set (server/emulator/snapshot-secrets.ts):
 * a snapshot ends up in files, CI artefacts and bug reports.
 */
export function exportSnapshot(deps: Pick<TenantStateDeps, 'db' | 'clock'>, tenantId: string, options: { includeSecrets?: boolean } = {}): Snapshot {
  const tables: Snapshot['tables'] = {};
  for (const table of snapshotTables(deps.db)) {
    const column = table === 'tenants' ? 'id' : 'tenant_id';
    tables[table] = deps.db.prepare(`SELECT * FROM ${table} WHERE ${column} = ? ORDER BY rowid`).all(tenantId) as Record<string, unknown>[];
  }
  const includeSecrets = options.includeSecrets === true;
  return { format: SNAPSHOT_FORMAT, tenantId, exportedAt: deps.clock.now().toISOString(), redacted: !includeSecrets, tables: includeSecrets ? tables : redactTables(tables) };
}

/**
 * Replaces the tenant with the snapshot's content, all or nothing. Importing the same snapshot twice
 * leaves the same state. Column names are checked against the schema, so a snapshot cannot inject SQL.
 */
export async function importSnapshot(deps: Omit<TenantStateDeps, 'registry'> & { registry?: TenantRegistry }, tenantId: string, snapshot: unknown): Promise<Record<string, number>> {
  const s = snapshot as Partial<Snapshot> | null;
  if (!s || typeof s !== 'object' || s.format !== SNAPSHOT_FORMAT || typeof s.tables !== 'object' || !s.tables) {
    throw new TenantStateError(400, `not a snapshot: expected {"format":"${SNAPSHOT_FORMAT}","tenantId",…,"tables":{…}} as GET …/snapshot answers`);
  }
  if (typeof s.tenantId !== 'string' || s.tenantId.toLowerCase() !== tenantId) {
    throw new TenantStateError(400, `the snapshot is of tenant '${String(s.tenantId)}', not '${tenantId}'`);
  }
  const allowed = snapshotTables(deps.db);
  // Redacted fields take what this database already holds for the tenant (snapshot-secrets.ts).
  const tables = restoreRedacted(deps.db, deps.random, tenantId, s.tables) as Snapshot['tables'];
  const tenantRows = tables.tenants;
  if (!Array.isArray(tenantRows) || tenantRows.length !== 1) throw new TenantStateError(400, 'a snapshot has exactly one row in tables.tenants');
  const counts: Record<string, number> = {};
  const { db } = deps;
  try {
    db.transaction(() => {
      // Children first, the tenant row last (and re-inserted first) for the foreign keys.
      for (const table of [...allowed].reverse()) db.prepare(`DELETE FROM ${table} WHERE ${table === 'tenants' ? 'id' : 'tenant_id'} = ?`).run(tenantId);
      for (const table of allowed) {
        const rows = tables[table] ?? [];
        if (!Array.isArray(rows)) throw new TenantStateError(400, `tables.${table} must be an array`);
        const columns = new Set(db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`).all().map((c) => c.name));
        for (const row of rows) {
          if (!row || typeof row !== 'object') throw new TenantStateError(400, `tables.${table} holds a row that is not an object`);
          const keys = Object.keys(row);
          const unknown = keys.find((k) => !columns.has(k));
          if (unknown) throw new TenantStateError(400, `tables.${table} has no column '${unknown}'`);
          const owner = table === 'tenants' ? row.id : row.tenant_id;
          if (owner !== tenantId) throw new TenantStateError(400, `a row of tables.${table} belongs to another tenant`);
          db.prepare(`INSERT INTO ${table} (${keys.join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`).run(...keys.map((k) => row[k] as never));
        }
        counts[table] = rows.length;
      }
      for (const table of Object.keys(tables)) if (!allowed.includes(table)) throw new TenantStateError(400, `a snapshot has no table '${table}'`);
    })();
  } catch (e) {
    if (e instanceof TenantStateError) throw e;
    throw new TenantStateError(400, `the snapshot could not be restored: ${(e as Error).message}`);
  }
  deps.directory.applications.forget(tenantId);
  // A running emulator starts serving the restored tenant (its keys may have changed).
  await deps.registry?.load(tenantId);
  return counts;
}
