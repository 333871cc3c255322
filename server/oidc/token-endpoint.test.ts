import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import type { TravellingClock } from '../clock.js';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { authorizeUrl, pkce, postForm } from '../testing/oauth.js';

let emu: TestEmulator;
let token: string;
beforeAll(async () => {
  emu = await startTestEmulator();
  token = `${emu.url}/${DEFAULT.domain}/oauth2/v2.0/token`;
});
afterAll(async () => { await emu.close(); });
// tests that travel in time come back, even when they fail
afterEach(() => { (emu.clock as TravellingClock).reset(); });

const daemon = { client_id: DEFAULT.daemon, client_secret: DEFAULT.daemonSecret, grant_type: 'client_credentials' };
const API = `api://${DEFAULT.api}`;

function expectEntraError(r: { status: number; body: Record<string, unknown> }, status: number, error: string, code: number) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body).toMatchObject({ error, error_codes: [code] });
  expect(String(r.body.error_description)).toMatch(new RegExp(`^AADSTS${code}: `));
  for (const k of ['timestamp', 'trace_id', 'correlation_id', 'error_uri']) expect(r.body).toHaveProperty(k);
}

/** Signs Alice in for the SPA with PKCE and returns a fresh authorization code. */
async function spaCode(redirectUri = 'http://localhost:3000') {
  const { verifier, challenge } = pkce();
  const page = await new HttpBrowser(emu.url).signIn(
    authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.spa, redirect_uri: redirectUri, scope: `openid profile offline_access ${API}/ToDoList.Read`, code_challenge: challenge, code_challenge_method: 'S256', response_mode: 'fragment' }),
    DEFAULT.alice.email, DEFAULT.alice.password);
  const code = new URLSearchParams(new URL(page.url).hash.slice(1)).get('code');
  expect(code, page.url).toBeTruthy();
  return { code: code!, verifier, redirectUri };
}

