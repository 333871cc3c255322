import { createHash } from 'node:crypto';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db } from '../db/connection.js';
import type { Clock } from '../clock.js';

/**
 * oidc-provider's storage over one SQLite table, with its memory adapter's semantics: rows past
 * `expires_at` are invisible, `consume` stamps a time, and `revokeByGrantId` spans every model
 * (a grant's codes, tokens and sessions go together).
 * The Client model is not stored here: `clientSource` serves it from the app registrations, so the
 * directory stays the one source of truth (as Logto does).
 *
 * Every row is keyed by the SHA-256 of its id, never the id: the ids of codes, refresh tokens,
 * sessions and interactions are the bearer values themselves (what a client presents, what a cookie
 * holds), so a copied database file must not hand them out. The values are 126+ bits of randomness,
 * so a fast hash is enough (as for client secrets, migration 0001). `find(id)` hashes before the lookup
 * and gives the caller's id back as `jti`; payload fields that repeat a bearer value are not stored.
 */
export interface AdapterDeps {
  db: Db;
  clock: Clock;
  tenantId: string;
  clientSource: (clientId: string) => AdapterPayload | undefined;
  /** live Interaction rows kept per tenant at most (default MAX_LIVE_INTERACTIONS) */
  maxInteractions?: number;
}

/**
 * What an anonymous caller can make us store: every GET /authorize of a browser without a session
 * makes an Interaction row (~1 KB). Beyond this many per tenant the oldest unfinished ones go, about
 * 10 MB at most; a developer's own sign-ins never come near it, and sessions, grants and tokens of
 * signed-in users are never evicted.
 */
export const MAX_LIVE_INTERACTIONS = 10_000;

interface Row {
  id?: string;
  payload: string;
  consumed_at: number | null;
}

/**
 * Stands for the row's id inside its stored payload. Ids are random base64url strings (no braces), so
 * the mark never meets one; JSON-safe, so the payload stays valid JSON.
 */
const ID_MARK = '{{id}}';

/**
 * A DeviceCode found by its user code or uid (the device page, the sign-in's resume) is written back
 * by oidc-provider (declined, in flight, signed in): its own id is unknown then, so it carries the
 * row's key behind this prefix and the writes reach the row the polling client reads.
 */
const ROW_KEY = 'row-key:';
const keyOf = (id: string): string => (id.startsWith(ROW_KEY) ? id.slice(ROW_KEY.length) : storageKey(id));

/** The stored key of a bearer value. */
export const storageKey = (value: string): string => createHash('sha256').update(value, 'utf8').digest('base64url');

