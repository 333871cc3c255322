import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfidentialClientApplication, CryptoProvider, LogLevel } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';

// Entra's refresh tokens are multi-resource: after an OIDC-only sign-in, msal-node's
// acquireTokenSilent for an API scope the app holds consent for is served from the refresh token
// (Microsoft's Express "call an API" sample relies on it). The app's consent still decides.
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });

const API_READ = `api://${DEFAULT.api}/ToDoList.Read`;
const OIDC = ['openid', 'profile', 'offline_access'];

function webApp() {
  return new ConfidentialClientApplication({
    auth: { clientId: DEFAULT.web, clientSecret: DEFAULT.webSecret, authority: emu.authority, knownAuthorities: [new URL(emu.url).host] },
    system: { loggerOptions: { logLevel: LogLevel.Error, loggerCallback: () => {} } },
  });
}

/** Signs Alice in asking only OIDC scopes, as the Express sample's sign-in does. */
async function oidcOnlySignIn(cca: ConfidentialClientApplication) {
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const url = await cca.getAuthCodeUrl({ scopes: OIDC, redirectUri: DEFAULT.webRedirect, codeChallenge: challenge, codeChallengeMethod: 'S256', state: 's', nonce: 'n' });
  const page = await new HttpBrowser(emu.url).signIn(url, DEFAULT.alice.email, DEFAULT.alice.password);
  const redirect = new URL(page.url);
  expect(redirect.origin + redirect.pathname, page.url).toBe(DEFAULT.webRedirect);
  const code = redirect.searchParams.get('code')!;
  return cca.acquireTokenByCode({ code, scopes: OIDC, redirectUri: DEFAULT.webRedirect, codeVerifier: verifier, state: 's', nonce: 'n' },
    { code, state: 's', nonce: 'n', client_info: redirect.searchParams.get('client_info') ?? undefined });
}

/** The refresh token msal-node cached for the signed-in account. */
function cachedRefreshToken(cca: ConfidentialClientApplication): string {
  const cache = JSON.parse(cca.getTokenCache().serialize()) as { RefreshToken: Record<string, { secret: string }> };
  const [rt] = Object.values(cache.RefreshToken);
  expect(rt, 'a refresh token in msal-node\'s cache').toBeTruthy();
  return rt!.secret;
}

describe('refresh tokens are multi-resource', () => {
  it('serves acquireTokenSilent for a consented API scope after an OIDC-only sign-in', async () => {
    const cca = webApp();
    const signedIn = await oidcOnlySignIn(cca);
    const result = await cca.acquireTokenSilent({ account: signedIn.account!, scopes: [API_READ] });
    expect(result.fromCache).toBe(false);
    expect(decodeJwt(result.accessToken)).toMatchObject({ aud: DEFAULT.api, scp: 'ToDoList.Read', azp: DEFAULT.web, oid: DEFAULT.alice.id });
    expect(result.scopes).toContain(API_READ);

    // and the same refresh token then serves a second resource (Graph) and the first again
    // (the OIDC-only sign-in already brought a Graph token, as from Entra: MSAL serves that from its cache)
    const cached = await cca.acquireTokenSilent({ account: signedIn.account!, scopes: ['User.Read'] });
    expect(cached.fromCache).toBe(true);
    expect(decodeJwt(cached.accessToken)).toMatchObject({ aud: '00000003-0000-0000-c000-000000000000', scp: 'openid profile User.Read' });
    const graph = await cca.acquireTokenSilent({ account: signedIn.account!, scopes: ['User.Read'], forceRefresh: true });
    expect(graph.fromCache).toBe(false);
    expect(decodeJwt(graph.accessToken)).toMatchObject({ aud: '00000003-0000-0000-c000-000000000000', scp: 'User.Read' });
    const again = await cca.acquireTokenSilent({ account: signedIn.account!, scopes: [API_READ], forceRefresh: true });
    expect(decodeJwt(again.accessToken)).toMatchObject({ aud: DEFAULT.api, scp: 'ToDoList.Read' });
  });

  it('serves acquireTokenByRefreshToken for the API scope from the OIDC-only refresh token', async () => {
    const cca = webApp();
    await oidcOnlySignIn(cca);
    const result = await webApp().acquireTokenByRefreshToken({ refreshToken: cachedRefreshToken(cca), scopes: [API_READ] });
    expect(decodeJwt(result!.accessToken)).toMatchObject({ aud: DEFAULT.api, scp: 'ToDoList.Read' });
  });

  it('refuses a scope the app has no consent for with AADSTS65001 (consent_required)', async () => {
    const cca = webApp();
    await oidcOnlySignIn(cca);
    // The web app was granted Graph User.Read only; User.ReadWrite.All exists but was never consented.
    await expect(webApp().acquireTokenByRefreshToken({ refreshToken: cachedRefreshToken(cca), scopes: ['https://graph.microsoft.com/User.ReadWrite.All'] }))
      .rejects.toMatchObject({ errorCode: 'invalid_grant', subError: 'consent_required', errorMessage: expect.stringContaining('AADSTS65001') });
  });

  it('refuses a scope the API does not expose with AADSTS70011', async () => {
    const cca = webApp();
    await oidcOnlySignIn(cca);
    await expect(webApp().acquireTokenByRefreshToken({ refreshToken: cachedRefreshToken(cca), scopes: [`api://${DEFAULT.api}/ToDoList.Delete`] }))
      .rejects.toMatchObject({ errorCode: 'invalid_scope', errorMessage: expect.stringContaining('AADSTS70011') });
  });
});
