/**
 * oidc-provider's own authorization_code grant handler (the package has no `exports` map, so the
 * path is importable). provider.ts registers it again behind Entra's PKCE rule for SPA redirect URIs.
 */
declare module 'oidc-provider/lib/actions/grants/authorization_code.js' {
  export function handler(provider: unknown, helpers: Record<string, unknown>, ctx: unknown): Promise<void>;
  export const parameters: Set<string>;
  export const grantType: string;
}

/** oidc-provider's own refresh_token grant handler; ./refresh-grant.ts runs it after making the token multi-resource. */
declare module 'oidc-provider/lib/actions/grants/refresh_token.js' {
  export function handler(provider: unknown, helpers: Record<string, unknown>, ctx: unknown): Promise<void>;
  export const parameters: Set<string>;
  export const grantType: string;
}
