import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { Db } from '../db/connection.js';
import type { Clock, Random } from '../clock.js';
import { AadError } from '../errors.js';

/**
 * Native authentication continuation tokens (native-auth-api.md §1, §8): opaque random strings,
 * stored hashed, bound to the tenant, the client, the flow and the step that may use them, and
 * expiring after 10 minutes (AADSTS552003 expired_token). A token presented to the wrong endpoint, by
 * another client, or after it was spent is AADSTS55200 (invalid_request). A token is spent when the
 * step it was given for succeeds; the answer carries the next one. The flow's own state (code,
 * pending password and attributes) lives in the flow transaction (`txId`), as for the hosted pages.
 *
 * Single use holds under concurrency: inside `atomically`, `use` takes the token out of the table in
 * one statement (DELETE … RETURNING) before the step awaits anything (argon2, mail), so of N parallel
 * requests presenting it exactly one proceeds and the others answer AADSTS55200. A step that does not
 * succeed (a wrong password, a redirect answer) puts its token back when it ends, so the client can
 * retry with it, as Entra lets it.
 */
export type NativeFlow = 'signUp' | 'signIn' | 'passwordReset';

export interface Continuation {
  tenantId: string;
  clientId: string;
  flow: NativeFlow;
  step: string;
  email: string;
  userId: string | null;
  txId: string | null;
  data: ContinuationData;
  expiresAt: number;
}

export interface ContinuationData {
  /** the client's challenge types, from start/initiate */
  challengeTypes?: string[];
  /** sign-in: how this user proves who they are */
  method?: 'password' | 'oob';
  /** the client's capabilities (mfa_required, registration_required), from initiate */
  capabilities?: string[];
  /** sign-up: attribute values sent after verification while required ones were still missing */
  attributes?: Record<string, string | string[]>;
}

export const CONTINUATION_TTL_MS = 10 * 60 * 1000;

interface Row {
  tenant_id: string; client_id: string; flow: NativeFlow; step: string; email: string; user_id: string | null; tx_id: string | null;
  data_json: string; expires_at: number; token_hash: string; created_at: number;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

interface Taken {
  tenantId: string;
  hash: string;
  row: Row;
  spent: boolean;
}

export class ContinuationStore {
  readonly #insert;
  readonly #get;
  readonly #delete;
  readonly #take;
  readonly #putBack;
  readonly #purge;
  /** the tokens taken by the request running in this async context */
  readonly #taken = new AsyncLocalStorage<Taken[]>();
  readonly #clock: Clock;
  readonly #random: Random;

  constructor(db: Db, clock: Clock, random: Random) {
    this.#clock = clock;
    this.#random = random;
    this.#insert = db.prepare(`INSERT INTO native_auth_continuations (tenant_id, token_hash, client_id, flow, step, email, user_id, tx_id, data_json, expires_at, created_at)
      VALUES (@tenantId, @hash, @clientId, @flow, @step, @email, @userId, @txId, @data, @expiresAt, @now)`);
    this.#get = db.prepare<[string, string], Row>('SELECT * FROM native_auth_continuations WHERE tenant_id = ? AND token_hash = ?');
    this.#delete = db.prepare('DELETE FROM native_auth_continuations WHERE tenant_id = ? AND token_hash = ?');
    this.#take = db.prepare<[string, string], Row>(
      'DELETE FROM native_auth_continuations WHERE tenant_id = ? AND token_hash = ? RETURNING *');
    this.#putBack = db.prepare(`INSERT OR IGNORE INTO native_auth_continuations (tenant_id, token_hash, client_id, flow, step, email, user_id, tx_id, data_json, expires_at, created_at)
      VALUES (@tenant_id, @token_hash, @client_id, @flow, @step, @email, @user_id, @tx_id, @data_json, @expires_at, @created_at)`);
    this.#purge = db.prepare('DELETE FROM native_auth_continuations WHERE expires_at < ?');
  }

  /** Issues a fresh token for the next step. */
  issue(c: Omit<Continuation, 'expiresAt'>): string {
    const token = `ct.${this.#random.token(32)}`;
    const now = this.#clock.nowMs();
    // Tokens expired for a day are forgotten (until then they still answer expired_token).
    this.#purge.run(now - 24 * 60 * 60 * 1000);
    this.#insert.run({ tenantId: c.tenantId, hash: hash(token), clientId: c.clientId, flow: c.flow, step: c.step, email: c.email,
      userId: c.userId, txId: c.txId, data: JSON.stringify(c.data), expiresAt: now + CONTINUATION_TTL_MS, now });
    return token;
  }

  /**
   * The live continuation behind `token` for this client, flow and one of `steps`, or Entra's
   * error: missing or unknown or wrong step → AADSTS55200, expired → AADSTS552003.
   */
  use(tenantId: string, clientId: string, token: string | undefined, flow: NativeFlow | readonly NativeFlow[], steps: readonly string[]): Continuation & { token: string } {
    if (!token) throw new AadError(55200);
    const taken = this.#taken.getStore();
    const h = hash(token);
    // In a request (`atomically`), the row leaves the table in this very statement: no other request can use it meanwhile.
    const r = taken ? this.#take.get(tenantId, h) : this.#get.get(tenantId, h);
    const entry = taken && r ? { tenantId, hash: h, row: r, spent: false } : undefined;
    try {
      if (!r || r.client_id !== clientId.toLowerCase() || !(typeof flow === 'string' ? [flow] : flow).includes(r.flow) || !steps.includes(r.step)) throw new AadError(55200);
      if (r.expires_at <= this.#clock.nowMs()) throw new AadError(552003);
    } catch (e) {
      if (entry) this.#putBack.run(entry.row); // presented in the wrong place: it stays usable where it belongs
      throw e;
    }
    if (entry) taken!.push(entry);
    return {
      token, tenantId: r.tenant_id, clientId: r.client_id, flow: r.flow, step: r.step, email: r.email, userId: r.user_id, txId: r.tx_id,
      data: JSON.parse(r.data_json) as ContinuationData, expiresAt: r.expires_at,
    };
  }

  /**
   * Runs one native authentication request: the tokens it `use`s are taken atomically, and those it
   * did not `spend` are put back when it ends (success without spending, or an error).
   */
  async atomically<T>(fn: () => Promise<T>): Promise<T> {
    const taken: Taken[] = [];
    try {
      return await this.#taken.run(taken, fn);
    } finally {
      for (const t of taken) {
        if (t.spent) continue;
        try {
          this.#putBack.run(t.row);
        } catch {
          // its tenant was deleted meanwhile: nothing left to put it back into
        }
      }
    }
  }

  /** Spends a token (its step succeeded). */
  spend(tenantId: string, token: string): void {
    const h = hash(token);
    for (const t of this.#taken.getStore() ?? []) if (t.tenantId === tenantId && t.hash === h) t.spent = true;
    this.#delete.run(tenantId, h);
  }
}