export function createAdapterFactory({ db, clock, tenantId, clientSource, maxInteractions = MAX_LIVE_INTERACTIONS }: AdapterDeps) {
  const upsert = db.prepare(`
    INSERT INTO oidc_payloads (tenant_id, model, id, payload, grant_id, uid, user_code, account_id, expires_at)
    VALUES (@tenantId, @model, @id, @payload, @grantId, @uid, @userCode, @accountId, @expiresAt)
    ON CONFLICT (tenant_id, model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
      uid = excluded.uid, user_code = excluded.user_code, account_id = excluded.account_id, expires_at = excluded.expires_at`);
  // Expired rows are still returned: oidc-provider checks `exp` itself and then says *expired*
  // (Entra's AADSTS70008 / 700084) rather than *not found* (malformed, AADSTS9002313).
  const find = db.prepare<[string, string, string], Row>(
    'SELECT payload, consumed_at FROM oidc_payloads WHERE tenant_id = ? AND model = ? AND id = ?');
  const findByUid = db.prepare<[string, string, string], Row>(
    'SELECT id, payload, consumed_at FROM oidc_payloads WHERE tenant_id = ? AND model = ? AND uid = ?');
  const findByUserCode = db.prepare<[string, string, string], Row>(
    'SELECT id, payload, consumed_at FROM oidc_payloads WHERE tenant_id = ? AND model = ? AND user_code = ?');
  const consume = db.prepare('UPDATE oidc_payloads SET consumed_at = ? WHERE tenant_id = ? AND model = ? AND id = ?');
  const destroy = db.prepare('DELETE FROM oidc_payloads WHERE tenant_id = ? AND model = ? AND id = ?');
  const revokeByGrantId = db.prepare('DELETE FROM oidc_payloads WHERE tenant_id = ? AND grant_id = ?');
  const countInteractions = db.prepare<[string], { n: number }>(
    "SELECT count(*) AS n FROM oidc_payloads WHERE tenant_id = ? AND model = 'Interaction'");
  // Oldest first, unfinished ones (no login result yet) before any that only wait for their resume;
  // the row just written is never the one to go.
  const evictInteractions = db.prepare(`
    DELETE FROM oidc_payloads WHERE rowid IN (
      SELECT rowid FROM oidc_payloads WHERE tenant_id = @tenantId AND model = 'Interaction' AND id <> @keep
        AND (@finishedToo OR json_extract(payload, '$.result') IS NULL)
      ORDER BY expires_at LIMIT @excess)`);
  const capInteractions = db.transaction((keep: string) => {
    const excess = countInteractions.get(tenantId)!.n - maxInteractions;
    if (excess <= 0) return;
    const evicted = evictInteractions.run({ tenantId, keep, excess, finishedToo: 0 }).changes;
    if (evicted < excess) evictInteractions.run({ tenantId, keep, excess: excess - evicted, finishedToo: 1 });
  });

  const parse = (row: Row | undefined, restore: { id?: string; userCode?: string } = {}): AdapterPayload | undefined => {
    if (!row) return undefined;
    const json = restore.id === undefined ? row.payload : row.payload.replaceAll(ID_MARK, restore.id);
    const payload = { ...(JSON.parse(json) as AdapterPayload), ...(restore.userCode === undefined ? {} : { userCode: restore.userCode }) };
    // Found by another key (a Session by uid): the id stays unknown rather than the mark standing in for it.
    if (payload.jti === ID_MARK) {
      if (payload.kind === 'DeviceCode' && row.id) payload.jti = `${ROW_KEY}${row.id}`;
      else delete payload.jti;
    }
    return row.consumed_at ? { ...payload, consumed: row.consumed_at } : payload;
  };
  const nowSeconds = () => clock.nowSeconds();

  return class SqliteAdapter implements Adapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.model === 'Client') throw new Error('clients are app registrations; change them in the directory');
      // Bearer values are not kept in the payload: the id (as `jti`, and inside an interaction's
      // `returnTo`) is written as ID_MARK and find() puts its argument back; the device user code comes
      // back from findByUserCode()'s argument; the session cookie an Interaction copies is never read.
      const { userCode, ...stored } = payload;
      const session = stored.session as Record<string, unknown> | undefined;
      if (session && 'cookie' in session) {
        const { cookie: _cookie, ...rest } = session;
        stored.session = rest as AdapterPayload['session'];
      }
      const key = keyOf(id);
      upsert.run({
        tenantId,
        model: this.model,
        id: key,
        payload: JSON.stringify(stored).replaceAll(id, ID_MARK),
        grantId: payload.grantId ?? null,
        uid: payload.uid ?? null,
        userCode: userCode ? storageKey(userCode) : null,
        accountId: payload.accountId ?? null,
        expiresAt: expiresIn ? nowSeconds() + expiresIn : null,
      });
      if (this.model === 'Interaction') capInteractions(key);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') return clientSource(id);
      return parse(find.get(tenantId, this.model, keyOf(id)), { id });
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      // A Session found by uid is only read (account and grant checks); its cookie value stays unknown.
      return parse(findByUid.get(tenantId, this.model, uid));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return parse(findByUserCode.get(tenantId, this.model, storageKey(userCode)), { userCode });
    }

    async consume(id: string): Promise<void> {
      // Entra rotates refresh tokens but does not revoke the one just used (it stays valid until it
      // expires), so two tabs refreshing at once both succeed; oidc-provider would revoke the whole
      // grant on reuse of a consumed one.
      if (this.model === 'RefreshToken') return;
      consume.run(nowSeconds(), tenantId, this.model, keyOf(id));
    }

    async destroy(id: string): Promise<void> {
      destroy.run(tenantId, this.model, keyOf(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      revokeByGrantId.run(tenantId, grantId);
    }
  };
}

/**
 * How long past its expiry a row is kept, so a late client still hears "expired" (AADSTS70008 for a
 * code, 700082 for a refresh token) rather than "malformed". Interactions, sessions and pushed
 * requests look the same to a caller expired or gone, so they go at once: they are what anonymous
 * traffic makes.
 */
const GRACE_SECONDS: Record<string, number> = {
  Interaction: 0,
  Session: 0,
  PushedAuthorizationRequest: 0,
  ReplayDetection: 0,
  AuthorizationCode: 60 * 60,
};
const DEFAULT_GRACE_SECONDS = 24 * 60 * 60;

/** Deletes expired rows (past their grace); emulator.ts runs it on a timer. Returns rows deleted. */
export function sweepExpired(db: Db, clock: Clock): number {
  const now = clock.nowSeconds();
  const models = Object.keys(GRACE_SECONDS);
  let deleted = 0;
  const byModel = db.prepare('DELETE FROM oidc_payloads WHERE model = ? AND expires_at IS NOT NULL AND expires_at <= ?');
  for (const model of models) deleted += byModel.run(model, now - GRACE_SECONDS[model]!).changes;
  deleted += db.prepare(`DELETE FROM oidc_payloads WHERE model NOT IN (${models.map(() => '?').join(', ')}) AND expires_at IS NOT NULL AND expires_at <= ?`)
    .run(...models, now - DEFAULT_GRACE_SECONDS).changes;
  return deleted;
}