describe('token endpoint: client credentials', () => {
  it('returns only token_type, expires_in, ext_expires_in and access_token, as Entra does', async () => {
    const r = await postForm(token, { ...daemon, scope: `${API}/.default` });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['access_token', 'expires_in', 'ext_expires_in', 'token_type']);
    expect(r.body.ext_expires_in).toBe(r.body.expires_in);
    expect(r.headers.get('x-ms-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts client_secret_basic too', async () => {
    const basic = Buffer.from(`${DEFAULT.daemon}:${DEFAULT.daemonSecret}`).toString('base64');
    const r = await postForm(token, { grant_type: 'client_credentials', scope: `${API}/.default` }, { authorization: `Basic ${basic}` });
    expect(r.status).toBe(200);
  });

  it('echoes client-request-id as correlation_id in errors', async () => {
    const r = await postForm(`${token}?client-request-id=3f1c8a4e-0000-4000-8000-000000000001`, { ...daemon, client_secret: 'wrong', scope: `${API}/.default` });
    expectEntraError(r, 401, 'invalid_client', 7000215);
    expect(r.body.correlation_id).toBe('3f1c8a4e-0000-4000-8000-000000000001');
  });

  it.each([
    ['an unknown client', { ...daemon, client_id: '99999999-9999-4999-8999-999999999999', scope: `${API}/.default` }, 400, 'unauthorized_client', 700016],
    ['no client secret', { grant_type: 'client_credentials', client_id: DEFAULT.daemon, scope: `${API}/.default` }, 401, 'invalid_client', 7000218],
    ['a public client sending a secret', { ...daemon, client_id: DEFAULT.spa, scope: `${API}/.default` }, 401, 'invalid_client', 700025],
    ['a scope without /.default', { ...daemon, scope: `${API}/ToDoList.Read` }, 400, 'invalid_scope', 1002012],
    ['an unknown resource', { ...daemon, scope: 'api://nope/.default' }, 400, 'invalid_resource', 500011],
    ['scopes of two resources', { ...daemon, scope: `${API}/.default https://graph.microsoft.com/.default` }, 400, 'invalid_scope', 700022],
    ['no scope at all', { ...daemon }, 400, 'invalid_scope', 70011],
    ['an unsupported grant type', { ...daemon, grant_type: 'urn:made:up', scope: `${API}/.default` }, 400, 'unsupported_grant_type', 70003],
    ['no grant_type', { client_id: DEFAULT.daemon, client_secret: DEFAULT.daemonSecret }, 400, 'invalid_request', 900144],
  ] as const)('rejects %s with Entra\'s error', async (_name, form, status, error, code) => {
    expectEntraError(await postForm(token, form as Record<string, string>), status, error, code);
  });

  it.each<[string, RequestInit, string, number]>([
    ['a JSON body', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":' }, 'invalid_request', 9002313],
    ['an XML body', { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<a/>' }, 'invalid_request', 9002313],
    ['a binary body', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from([0xff, 0xfe, 0, 1, 2]) }, 'invalid_request', 900144],
    ['a huge body', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `scope=${'a'.repeat(200_000)}` }, 'invalid_request', 9002313],
    ['a GET', { method: 'GET' }, 'invalid_request', 900561],
    ['duplicate parameters and no client', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&grant_type=client_credentials' }, 'invalid_request', 900144],
  ])('answers %s with a 400 and Entra\'s error, never a 5xx', async (_name, init, error, code) => {
    const res = await fetch(token, init);
    const body = await res.json() as Record<string, unknown>;
    expectEntraError({ status: res.status, body }, 400, error, code);
  });
});

describe('token endpoint: single-page apps (cross-origin redemption)', () => {
  it('redeems a SPA code cross-origin with PKCE and returns client_info and a refresh token', async () => {
    const { code, verifier, redirectUri } = await spaCode();
    const r = await postForm(token, { grant_type: 'authorization_code', client_id: DEFAULT.spa, code, code_verifier: verifier, redirect_uri: redirectUri,
      scope: `openid profile offline_access ${API}/ToDoList.Read`, client_info: '1' }, { origin: 'http://localhost:3000' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(r.body).toMatchObject({ token_type: 'Bearer' });
    for (const k of ['access_token', 'refresh_token', 'id_token', 'client_info', 'expires_in', 'ext_expires_in', 'scope']) expect(r.body).toHaveProperty(k);
    expect(JSON.parse(Buffer.from(String(r.body.client_info), 'base64url').toString())).toEqual({ uid: DEFAULT.alice.id, utid: DEFAULT.tenantId });
    expect(decodeJwt(String(r.body.access_token))).toMatchObject({ aud: DEFAULT.api, azp: DEFAULT.spa, azpacr: '0', scp: 'ToDoList.Read' });
    expect(String(r.body.scope).split(' ')).toContain(`${API}/ToDoList.Read`);

    // Refresh tokens rotate; the SPA can refresh cross-origin too.
    const again = await postForm(token, { grant_type: 'refresh_token', client_id: DEFAULT.spa, refresh_token: String(r.body.refresh_token),
      scope: `openid profile offline_access ${API}/ToDoList.Read`, client_info: '1' }, { origin: 'http://localhost:3000' });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.refresh_token).not.toBe(r.body.refresh_token);

    // As in Entra, the refresh token just used stays valid (two tabs refreshing at once both succeed).
    const reuse = await postForm(token, { grant_type: 'refresh_token', client_id: DEFAULT.spa, refresh_token: String(r.body.refresh_token) }, { origin: 'http://localhost:3000' });
    expect(reuse.status, JSON.stringify(reuse.body)).toBe(200);
  });

  it('gives SPA refresh tokens a fixed 24 h lifetime that rotation does not extend', async () => {
    const expiries = () => emu.db.prepare("SELECT expires_at FROM oidc_payloads WHERE model = 'RefreshToken' ORDER BY rowid DESC LIMIT 1").get() as { expires_at: number };
    const { code, verifier, redirectUri } = await spaCode();
    const r = await postForm(token, { grant_type: 'authorization_code', client_id: DEFAULT.spa, code, code_verifier: verifier, redirect_uri: redirectUri }, { origin: 'http://localhost:3000' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const first = expiries().expires_at;
    expect(first - Math.floor(Date.now() / 1000)).toBeGreaterThan(86400 - 60);
    expect(first - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(86400);
    // 23 hours later (the emulator's clock travels; oidc-provider's Date.now with it) a rotation
    // still works, and the new token ends when the first one does, not 24 h from now.
    (emu.clock as TravellingClock).advance(23 * 3600_000);
    const again = await postForm(token, { grant_type: 'refresh_token', client_id: DEFAULT.spa, refresh_token: String(r.body.refresh_token) }, { origin: 'http://localhost:3000' });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.refresh_token).not.toBe(r.body.refresh_token);
    expect(expiries().expires_at).toBe(first);
    // and past the 24 h, the rotated token is refused like the first (AADSTS700084)
    (emu.clock as TravellingClock).advance(3600_000 + 1000);
    expectEntraError(await postForm(token, { grant_type: 'refresh_token', client_id: DEFAULT.spa, refresh_token: String(again.body.refresh_token) }, { origin: 'http://localhost:3000' }),
      400, 'invalid_grant', 700084);
  });

  it('requires PKCE for cross-origin redemption (AADSTS9002325)', async () => {
    const { code, redirectUri } = await spaCode();
    const r = await postForm(token, { grant_type: 'authorization_code', client_id: DEFAULT.spa, code, redirect_uri: redirectUri }, { origin: 'http://localhost:3000' });
    expectEntraError(r, 400, 'invalid_request', 9002325);
  });

  it('lets only SPA redirect URIs redeem cross-origin (AADSTS9002326)', async () => {
    const r = await postForm(token, { grant_type: 'authorization_code', client_id: DEFAULT.web, client_secret: DEFAULT.webSecret, code: 'x',
      redirect_uri: DEFAULT.webRedirect, code_verifier: 'v' }, { origin: 'http://localhost:3001' });
    expectEntraError(r, 400, 'invalid_request', 9002326);
    expect(String(r.body.error_description)).toContain("Request origin: 'http://localhost:3001'");
  });

  it('answers the CORS preflight MSAL triggers with X-AnchorMailbox', async () => {
    const res = await fetch(token, { method: 'OPTIONS', headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-anchormailbox' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-anchormailbox');
  });

  it('refuses a code twice (AADSTS54005) and a wrong verifier (AADSTS501481)', async () => {
    const first = await spaCode();
    const form = { grant_type: 'authorization_code', client_id: DEFAULT.spa, code: first.code, code_verifier: first.verifier, redirect_uri: first.redirectUri };
    expect((await postForm(token, form, { origin: 'http://localhost:3000' })).status).toBe(200);
    expectEntraError(await postForm(token, form, { origin: 'http://localhost:3000' }), 400, 'invalid_grant', 54005);

    const second = await spaCode();
    expectEntraError(await postForm(token, { ...form, code: second.code, code_verifier: 'x'.repeat(43) }, { origin: 'http://localhost:3000' }), 400, 'invalid_grant', 501481);
  });

  it('refuses an unknown refresh token as malformed (invalid_grant AADSTS9002313, as Entra)', async () => {
    expectEntraError(await postForm(token, { grant_type: 'refresh_token', client_id: DEFAULT.spa, refresh_token: 'nope' }), 400, 'invalid_grant', 9002313);
  });
});
