import { AadError, assertAad } from '../../errors.js';
import type { Tenant, User } from '../../directory/index.js';
import { BUILT_IN_ATTRIBUTES, profileFrom } from '../../directory/attributes.js';
import type { FlowInput } from '../../directory/user-flows.js';
import { validateAttributes, missingRequired, type AttributeProblem, type SubmittedValues } from '../attribute-values.js';
import { assertPasswordPolicy } from '../password-policy.js';
import type { FlowTransaction } from '../transactions.js';
import { flowFor, normalizeEmail, type FlowDeps } from '../flow-deps.js';

/**
 * Self-service sign-up as External ID runs it (learn.microsoft.com/entra/external-id/customers/
 * concept-authentication-methods-customers): the email is verified with an emailed code first, then
 * (email + password flows) a password is chosen, then the flow's attributes are collected, then the
 * account is created. The hosted pages and the native authentication API both drive these steps.
 */
export type SignUpStep = 'verifyCode' | 'password' | 'attributes' | 'complete';

export class AttributeValidationError extends AadError {
  constructor(readonly problems: AttributeProblem[]) {
    super(9990422, { detail: problems.map((p) => p.message).join(' ') });
  }
}

export function createSignUpService(deps: FlowDeps) {
  const { db, directory, transactions, codes, mailer, hasher, clock, random } = deps;

  const flowOf = (tenant: Tenant, clientId: string) => {
    const { flow, method } = flowFor(directory, tenant, clientId);
    if (!flow?.isSignUpAllowed) {
      throw new AadError(9990403, { detail: 'The user flow linked to this application does not allow self-service sign-up.' });
    }
    return { flow, method };
  };
  const assertNew = (tenant: Tenant, email: string) => assertAad(!directory.users.findBySignInName(tenant.id, email), 1003037);
  const collect = (tenant: Tenant, inputs: FlowInput[], submitted: SubmittedValues, requireAll: boolean) => {
    const { values, problems } = validateAttributes(inputs, directory.attributes.definitions(tenant.id), submitted, { requireAll });
    if (problems.length) throw new AttributeValidationError(problems);
    return values;
  };

  return {
    /** The flow's sign-up: whether it is allowed, its method and the attribute page's inputs. */
    flowOf,

    transaction: (tenant: Tenant, txId: string) => transactions.get(tenant.id, txId, 'signUp'),

    /** Starts a sign-up for a new email address; a password and attributes may come up front (native auth). */
    async start(tenant: Tenant, clientId: string, email: string, extra: { password?: string; attributes?: SubmittedValues } = {}): Promise<FlowTransaction> {
      const { flow, method } = flowOf(tenant, clientId);
      const address = normalizeEmail(email);
      assertNew(tenant, address);
      let tx = transactions.create({ tenantId: tenant.id, kind: 'signUp', clientId, email: address, userId: null, step: 'verifyCode' });
      if (extra.password !== undefined && method === 'password') {
        assertPasswordPolicy(extra.password);
        tx = { ...tx, passwordHash: await hasher.hash(extra.password) };
      }
      // Entra ignores attributes the flow does not collect.
      if (extra.attributes) tx = { ...tx, attributes: collect(tenant, flow.inputs, extra.attributes, false) };
      return transactions.save(tx);
    },

    /** Emails a (new) verification code; the previous one stops working. */
    async sendCode(tenant: Tenant, tx: FlowTransaction, locale?: string) {
      const code = codes.issue(tenant, tx.id, tx.email);
      await mailer.sendSignUpCode({ tenant, to: tx.email, code, locale });
      return transactions.save(tx);
    },

    verifyCode(tenant: Tenant, txId: string, code: string): FlowTransaction {
      const tx = transactions.get(tenant.id, txId, 'signUp');
      codes.verify(tenant.id, tx.id, code);
      return transactions.save({ ...tx, verifiedAt: clock.nowMs() });
    },

    async setPassword(tenant: Tenant, txId: string, password: string): Promise<FlowTransaction> {
      const tx = transactions.get(tenant.id, txId, 'signUp');
      if (!tx.verifiedAt) throw new AadError(55200);
      assertPasswordPolicy(password);
      return transactions.save({ ...tx, passwordHash: await hasher.hash(password) });
    },

    setAttributes(tenant: Tenant, txId: string, submitted: SubmittedValues): FlowTransaction {
      const tx = transactions.get(tenant.id, txId, 'signUp');
      const { flow } = flowOf(tenant, tx.clientId);
      return transactions.save({ ...tx, attributes: { ...tx.attributes, ...collect(tenant, flow.inputs, submitted, true) } });
    },

    /** What the sign-up still needs, in Entra's order: the code, a password, the required attributes. */
    next(tenant: Tenant, tx: FlowTransaction): { step: SignUpStep; missing: FlowInput[]; inputs: FlowInput[] } {
      const { flow, method } = flowOf(tenant, tx.clientId);
      const missing = missingRequired(flow.inputs, tx.attributes);
      const step: SignUpStep = !tx.verifiedAt ? 'verifyCode'
        : method === 'password' && !tx.passwordHash ? 'password'
          : missing.length ? 'attributes' : 'complete';
      return { step, missing, inputs: flow.inputs };
    },

    /** Creates the account (all of it, or nothing) once nothing is missing. */
    complete(tenant: Tenant, txId: string): User {
      const tx = transactions.get(tenant.id, txId, 'signUp');
      if (this.next(tenant, tx).step !== 'complete') throw new AadError(55200);
      assertNew(tenant, tx.email);
      const id = random.uuid();
      db.transaction(() => {
        directory.users.upsert(tenant.id, {
          ...profileFrom(tx.attributes),
          id,
          displayName: typeof tx.attributes.displayName === 'string' ? tx.attributes.displayName : tx.email,
          mail: tx.email,
          accountEnabled: true,
          userType: 'Member',
          creationType: 'LocalAccount',
          passwordHash: tx.passwordHash,
          forceChangePassword: false,
          identities: [{ signInType: 'emailAddress', issuer: tenant.defaultDomain, issuerAssignedId: tx.email }],
        }, clock.nowMs());
        for (const [attribute, value] of Object.entries(tx.attributes)) {
          if (!(attribute in BUILT_IN_ATTRIBUTES)) directory.attributes.setExtensionValue(tenant.id, id, attribute, value);
        }
        transactions.delete(tenant.id, tx.id);
      })();
      return directory.users.findById(tenant.id, id)!;
    },
  };
}

export type SignUpService = ReturnType<typeof createSignUpService>;
