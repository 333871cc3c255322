import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LogLevel, PublicClientApplication, type DeviceCodeRequest } from '@azure/msal-node';

type DeviceCodeResponse = Parameters<DeviceCodeRequest['deviceCodeCallback']>[0];
import { decodeJwt } from 'jose';
import type { TravellingClock } from '../../clock.js';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../../testing/harness.js';
import { HttpBrowser, type Page } from '../../testing/browser.js';
import { postForm } from '../../testing/oauth.js';

// The device authorization grant as External ID serves it (learn.microsoft.com "OAuth 2.0 device
// authorization grant flow"; fidelity-gaps.md §4.7), driven by msal-node's acquireTokenByDeviceCode
// and by the protocol directly for each polling error.
// fixtures/default: "Contoso Device Code App", a public client with "Allow public client flows" (isFallbackPublicClient)
const DEVICE_APP = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';
const API_SCOPE = `api://${DEFAULT.api}/ToDoList.Read`;

let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });
// tests that travel in time come back, even when they fail
afterEach(() => { (emu.clock as TravellingClock).reset(); });

const base = () => `${emu.url}/${DEFAULT.domain}`;

interface DeviceCode { user_code: string; device_code: string; verification_uri: string; expires_in: number; interval: number; message: string }

async function deviceCode(clientId = DEVICE_APP, scope = `openid profile offline_access ${API_SCOPE}`) {
  return postForm(`${base()}/oauth2/v2.0/devicecode`, { client_id: clientId, scope });
}

async function newCode(): Promise<DeviceCode> {
  const res = await deviceCode();
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as unknown as DeviceCode;
}

const poll = (device_code: string, grant_type = 'urn:ietf:params:oauth:grant-type:device_code') =>
  postForm(`${base()}/oauth2/v2.0/token`, { grant_type, client_id: DEVICE_APP, device_code });

function expectEntraError(r: { status: number; body: Record<string, unknown> }, status: number, error: string, code: number) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body).toMatchObject({ error, error_codes: [code] });
  expect(String(r.body.error_description)).toMatch(new RegExp(`^AADSTS${code}: `));
}

/** Opens the verification page, enters the code and answers the "are you trying to sign in" question. */
async function enterCode(verificationUri: string, userCode: string, answer: 'confirm' | 'abort'): Promise<{ browser: HttpBrowser; page: Page }> {
  const browser = new HttpBrowser(emu.url);
  const entry = await browser.go(verificationUri);
  expect(entry.status).toBe(200);
  expect(entry.html).toContain('<label for="user_code">Code</label>');
  const confirm = await browser.submit(entry, { user_code: userCode.toLowerCase() });
  expect(confirm.status).toBe(200);
  expect(confirm.html).toContain('Are you trying to sign in to Contoso Device Code App?');
  return { browser, page: await browser.submit(confirm, { [answer]: 'yes' }) };
}

/** The whole verification: code, then the hosted sign-in (the same pages as /authorize), then the success page. */
async function approve(code: { verification_uri: string; user_code: string }): Promise<Page> {
  const { browser, page } = await enterCode(code.verification_uri, code.user_code, 'confirm');
  expect(page.html).toContain('<label for="password">Password</label>');
  const done = await browser.submit(page, { email: DEFAULT.alice.email, password: DEFAULT.alice.password });
  return done;
}

describe('device code endpoint', () => {
  it('answers Entra\'s shape: a 9-character user code, the tenant\'s device page, 900 s, interval 5 and the message', async () => {
    const res = await deviceCode();
    expect(res.status).toBe(200);
    const body = res.body as unknown as DeviceCode;
    expect(Object.keys(body).sort()).toEqual(['device_code', 'expires_in', 'interval', 'message', 'user_code', 'verification_uri']);
    expect(body.user_code).toMatch(/^[A-Z]{9}$/);
    expect(body.verification_uri).toBe(`${emu.url}/contoso/oauth2/deviceauth`);
    expect(body.expires_in).toBe(900);
    expect(body.interval).toBe(5);
    expect(body.message).toBe(`To sign in, use a web browser to open the page ${body.verification_uri} and enter the code ${body.user_code} to authenticate.`);
  });
});

