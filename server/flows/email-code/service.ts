import { assertAad } from '../../errors.js';
import type { Tenant, User } from '../../directory/index.js';
import type { FlowTransaction } from '../transactions.js';
import { existingUser, normalizeEmail, type FlowDeps } from '../flow-deps.js';

/**
 * Sign-in with an email one-time passcode: in a flow whose method is `EmailOtpSignup-OAUTH`, every
 * sign-in emails an 8-digit code instead of asking for a password.
 */
export function createEmailCodeSignInService({ directory, transactions, codes, mailer }: FlowDeps) {
  return {
    transaction: (tenant: Tenant, txId: string) => transactions.get(tenant.id, txId, 'signIn'),

    start(tenant: Tenant, clientId: string, email: string): FlowTransaction {
      const address = normalizeEmail(email);
      const user = existingUser(directory, tenant, address);
      return transactions.create({ tenantId: tenant.id, kind: 'signIn', clientId, email: address, userId: user.id, step: 'verifyCode' });
    },

    async sendCode(tenant: Tenant, tx: FlowTransaction, locale?: string): Promise<FlowTransaction> {
      const code = codes.issue(tenant, tx.id, tx.email);
      await mailer.sendSignInCode({ tenant, to: tx.email, code, locale });
      return transactions.save(tx);
    },

    /** The code signs the user in; a blocked account is refused (AADSTS50057) only after it. */
    verifyCode(tenant: Tenant, txId: string, code: string): User {
      const tx = transactions.get(tenant.id, txId, 'signIn');
      codes.verify(tenant.id, tx.id, code);
      transactions.delete(tenant.id, tx.id);
      const user = existingUser(directory, tenant, tx.email);
      assertAad(user.accountEnabled, 50057);
      return user;
    },
  };
}

export type EmailCodeSignInService = ReturnType<typeof createEmailCodeSignInService>;
