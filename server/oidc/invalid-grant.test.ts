import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfidentialClientApplication, LogLevel } from '@azure/msal-node';
import type { TravellingClock } from '../clock.js';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { authorizeUrl, postForm } from '../testing/oauth.js';

// A code or refresh token that is malformed, unknown, expired, already redeemed or revoked is
// `invalid_grant` at Entra's token endpoint (a truncated code answers invalid_grant AADSTS9002313:
// fidelity-gaps.md S5, D1); msal-browser falls back to interaction only on invalid_grant. Replaying a
// code answers AADSTS54005 "…or use an existing refresh token": the tokens already issued from it stay
// valid (D2).
let emu: TestEmulator;
let token: string;
beforeAll(async () => {
  emu = await startTestEmulator();
  token = `${emu.url}/${DEFAULT.domain}/oauth2/v2.0/token`;
});
afterAll(async () => { await emu.close(); });
// tests that travel in time come back, even when they fail
afterEach(() => { (emu.clock as TravellingClock).reset(); });

const SCOPE = `openid profile offline_access api://${DEFAULT.api}/ToDoList.Read`;
const web = { client_id: DEFAULT.web, client_secret: DEFAULT.webSecret };

function expectEntraError(r: { status: number; body: Record<string, unknown> }, status: number, error: string, code: number) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body).toMatchObject({ error, error_codes: [code] });
  expect(String(r.body.error_description)).toMatch(new RegExp(`^AADSTS${code}: `));
  expect(r.body.error_uri).toBe(`${emu.url}/error?code=${code}`);
}

/** Signs Alice in to the web app and returns a fresh authorization code. */
async function webCode(): Promise<string> {
  const page = await new HttpBrowser(emu.url).signIn(
    authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect, scope: SCOPE }),
    DEFAULT.alice.email, DEFAULT.alice.password);
  const code = new URL(page.url).searchParams.get('code');
  expect(code, page.url).toBeTruthy();
  return code!;
}

const redeem = (code: string) => postForm(token, { ...web, grant_type: 'authorization_code', code, redirect_uri: DEFAULT.webRedirect, scope: SCOPE });
const refresh = (refreshToken: string) => postForm(token, { ...web, grant_type: 'refresh_token', refresh_token: refreshToken, scope: SCOPE });

async function signedIn(): Promise<{ refreshToken: string }> {
  const r = await redeem(await webCode());
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { refreshToken: String(r.body.refresh_token) };
}

describe('bad codes and refresh tokens are invalid_grant', () => {
  it('answers an unknown or truncated code with invalid_grant AADSTS9002313', async () => {
    expectEntraError(await redeem('not-a-code'), 400, 'invalid_grant', 9002313);
    const code = await webCode();
    expectEntraError(await redeem(code.slice(0, -4)), 400, 'invalid_grant', 9002313);
  });

  it('answers an unknown refresh token with invalid_grant AADSTS9002313', async () => {
    expectEntraError(await refresh('not-a-refresh-token'), 400, 'invalid_grant', 9002313);
  });

  it('answers a code past its 10 minutes with invalid_grant AADSTS70008, and one just inside them with tokens', async () => {
    const clock = emu.clock as TravellingClock;
    const late = await webCode();
    const inTime = await webCode();
    clock.advance(599_000);
    expect((await redeem(inTime)).status).toBe(200);
    clock.advance(2_000);
    expectEntraError(await redeem(late), 400, 'invalid_grant', 70008);
  });

  it('answers a web app refresh token past its 90 days with invalid_grant AADSTS700082', async () => {
    const { refreshToken } = await signedIn();
    // one hour past (inside the sweep's grace, so the row is still there to say "expired")
    (emu.clock as TravellingClock).advance((90 * 24 + 1) * 3600_000);
    expectEntraError(await refresh(refreshToken), 400, 'invalid_grant', 700082);
  });

  it('answers a replayed code with AADSTS54005 and keeps the refresh token issued from it', async () => {
    const code = await webCode();
    const first = await redeem(code);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expectEntraError(await redeem(code), 400, 'invalid_grant', 54005);
    // "…please retry with a new valid code or use an existing refresh token": that refresh token works
    const renewed = await refresh(String(first.body.refresh_token));
    expect(renewed.status, JSON.stringify(renewed.body)).toBe(200);
    expect(renewed.body.access_token).toBeTruthy();
  });

  it('redeems a code sent ten times at once exactly once (nine AADSTS54005), and keeps its refresh token', async () => {
    const code = await webCode();
    const all = await Promise.all(Array.from({ length: 10 }, () => redeem(code)));
    const ok = all.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    for (const r of all.filter((x) => x.status !== 200)) expectEntraError(r, 400, 'invalid_grant', 54005);
    expect((await refresh(String(ok[0]!.body.refresh_token))).status).toBe(200);
  });

  it('answers a refresh token of a user disabled since with invalid_grant AADSTS50057, and works again once she is enabled', async () => {
    const { refreshToken } = await signedIn();
    emu.directory.userAdmin.setAccountEnabled(DEFAULT.tenantId, DEFAULT.alice.id, false);
    try {
      expectEntraError(await refresh(refreshToken), 400, 'invalid_grant', 50057);
    } finally {
      emu.directory.userAdmin.setAccountEnabled(DEFAULT.tenantId, DEFAULT.alice.id, true);
    }
    expect((await refresh(refreshToken)).status).toBe(200);
  });

  // Last: revocation covers every refresh token Alice holds from before it.
  it('answers a refresh token from before revokeSignInSessions with invalid_grant AADSTS50173, seen by msal-node as invalid_grant', async () => {
    const { refreshToken } = await signedIn();
    const clock = emu.clock as TravellingClock;
    // refresh tokens carry iat in whole seconds: the revocation comes in a later second
    clock.advance(2_000);
    emu.directory.userAdmin.revokeSessions(DEFAULT.tenantId, DEFAULT.alice.id, clock.nowMs());
    expectEntraError(await refresh(refreshToken), 400, 'invalid_grant', 50173);

    const cca = new ConfidentialClientApplication({
      auth: { clientId: DEFAULT.web, clientSecret: DEFAULT.webSecret, authority: emu.authority, knownAuthorities: [new URL(emu.url).host] },
      system: { loggerOptions: { logLevel: LogLevel.Error, loggerCallback: () => {} } },
    });
    await expect(cca.acquireTokenByRefreshToken({ refreshToken, scopes: [`api://${DEFAULT.api}/ToDoList.Read`] }))
      .rejects.toMatchObject({ errorCode: 'invalid_grant', errorMessage: expect.stringContaining('AADSTS50173') });
  });
});