describe('msal-node acquireTokenByDeviceCode', () => {
  it('signs Alice in through the device page and the hosted sign-in, returning her id_token and an API access token', async () => {
    const pca = new PublicClientApplication({
      auth: { clientId: DEVICE_APP, authority: emu.authority, knownAuthorities: [new URL(emu.url).host] },
      system: { loggerOptions: { logLevel: LogLevel.Error, loggerCallback: () => {} } },
    });
    let shown: DeviceCodeResponse | undefined;
    let verified: Promise<Page> | undefined;
    const result = await pca.acquireTokenByDeviceCode({
      scopes: [API_SCOPE],
      deviceCodeCallback: (response) => {
        shown = response;
        verified = approve({ verification_uri: response.verificationUri, user_code: response.userCode });
      },
    });
    const success = await verified!;
    expect(success.status).toBe(200);
    expect(success.html).toContain('<h1 id="page-title">You\'re signed in</h1>');
    expect(shown!.message).toContain(shown!.userCode);
    expect(result!.account?.username).toBe(DEFAULT.alice.email);
    expect(decodeJwt(result!.idToken)).toMatchObject({ aud: DEVICE_APP, oid: DEFAULT.alice.id, preferred_username: DEFAULT.alice.email });
    expect(decodeJwt(result!.accessToken)).toMatchObject({ aud: DEFAULT.api, azp: DEVICE_APP, scp: 'ToDoList.Read', oid: DEFAULT.alice.id });
  }, 30_000);
});

describe('device code polling errors', () => {
  it('answers authorization_pending AADSTS70016 while the user has not entered the code', async () => {
    const code = await newCode();
    expectEntraError(await poll(code.device_code), 400, 'authorization_pending', 70016);
    // MSAL sends the bare grant name; Entra takes it too.
    expectEntraError(await poll(code.device_code, 'device_code'), 400, 'authorization_pending', 70016);
  });

  it('answers authorization_declined when the user cancels on the device page', async () => {
    const code = await newCode();
    const { page } = await enterCode(code.verification_uri, code.user_code, 'abort');
    expect(page.html).toContain('You cancelled the sign-in.');
    expectEntraError(await poll(code.device_code), 400, 'authorization_declined', 70000);
  });

  it('answers expired_token AADSTS70019 past the 900 seconds, and authorization_pending just inside them', async () => {
    const clock = emu.clock as TravellingClock;
    const code = await newCode();
    clock.advance(898_000);
    expectEntraError(await poll(code.device_code), 400, 'authorization_pending', 70016);
    clock.advance(3_000);
    expectEntraError(await poll(code.device_code), 400, 'expired_token', 70019);
  });

  it('answers bad_verification_code AADSTS70018 for a device code it never issued', async () => {
    expectEntraError(await poll('not-a-device-code'), 400, 'bad_verification_code', 70018);
  });

  it('issues tokens once the code is approved, answers the next poll with bad_verification_code AADSTS70018 and keeps the tokens', async () => {
    const code = await newCode();
    const success = await approve(code);
    expect(success.status).toBe(200);
    expect(success.html).toContain('<h1 id="page-title">You\'re signed in</h1>');
    const first = await poll(code.device_code);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ token_type: 'Bearer' });
    expect(typeof first.body.refresh_token).toBe('string');
    expectEntraError(await poll(code.device_code), 400, 'bad_verification_code', 70018);
    // the tokens already issued stay valid (as after a replayed authorization code, AADSTS54005)
    const refreshed = await postForm(`${base()}/oauth2/v2.0/token`, { grant_type: 'refresh_token', client_id: DEVICE_APP, refresh_token: String(first.body.refresh_token), scope: API_SCOPE });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
  });
});

describe('device code page', () => {
  it('answers a wrong user code with 400 and Entra\'s "That code didn\'t work" on the page', async () => {
    const browser = new HttpBrowser(emu.url);
    const entry = await browser.go(`${emu.url}/contoso/oauth2/deviceauth`);
    const page = await browser.submit(entry, { user_code: 'BBBBBBBBB' });
    expect(page.status).toBe(400);
    expect(page.html).toContain('That code didn&#39;t work. Check the code and try again.');
    expect(page.html).toContain('aria-invalid="true"');
  });

  it('answers an expired user code with Entra\'s "code you entered has expired"', async () => {
    const code = await newCode();
    (emu.clock as TravellingClock).advance(901_000);
    const browser = new HttpBrowser(emu.url);
    const entry = await browser.go(code.verification_uri);
    const page = await browser.submit(entry, { user_code: code.user_code });
    expect(page.status).toBe(400);
    expect(page.html).toContain('The code you entered has expired.');
  });
});

describe('device code endpoint errors', () => {
  it('answers a request without client_id with AADSTS900144 and an unknown client with AADSTS700016', async () => {
    expectEntraError(await postForm(`${base()}/oauth2/v2.0/devicecode`, { scope: 'openid' }), 400, 'invalid_request', 900144);
    expectEntraError(await deviceCode('99999999-9999-4999-8999-999999999999', 'openid'), 400, 'unauthorized_client', 700016);
  });
});
