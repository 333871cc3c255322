import { randomUUID } from 'node:crypto';
import { WEB_APP } from '../pages/web-app.page.js';

export interface AuthorizeRequest {
  url: string;
  state: string;
  nonce: string;
}

/**
 * The web app's sign-in request as MSAL sends it: authorization code, OIDC scopes plus
 * offline_access, a fresh state and nonce, and client_info=1 (MSAL always asks for client_info;
 * Entra only returns it when asked). `overrides` replace or add parameters.
 */
export function webAppAuthorize(authority: string, overrides: Record<string, string> = {}): AuthorizeRequest {
  const state = overrides.state ?? randomUUID();
  const nonce = overrides.nonce ?? randomUUID();
  const params = new URLSearchParams({
    client_id: WEB_APP.clientId,
    redirect_uri: WEB_APP.redirectUri,
    response_type: 'code',
    scope: 'openid profile offline_access',
    client_info: '1',
    ...overrides,
    state,
    nonce,
  });
  return { url: `${authority}/oauth2/v2.0/authorize?${params}`, state, nonce };
}
