import { createHash } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Directory, Tenant, User } from '../../directory/index.js';
import type { PasswordHasher } from '../../directory/passwords.js';
import { AadError, assertAad } from '../../errors.js';

/**
 * Email + password sign-in, independent of HTML: the hosted page is one front end; native
 * authentication will be another over the same rules.
 *
 * Smart lockout as in Entra (learn.microsoft.com/entra/identity/authentication/howto-password-smart-lockout):
 * 10 failed attempts lock the account for 60 s (AADSTS50053); the same wrong password typed again
 * does not count twice (the last 3 bad passwords are remembered, as hashes).
 */
export const LOCKOUT_THRESHOLD = 10;
export const LOCKOUT_SECONDS = 60;

export interface SignInDeps {
  directory: Directory;
  hasher: PasswordHasher;
  clock: Clock;
}

export function createSignInService({ directory, hasher, clock }: SignInDeps) {
  // Per-user queue of password checks. Smart lockout is check-then-verify-then-count; run in
  // parallel, 100 guesses would all read "not locked" and all reach argon2 before any failure was
  // counted. One check at a time per user keeps Entra's promise: once the threshold is reached, no
  // further guess is verified until the lockout ends. (Different users still verify in parallel.)
  const queues = new Map<string, Promise<unknown>>();
  const oneAtATime = <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = queues.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.then(() => undefined, () => undefined);
    queues.set(key, tail);
    void tail.then(() => { if (queues.get(key) === tail) queues.delete(key); });
    return run;
  };

  return {
    async signInWithPassword(tenant: Tenant, email: string, password: string): Promise<User> {
      const found = directory.users.findBySignInName(tenant.id, email);
      assertAad(found, 50034, { tenant: tenant.id });
      return oneAtATime(`${tenant.id}|${found.id}`, async () => {
        // Read again inside the queue: the failures counted by the checks queued before this one.
        const user = directory.users.findById(tenant.id, found.id);
        assertAad(user, 50034, { tenant: tenant.id });
        const now = clock.nowMs();
        if (user.lockoutUntil && user.lockoutUntil > now) throw new AadError(50053);

        const ok = user.passwordHash ? await hasher.verify(user.passwordHash, password) : false;
        if (!ok) {
          recordFailure(user, password, now);
          throw new AadError(50126);
        }
        // Entra reports a disabled account only to someone who knows its password.
        assertAad(user.accountEnabled, 50057);
        if (user.failedSignIns > 0 || user.lockoutUntil) {
          directory.users.saveLockoutState(tenant.id, user.id, { failedSignIns: 0, lockoutUntil: null, recentBadPasswords: [] });
        }
        return user;
      });
    },
  };

  function recordFailure(user: User, password: string, now: number): void {
    const fingerprint = createHash('sha256').update(`${user.id}|${password}`).digest('base64url').slice(0, 16);
    if (user.recentBadPasswords.includes(fingerprint)) return;
    const failed = user.failedSignIns + 1;
    const locked = failed >= LOCKOUT_THRESHOLD;
    directory.users.saveLockoutState(user.tenantId, user.id, {
      failedSignIns: locked ? 0 : failed,
      lockoutUntil: locked ? now + LOCKOUT_SECONDS * 1000 : user.lockoutUntil,
      recentBadPasswords: [...user.recentBadPasswords, fingerprint].slice(-3),
    });
  }
}

export type SignInService = ReturnType<typeof createSignInService>;
