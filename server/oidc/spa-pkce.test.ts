import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { ConfidentialClientApplication, LogLevel } from '@azure/msal-node';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { authorizeUrl, pkce, postForm } from '../testing/oauth.js';

// Entra requires PKCE for authorization codes issued to Single-Page Application redirect URIs
// ("required by the Microsoft identity platform for single page apps using the authorization code
// flow"): the code is issued, and its redemption without code_verifier is AADSTS9002325 — also when
// no Origin header is sent. Web apps (confidential) and mobile/desktop apps (public clients) may
// still use the code flow without PKCE.
let emu: TestEmulator;
let token: string;
const NATIVE_APP = '88888888-8888-4888-8888-888888888888';
// A desktop app's loopback redirect (custom schemes such as msal{appId}://auth are not emulated yet).
const NATIVE_REDIRECT = 'http://localhost:4000';

beforeAll(async () => {
  emu = await startTestEmulator();
  token = `${emu.url}/${DEFAULT.domain}/oauth2/v2.0/token`;
  // A mobile/desktop app: the SPA's registration with its redirect URI under "Mobile and desktop applications".
  const spa = emu.directory.applications.findByAppId(DEFAULT.tenantId, DEFAULT.spa)!;
  const { tenantId: _t, isConfidential: _c, ...input } = spa;
  emu.directory.applications.upsert(DEFAULT.tenantId, { ...input, id: '88888888-0000-4888-8888-888888888888', appId: NATIVE_APP,
    displayName: 'Contoso Mobile', spaRedirectUris: [], publicRedirectUris: [NATIVE_REDIRECT], isFallbackPublicClient: true }, Date.now());
});
afterAll(async () => { await emu.close(); });

const PKCE_REQUIRED = 'AADSTS9002325: Proof Key for Code Exchange is required for cross-origin authorization code redemption.';

/** Alice signs in through the hosted page; the code from the redirect (query or fragment). */
async function codeFor(clientId: string, redirectUri: string, challenge?: string): Promise<string> {
  const page = await new HttpBrowser(emu.url).signIn(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, {
    client_id: clientId, redirect_uri: redirectUri, response_mode: 'fragment',
    ...(challenge ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}),
  }), DEFAULT.alice.email, DEFAULT.alice.password);
  expect(page.url.startsWith(redirectUri), `${page.url} ${page.status} ${page.html.slice(0, 1500)}`).toBe(true);
  const code = new URLSearchParams(new URL(page.url).hash.slice(1)).get('code');
  expect(code, page.url).toBeTruthy();
  return code!;
}

function expectPkceRequired(r: { status: number; body: Record<string, unknown> }) {
  expect(r.status, JSON.stringify(r.body)).toBe(400);
  expect(r.body.error).toBe('invalid_request');
  expect(r.body.error_codes).toEqual([9002325]);
  expect(String(r.body.error_description).split('\r\n')[0]).toBe(PKCE_REQUIRED);
}

describe('PKCE for codes issued to SPA redirect URIs', () => {
  it('issues the code without code_challenge, and refuses its redemption without code_verifier and without Origin (400 invalid_request AADSTS9002325)', async () => {
    const code = await codeFor(DEFAULT.spa, 'http://localhost:3000');
    expectPkceRequired(await postForm(token, { grant_type: 'authorization_code', client_id: DEFAULT.spa, code, redirect_uri: 'http://localhost:3000' }));
  });

  it('refuses the same redemption from a browser (with Origin) with the same error', async () => {
    const code = await codeFor(DEFAULT.spa, 'http://localhost:3000');
    expectPkceRequired(await postForm(token, { grant_type: 'authorization_code', client_id: DEFAULT.spa, code, redirect_uri: 'http://localhost:3000' },
      { origin: 'http://localhost:3000' }));
  });

  it('refuses a code issued with code_challenge when code_verifier is left out (AADSTS9002325), and redeems it with the verifier', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFor(DEFAULT.spa, 'http://localhost:3000', challenge);
    const form = { grant_type: 'authorization_code', client_id: DEFAULT.spa, code, redirect_uri: 'http://localhost:3000' };
    expectPkceRequired(await postForm(token, form));
    // the refusal did not spend the code
    const r = await postForm(token, { ...form, code_verifier: verifier }, { origin: 'http://localhost:3000' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(decodeJwt(String(r.body.id_token))).toMatchObject({ oid: DEFAULT.alice.id, aud: DEFAULT.spa });
  });

  it('still redeems a SPA code with PKCE without Origin (as the existing SPA flows do)', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFor(DEFAULT.spa, 'http://localhost:3000', challenge);
    const r = await postForm(token, { grant_type: 'authorization_code', client_id: DEFAULT.spa, code, code_verifier: verifier, redirect_uri: 'http://localhost:3000' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.access_token).toBeTruthy();
  });
});

describe('where Entra does not require PKCE', () => {
  it('redeems a web app code without PKCE with msal-node (confidential client)', async () => {
    const cca = new ConfidentialClientApplication({
      auth: { clientId: DEFAULT.web, clientSecret: DEFAULT.webSecret, authority: emu.authority, knownAuthorities: [new URL(emu.url).host] },
      system: { loggerOptions: { logLevel: LogLevel.Error, loggerCallback: () => {} } },
    });
    const url = await cca.getAuthCodeUrl({ scopes: ['openid', 'profile'], redirectUri: DEFAULT.webRedirect });
    expect(new URL(url).searchParams.has('code_challenge')).toBe(false);
    const page = await new HttpBrowser(emu.url).signIn(url, DEFAULT.alice.email, DEFAULT.alice.password);
    const code = new URL(page.url).searchParams.get('code');
    expect(code, page.url).toBeTruthy();
    const result = await cca.acquireTokenByCode({ code: code!, scopes: ['openid', 'profile'], redirectUri: DEFAULT.webRedirect });
    expect(result.idTokenClaims).toMatchObject({ oid: DEFAULT.alice.id, aud: DEFAULT.web });
  });

  it('redeems a mobile/desktop (public client) code without PKCE', async () => {
    const code = await codeFor(NATIVE_APP, NATIVE_REDIRECT);
    const r = await postForm(token, { grant_type: 'authorization_code', client_id: NATIVE_APP, code, redirect_uri: NATIVE_REDIRECT });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(decodeJwt(String(r.body.id_token))).toMatchObject({ oid: DEFAULT.alice.id, aud: NATIVE_APP });
  });
});
