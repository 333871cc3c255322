import Provider, { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { JWK } from 'jose';
import type { Config } from '../config.js';
import type { Db } from '../db/connection.js';
import type { Clock } from '../clock.js';
import type { Directory, Tenant } from '../directory/index.js';
import { redirectUriForms, redirectUriPlatform } from '../directory/redirect-uris.js';
import { AadError } from '../errors.js';
import { createAdapterFactory } from './adapter.js';
import { clientMetadata } from './clients.js';
import { createAccessTokenCustomizer, createFindAccount, installGuidSessionIds, mappedClaimNames, pairwiseSubject } from './claims.js';
import { ResourceResolver, grantedOn, resourceIndicator, appIdFromIndicator, type ResourceApp } from './resources.js';
import { registerOnBehalfOf } from './obo-grant.js';
import { providerError, toAadError, type ProviderErrorLike } from './entra-errors.js';
import { spaCodeWithoutPkce } from './spa-redemption.js';
import { createAssertionCheck, installClientAssertions } from './client-assertions.js';
import { registerMultiResourceRefresh } from './refresh-grant.js';
import * as grantHelpers from 'oidc-provider/lib/helpers/grants.js';
import { handler as authorizationCodeGrant, parameters as authorizationCodeParameters } from 'oidc-provider/lib/actions/grants/authorization_code.js';
import { installEntraShape, mappingContext, state, type ErrorPageRenderer } from './entra-shape.js';
import { DEVICE_CODE_TTL, DEVICE_ROUTES, deviceFlowFeature, installDeviceCodeShape, isDeviceCodeGrant } from '../flows/device-code/device-flow.js';

export interface TenantProviderDeps {
  config: Config;
  db: Db;
  directory: Directory;
  clock: Clock;
  tenant: Tenant;
  /** the private keys, the signing key first (oidc-provider signs with the first that fits) */
  jwks: { keys: JWK[] };
  /** what the JWKS endpoint answers, in Entra's shape (server/oidc/keys.ts entraJwks) */
  publishedJwks: { keys: Record<string, unknown>[] };
  renderErrorPage: ErrorPageRenderer;
}

export interface TenantOidc {
  tenant: Tenant;
  issuer: string;
  provider: Provider;
  callback: ReturnType<Provider['callback']>;
  resources: ResourceResolver;
}

/** Entra's endpoint paths, relative to the tenant segment. */
export const ROUTES = {
  authorization: '/oauth2/v2.0/authorize',
  token: '/oauth2/v2.0/token',
  end_session: '/oauth2/v2.0/logout',
  jwks: '/discovery/v2.0/keys',
  userinfo: '/openid/userinfo',
  ...DEVICE_ROUTES,
} as const;

const DAY = 24 * 60 * 60;

/**
 * One oidc-provider per tenant, configured (never forked) into an Entra External ID tenant.
 * Each setting below says which Entra behaviour it emulates; ../shared/reference/oidc-provider-notes.md
 * records how each was verified.
 */
export function createTenantProvider(deps: TenantProviderDeps): TenantOidc {
  const { config, db, directory, clock, tenant } = deps;
  const issuer = `${config.publicUrl}/${tenant.id}/v2.0`;
  const resources = new ResourceResolver(directory, tenant.id, tenant.defaultDomain);
  const claimsDeps = { directory, tenant, clock, resources, issuer };
  const secure = config.publicUrl.startsWith('https:');
  const findApp = (clientId: string) => directory.applications.findByAppId(tenant.id, clientId);
  // Every resource's tokens are RS256 JWTs whatever grant issues them (authorization code, refresh, OBO).
  const resourceServerInfo = (app: ResourceApp, indicator: string) => ({
    scope: resources.scopeForms(app).join(' '),
    audience: indicator,
    accessTokenFormat: 'jwt' as const,
    jwt: { sign: { alg: 'RS256' as const } },
  });

  const policy = interactionPolicy.base();
  // Entra accepts prompt=select_account and prompt=create; oidc-provider rejects unknown prompts.
  policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }));
  policy.add(new interactionPolicy.Prompt({ name: 'create', requestable: true }));

  const configuration: Configuration = {
    adapter: createAdapterFactory({
      db, clock, tenantId: tenant.id,
      clientSource: (id) => {
        const app = findApp(id);
        return app && clientMetadata(app, directory.applications.certificates(tenant.id, app.appId));
      },
    }),
    jwks: deps.jwks as Configuration['jwks'],
    findAccount: createFindAccount(claimsDeps),
    claims: {
      // Mapped attribute claims ride on `openid`: each app's findAccount adds only its own mappings.
      openid: ['sub', 'oid', 'tid', 'ver', 'nbf', 'aio', 'rh', 'uti', ...mappedClaimNames(directory, tenant.id)],
      profile: ['name', 'preferred_username'],
      // Entra puts `email` in the id_token only when the `email` scope was asked for.
      email: ['email'],
      // MSAL always asks for `login_hint` through the claims parameter; Entra then includes it.
      login_hint: null,
    },
    // Without this, an id_token issued beside a userinfo-only access token would hold openid claims only.
    conformIdTokenClaims: false,
    cookies: {
      names: { session: `esctx_${tenant.id}`, interaction: `_ia_${tenant.id}`, resume: `_iar_${tenant.id}` },
      keys: tenant.cookieKeys,
      // An SPA on http://localhost:3000 and the emulator on https://localhost:7443 are cross-site
      // (the scheme differs), so the silent iframe needs SameSite=None; Secure.
      long: { signed: true, httpOnly: true, ...(secure ? { sameSite: 'none', secure: true } : { sameSite: 'lax' }) },
      short: { signed: true, httpOnly: true, ...(secure ? { sameSite: 'none', secure: true } : { sameSite: 'lax' }) },
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Entra's device authorization grant (server/flows/device-code): public clients only.
      deviceFlow: deviceFlowFeature({ tenant, publicUrl: config.publicUrl, renderPage: deps.renderErrorPage }),
      claimsParameter: { enabled: true },
      userinfo: { enabled: true },
      revocation: { enabled: false },
      introspection: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        // Entra never asks "sign out?": the confirmation form submits itself.
        logoutSource: async (ctx, form) => {
          ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Signing out</title></head><body>${form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>')}<script>document.forms[0].submit()</script><noscript><button form="op.logoutForm" type="submit" name="logout" value="yes">Sign out</button></noscript></body></html>`;
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = deps.renderErrorPage({ kind: 'signed-out', tenant });
        },
      },
      resourceIndicators: {
        enabled: true,
        // MSAL never sends `resource`; Entra derives it from the scopes.
        defaultResource: async (ctx, _client, oneOf) => {
          const scope = ctx.oidc.params?.scope as string | undefined;
          let resolved;
          try {
            resolved = resources.resolve(scope);
          } catch (e) {
            throw e instanceof AadError ? providerError(e) : e;
          }
          // Scopes written in another case go on in the registered spelling, as Entra answers them.
          if (scope && ctx.oidc.params && resolved.canonical !== scope) ctx.oidc.params.scope = resolved.canonical;
          if (resolved.resource) return resourceIndicator(resolved.resource.app.appId);
          if (ctx.oidc.route === 'token' && ctx.oidc.params?.grant_type === 'client_credentials') {
            // A scope other than <resource>/.default is AADSTS1002012 as Entra answers it; no scope
            // at all keeps 70011 (Entra's answer to that is not recorded).
            throw providerError(scope ? new AadError(1002012, { scope }) : new AadError(70011, { detail: "The scope '' is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)." }));
          }
          return oneOf?.length ? oneOf[0]! : (undefined as unknown as string);
        },
        getResourceServerInfo: async (ctx, indicator) => {
          const app = resources.byAppId(appIdFromIndicator(indicator));
          if (!app) throw providerError(new AadError(500011, { resource: indicator, tenant: tenant.defaultDomain }));
          if (ctx.oidc.route === 'token' && ctx.oidc.params?.grant_type === 'client_credentials') {
            const scope = String(ctx.oidc.params.scope ?? '');
            if (!scope.split(' ').every((s) => s.endsWith('/.default'))) {
              throw providerError(new AadError(1002012, { scope }));
            }
          }
          return resourceServerInfo(app, indicator);
        },
        // Without this a code exchange that includes `openid` mints a userinfo-only token instead of the API's.
        useGrantedResource: async () => true,
      },
    },
    routes: ROUTES,
    responseTypes: ['code', 'id_token', 'code id_token', 'id_token token', 'code id_token token', 'none'],
    subjectTypes: ['public', 'pairwise'],
    pairwiseIdentifier: async (_ctx, accountId, client) => pairwiseSubject(tenant.id, accountId, client.clientId),
    // PKCE is required when a code issued to a SPA redirect URI is redeemed, as Entra does
    // (AADSTS9002325, the authorization_code grant below); the authorize endpoint takes it when
    // offered and never demands it (Entra issues the code and refuses the redemption).
    pkce: { required: () => false },
    // The token endpoint answers CORS for any origin; which origins may redeem is Entra's SPA rule
    // (AADSTS9002326), checked before oidc-provider sees the request.
    clientBasedCORS: () => true,
    extraParams: {
      client_info: restoreOfflineAccess,
      clidata: null,
      pocd: null,
    },
    interactions: {
      url: (_ctx, interaction) => `/${tenant.id}/interaction/${interaction.uid}`,
      policy,
    },
    ttl: {
      // Entra: access tokens live a random 60–90 minutes.
      AccessToken: () => 3600 + Math.floor(Math.random() * 1800),
      ClientCredentials: () => 3599,
      // Entra: "authorization codes are short lived, typically expiring after about 10 minutes"
      // (Microsoft identity platform and OAuth 2.0 authorization code flow).
      AuthorizationCode: () => 600,
      DeviceCode: () => DEVICE_CODE_TTL,
      IdToken: () => 3600,
      // The sign-in page's state: Entra's interactive sign-in lives about an hour at most before it
      // answers "flow token expired" (AADSTS50089); 30 minutes keeps a page left open over a break
      // working, and with the sweep (emulator.ts) and the ceiling (adapter.ts) bounds what anonymous
      // /authorize traffic can make us store.
      Interaction: () => 30 * 60,
      Session: () => DAY,
      Grant: () => 90 * DAY,
      // Entra: refresh tokens of SPA redirect URIs have a fixed 24 h lifetime that rotation never
      // extends; others live 90 days.
      RefreshToken: (ctx, token, client) => {
        const rotated = ctx?.oidc?.entities.RotatedRefreshToken;
        if (rotated && client.clientAuthMethod === 'none') return rotated.remainingTTL;
        const app = findApp(client.clientId);
        const redirectUri = ctx?.oidc?.params?.redirect_uri as string | undefined;
        return app && redirectUri && redirectUriPlatform(app, redirectUri) === 'spa' ? DAY : 90 * DAY;
      },
    },
    // Entra rotates refresh tokens on every use (and the old one stays valid until it expires).
    rotateRefreshToken: () => true,
    // At the token endpoint oidc-provider revokes a grant only when a code comes back a second time
    // (helpers/grant_source.js); Entra answers AADSTS54005 and keeps the tokens issued from it. The
    // policy runs before anything is revoked, so answering here revokes nothing, even for a replay
    // that raced past the check in the authorization_code grant below.
    revokeGrantPolicy: (ctx) => {
      if (ctx.oidc.route === 'token' && ctx.oidc.params?.grant_type === 'authorization_code') throw providerError(new AadError(54005));
      // A device code polled again after its tokens were issued is one Entra no longer recognizes
      // (bad_verification_code); the tokens stay valid, as for a replayed authorization code.
      if (ctx.oidc.route === 'token' && isDeviceCodeGrant(ctx.oidc.params?.grant_type)) throw providerError(new AadError(70018));
      return true;
    },
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      // External ID apps are first-party and consent is given by an admin ahead of time: a grant is
      // made from the admin-consented permissions, and scopes beyond them fail (AADSTS65001).
      const accountId = ctx.oidc.session?.accountId;
      const client = ctx.oidc.client;
      if (!accountId || !client) return undefined;
      const existingId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(client.clientId);
      const grant = (existingId && (await ctx.oidc.provider.Grant.find(existingId)))
        || new ctx.oidc.provider.Grant({ accountId, clientId: client.clientId });
      grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
      // Claims asked for by name (MSAL's claims parameter asks for login_hint) need no consent either.
      if (ctx.oidc.requestParamClaims?.size) grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
      const app = findApp(client.clientId);
      for (const [indicator, server] of Object.entries(ctx.oidc.resourceServers ?? {})) {
        const resourceAppId = appIdFromIndicator(indicator);
        const allowed = new Set(server.scope.split(' '));
        const requested = [...ctx.oidc.requestParamScopes].filter((s) => allowed.has(s));
        const granted = new Set(grantedOn(app, resourceAppId).scopes.map((g) => g.toLowerCase()));
        const missing = requested.filter((s) => !s.endsWith('/.default') && !granted.has(s.slice(s.lastIndexOf('/') + 1).toLowerCase()));
        if (missing.length) throw providerError(new AadError(65001, { clientId: client.clientId }));
        grant.addResourceScope(indicator, requested.join(' '));
      }
      await grant.save();
      return grant;
    },
    // Errors that cannot go back to the app (unknown client, unregistered redirect URI) are a page,
    // as in Entra (AADSTS700016, AADSTS50011), never a redirect.
    renderError: async (ctx, out, err) => {
      const s = state(ctx);
      const aad = toAadError(s.oidcErr ?? (err as ProviderErrorLike) ?? out, mappingContext(ctx, { directory, tenant }));
      ctx.type = 'html';
      ctx.status = aad.status >= 500 ? 500 : 400;
      ctx.body = deps.renderErrorPage({ kind: 'error', tenant, aad, traceId: s.traceId, correlationId: s.correlationId, now: clock.now() });
    },
    formats: { customizers: { jwt: createAccessTokenCustomizer(claimsDeps) as never } },
    enabledJWA: {
      // Client secrets are stored hashed, so HMAC (client_secret_jwt) cannot work; Entra does not offer it either.
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256'],
    },
    // Certificate credentials are private_key_jwt (./client-assertions.ts lets an app with a secret use them too).
    clientAuthMethods: ['none', 'client_secret_post', 'client_secret_basic', 'private_key_jwt'],
    assertJwtClientAuthClaimsAndHeader: createAssertionCheck({ directory, tenant, clock }) as Configuration['assertJwtClientAuthClaimsAndHeader'],
    discovery: {
      claim_types_supported: undefined,
      // The Entra keys MSAL and Microsoft.Identity.Web look for (oidc-and-msal.md §1.3).
      kerberos_endpoint: `${config.publicUrl}/${tenant.id}/kerberos`,
      tenant_region_scope: 'NA',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
      http_logout_supported: true,
      frontchannel_logout_supported: true,
    },
  };

  const provider = new Provider(issuer, configuration);
  // The mount sets Host and X-Forwarded-Proto from the public URL, so URLs never follow a client's Host header.
  provider.proxy = true;

  const Client = provider.Client as unknown as { prototype: Record<string, unknown>; Schema: { prototype: Record<string, unknown> } };
  Client.prototype.compareClientSecret = async function compareClientSecret(this: { clientId: string }, actual: string) {
    const verdict = directory.applications.checkSecret(tenant.id, this.clientId, actual, clock.nowMs());
    // Entra tells a secret past its endDateTime apart from a wrong one (AADSTS7000222).
    if (verdict === 'expired') throw providerError(new AadError(7000222, { clientId: this.clientId }));
    return verdict === 'valid';
  };
  installClientAssertions(provider, { tenant, publicUrl: config.publicUrl });
  // Entra puts `sid` in every id_token; oidc-provider only for back-channel logout clients.
  Client.prototype.includeSid = () => true;
  installGuidSessionIds(provider);
  // Entra lets web apps use implicit id_token with http://localhost redirect URIs (Microsoft.Identity.Web's default).
  const invalidate = Client.Schema.prototype.invalidate as (this: unknown, message: string, code?: string) => void;
  // Entra's pairwise `sub` is per app id (pairwiseIdentifier above ignores sectors), so an app whose
  // redirect URIs span hosts (localhost and a deployed host) needs no sector_identifier_uri.
  Client.Schema.prototype.invalidate = function patched(this: unknown, message: string, code?: string) {
    if (code === 'implicit-force-https' || code === 'implicit-forbid-localhost') return;
    if (message === 'sector_identifier_uri is mandatory property') return;
    // oidc-provider wants a jwks_uri (its sector) for a pairwise device code client; the sector is
    // never used here, for the same reason.
    if (message === 'jwks_uri is mandatory property') return;
    // …and private_key_jwt, so that public clients cannot forge a sector; Entra's device code clients
    // are public clients (no credential at all).
    if (message.startsWith('pairwise urn:ietf:params:oauth:grant-type:device_code clients must utilize')) return;
    invalidate.call(this, message, code);
  };

  // Entra answers a code redeemed twice with AADSTS54005 "…or use an existing refresh token": the
  // tokens issued from it stay valid. oidc-provider would revoke the whole grant (helpers/grant_source.js),
  // so a replay is answered here, before its grant sees the code; revokeGrantPolicy above answers one
  // that raced past this check (two redemptions at once).
  const findCode = async (ctx: KoaContextWithOIDC, value: string | undefined) => {
    if (!value || !ctx.oidc.client) return undefined;
    const code = await provider.AuthorizationCode.find(value, { ignoreExpiration: true });
    return code && code.clientId === ctx.oidc.client.clientId ? code as typeof code & { consumed?: number } : undefined;
  };

  // The authorization_code grant as oidc-provider implements it, after Entra's PKCE rule for SPA
  // redirect URIs (./spa-redemption.ts): checked before the code is looked up or consumed.
  const helpers = Object.fromEntries(Object.entries(grantHelpers).map(([name, helper]) => [name, (helper as (...a: unknown[]) => unknown).bind(undefined, provider)]));
  provider.registerGrantType('authorization_code', async function authorizationCode(ctx: KoaContextWithOIDC) {
    const params = ctx.oidc.params as Record<string, string | undefined>;
    const app = ctx.oidc.client ? findApp(ctx.oidc.client.clientId) : undefined;
    const missing = app && params.redirect_uri ? spaCodeWithoutPkce(app, params.redirect_uri, params.code_verifier) : undefined;
    if (missing) throw providerError(missing);
    const code = await findCode(ctx, params.code);
    if (code?.consumed && !code.isExpired) throw providerError(new AadError(54005));
    // A path-less redirect URI is the same with or without its `/` at redemption too (redirectUriForms).
    if (code?.redirectUri && params.redirect_uri && redirectUriForms(code.redirectUri).includes(params.redirect_uri)) params.redirect_uri = code.redirectUri;
    await authorizationCodeGrant(provider, helpers, ctx);
  }, [...authorizationCodeParameters, 'resource'], ['resource']);
  registerMultiResourceRefresh({ provider, helpers, resources, findApp });
  installDeviceCodeShape(provider, helpers, { tenant, publicUrl: config.publicUrl, renderPage: deps.renderErrorPage });
  registerOnBehalfOf({ provider, directory, tenant, clock, issuer, resources, publishedJwks: deps.publishedJwks, findApp, resourceServerInfo });

  installEntraShape(provider, { tenant, config, directory, renderErrorPage: deps.renderErrorPage, clock });
  // oidc-provider publishes `alg` and neither `x5t` nor `issuer`; Entra's keys carry x5t, x5c and
  // issuer and no alg (fidelity-gaps.md D4).
  provider.use(async (ctx, next) => {
    await next();
    if ((ctx as KoaContextWithOIDC).oidc?.route === 'jwks' && ctx.status === 200) ctx.body = deps.publishedJwks;
  });
  return { tenant, issuer, provider, callback: provider.callback(), resources };
}

/**
 * oidc-provider drops `offline_access` unless prompt=consent (OIDC Core §11); Entra issues a refresh
 * token whenever `offline_access` is asked for. This runs after the scope check on every /authorize
 * and puts it back.
 */
async function restoreOfflineAccess(ctx: KoaContextWithOIDC): Promise<void> {
  const raw = ((ctx.method === 'POST' ? (ctx.oidc.body as Record<string, unknown> | undefined) : ctx.query)?.scope ?? '') as string;
  const params = ctx.oidc.params as Record<string, string | undefined>;
  const scopes = new Set((params.scope ?? '').split(' ').filter(Boolean));
  if (String(raw).split(' ').includes('offline_access') && !scopes.has('offline_access')
    && ctx.oidc.client?.grantTypeAllowed('refresh_token') && String(params.response_type ?? '').includes('code')) {
    scopes.add('offline_access');
    params.scope = [...scopes].join(' ');
  }
}
