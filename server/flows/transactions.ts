import type { Db } from '../db/connection.js';
import type { Clock, Random } from '../clock.js';
import type { AttributeValue } from '../directory/attributes.js';
import { AadError } from '../errors.js';

/**
 * A self-service flow in progress, persisted so that both front ends (the hosted pages and the
 * native authentication API) drive the same state: who, for which app, what was proven (the email,
 * by code) and what is pending (a password hash, attribute values). It expires after 10 minutes of
 * inactivity, like a native auth continuation token.
 */
export type FlowKind = 'signUp' | 'signIn' | 'passwordReset';

export interface FlowTransaction {
  tenantId: string;
  id: string;
  kind: FlowKind;
  clientId: string;
  email: string;
  userId: string | null;
  step: string;
  passwordHash: string | null;
  attributes: Record<string, AttributeValue>;
  verifiedAt: number | null;
  expiresAt: number;
}

export const TRANSACTION_TTL_MS = 10 * 60 * 1000;

interface Row {
  tenant_id: string; id: string; kind: FlowKind; client_id: string; email: string; user_id: string | null; step: string;
  password_hash: string | null; attributes_json: string; verified_at: number | null; expires_at: number;
}

export class TransactionRepository {
  readonly #insert;
  readonly #get;
  readonly #update;
  readonly #delete;
  readonly #clock: Clock;
  readonly #random: Random;

  constructor(db: Db, clock: Clock, random: Random) {
    this.#clock = clock;
    this.#random = random;
    this.#insert = db.prepare(`INSERT INTO flow_transactions (tenant_id, id, kind, client_id, email, user_id, step, attributes_json, expires_at, created_at)
      VALUES (@tenantId, @id, @kind, @clientId, @email, @userId, @step, '{}', @expiresAt, @now)`);
    this.#get = db.prepare<[string, string], Row>('SELECT * FROM flow_transactions WHERE tenant_id = ? AND id = ?');
    this.#update = db.prepare(`UPDATE flow_transactions SET step = @step, user_id = @userId, password_hash = @passwordHash,
      attributes_json = @attributes, verified_at = @verifiedAt, expires_at = @expiresAt WHERE tenant_id = @tenantId AND id = @id`);
    this.#delete = db.prepare('DELETE FROM flow_transactions WHERE tenant_id = ? AND id = ?');
  }

  create(t: { tenantId: string; kind: FlowKind; clientId: string; email: string; userId: string | null; step: string }): FlowTransaction {
    const id = this.#random.token(24);
    const expiresAt = this.#clock.nowMs() + TRANSACTION_TTL_MS;
    this.#insert.run({ ...t, id, expiresAt, now: this.#clock.nowMs() });
    return { ...t, id, passwordHash: null, attributes: {}, verifiedAt: null, expiresAt };
  }

  /** The live transaction of this kind, or Entra's expired (AADSTS552003) / invalid (AADSTS55200) error. */
  get(tenantId: string, id: string, kind: FlowKind): FlowTransaction {
    const r = this.#get.get(tenantId, id);
    if (!r || r.kind !== kind) throw new AadError(55200);
    if (r.expires_at <= this.#clock.nowMs()) throw new AadError(552003);
    return {
      tenantId: r.tenant_id, id: r.id, kind: r.kind, clientId: r.client_id, email: r.email, userId: r.user_id, step: r.step,
      passwordHash: r.password_hash, attributes: JSON.parse(r.attributes_json) as Record<string, AttributeValue>, verifiedAt: r.verified_at, expiresAt: r.expires_at,
    };
  }

  /** Saves the transaction's new state and gives it another 10 minutes. */
  save(t: FlowTransaction): FlowTransaction {
    const expiresAt = this.#clock.nowMs() + TRANSACTION_TTL_MS;
    this.#update.run({ tenantId: t.tenantId, id: t.id, step: t.step, userId: t.userId, passwordHash: t.passwordHash,
      attributes: JSON.stringify(t.attributes), verifiedAt: t.verifiedAt, expiresAt });
    return { ...t, expiresAt };
  }

  delete(tenantId: string, id: string): void {
    this.#delete.run(tenantId, id);
  }
}
