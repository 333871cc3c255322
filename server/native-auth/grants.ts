import type { KoaContextWithOIDC } from 'oidc-provider';
import * as grantHelpers from 'oidc-provider/lib/helpers/grants.js';
import { issueTokens } from 'oidc-provider/lib/helpers/grant_common.js';
import type { Application, Directory, User } from '../directory/index.js';
import type { Clock } from '../clock.js';
import type { TenantOidc } from '../oidc/provider.js';
import type { createUserFlows } from '../flows/index.js';
import { AadError } from '../errors.js';
import { providerError } from '../oidc/entra-errors.js';
import { clientInfo } from '../oidc/entra-shape.js';
import { grantedOn, resourceIndicator } from '../oidc/resources.js';
import { normalizeEmail } from '../flows/flow-deps.js';
import type { Continuation, ContinuationStore } from './continuations.js';
import type { MfaMethodRepository } from './mfa-methods.js';
import { REDIRECT, nativeApp, nativeError } from './common.js';

/**
 * The native authentication grants of `/oauth2/v2.0/token` (native-auth-api.md §5), registered with
 * oidc-provider (`registerGrantType`) so the tokens are the very tokens the authorization code grant
 * issues: Entra-shaped id/access/refresh tokens, client_info, and refresh through the same endpoint.
 *
 * - `password` (+ `continuation_token`, `password`): the password sign-in service (lockout included);
 * - `oob` (+ `continuation_token`, `oob`): the email one-time passcode service;
 * - `continuation_token` (+ `username`): after sign-up, password reset or just-in-time registration;
 * - `mfa_oob` (or `oob`) after `mfa_required`: the emailed code of the MFA challenge.
 */
export const NATIVE_GRANT_TYPES = ['password', 'oob', 'mfa_oob', 'continuation_token'] as const;

/** msal-browser demands id_token and refresh_token on every native grant, so these scopes are implied. */
const IMPLIED_SCOPES = ['openid', 'profile', 'offline_access'];

export interface NativeGrantDeps {
  directory: Directory;
  clock: Clock;
  flows: ReturnType<typeof createUserFlows>['services'];
  store: ContinuationStore;
  mfa: MfaMethodRepository;
}

