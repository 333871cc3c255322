import type { Db } from '../db/connection.js';
import type { Clock, Random } from '../clock.js';

/**
 * Strong authentication methods registered just in time through `/register/v1.0/*` (native-auth-api.md
 * §6). The emulator knows one kind, an email address that receives one-time codes, and (for now) only
 * the customer's own, already verified, sign-in address (`preverified`).
 */
export interface MfaMethod { id: string; email: string }

export class MfaMethodRepository {
  readonly #get;
  readonly #put;
  readonly #clock: Clock;
  readonly #random: Random;

  constructor(db: Db, clock: Clock, random: Random) {
    this.#clock = clock;
    this.#random = random;
    this.#get = db.prepare<[string, string], MfaMethod>('SELECT id, email FROM native_auth_mfa_methods WHERE tenant_id = ? AND user_id = ?');
    this.#put = db.prepare(`INSERT INTO native_auth_mfa_methods (tenant_id, user_id, id, email, created_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (tenant_id, user_id) DO UPDATE SET email = excluded.email`);
  }

  find(tenantId: string, userId: string): MfaMethod | undefined {
    return this.#get.get(tenantId, userId);
  }

  register(tenantId: string, userId: string, email: string): MfaMethod {
    this.#put.run(tenantId, userId, this.#random.uuid(), email, this.#clock.nowMs());
    return this.find(tenantId, userId)!;
  }
}
