import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfidentialClientApplication, CryptoProvider, LogLevel } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { authorizeUrl } from '../testing/oauth.js';

// Entra matches scope values without regard to case and answers with the registered spelling, in the
// token's `scp` and the response's `scope` (MSAL compares scopes case-insensitively because of it:
// microsoft-authentication-library-for-go#214, PR #217).
let emu: TestEmulator;
let base: string;
beforeAll(async () => {
  emu = await startTestEmulator();
  base = `${emu.url}/${DEFAULT.domain}`;
});
afterAll(async () => { await emu.close(); });

const API = `api://${DEFAULT.api}`;

describe('scope matching', () => {
  function webApp() {
    return new ConfidentialClientApplication({
      auth: { clientId: DEFAULT.web, clientSecret: DEFAULT.webSecret, authority: emu.authority, knownAuthorities: [new URL(emu.url).host] },
      system: { loggerOptions: { logLevel: LogLevel.Error, loggerCallback: () => {} } },
    });
  }

  // A Microsoft sample asks for ToDolist.Read; the API registered ToDoList.Read.
  it('serves a scope written in another case with msal-node, and the token carries the registered spelling', async () => {
    const cca = webApp();
    const scopes = [`${API}/ToDolist.Read`];
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const url = await cca.getAuthCodeUrl({ scopes, redirectUri: DEFAULT.webRedirect, codeChallenge: challenge, codeChallengeMethod: 'S256', state: 's', nonce: 'n' });
    const page = await new HttpBrowser(emu.url).signIn(url, DEFAULT.alice.email, DEFAULT.alice.password);
    const redirect = new URL(page.url);
    expect(redirect.origin + redirect.pathname, page.url).toBe(DEFAULT.webRedirect);
    const code = redirect.searchParams.get('code')!;
    const result = await cca.acquireTokenByCode({ code, scopes, redirectUri: DEFAULT.webRedirect, codeVerifier: verifier, state: 's', nonce: 'n' },
      { code, state: 's', nonce: 'n', client_info: redirect.searchParams.get('client_info') ?? undefined });
    expect(decodeJwt(result.accessToken)).toMatchObject({ aud: DEFAULT.api, scp: 'ToDoList.Read' });
    // Entra answers with the corrected case (msal compares scopes without regard to case)
    expect(result.scopes).toContain(`${API}/ToDoList.Read`);

    // and refreshing with yet another spelling works too
    const renewed = await cca.acquireTokenSilent({ account: result.account!, scopes: [`${API}/TODOLIST.READ`], forceRefresh: true });
    expect(decodeJwt(renewed.accessToken)).toMatchObject({ aud: DEFAULT.api, scp: 'ToDoList.Read' });
  });

  it('still refuses a scope the API does not expose in any case (AADSTS70011)', async () => {
    const page = await new HttpBrowser(emu.url).go(authorizeUrl(base, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect, scope: `openid ${API}/ToDoList.Delete` }));
    const p = new URL(page.url).searchParams;
    expect(p.get('error')).toBe('invalid_scope');
    expect(p.get('error_description')).toMatch(/^AADSTS70011: /);
  });
});
