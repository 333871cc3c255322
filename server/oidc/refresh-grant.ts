import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Application } from '../directory/index.js';
import { AadError } from '../errors.js';
import { providerError } from './entra-errors.js';
import { grantedOn, resourceIndicator, type ResolvedScopes, type ResourceResolver } from './resources.js';
import { handler as refreshTokenGrant, parameters as refreshTokenParameters } from 'oidc-provider/lib/actions/grants/refresh_token.js';

/**
 * Entra's refresh tokens are multi-resource: one refresh token, whatever it was first issued for,
 * redeems for an access token to any resource the app holds consent for (Microsoft identity platform
 * "Refresh tokens": "refresh tokens are bound to a combination of user and client, but aren't tied to
 * a resource"). oidc-provider's refresh token only serves the scopes it was issued with ("refresh token
 * missing requested scope"), so before its own grant runs, a refresh request naming a consented
 * resource scope the token lacks extends the token and its grant to that scope. A scope the app has no
 * consent for fails as at /authorize (AADSTS65001); an unknown one as always (AADSTS70011).
 *
 * Scope values are put in their registered spelling first, as at /authorize (./resources.ts canonical).
 */
export interface RefreshGrantDeps {
  provider: Provider;
  helpers: Record<string, unknown>;
  resources: ResourceResolver;
  findApp: (clientId: string) => Application | undefined;
}

interface StoredRefreshToken {
  clientId: string;
  grantId: string;
  scope?: string;
  resource?: string | string[];
  isExpired: boolean;
  scopes: Set<string>;
  save(): Promise<string>;
}

interface StoredGrant {
  clientId?: string;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}

export function registerMultiResourceRefresh({ provider, helpers, resources, findApp }: RefreshGrantDeps): void {
  provider.registerGrantType('refresh_token', async function refreshToken(ctx: KoaContextWithOIDC) {
    const params = ctx.oidc.params as Record<string, string | undefined>;
    if (params.scope) {
      let resolved;
      try {
        resolved = resources.resolve(params.scope);
      } catch (e) {
        throw e instanceof AadError ? providerError(e) : e;
      }
      params.scope = resolved.canonical;
      await extendToRequestedResource(ctx, resolved, params.refresh_token);
    }
    await refreshTokenGrant(provider, helpers, ctx);
  }, [...refreshTokenParameters, 'resource'], ['resource']);

  async function extendToRequestedResource(ctx: KoaContextWithOIDC, resolved: ResolvedScopes, value: string | undefined): Promise<void> {
    const client = ctx.oidc.client;
    if (!resolved.resource || !client || !value) return;
    const RefreshToken = provider.RefreshToken as unknown as { find(v: string, o: { ignoreExpiration: boolean }): Promise<StoredRefreshToken | undefined> };
    const token = await RefreshToken.find(value, { ignoreExpiration: true });
    // An unknown, foreign or expired token is the grant's own business (invalid_grant, below).
    if (!token || token.clientId !== client.clientId || token.isExpired) return;

    const indicator = resourceIndicator(resolved.resource.app.appId);
    const held = token.scopes;
    const resourcesHeld = token.resource === undefined ? [] : [token.resource].flat();
    const adding = resolved.resource.requested.filter((s) => !held.has(s));
    if (!adding.length && resourcesHeld.includes(indicator)) return;

    // The app's consent on that resource decides, as it does at /authorize (provider.ts loadExistingGrant).
    const granted = new Set(grantedOn(findApp(client.clientId), resolved.resource.app.appId).scopes.map((g) => g.toLowerCase()));
    const unconsented = adding.filter((s) => !s.endsWith('/.default') && !granted.has(s.slice(s.lastIndexOf('/') + 1).toLowerCase()));
    if (unconsented.length) throw providerError(new AadError(65001, { clientId: client.clientId }));

    const Grant = provider.Grant as unknown as { find(id: string): Promise<StoredGrant | undefined> };
    const grant = await Grant.find(token.grantId);
    if (!grant || grant.clientId !== client.clientId) return;
    grant.addResourceScope(indicator, resolved.resource.requested.join(' '));
    await grant.save();

    token.scope = [...new Set([...held, ...adding])].filter(Boolean).join(' ');
    const nextResources = [...new Set([...resourcesHeld, indicator])];
    token.resource = nextResources.length === 1 ? nextResources[0]! : nextResources;
    await token.save();
  }
}
