import type { Db } from '../db/connection.js';
import type { Random } from '../clock.js';

/**
 * What a snapshot leaves out unless the caller asks for it (`?includeSecrets=true`): the private
 * parts of the signing keys, the tenant's cookie keys, and the plaintext fixture passwords and client
 * secrets its fixture set keeps for resets. Hashes stay (argon2 password hashes, SHA-256 of client
 * secrets): they are not usable as credentials, and keep sign-in and client authentication working
 * after a restore.
 *
 * Importing a redacted snapshot puts back what the data folder already holds for the same tenant
 * (the private key of the same `kid`, the cookie keys, the fixture passwords and secrets by user id
 * and key id). That is the common case (snapshot, change, restore in one emulator; export and import
 * on one folder), and it keeps every token issued before the restore verifiable. Into a folder that
 * never held the tenant, a redacted key is dropped and the emulator makes a new one on load (tokens
 * of the exporting emulator do not verify there: its private key never left it), cookie keys are new,
 * and fixture passwords and secrets that cannot be recovered are dropped from the fixture set (the
 * users' and apps' hashed credentials still work; a reset then leaves those users without a password
 * and those apps without that secret, rather than with a guessable placeholder).
 */
export const REDACTED = '[redacted]';
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

type Row = Record<string, unknown>;
interface FixtureUser { id?: unknown; password?: unknown }
interface FixtureCredential { keyId?: unknown; secretText?: unknown }
interface FixtureApp { id?: unknown; appId?: unknown; passwordCredentials?: FixtureCredential[] }
interface FixtureSetJson { users?: FixtureUser[]; applications?: FixtureApp[] }

const parse = <T>(text: unknown): T | undefined => {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
};

/** A copy of the exported tables with the secrets replaced by REDACTED (or the public half of a key). */
export function redactTables(tables: Record<string, Row[]>): Record<string, Row[]> {
  const out: Record<string, Row[]> = { ...tables };
  out.signing_keys = (tables.signing_keys ?? []).map((row) => {
    const jwk = parse<Row>(row.private_jwk_json) ?? {};
    const publicJwk = Object.fromEntries(Object.entries(jwk).filter(([k]) => !PRIVATE_JWK_MEMBERS.includes(k)));
    return { ...row, private_jwk_json: JSON.stringify(publicJwk) };
  });
  out.tenants = (tables.tenants ?? []).map((row) => ({ ...row, cookie_keys_json: JSON.stringify(REDACTED) }));
  out.tenant_fixtures = (tables.tenant_fixtures ?? []).map((row) => {
    const set = parse<FixtureSetJson>(row.set_json);
    if (!set) return row;
    for (const u of set.users ?? []) if (u.password !== undefined) u.password = REDACTED;
    for (const a of set.applications ?? []) for (const p of a.passwordCredentials ?? []) if (p.secretText !== undefined) p.secretText = REDACTED;
    return { ...row, set_json: JSON.stringify(set) };
  });
  return out;
}

/**
 * Fills the redacted fields of an imported snapshot's tables from what the database holds for this
 * tenant now. Runs before the import deletes the tenant's rows; returns new table arrays.
 */
export function restoreRedacted(db: Db, random: Random, tenantId: string, tables: Record<string, unknown>): Record<string, unknown> {
  const out = { ...tables };
  const keys = tables.signing_keys;
  if (Array.isArray(keys)) {
    const existing = new Map(db.prepare<[string], { kid: string; private_jwk_json: string }>('SELECT kid, private_jwk_json FROM signing_keys WHERE tenant_id = ?')
      .all(tenantId).map((r) => [r.kid, r.private_jwk_json]));
    out.signing_keys = keys.flatMap((row: Row | null) => {
      if (!row || typeof row !== 'object') return [row];
      const jwk = parse<Row>(row.private_jwk_json);
      if (!jwk || jwk.d !== undefined) return [row];
      const own = existing.get(String(row.kid));
      // Without its private half a key cannot sign: the registry makes a new one when none is left.
      return own ? [{ ...row, private_jwk_json: own }] : [];
    });
  }
  const tenants = tables.tenants;
  if (Array.isArray(tenants)) {
    const own = db.prepare<[string], { cookie_keys_json: string }>('SELECT cookie_keys_json FROM tenants WHERE id = ?').get(tenantId)?.cookie_keys_json;
    out.tenants = tenants.map((row: Row | null) => (row && typeof row === 'object' && parse(row.cookie_keys_json) === REDACTED
      ? { ...row, cookie_keys_json: own ?? JSON.stringify([random.token(32)]) } : row));
  }
  const fixtures = tables.tenant_fixtures;
  if (Array.isArray(fixtures)) {
    const own = parse<FixtureSetJson>(db.prepare<[string], { set_json: string }>('SELECT set_json FROM tenant_fixtures WHERE tenant_id = ?').get(tenantId)?.set_json);
    const passwords = new Map((own?.users ?? []).filter((u) => typeof u.password === 'string' && u.password !== REDACTED).map((u) => [String(u.id).toLowerCase(), u.password]));
    const secrets = new Map((own?.applications ?? []).flatMap((a) => (a.passwordCredentials ?? [])
      .filter((p) => typeof p.secretText === 'string' && p.secretText !== REDACTED).map((p) => [`${String(a.appId).toLowerCase()}/${String(p.keyId)}`, p.secretText])));
    out.tenant_fixtures = fixtures.map((row: Row | null) => {
      const set = row && typeof row === 'object' ? parse<FixtureSetJson>(row.set_json) : undefined;
      if (!set) return row;
      for (const u of set.users ?? []) {
        if (u.password !== REDACTED) continue;
        const kept = passwords.get(String(u.id).toLowerCase());
        if (kept !== undefined) u.password = kept;
        else delete u.password;
      }
      for (const a of set.applications ?? []) {
        if (!a.passwordCredentials) continue;
        a.passwordCredentials = a.passwordCredentials.flatMap((p) => {
          if (p.secretText !== REDACTED) return [p];
          const kept = secrets.get(`${String(a.appId).toLowerCase()}/${String(p.keyId)}`);
          return kept !== undefined ? [{ ...p, secretText: kept }] : [];
        });
      }
      return { ...row!, set_json: JSON.stringify(set) };
    });
  }
  return out;
}
