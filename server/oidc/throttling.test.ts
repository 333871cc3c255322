import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfidentialClientApplication, LogLevel, ServerError } from '@azure/msal-node';
import { ManualClock } from '../clock.js';
import { loadConfig, ConfigError } from '../config.js';
import { WindowCounter } from '../http/throttle.js';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { postForm } from '../testing/oauth.js';
import { TOKEN_RULES } from './throttling.js';

// Entra's throttling at the token endpoint (issue 10, item 4), with `--throttling on`: a client
// request loop (15+ identical requests in 5 minutes, "Looping clients will be interrupted"), a
// burst of wrong client secrets, and more than 20 requests a second from one address (External ID
// service limits) answer AADSTS50196 with Retry-After, so clients' back-off can be tested.

const API = `api://${DEFAULT.api}`;
const daemon = { client_id: DEFAULT.daemon, client_secret: DEFAULT.daemonSecret, grant_type: 'client_credentials', scope: `${API}/.default` };

describe('token endpoint throttling, --throttling on', () => {
  const clock = new ManualClock(Date.parse('2026-11-22T10:00:00Z'));
  let emu: TestEmulator;
  let token: string;
  beforeAll(async () => {
    emu = await startTestEmulator({ args: ['--throttling', 'on'], clock });
    token = `${emu.url}/${DEFAULT.domain}/oauth2/v2.0/token`;
  });
  afterAll(async () => { await emu.close(); });
  // every test starts past every window the previous one opened
  beforeEach(() => { clock.advance(TOKEN_RULES.loop.windowMs + 60_000); });

  it('msal-node: the 16th identical client-credentials request in 5 minutes is a 429 AADSTS50196 ServerError, and msal-node then holds back itself', async () => {
    const cca = new ConfidentialClientApplication({
      auth: { clientId: DEFAULT.daemon, clientSecret: DEFAULT.daemonSecret, authority: emu.authority, knownAuthorities: [new URL(emu.url).host] },
      system: { loggerOptions: { logLevel: LogLevel.Error, loggerCallback: () => {} } },
    });
    const request = { scopes: [`${API}/.default`], skipCache: true };
    for (let i = 0; i < 15; i++) {
      expect((await cca.acquireTokenByClientCredential(request))?.accessToken).toBeTruthy();
      clock.advance(1000);
    }
    const e = await cca.acquireTokenByClientCredential(request).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(ServerError);
    expect(e).toMatchObject({ errorCode: 'invalid_grant', status: 429 });
    expect(String((e as ServerError).errorNo)).toBe('50196');
    expect((e as ServerError).errorMessage).toContain('AADSTS50196: The server terminated an operation because it encountered a client request loop');

    // msal-common's ThrottlingUtils remembered the Retry-After: the next call fails in msal-node itself
    // (its ServerError carries the cached error codes, '50196', where the server's says 'invalid_grant')
    const again = await cca.acquireTokenByClientCredential(request).then(() => undefined, (err: unknown) => err);
    expect(again).toBeInstanceOf(ServerError);
    expect((again as ServerError).errorCode).toBe('50196');
  });

  it('answers the 16th identical request 429 with Retry-After and Entra\'s body; still refused 1 s before the window ends, served 1 s after', async () => {
    for (let i = 0; i < 15; i++) {
      expect((await postForm(token, daemon)).status).toBe(200);
      clock.advance(1000);
    }
    const refused = await postForm(token, daemon);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: 'invalid_grant', error_codes: [50196] });
    expect(String(refused.body.error_description)).toMatch(/^AADSTS50196: The server terminated an operation because it encountered a client request loop\. Please contact your app vendor\./);
    for (const k of ['trace_id', 'correlation_id', 'timestamp', 'error_uri']) expect(refused.body, k).toHaveProperty(k);
    // the window opened with the first request, 15 s ago
    expect(refused.headers.get('retry-after')).toBe(String(TOKEN_RULES.loop.windowMs / 1000 - 15));

    clock.advance(TOKEN_RULES.loop.windowMs - 15_000 - 1000);
    const stillRefused = await postForm(token, daemon);
    expect(stillRefused.status).toBe(429);
    expect(stillRefused.headers.get('retry-after')).toBe('1');
    clock.advance(2000);
    expect((await postForm(token, daemon)).status).toBe(200);
  });

  it('a control-plane reset of the tenant clears the throttle: refused before it, served after it', async () => {
    for (let i = 0; i < 15; i++) expect((await postForm(token, daemon)).status).toBe(200);
    expect((await postForm(token, daemon)).status).toBe(429);
    const reset = await fetch(`${emu.url}/_emulator/v1/tenants/${DEFAULT.tenantId}/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect((await postForm(token, daemon)).status).toBe(200);
  });

  it('answers a looping user-facing request (refresh token) 400 invalid_grant AADSTS50196, as Entra does outside client credentials', async () => {
    const loop = { client_id: DEFAULT.spa, grant_type: 'refresh_token', refresh_token: 'not-a-real-refresh-token', scope: 'openid' };
    for (let i = 0; i < 15; i++) expect((await postForm(token, loop)).body.error_codes).not.toEqual([50196]);
    const refused = await postForm(token, loop);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'invalid_grant', error_codes: [50196] });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('after 10 wrong client secrets in a minute, refuses the app\'s secret requests (the right secret too) 429 until the minute ends', async () => {
    for (let i = 0; i < 10; i++) {
      const wrong = await postForm(token, { ...daemon, client_secret: `wrong-${i}` });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error_codes).toEqual([7000215]);
      clock.advance(1000);
    }
    const refused = await postForm(token, daemon);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: 'invalid_grant', error_codes: [50196] });
    expect(String(refused.body.error_description)).toContain('wrong client secret');
    expect(refused.headers.get('retry-after')).toBe(String(TOKEN_RULES.badSecret.windowMs / 1000 - 10));
    // Basic authentication is the same app
    const basic = Buffer.from(`${DEFAULT.daemon}:${DEFAULT.daemonSecret}`).toString('base64');
    expect((await postForm(token, { grant_type: 'client_credentials', scope: daemon.scope }, { authorization: `Basic ${basic}` })).status).toBe(429);
    // another confidential app is not affected
    expect((await postForm(token, { client_id: DEFAULT.web, client_secret: DEFAULT.webSecret, grant_type: 'client_credentials', scope: daemon.scope })).status).not.toBe(429);

    clock.advance(TOKEN_RULES.badSecret.windowMs - 10_000 - 1000);
    expect((await postForm(token, daemon)).status).toBe(429);
    clock.advance(2000);
    expect((await postForm(token, daemon)).status).toBe(200);
  });

  it('answers the 21st token request in one second from one address 429 with Retry-After: 1, and serves it the next second', async () => {
    const scopes = Array.from({ length: 21 }, (_, i) => `${API}/.default ${i}`);
    const answers = [];
    for (const scope of scopes) answers.push(await postForm(token, { ...daemon, scope }));
    expect(answers.slice(0, 20).map((a) => a.status)).not.toContain(429);
    expect(answers[20]!.status).toBe(429);
    expect(answers[20]!.headers.get('retry-after')).toBe('1');
    expect(answers[20]!.body.error_codes).toEqual([50196]);
    clock.advance(1000);
    expect((await postForm(token, daemon)).status).toBe(200);
  });

  it('lets a browser read Retry-After on a cross-origin 429', async () => {
    for (let i = 0; i < 21; i++) await postForm(token, { ...daemon, scope: `${API}/.default x${i}` });
    const refused = await postForm(token, daemon, { origin: 'http://localhost:3000' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(refused.headers.get('access-control-expose-headers')).toBe('Retry-After');
  });
});

describe('throttling off (the test profile: --argon2 test, as the harness starts)', () => {
  let emu: TestEmulator;
  beforeAll(async () => { emu = await startTestEmulator(); });
  afterAll(async () => { await emu.close(); });

  it('serves 30 identical requests and 12 wrong secrets without a 429', async () => {
    const token = `${emu.url}/${DEFAULT.domain}/oauth2/v2.0/token`;
    const statuses = [];
    for (let i = 0; i < 12; i++) statuses.push((await postForm(token, { ...daemon, client_secret: 'wrong' })).status);
    for (let i = 0; i < 30; i++) statuses.push((await postForm(token, daemon)).status);
    expect(statuses.slice(0, 12)).toEqual(Array(12).fill(401));
    expect(statuses.slice(12)).toEqual(Array(30).fill(200));
  });
});

describe('--throttling', () => {
  const load = (args: string[], env: NodeJS.ProcessEnv = {}) => loadConfig(['--data', ':memory:', ...args], env);

  it('is on by default, off with --argon2 test, and the flag or CIAM_THROTTLING wins either way', () => {
    expect(load([]).throttling).toBe(true);
    expect(load(['--argon2', 'test']).throttling).toBe(false);
    expect(load(['--argon2', 'test', '--throttling', 'on']).throttling).toBe(true);
    expect(load(['--throttling', 'off']).throttling).toBe(false);
    expect(load(['--argon2', 'test'], { CIAM_THROTTLING: 'on' }).throttling).toBe(true);
    expect(load([], { CIAM_THROTTLING: 'off' }).throttling).toBe(false);
  });

  it('refuses any other value with one clear line', () => {
    expect(() => load(['--throttling', 'maybe'])).toThrow(ConfigError);
    expect(() => load(['--throttling', 'maybe'])).toThrow("--throttling must be 'on' or 'off', not 'maybe'");
  });
});

describe('throttle counters stay bounded', () => {
  it('never holds more keys than its cap, whatever an anonymous caller sends', () => {
    const clock = new ManualClock(0);
    const counter = new WindowCounter({ limit: 3, windowMs: 60_000 }, clock, 100);
    for (let i = 0; i < 10_000; i++) counter.hit(`caller-${i}`);
    expect(counter.size).toBe(100);
  });

  it('sweeps expired windows, and a key is free again after its window (blocked at 59 s, free at 61 s)', () => {
    const clock = new ManualClock(0);
    const counter = new WindowCounter({ limit: 3, windowMs: 60_000 }, clock, 100);
    for (let i = 0; i < 3; i++) counter.hit('a');
    for (let i = 0; i < 50; i++) counter.hit(`other-${i}`);
    clock.advance(59_000);
    expect(counter.blockedFor('a')).toBe(1000);
    clock.advance(2000);
    expect(counter.blockedFor('a')).toBe(0);
    counter.hit('fresh');
    expect(counter.size).toBe(1);
  });
});
