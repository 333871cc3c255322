/**
 * oidc-provider's grant helpers, which its own grant handlers use to mint tokens (the package has no
 * `exports` map, so these paths are importable). The native grants (./grants.ts) use them so their
 * tokens are exactly the authorization code grant's: same AccessToken/IdToken/RefreshToken models,
 * resource resolution, claims and refresh-token rules.
 */
declare module 'oidc-provider/lib/helpers/grants.js' {
  export const buildTokenResponse: (...args: unknown[]) => unknown;
  export const resolveAndApplyResource: (...args: unknown[]) => unknown;
}
declare module 'oidc-provider/lib/helpers/grant_common.js' {
  export function issueTokens(provider: unknown, helpers: Record<string, unknown>, ctx: unknown, source: unknown, grant: unknown,
    options: { gty: string; entityLabel: string; cert?: unknown; dPoP?: unknown }): Promise<void>;
}
