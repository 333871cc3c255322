import type { Db } from '../db/connection.js';

/**
 * A user flow (Graph: externalUsersSelfServiceSignUpEventsFlow): how customers of the apps linked to
 * it sign up and sign in. `EmailPassword-OAUTH` means email + password (the email verified with a
 * code at sign-up); `EmailOtpSignup-OAUTH` means an emailed code at sign-up and every sign-in.
 */
export type InputType = 'text' | 'radioSingleSelect' | 'checkboxMultiSelect' | 'boolean';

export interface FlowInput {
  /** the attribute's Graph name (`displayName`, `extension_…_loyaltyNumber`) */
  attribute: string;
  label: string;
  inputType: InputType;
  required: boolean;
  validationRegEx?: string;
  options?: { label: string; value: string }[];
}

export interface UserFlow {
  tenantId: string;
  id: string;
  displayName: string;
  identityProviders: string[];
  isSignUpAllowed: boolean;
  inputs: FlowInput[];
}

export type SignInMethod = 'password' | 'emailOtp';

/** Email + password unless the flow's only local method is the email one-time passcode. */
export function signInMethod(flow: UserFlow | undefined): SignInMethod {
  return flow?.identityProviders.includes('EmailOtpSignup-OAUTH') && !flow.identityProviders.includes('EmailPassword-OAUTH') ? 'emailOtp' : 'password';
}

export interface FlowRow { tenant_id: string; id: string; display_name: string; identity_providers: string; is_sign_up_allowed: number; inputs_json: string }

/** A user_flows row as a UserFlow (shared with the Graph-side repository). */
export const toFlow = (r: FlowRow): UserFlow => ({
  tenantId: r.tenant_id,
  id: r.id,
  displayName: r.display_name,
  identityProviders: JSON.parse(r.identity_providers) as string[],
  isSignUpAllowed: r.is_sign_up_allowed === 1,
  inputs: JSON.parse(r.inputs_json) as FlowInput[],
});

export class UserFlowRepository {
  readonly #db: Db;
  readonly #forApp;
  readonly #upsert;
  readonly #unlink;
  readonly #link;

  constructor(db: Db) {
    this.#db = db;
    this.#forApp = db.prepare<[string, string], FlowRow>(`SELECT f.* FROM user_flow_apps a JOIN user_flows f ON f.tenant_id = a.tenant_id AND f.id = a.flow_id
      WHERE a.tenant_id = ? AND a.app_id = lower(?)`);
    this.#upsert = db.prepare(`INSERT INTO user_flows (tenant_id, id, display_name, identity_providers, is_sign_up_allowed, inputs_json, created_at)
      VALUES (@tenantId, @id, @displayName, @identityProviders, @isSignUpAllowed, @inputs, @now)
      ON CONFLICT (tenant_id, id) DO UPDATE SET display_name = excluded.display_name, identity_providers = excluded.identity_providers,
        is_sign_up_allowed = excluded.is_sign_up_allowed, inputs_json = excluded.inputs_json`);
    this.#unlink = db.prepare('DELETE FROM user_flow_apps WHERE tenant_id = ? AND flow_id = ?');
    this.#link = db.prepare(`INSERT INTO user_flow_apps (tenant_id, app_id, flow_id) VALUES (?, lower(?), ?)
      ON CONFLICT (tenant_id, app_id) DO UPDATE SET flow_id = excluded.flow_id`);
  }

  /** The flow an app is linked to, if any. */
  forApp(tenantId: string, appId: string): UserFlow | undefined {
    const row = this.#forApp.get(tenantId, appId);
    return row && toFlow(row);
  }

  /** Creates or replaces a flow and the set of apps linked to it (linking moves an app from another flow). */
  upsert(flow: Omit<UserFlow, 'tenantId'>, tenantId: string, appIds: string[], now: number): void {
    this.#db.transaction(() => {
      this.#upsert.run({
        tenantId, id: flow.id.toLowerCase(), displayName: flow.displayName, identityProviders: JSON.stringify(flow.identityProviders),
        isSignUpAllowed: flow.isSignUpAllowed ? 1 : 0, inputs: JSON.stringify(flow.inputs), now,
      });
      this.#unlink.run(tenantId, flow.id.toLowerCase());
      for (const appId of appIds) this.#link.run(tenantId, appId, flow.id.toLowerCase());
    })();
  }
}
