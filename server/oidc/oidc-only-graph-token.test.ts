import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader, SignJWT, generateKeyPair } from 'jose';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { authorizeUrl, pkce, postForm } from '../testing/oauth.js';

/**
 * A sign-in that asks only OIDC scopes gets a Microsoft Graph access token, as from Entra
 * (fidelity-gaps.md D3, D25: MSAL's fixture answers scope "openid profile User.Read email"), usable
 * at Graph's /me and at the userinfo endpoint, not an opaque userinfo-only token.
 */
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });

const GRAPH = '00000003-0000-0000-c000-000000000000';
const SPA_REDIRECT = 'http://localhost:3000';

async function spaTokens(scope: string) {
  const { verifier, challenge } = pkce();
  const page = await new HttpBrowser(emu.url).signIn(
    authorizeUrl(emu.authority, { client_id: DEFAULT.spa, redirect_uri: SPA_REDIRECT, scope, code_challenge: challenge, code_challenge_method: 'S256' }),
    DEFAULT.alice.email, DEFAULT.alice.password);
  const code = new URL(page.url).searchParams.get('code');
  expect(code, page.url).toBeTruthy();
  const r = await postForm(`${emu.authority}/oauth2/v2.0/token`, { client_id: DEFAULT.spa, grant_type: 'authorization_code', code: code!, redirect_uri: SPA_REDIRECT, code_verifier: verifier }, { origin: SPA_REDIRECT });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as Record<string, string>;
}

const get = (url: string, token: string) => fetch(url, { headers: { authorization: `Bearer ${token}` } });

describe('OIDC-only sign-in: a Microsoft Graph access token', () => {
  it('answers openid profile email offline_access with a Graph JWT (aud Graph, scp with User.Read) and scope "openid profile User.Read email"', async () => {
    const body = await spaTokens('openid profile email offline_access');
    expect(body.scope).toBe('openid profile User.Read email');
    expect(decodeProtectedHeader(body.access_token!)).toMatchObject({ typ: 'JWT', alg: 'RS256' });
    const at = decodeJwt(body.access_token!);
    expect(at).toMatchObject({ aud: GRAPH, scp: 'openid profile User.Read email', oid: DEFAULT.alice.id, tid: DEFAULT.tenantId, azp: DEFAULT.spa, idtyp: 'user' });
    expect(at.exp! - at.iat!).toBe(Number(body.expires_in));
  });

  it('answers openid alone with scope "openid User.Read"', async () => {
    const body = await spaTokens('openid');
    expect(body.scope).toBe('openid User.Read');
    expect(decodeJwt(body.access_token!)).toMatchObject({ aud: GRAPH, scp: 'openid User.Read' });
  });

  it('keeps an API scope request as it was: the API token, not Graph', async () => {
    const body = await spaTokens(`openid profile api://${DEFAULT.api}/ToDoList.Read`);
    expect(decodeJwt(body.access_token!).aud).toBe(DEFAULT.api);
  });

  it('serves Graph /v1.0/me and userinfo with the token', async () => {
    const body = await spaTokens('openid profile email');
    const me = await get(`${emu.url}/v1.0/me`, body.access_token!);
    expect(me.status).toBe(200);
    expect(((await me.json()) as { id: string }).id).toBe(DEFAULT.alice.id);
    const info = await get(`${emu.authority}/openid/userinfo`, body.access_token!);
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ sub: expect.any(String), email: DEFAULT.alice.email });
  });

  it('refuses at userinfo a Graph-shaped JWT it did not issue (401)', async () => {
    const body = await spaTokens('openid profile');
    const real = decodeJwt(body.access_token!);
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ ...real, uti: 'not-an-issued-token' }).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(privateKey);
    const info = await get(`${emu.authority}/openid/userinfo`, forged);
    expect(info.status).toBe(401);
  });
});
