import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db } from '../db/connection.js';
import type { Clock } from '../clock.js';

/**
 * oidc-provider's storage over one SQLite table, with its memory adapter's semantics: rows past
 * `expires_at` are invisible, `consume` stamps a time, and `revokeByGrantId` spans every model
 * (a grant's codes, tokens and sessions go together).
 * The Client model is not stored here: `clientSource` serves it from the app registrations, so the
 * directory stays the one source of truth (as Logto does).
 */
export interface AdapterDeps {
  db: Db;
  clock: Clock;
  tenantId: string;
  clientSource: (clientId: string) => AdapterPayload | undefined;
}

interface Row {
  payload: string;
  consumed_at: number | null;
}

export function createAdapterFactory({ db, clock, tenantId, clientSource }: AdapterDeps) {
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
    'SELECT payload, consumed_at FROM oidc_payloads WHERE tenant_id = ? AND model = ? AND uid = ?');
  const findByUserCode = db.prepare<[string, string, string], Row>(
    'SELECT payload, consumed_at FROM oidc_payloads WHERE tenant_id = ? AND model = ? AND user_code = ?');
  const consume = db.prepare('UPDATE oidc_payloads SET consumed_at = ? WHERE tenant_id = ? AND model = ? AND id = ?');
  const destroy = db.prepare('DELETE FROM oidc_payloads WHERE tenant_id = ? AND model = ? AND id = ?');
  const revokeByGrantId = db.prepare('DELETE FROM oidc_payloads WHERE tenant_id = ? AND grant_id = ?');

  const parse = (row: Row | undefined): AdapterPayload | undefined => {
    if (!row) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
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
      upsert.run({
        tenantId,
        model: this.model,
        id,
        payload: JSON.stringify(payload),
        grantId: payload.grantId ?? null,
        uid: payload.uid ?? null,
        userCode: payload.userCode ?? null,
        accountId: payload.accountId ?? null,
        expiresAt: expiresIn ? nowSeconds() + expiresIn : null,
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') return clientSource(id);
      return parse(find.get(tenantId, this.model, id));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return parse(findByUid.get(tenantId, this.model, uid));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return parse(findByUserCode.get(tenantId, this.model, userCode));
    }

    async consume(id: string): Promise<void> {
      // Entra rotates refresh tokens but does not revoke the one just used (it stays valid until it
      // expires), so two tabs refreshing at once both succeed; oidc-provider would revoke the whole
      // grant on reuse of a consumed one.
      if (this.model === 'RefreshToken') return;
      consume.run(nowSeconds(), tenantId, this.model, id);
    }

    async destroy(id: string): Promise<void> {
      destroy.run(tenantId, this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      revokeByGrantId.run(tenantId, grantId);
    }
  };
}

/**
 * Deletes rows a week past their expiry; run now and then so the table does not grow without bound.
 * The week lets a late client still hear "expired" rather than "unknown".
 */
export function sweepExpired(db: Db, clock: Clock): number {
  return db.prepare('DELETE FROM oidc_payloads WHERE expires_at IS NOT NULL AND expires_at <= ?').run(clock.nowSeconds() - 7 * 24 * 3600).changes;
}
