import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Clock } from '../clock.js';
import type { Application, Directory, Tenant } from '../directory/index.js';
import { AadError } from '../errors.js';
import { providerError } from './entra-errors.js';
import { grantedOn, resourceIndicator, type ResourceApp, type ResourceResolver } from './resources.js';

/**
 * The on-behalf-of flow (Microsoft identity platform "OAuth 2.0 On-Behalf-Of flow"), which External
 * ID supports: a web API (the middle tier, authenticating with its secret or certificate) sends the
 * user's access token it was called with as `assertion`, with `requested_token_use=on_behalf_of`, and
 * gets an access token for the same user to a downstream API.
 *
 * What Entra checks, in this order, and answers (wording from Entra's responses):
 * - the assertion is a JWT (else AADSTS50027, invalid_request);
 * - it was signed by this tenant's keys: a token of another tenant names a key we do not have
 *   (AADSTS50013 "The key was not found."), a tampered one fails the signature (AADSTS50013);
 * - it has not expired (AADSTS500133, with the current and expiry times);
 * - its audience is the calling app, by app id or one of its identifier URIs (AADSTS500131);
 * - the calling app was granted the downstream scopes (AADSTS65001, consent_required).
 * The new token: the same user (`oid`), `sub` pairwise for the middle tier (formats/jwt.js uses the
 * provider's pairwiseIdentifier), `azp` the middle tier, `scp` the downstream scopes.
 */
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface OboGrantDeps {
  provider: Provider;
  directory: Directory;
  tenant: Tenant;
  clock: Clock;
  issuer: string;
  resources: ResourceResolver;
  /** the tenant's published signing keys */
  publishedJwks: { keys: Record<string, unknown>[] };
  findApp: (clientId: string) => Application | undefined;
  /** what getResourceServerInfo answers for a resource (provider.ts), so OBO tokens are shaped alike */
  resourceServerInfo: (app: ResourceApp, indicator: string) => Record<string, unknown>;
}

/** Entra's times in this message: ISO 8601 with seven fractional digits. */
const entraTime = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString().replace('Z', '0000Z') : '');

