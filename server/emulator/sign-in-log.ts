import type { Db } from '../db/connection.js';
import type { Clock, Random } from '../clock.js';

/**
 * Recent sign-in events per tenant (a reduced Graph signIn), for tests that assert what happened:
 * GET /_emulator/v1/tenants/{t}/sign-ins. `errorCode` is 0 on success, else the AADSTS code.
 */
export interface SignInEvent {
  tenantId: string;
  userId: string | null;
  userName: string | null;
  appId: string | null;
  method: 'password' | 'emailCode' | 'signUp' | 'passwordReset' | 'loginAs';
  errorCode: number;
  failureReason?: string;
  correlationId?: string;
}

export class SignInLog {
  readonly #insert;
  readonly #list;
  readonly #clock: Clock;
  readonly #random: Random;

  constructor(db: Db, clock: Clock, random: Random) {
    this.#clock = clock;
    this.#random = random;
    this.#insert = db.prepare(`INSERT INTO sign_in_events (tenant_id, id, created_at, user_id, user_name, app_id, method, error_code, failure_reason, correlation_id)
      VALUES (@tenantId, @id, @createdAt, @userId, @userName, @appId, @method, @errorCode, @failureReason, @correlationId)`);
    this.#list = db.prepare<[string, number], Record<string, unknown>>(
      'SELECT * FROM sign_in_events WHERE tenant_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?');
  }

  record(e: SignInEvent): void {
    this.#insert.run({ ...e, id: this.#random.uuid(), createdAt: this.#clock.nowMs(), failureReason: e.failureReason ?? null, correlationId: e.correlationId ?? null });
  }

  list(tenantId: string, top: number) {
    return this.#list.all(tenantId, top).map((r) => ({
      id: r.id,
      createdDateTime: new Date(r.created_at as number).toISOString(),
      userId: r.user_id,
      userPrincipalName: r.user_name,
      appId: r.app_id,
      authenticationMethod: r.method,
      correlationId: r.correlation_id,
      status: { errorCode: r.error_code, failureReason: r.failure_reason ?? (r.error_code === 0 ? null : 'Other.') },
    }));
  }
}
