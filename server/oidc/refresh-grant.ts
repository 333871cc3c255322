import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Application } from '../directory/index.js';
import type { ResourceResolver } from './resources.js';
import { handler as refreshTokenGrant, parameters as refreshTokenParameters } from 'oidc-provider/lib/actions/grants/refresh_token.js';

/**
 * The refresh_token grant as oidc-provider implements it, after putting the requested scope values in
 * their registered spelling, as at /authorize (./resources.ts canonicalScope): Entra matches scopes
 * without regard to case.
 */
export interface RefreshGrantDeps {
  provider: Provider;
  helpers: Record<string, unknown>;
  resources: ResourceResolver;
  findApp: (clientId: string) => Application | undefined;
}

export function registerMultiResourceRefresh({ provider, helpers, resources }: RefreshGrantDeps): void {
  provider.registerGrantType('refresh_token', async function refreshToken(ctx: KoaContextWithOIDC) {
    const params = ctx.oidc.params as Record<string, string | undefined>;
    if (params.scope) params.scope = resources.canonicalScope(params.scope);
    await refreshTokenGrant(provider, helpers, ctx);
  }, [...refreshTokenParameters, 'resource'], ['resource']);
}