export function registerOnBehalfOf(deps: OboGrantDeps): void {
  const { provider, directory, tenant, clock, issuer, resources, findApp } = deps;
  const keys = createLocalJWKSet(deps.publishedJwks as never);
  const issuers = [issuer, `https://sts.windows.net/${tenant.id}/`];

  async function verifyAssertion(assertion: string): Promise<JWTPayload> {
    try {
      // Signature first, then time: a forged token is refused as forged even when it is also old.
      const { payload } = await jwtVerify(assertion, keys, { currentDate: clock.now(), algorithms: ['RS256'] });
      return payload;
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) {
        const exp = Number((e.payload as JWTPayload).exp) * 1000;
        throw providerError(new AadError(500133, { now: entraTime(clock.nowMs()), expiry: entraTime(exp) }));
      }
      if (e instanceof joseErrors.JWKSNoMatchingKey) throw providerError(new AadError(50013, { reason: 'The key was not found.' }));
      if (e instanceof joseErrors.JWSSignatureVerificationFailed) {
        throw providerError(new AadError(50013, { reason: 'The provided signature value did not match the expected signature value.' }));
      }
      // A token not yet valid is outside its time range too (Entra's 500133 names the range).
      if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === 'nbf') {
        const exp = Number((e.payload as JWTPayload).exp) * 1000;
        throw providerError(new AadError(500133, { now: entraTime(clock.nowMs()), expiry: entraTime(exp) }));
      }
      if (e instanceof joseErrors.JOSEError) throw providerError(new AadError(50027));
      throw e;
    }
  }

  provider.registerGrantType(JWT_BEARER, async function onBehalfOf(ctx: KoaContextWithOIDC) {
    const params = ctx.oidc.params as Record<string, string | undefined>;
    const client = ctx.oidc.client!;
    // OBO is for confidential clients: a public one is asked for the credential it cannot have.
    if (client.clientAuthMethod === 'none') throw providerError(new AadError(7000218));
    if (!params.requested_token_use) throw providerError(new AadError(900144, { name: 'requested_token_use' }));
    if (params.requested_token_use !== 'on_behalf_of') {
      throw providerError(new AadError(9002313, { detail: `The requested_token_use '${params.requested_token_use}' is not supported.` }));
    }
    if (!params.assertion) throw providerError(new AadError(900144, { name: 'assertion' }));
    if (!params.scope) throw providerError(new AadError(900144, { name: 'scope' }));

    const claims = await verifyAssertion(params.assertion);
    if (!issuers.includes(String(claims.iss)) || claims.tid !== tenant.id) {
      throw providerError(new AadError(50013, { reason: 'The issuer of the assertion is not this tenant.' }));
    }
    const app = findApp(client.clientId);
    const audience = String(claims.aud);
    const audiences = [client.clientId, ...(app?.identifierUris ?? [])].map((a) => a.toLowerCase().replace(/\/$/, ''));
    if (!audiences.includes(audience.toLowerCase().replace(/\/$/, ''))) {
      throw providerError(new AadError(500131, { audience, clientId: client.clientId, appName: app?.displayName }));
    }
    // Only a user's delegated token can be exchanged: an app-only token has no user to act for.
    const user = typeof claims.oid === 'string' && claims.scp !== undefined ? directory.users.findById(tenant.id, claims.oid) : undefined;
    if (!user) throw providerError(new AadError(50027, { detail: 'The assertion is not a delegated access token for a user of this tenant.' }));
    if (!user.accountEnabled) throw providerError(new AadError(50057));

    let resolved;
    try {
      resolved = resources.resolve(params.scope);
    } catch (e) {
      throw e instanceof AadError ? providerError(e) : e;
    }
    const downstream = resolved.resource;
    if (!downstream) throw providerError(new AadError(70011, { detail: `The scope '${params.scope}' does not name a resource.` }));

    // The middle tier's admin consent on the downstream API decides, as at /authorize (AADSTS65001).
    const granted = new Set(grantedOn(app, downstream.app.appId).scopes.map((g) => g.toLowerCase()));
    const consented = downstream.requested.every((s) => s.endsWith('/.default')
      ? granted.size > 0
      : granted.has(s.slice(s.lastIndexOf('/') + 1).toLowerCase()));
    if (!consented) throw providerError(new AadError(65001, { clientId: client.clientId }));

    const indicator = resourceIndicator(downstream.app.appId);
    const scope = downstream.requested.join(' ');
    // With offline_access Entra also returns a refresh token, for the middle tier to renew the
    // downstream token without the user's token (OBO "Success response example"). It is a grant of
    // its own, so the multi-resource refresh grant (./refresh-grant.ts) serves it like any other.
    let grantId: string | undefined;
    if (resolved.oidc.includes('offline_access')) {
      const grant = new provider.Grant({ accountId: user.id, clientId: client.clientId });
      grant.addOIDCScope(resolved.oidc.join(' '));
      grant.addResourceScope(indicator, scope);
      grantId = await grant.save();
    }
    const at = new provider.AccessToken({ accountId: user.id, client, gty: JWT_BEARER, scope, ...(grantId ? { grantId } : {}) } as never);
    at.resourceServer = new provider.ResourceServer(indicator, deps.resourceServerInfo(downstream.app, indicator) as never);
    ctx.oidc.entity('AccessToken', at);
    const accessToken = await at.save();
    let refreshToken: string | undefined;
    if (grantId) {
      const rt = new provider.RefreshToken({ accountId: user.id, client, grantId, gty: JWT_BEARER, resource: indicator, rotations: 0, scope: [...resolved.oidc, ...downstream.requested].join(' ') } as never);
      ctx.oidc.entity('RefreshToken', rt);
      refreshToken = await rt.save();
    }
    ctx.body = {
      token_type: at.tokenType,
      scope: [...downstream.requested, ...resolved.oidc.filter((s) => s !== 'offline_access')].join(' '),
      expires_in: at.expiration,
      access_token: accessToken,
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
    };
  }, ['assertion', 'requested_token_use', 'scope']);
}
