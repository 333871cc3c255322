/** oidc-provider's own device_code grant handler; ./device-flow.ts registers it again under MSAL's bare grant name. */
declare module 'oidc-provider/lib/actions/grants/device_code.js' {
  export function handler(provider: unknown, helpers: Record<string, unknown>, ctx: unknown): Promise<void>;
  export const parameters: Set<string>;
  export const grantType: string;
}
