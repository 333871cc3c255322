import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { rawRequest, type RawResponse } from '../testing/raw-request.js';

// Issue 10 item 1: no web page open in the developer's browser reaches the control plane or the
// mailbox (server/http/trusted-caller.ts), while test suites and curl on the same machine still do.
let emu: TestEmulator;
let port: string;
beforeAll(async () => {
  emu = await startTestEmulator();
  port = new URL(emu.url).port;
});
afterAll(async () => { await emu.close(); });

interface Family { name: string; method: string; path: string; body?: unknown; ok: number }
const FAMILIES: Family[] = [
  { name: 'the mail API', method: 'GET', path: '/_emulator/v1/mail', ok: 200 },
  { name: 'one mail', method: 'GET', path: '/_emulator/v1/mail/does-not-exist', ok: 404 },
  { name: 'the mailbox page', method: 'GET', path: '/_emulator/mail', ok: 200 },
  { name: 'the snapshot export', method: 'GET', path: '/_emulator/v1/tenants/contoso/snapshot', ok: 200 },
  { name: 'the tenant reset', method: 'POST', path: '/_emulator/v1/tenants/contoso/reset', ok: 200 },
  { name: 'login-as', method: 'POST', path: '/_emulator/v1/tenants/contoso/login-as', body: { email: DEFAULT.alice.email }, ok: 200 },
  { name: 'clearing the mail', method: 'DELETE', path: '/_emulator/v1/mail', ok: 204 },
  { name: 'the sign-in log', method: 'GET', path: '/_emulator/v1/tenants/contoso/sign-ins', ok: 200 },
  { name: 'the OpenAPI document', method: 'GET', path: '/_emulator/v1/openapi.json', ok: 200 },
];

