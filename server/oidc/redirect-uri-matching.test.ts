import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { authorizeUrl, pkce, postForm } from '../testing/oauth.js';

// How Entra compares the redirect URI a client sends with those the app registered: a URI without a
// path equals the same URI with `/` (learn.microsoft.com "Redirect URI (reply URL) outline and
// restrictions"); everything else about it is exact.
let emu: TestEmulator;
let base: string;
let token: string;
beforeAll(async () => {
  emu = await startTestEmulator();
  base = `${emu.url}/${DEFAULT.domain}`;
  token = `${base}/oauth2/v2.0/token`;
});
afterAll(async () => { await emu.close(); });

const API = `api://${DEFAULT.api}`;

/** Signs Alice in at /authorize and returns where the browser was sent (the app, or an error page). */
async function authorize(params: Record<string, string>) {
  return new HttpBrowser(emu.url).signIn(authorizeUrl(base, params), DEFAULT.alice.email, DEFAULT.alice.password);
}

function expectPage50011(page: { url: string; status: number; html: string }) {
  expect(page.url.startsWith(emu.url), page.url).toBe(true);
  expect(page.status).toBe(400);
  expect(page.html).toContain('AADSTS50011');
}

describe('redirect URI matching', () => {
  // Microsoft's vanilla-JS SPA sample sends http://localhost:3000/ while its README registers http://localhost:3000.
  it('accepts http://localhost:3000/ for a SPA that registered http://localhost:3000, and the code redeems cross-origin', async () => {
    const { verifier, challenge } = pkce();
    const page = await authorize({ client_id: DEFAULT.spa, redirect_uri: 'http://localhost:3000/', code_challenge: challenge, code_challenge_method: 'S256', response_mode: 'fragment' });
    const landed = new URL(page.url);
    expect(landed.origin + landed.pathname).toBe('http://localhost:3000/');
    const code = new URLSearchParams(landed.hash.slice(1)).get('code');
    expect(code, page.url).toBeTruthy();
    // still a SPA redirect URI: cross-origin redemption is allowed (not AADSTS9002326)
    const r = await postForm(token, { grant_type: 'authorization_code', client_id: DEFAULT.spa, code: code!, code_verifier: verifier, redirect_uri: 'http://localhost:3000/' }, { origin: 'http://localhost:3000' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
  });

  it('redeems a code issued to http://localhost:3000/ with http://localhost:3000, and refuses it for another registered URI (AADSTS70000)', async () => {
    const code = async () => {
      const { verifier, challenge } = pkce();
      const page = await authorize({ client_id: DEFAULT.spa, redirect_uri: 'http://localhost:3000/', code_challenge: challenge, code_challenge_method: 'S256', response_mode: 'fragment' });
      return { code: new URLSearchParams(new URL(page.url).hash.slice(1)).get('code')!, verifier };
    };
    const redeem = (c: { code: string; verifier: string }, redirectUri: string) => postForm(token,
      { grant_type: 'authorization_code', client_id: DEFAULT.spa, code: c.code, code_verifier: c.verifier, redirect_uri: redirectUri }, { origin: 'http://localhost:3000' });
    const same = await redeem(await code(), 'http://localhost:3000');
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    const other = await redeem(await code(), 'http://localhost:3000/redirect');
    expect(other.status).toBe(400);
    expect(other.body).toMatchObject({ error: 'invalid_grant', error_codes: [70000] });
  });

  it('accepts http://localhost:3001 for a web app that registered http://localhost:3001/ (the other direction)', async () => {
    const page = await authorize({ client_id: DEFAULT.web, redirect_uri: 'http://localhost:3001' });
    const landed = new URL(page.url);
    // Entra answers a path-less redirect URI with a trailing slash
    expect(landed.origin + landed.pathname).toBe('http://localhost:3001/');
    expect(landed.searchParams.get('code')).toBeTruthy();
  });

  it.each([
    ['a query string', 'http://localhost:3000/?x=1'],
    ['another path', 'http://localhost:3000/other'],
    ['a path with a trailing slash added', 'http://localhost:3000/redirect/'],
    ['a double slash', 'http://localhost:3000//'],
    ['another port', 'http://localhost:3002/'],
    ['another host', 'http://localhost.evil.example:3000/'],
  ])('still refuses %s with the AADSTS50011 page', async (_name, redirectUri) => {
    expectPage50011(await authorize({ client_id: DEFAULT.spa, redirect_uri: redirectUri, code_challenge: pkce().challenge, code_challenge_method: 'S256' }));
  });
});
