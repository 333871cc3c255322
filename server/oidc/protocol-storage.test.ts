import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { authorizeUrl, pkce, postForm } from '../testing/oauth.js';
import { storageKey } from './adapter.js';

// What oidc-provider's state leaves in the database file: bearer values are stored only as their
// SHA-256, so a copied emulator.db hands out no code, refresh token or session.
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });

const rows = () => emu.db.prepare<[], { model: string; id: string; payload: string; uid: string | null }>(
  'SELECT model, id, payload, uid FROM oidc_payloads').all();
/** Every place a value could sit in the table: ids, payloads, uid columns. */
const stored = (value: string) => rows().filter((r) => r.id === value || r.payload.includes(value) || r.uid === value);

async function webSignIn(browser = new HttpBrowser(emu.url)) {
  const { verifier, challenge } = pkce();
  const page = await browser.signIn(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, {
    client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect, code_challenge: challenge, code_challenge_method: 'S256',
  }), DEFAULT.alice.email, DEFAULT.alice.password);
  const code = new URL(page.url).searchParams.get('code');
  expect(code, page.url).toBeTruthy();
  return { browser, code: code!, verifier };
}
const token = () => `${emu.url}/${DEFAULT.domain}/oauth2/v2.0/token`;
const redeem = (code: string, verifier: string) => postForm(token(), {
  grant_type: 'authorization_code', client_id: DEFAULT.web, client_secret: DEFAULT.webSecret, code, code_verifier: verifier, redirect_uri: DEFAULT.webRedirect,
});

describe('protocol artefacts are stored under a hash of their value', () => {
  it('keeps an authorization code only as its SHA-256, and still redeems it', async () => {
    const { code, verifier } = await webSignIn();
    expect(stored(code)).toEqual([]);
    const row = rows().find((r) => r.model === 'AuthorizationCode' && r.id === storageKey(code));
    expect(row?.model).toBe('AuthorizationCode');

    const r = await redeem(code, verifier);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(typeof r.body.access_token).toBe('string');
  });

  it('keeps a refresh token only as its SHA-256, and the refresh grant still finds it', async () => {
    const { code, verifier } = await webSignIn();
    const first = await redeem(code, verifier);
    const refreshToken = first.body.refresh_token as string;
    expect(typeof refreshToken).toBe('string');
    expect(stored(refreshToken)).toEqual([]);
    expect(rows().filter((r) => r.model === 'RefreshToken' && r.id === storageKey(refreshToken))).toHaveLength(1);

    const refreshed = await postForm(token(), { grant_type: 'refresh_token', client_id: DEFAULT.web, client_secret: DEFAULT.webSecret, refresh_token: refreshToken });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(typeof refreshed.body.refresh_token).toBe('string');
  });

  it('keeps the session cookie and interaction cookie values out of the table, and the session still signs in silently', async () => {
    const { browser } = await webSignIn();
    const cookies = await browser.jar.getCookies(emu.url);
    const session = cookies.find((c) => c.key === `esctx_${DEFAULT.tenantId}`);
    expect(session?.value).toBeTruthy();
    // The signed cookie's value is the session id (the `.sig` companion is its signature).
    expect(stored(session!.value)).toEqual([]);
    expect(rows().filter((r) => r.model === 'Session' && r.id === storageKey(session!.value))).toHaveLength(1);

    // An interaction is keyed by its uid, which is also the interaction cookie's value.
    const { challenge } = pkce();
    const anonymous = new HttpBrowser(emu.url);
    const page = await anonymous.go(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.spa, redirect_uri: 'http://localhost:3000', code_challenge: challenge, code_challenge_method: 'S256' }));
    const uid = /\/interaction\/([^/?#]+)/.exec(page.url)?.[1];
    expect(uid, page.url).toBeTruthy();
    expect(stored(uid!)).toEqual([]);
    expect(rows().filter((r) => r.model === 'Interaction' && r.id === storageKey(uid!))).toHaveLength(1);

    // prompt=none with the session cookie: the session is found by the hash of its cookie value.
    const silent = await browser.go(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect, prompt: 'none' }));
    expect(new URL(silent.url).searchParams.get('code'), silent.url).toBeTruthy();
  });
});