const send = (f: Family, headers: Record<string, string> = {}) => rawRequest(emu.url, f.method, f.path,
  { ...(f.body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
  f.body === undefined ? undefined : JSON.stringify(f.body));

function expectRefused(res: RawResponse, status: number, code: string) {
  expect(res.status, res.body.slice(0, 300)).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(res.body) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(10);
}

describe('control plane and mailbox: cross-site browser requests', () => {
  for (const f of FAMILIES) {
    it(`refuses ${f.name} to another site's page (Origin, or Sec-Fetch-Site cross-site / same-site) with 403 CrossSiteRequest`, async () => {
      expectRefused(await send(f, { origin: 'https://evil.example' }), 403, 'CrossSiteRequest');
      expectRefused(await send(f, { 'sec-fetch-site': 'cross-site' }), 403, 'CrossSiteRequest');
      // another port of localhost is the same site, but not the emulator's origin
      expectRefused(await send(f, { 'sec-fetch-site': 'same-site', origin: `https://localhost:${Number(port) + 1}` }), 403, 'CrossSiteRequest');
      expectRefused(await send(f, { origin: 'null' }), 403, 'CrossSiteRequest');
    });

    it(`refuses ${f.name} under a host the emulator does not serve (DNS rebinding) with 403 UnknownHost`, async () => {
      expectRefused(await send(f, { host: `evil.example:${port}` }), 403, 'UnknownHost');
      expectRefused(await send(f, { host: `localhost:${Number(port) + 1}` }), 403, 'UnknownHost');
    });

    it(`answers ${f.name} to a same-machine caller without Origin (${f.ok}), and to the emulator's own pages`, async () => {
      expect((await send(f)).status).toBe(f.ok);
      expect((await send(f, { origin: emu.url, 'sec-fetch-site': 'same-origin' })).status).toBe(f.ok);
      expect((await send(f, { host: `127.0.0.1:${port}` })).status).toBe(f.ok);
    });
  }

  it('lets the developer open the mailbox by typing its URL (Sec-Fetch-Site: none)', async () => {
    const res = await rawRequest(emu.url, 'GET', '/_emulator/mail', { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' });
    expect(res.status).toBe(200);
    expect(res.body).toContain('Mailbox');
  });

  it('does not act on a refused request: a cross-site clock move leaves the clock alone', async () => {
    const before = JSON.parse((await rawRequest(emu.url, 'GET', '/_emulator/v1/clock')).body) as { offsetMs: number };
    const moved = await rawRequest(emu.url, 'POST', '/_emulator/v1/clock', { 'content-type': 'application/json', origin: 'https://evil.example' }, JSON.stringify({ advance: 'P1D' }));
    expectRefused(moved, 403, 'CrossSiteRequest');
    const after = JSON.parse((await rawRequest(emu.url, 'GET', '/_emulator/v1/clock')).body) as { offsetMs: number };
    expect(after.offsetMs).toBe(before.offsetMs);
  });

  it('keeps health and the CA certificate public, and health tells nothing secret', async () => {
    const health = await rawRequest(emu.url, 'GET', '/_emulator/v1/health', { origin: 'https://evil.example' });
    expect(health.status).toBe(200);
    expect(Object.keys(JSON.parse(health.body) as object).sort()).toEqual(['status', 'tenants', 'version']);
    expect((await rawRequest(emu.url, 'GET', '/_emulator/v1/ca.pem', { 'sec-fetch-site': 'cross-site' })).status).toBe(200);
  });
});

describe('control plane with an admin token', () => {
  let locked: TestEmulator;
  const TOKEN = 'local-dev-admin-token';
  beforeAll(async () => { locked = await startTestEmulator({ args: ['--admin-token', TOKEN] }); });
  afterAll(async () => { await locked.close(); });
  const get = (path: string, headers: Record<string, string> = {}) => rawRequest(locked.url, 'GET', path, headers);

  it('requires the token (a wrong one of the same length is refused) and keeps health and the CA public', async () => {
    expectRefused(await get('/_emulator/v1/mail'), 401, 'Unauthorized');
    expectRefused(await get('/_emulator/v1/mail', { authorization: `Bearer ${TOKEN.replace(/.$/, 'X')}` }), 401, 'Unauthorized');
    expectRefused(await get('/_emulator/v1/mail', { authorization: TOKEN }), 401, 'Unauthorized');
    expectRefused(await get('/_emulator/mail'), 401, 'Unauthorized');
    expect((await get('/_emulator/v1/mail', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await get('/_emulator/v1/health')).status).toBe(200);
    expect((await get('/_emulator/v1/ca.pem')).status).toBe(200);
  });

  it('still refuses cross-site requests and unknown hosts that carry the token', async () => {
    expectRefused(await get('/_emulator/v1/mail', { authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' }), 403, 'CrossSiteRequest');
    expectRefused(await get('/_emulator/v1/mail', { authorization: `Bearer ${TOKEN}`, host: `evil.example:${new URL(locked.url).port}` }), 403, 'UnknownHost');
  });

  it('trades the banner\'s one-time link for a session cookie that opens the mailbox and the control plane\'s reads, once', async () => {
    const link = `/_emulator/v1/session?ticket=${locked.controlSessions.startupTicket()}`;
    const started = await get(link, { 'sec-fetch-site': 'none' });
    expect(started.status).toBe(303);
    expect(started.headers.location).toBe('/_emulator/mail');
    const setCookie = String(started.headers['set-cookie']);
    expect(setCookie).toMatch(/^ciam_emulator_session=[\w-]{40,}; Path=\/_emulator; HttpOnly; SameSite=Strict; Secure$/);
    const cookie = setCookie.split(';')[0]!;

    expect((await get('/_emulator/mail', { cookie, 'sec-fetch-site': 'none' })).status).toBe(200);
    expect((await get('/_emulator/v1/mail', { cookie, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await get('/_emulator/v1/tenants/contoso/snapshot', { cookie })).status).toBe(200);
    // the cookie is for reading: changes still need the token
    expectRefused(await rawRequest(locked.url, 'POST', '/_emulator/v1/tenants/contoso/reset', { cookie }), 401, 'Unauthorized');
    // and the cross-site checks still apply to the cookie's browser
    expectRefused(await get('/_emulator/v1/mail', { cookie, 'sec-fetch-site': 'cross-site' }), 403, 'CrossSiteRequest');
    // a made-up session is nobody's
    expectRefused(await get('/_emulator/v1/mail', { cookie: `ciam_emulator_session=${'x'.repeat(43)}` }), 401, 'Unauthorized');
    // the link works once
    expectRefused(await get(link), 403, 'InvalidTicket');
  });

  it('mints a new link for a token holder only', async () => {
    expectRefused(await rawRequest(locked.url, 'POST', '/_emulator/v1/session'), 401, 'Unauthorized');
    const minted = await rawRequest(locked.url, 'POST', '/_emulator/v1/session', { authorization: `Bearer ${TOKEN}` });
    expect(minted.status).toBe(201);
    const { url } = JSON.parse(minted.body) as { url: string };
    expect(url.startsWith(`${locked.url}/_emulator/v1/session?ticket=`)).toBe(true);
    expect((await get(url.slice(locked.url.length))).status).toBe(303);
  });
});
