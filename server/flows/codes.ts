import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/connection.js';
import type { Clock } from '../clock.js';
import type { Tenant } from '../directory/index.js';
import { AadError } from '../errors.js';
import { WindowCounter, retryAfterSeconds, type ThrottleRegistry, type WindowRule } from '../http/throttle.js';

/**
 * Emailed one-time codes: 8 digits (Entra's `code_length: 8`), stored hashed, single-use, expiring,
 * with an attempt limit. A flow transaction has at most one live code: sending again replaces it, so
 * the old one stops working, but the wrong attempts already made stay counted (a resend must not
 * buy five more guesses). Codes are random unless the tenant fixes one for the address (fixtures)
 * or `--otp-code` fixes one for everybody.
 *
 * With throttling on, each address may be sent only so many codes per flow in a window (every send
 * counts, the first included), shared by the hosted pages and the native authentication API.
 */
export const CODE_LENGTH = 8;

export interface CodeSettings {
  ttlSeconds: number;
  maxAttempts: number;
  /** `--otp-code`: every code is this one */
  fixedCode: string | undefined;
  /** codes one address may be sent per flow in a window; undefined = unlimited (`--throttling off`) */
  sendLimit?: WindowRule | undefined;
  /** where the send-limit counter is registered, so a control-plane reset clears it */
  throttles?: ThrottleRegistry | undefined;
}

/**
 * Entra External ID does not publish its numbers. Azure AD B2C's one-time password technical
 * profile documents the defaults used here: 10 code generations per identifier
 * (NumCodeGenerationAttempts), 5 verification attempts per code (NumRetryAttempts), and the code
 * lifetime (CodeExpirationInSeconds, 600 s by default) as the time a throttled identifier waits.
 */
export const DEFAULT_SEND_LIMIT: WindowRule = { limit: 10, windowMs: 600_000 };

export const DEFAULT_CODE_SETTINGS: CodeSettings = { ttlSeconds: 600, maxAttempts: 5, fixedCode: undefined };

const hash = (transactionId: string, code: string) => createHash('sha256').update(`${transactionId}|${code}`).digest();

export function createCodeService(db: Db, clock: Clock, settings: CodeSettings) {
  const put = db.prepare(`INSERT INTO one_time_codes (tenant_id, transaction_id, code_hash, attempts, expires_at, consumed_at, created_at)
    VALUES (@tenantId, @transactionId, @codeHash, 0, @expiresAt, NULL, @now)
    ON CONFLICT (tenant_id, transaction_id) DO UPDATE SET code_hash = excluded.code_hash,
      expires_at = excluded.expires_at, consumed_at = NULL, created_at = excluded.created_at`);
  const get = db.prepare<[string, string], { code_hash: string; attempts: number; expires_at: number; consumed_at: number | null }>(
    'SELECT code_hash, attempts, expires_at, consumed_at FROM one_time_codes WHERE tenant_id = ? AND transaction_id = ?');
  const attempt = db.prepare('UPDATE one_time_codes SET attempts = attempts + 1 WHERE tenant_id = ? AND transaction_id = ?');
  const consume = db.prepare('UPDATE one_time_codes SET consumed_at = ? WHERE tenant_id = ? AND transaction_id = ?');
  const flowOf = db.prepare<[string, string], { kind: string }>('SELECT kind FROM flow_transactions WHERE tenant_id = ? AND id = ?');
  const sends = settings.sendLimit ? new WindowCounter(settings.sendLimit, clock) : undefined;
  if (sends) settings.throttles?.add(sends);

  return {
    settings,

    /**
     * Makes the transaction's code (replacing any earlier one) and returns it for the mail; past the
     * address's send limit for this flow, throws AADSTS50196 and sends nothing.
     */
    issue(tenant: Tenant, transactionId: string, email: string): string {
      if (sends) {
        const key = `${tenant.id}|${flowOf.get(tenant.id, transactionId)?.kind ?? ''}|${email.toLowerCase()}`;
        const wait = sends.take(key);
        if (wait > 0) {
          const minutes = Math.ceil(retryAfterSeconds(wait) / 60);
          throw new AadError(50196, { detail: `Too many codes were sent to this address; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` });
        }
      }
      const code = tenant.fixedCodes[email.toLowerCase()] ?? settings.fixedCode
        ?? String(randomInt(0, 10 ** CODE_LENGTH)).padStart(CODE_LENGTH, '0');
      const now = clock.nowMs();
      put.run({ tenantId: tenant.id, transactionId, codeHash: hash(transactionId, code).toString('hex'), expiresAt: now + settings.ttlSeconds * 1000, now });
      return code;
    },

    /** Checks a code, consuming it on success; throws AADSTS50181 (invalid_oob_value) saying why not. */
    verify(tenantId: string, transactionId: string, code: string): void {
      const row = get.get(tenantId, transactionId);
      if (!row || row.consumed_at) throw new AadError(50181, { detail: 'No code is waiting for this request; send a new one.' }, { suberror: 'invalid_oob_value' });
      if (row.expires_at <= clock.nowMs()) throw new CodeError('expired');
      if (row.attempts >= settings.maxAttempts) throw new CodeError('tooManyAttempts');
      const ok = /^\d+$/.test(code.trim()) && timingSafeEqual(hash(transactionId, code.trim()), Buffer.from(row.code_hash, 'hex'));
      if (!ok) {
        attempt.run(tenantId, transactionId);
        throw new CodeError(row.attempts + 1 >= settings.maxAttempts ? 'tooManyAttempts' : 'wrong');
      }
      consume.run(clock.nowMs(), tenantId, transactionId);
    },
  };
}

export type CodeService = ReturnType<typeof createCodeService>;

/** Why a code was refused: every case is Entra's invalid_oob_value (AADSTS50181) on the wire. */
export class CodeError extends AadError {
  constructor(readonly reason: 'wrong' | 'expired' | 'tooManyAttempts') {
    super(50181, {
      detail: reason === 'wrong' ? 'The code is wrong.' : reason === 'expired' ? 'The code has expired; send a new one.' : 'Too many wrong codes; start again.',
    });
  }
}