export function installNativeGrants(oidc: TenantOidc, deps: NativeGrantDeps): void {
  const { provider, tenant, resources } = oidc;
  const { directory, flows, store, mfa } = deps;
  const helpers = Object.fromEntries(Object.entries(grantHelpers).map(([name, helper]) => [name, (helper as (...a: unknown[]) => unknown).bind(undefined, provider)]));

  // The grant types are allowed for every client here; the handler answers Entra's invalid_client
  // (nativeauthapi_disabled) for apps that may not use native authentication. A native app with no
  // redirect URI may still refresh its tokens.
  const Client = provider.Client as unknown as { prototype: { grantTypeAllowed(type: string): boolean; clientId: string } };
  const allowed = Client.prototype.grantTypeAllowed;
  Client.prototype.grantTypeAllowed = function grantTypeAllowed(type: string) {
    if ((NATIVE_GRANT_TYPES as readonly string[]).includes(type)) return true;
    if (allowed.call(this, type)) return true;
    return type === 'refresh_token' && Boolean(directory.applications.findByAppId(tenant.id, this.clientId)?.nativeAuthenticationApisEnabled);
  };

  /** The user the grant proves, and (password sign-in) the continuation MFA would continue from. */
  const userOf = async (ctx: KoaContextWithOIDC, grantType: string): Promise<{ user: User; client: Application; firstFactor?: Continuation }> => {
    const params = ctx.oidc.params as Record<string, string | undefined>;
    // ROPC (a password grant that does not continue a native-auth sign-in) is not supported in
    // external tenants ("Supported features in external tenants"): Entra answers it as an
    // unsupported grant type, whatever the app, not with a native-auth continuation error.
    if (grantType === 'password' && !params.continuation_token) throw new AadError(70003, { grantType });
    const client = nativeApp(directory, tenant, ctx.oidc.client!.clientId);
    const use = (flow: Parameters<ContinuationStore['use']>[3], steps: string[]) => store.use(tenant.id, client.appId, params.continuation_token, flow, steps);
    switch (grantType) {
      case 'password': {
        const cont = use('signIn', ['password']);
        const user = await flows.signIn.signInWithPassword(tenant, cont.email, params.password ?? '');
        store.spend(tenant.id, cont.token);
        return { user, client, firstFactor: cont };
      }
      case 'oob':
      case 'mfa_oob': {
        // `oob` signs in with an email code, or (like `mfa_oob`, which iOS and msal-browser send) answers the MFA challenge.
        const cont = use('signIn', grantType === 'oob' ? ['verifyCode', 'mfaVerify'] : ['mfaVerify']);
        const user = flows.emailCode.verifyCode(tenant, cont.txId!, params.oob ?? '');
        if (cont.userId && user.id !== cont.userId) throw new AadError(55200);
        store.spend(tenant.id, cont.token);
        return { user, client };
      }
      default: {
        const cont = use(['signUp', 'passwordReset', 'signIn'], ['signedIn']);
        if (params.username && normalizeEmail(params.username) !== cont.email) throw new AadError(55200);
        const user = cont.userId ? directory.users.findById(tenant.id, cont.userId) : undefined;
        if (!user) throw new AadError(50034, { tenant: tenant.id });
        if (!user.accountEnabled) throw new AadError(50057);
        store.spend(tenant.id, cont.token);
        return { user, client };
      }
    }
  };

  /**
   * An app whose Conditional Access policy requires MFA: after the password, a user with a registered
   * method gets mfa_required, one without gets registration_required, each with a continuation token,
   * when the client declared that capability; otherwise the client is sent to the browser (a 200
   * redirect with redirect_reason).
   */
  const secondFactor = (cont: Continuation, user: User): string | undefined => {
    const capabilities = cont.data.capabilities ?? [];
    const next = (step: string) => store.issue({ tenantId: tenant.id, clientId: cont.clientId, flow: 'signIn', step, email: cont.email, userId: user.id, txId: null, data: cont.data });
    if (mfa.find(tenant.id, user.id)) {
      if (!capabilities.includes('mfa_required')) return 'Client is missing mfa_required capability';
      throw new AadError(50076, {}, { suberror: 'mfa_required', extra: { continuation_token: next('mfaIntrospect') } });
    }
    if (!capabilities.includes('registration_required')) return 'Client is missing registration_required capability';
    throw new AadError(50079, {}, { extra: { continuation_token: next('registerIntrospect') } });
  };

  for (const grantType of NATIVE_GRANT_TYPES) {
    provider.registerGrantType(grantType, async function nativeGrant(ctx: KoaContextWithOIDC) {
      try {
        // The continuation token is taken before the password check awaits argon2: 20 parallel
        // requests with one token give one token set, and 19 AADSTS55200.
        await store.atomically(async () => {
          const { user, client, firstFactor } = await userOf(ctx, grantType);
          if (firstFactor && client.requireMultifactorAuthentication) {
            const redirectReason = secondFactor(firstFactor, user);
            if (redirectReason) {
              ctx.status = 200;
              ctx.body = REDIRECT(redirectReason);
              return;
            }
          }
          await issueFor(ctx, user.id, grantType);
        });
      } catch (e) {
        const aad = nativeError(e);
        throw aad instanceof AadError ? providerError(aad) : aad;
      }
    }, ['continuation_token', 'username', 'password', 'oob', 'scope']);
  }

  /** Mints the tokens as the authorization code grant does, from a grant of the requested scopes. */
  async function issueFor(ctx: KoaContextWithOIDC, accountId: string, gty: string): Promise<void> {
    const client = ctx.oidc.client!;
    const requested = new Set([...IMPLIED_SCOPES, ...String(ctx.oidc.params?.scope ?? '').split(' ').filter(Boolean)]);
    const resolved = resources.resolve([...requested].join(' '));
    const grant = new provider.Grant({ accountId, clientId: client.clientId });
    grant.addOIDCScope(resolved.oidc.join(' '));
    let indicator: string | undefined;
    if (resolved.resource) {
      // External ID apps are consented by an admin ahead of time (as loadExistingGrant in provider.ts).
      indicator = resourceIndicator(resolved.resource.app.appId);
      const granted = new Set(grantedOn(directory.applications.findByAppId(tenant.id, client.clientId), resolved.resource.app.appId).scopes);
      const missing = resolved.resource.requested.filter((s) => !s.endsWith('/.default') && !granted.has(s.slice(s.lastIndexOf('/') + 1)));
      if (missing.length) throw new AadError(65001, { clientId: client.clientId });
      grant.addResourceScope(indicator, resolved.resource.requested.join(' '));
    }
    const grantId = await grant.save();
    ctx.oidc.entity('Grant', grant);
    const source = {
      accountId, grantId, scope: [...requested].join(' '), scopes: requested, claims: {},
      resource: indicator, resourceIndicators: new Set(indicator ? [indicator] : []),
      authTime: Math.floor(deps.clock.nowMs() / 1000), expiresWithSession: false,
    };
    await issueTokens(provider, helpers, ctx, source, grant, { gty, entityLabel: 'continuation token' });
    // msal-browser requires client_info on every native token response (it sends client_info=1 or true).
    (ctx.body as Record<string, unknown>).client_info = clientInfo(accountId, tenant.id);
  }
}
