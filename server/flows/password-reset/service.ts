import { AadError, assertAad } from '../../errors.js';
import type { Tenant, User } from '../../directory/index.js';
import { assertPasswordPolicy } from '../password-policy.js';
import type { FlowTransaction } from '../transactions.js';
import { existingUser, normalizeEmail, type FlowDeps } from '../flow-deps.js';

/**
 * Self-service password reset (learn.microsoft.com/entra/external-id/customers/how-to-enable-password-reset-customers):
 * email → emailed code → new password → signed in. Entra lets the last password be reused on reset,
 * and a locked-out user may reset (a reset ends the lockout).
 */
export function createPasswordResetService({ directory, transactions, codes, mailer, hasher, clock }: FlowDeps) {
  return {
    transaction: (tenant: Tenant, txId: string) => transactions.get(tenant.id, txId, 'passwordReset'),

    start(tenant: Tenant, clientId: string, email: string): FlowTransaction {
      const address = normalizeEmail(email);
      const user = existingUser(directory, tenant, address);
      // An email one-time passcode account has no password to reset (AADSTS500222).
      assertAad(user.passwordHash, 500222);
      return transactions.create({ tenantId: tenant.id, kind: 'passwordReset', clientId, email: address, userId: user.id, step: 'verifyCode' });
    },

    async sendCode(tenant: Tenant, tx: FlowTransaction, locale?: string): Promise<FlowTransaction> {
      const code = codes.issue(tenant, tx.id, tx.email);
      await mailer.sendResetCode({ tenant, to: tx.email, code, locale });
      return transactions.save(tx);
    },

    verifyCode(tenant: Tenant, txId: string, code: string): FlowTransaction {
      const tx = transactions.get(tenant.id, txId, 'passwordReset');
      codes.verify(tenant.id, tx.id, code);
      return transactions.save({ ...tx, verifiedAt: clock.nowMs(), step: 'newPassword' });
    },

    /**
     * An admin's reset with forceChangePasswordNextSignIn (Graph): the user just proved the temporary
     * password, so the change needs no code; it is a change, not a reset, so the same password again
     * is refused (Entra: the last password cannot be reused on change).
     */
    startForcedChange(tenant: Tenant, clientId: string, user: User): FlowTransaction {
      const email = user.identities.find((i) => i.signInType === 'emailAddress')?.issuerAssignedId ?? user.mail ?? user.id;
      const tx = transactions.create({ tenantId: tenant.id, kind: 'passwordReset', clientId, email, userId: user.id, step: 'forcedChange' });
      return transactions.save({ ...tx, verifiedAt: clock.nowMs() });
    },

    /** Sets the new password once the code was verified, and returns the user, now signed in. */
    async resetPassword(tenant: Tenant, txId: string, password: string): Promise<User> {
      const tx = transactions.get(tenant.id, txId, 'passwordReset');
      if (!tx.verifiedAt || !tx.userId) throw new AadError(55200);
      assertPasswordPolicy(password);
      if (tx.step === 'forcedChange') {
        const current = directory.users.findById(tenant.id, tx.userId);
        if (current?.passwordHash && await hasher.verify(current.passwordHash, password)) {
          throw new AadError(399246, { detail: 'Choose a password you have not used before.' }, { suberror: 'password_recently_used' });
        }
      }
      directory.users.setPassword(tenant.id, tx.userId, await hasher.hash(password), clock.nowMs());
      transactions.delete(tenant.id, tx.id);
      const user = directory.users.findById(tenant.id, tx.userId);
      if (!user) throw new AadError(50034, { tenant: tenant.id });
      assertAad(user.accountEnabled, 50057);
      return user;
    },
  };
}

export type PasswordResetService = ReturnType<typeof createPasswordResetService>;
