import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../testing/harness.js';

// Control-plane parameters that used to answer 500 (issue 10, item 5): each now answers 400 in the
// control plane's `{ error: { code, message } }` shape and leaves the emulator working.
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${emu.url}${path}`, {
    method, redirect: 'manual',
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) as Record<string, any> : undefined, location: res.headers.get('location') };
}

describe('top on the mail API', () => {
  it.each(['1e309', '-1e309', 'Infinity', '0', '101', '9007199254740993'])('top=%s answers 400 BadRequest naming top', async (top) => {
    const res = await call('GET', `/_emulator/v1/mail?top=${top}`);
    expect(res.status).toBe(400);
    expect(res.body?.error.code).toBe('BadRequest');
    expect(res.body?.error.message).toMatch(/^querystring\/top must be/);
  });

  it.each(['1', '100', '1e2'])('top=%s answers 200', async (top) => {
    expect((await call('GET', `/_emulator/v1/mail?top=${top}`)).status).toBe(200);
  });
});

describe('top on the sign-ins API', () => {
  it.each(['1e309', '-1e309', 'Infinity', '1001'])('top=%s answers 400 BadRequest naming top', async (top) => {
    const res = await call('GET', `/_emulator/v1/tenants/contoso/sign-ins?top=${top}`);
    expect(res.status).toBe(400);
    expect(res.body?.error.code).toBe('BadRequest');
    expect(res.body?.error.message).toMatch(/^querystring\/top must be/);
  });

  it('top=1000 answers 200', async () => {
    expect((await call('GET', '/_emulator/v1/tenants/contoso/sign-ins?top=1000')).status).toBe(200);
  });
});

describe('next on login-as', () => {
  it('a duplicate next answers 400 BadRequest naming next', async () => {
    const next = `${emu.url}/contoso/oauth2/v2.0/authorize`;
    const res = await call('GET', `/_emulator/v1/login-as/${'a'.repeat(32)}?next=${encodeURIComponent(next)}&next=${encodeURIComponent(next)}`);
    expect(res.status).toBe(400);
    expect(res.body?.error.code).toBe('BadRequest');
    expect(res.body?.error.message).toMatch(/next/);
  });

  it.each(['x\r\nX-Injected: 1', '\u0000', '\u007f', 'a\tb'])('a next of this emulator with %j in it answers 400 BadRequest naming next', async (tail) => {
    const res = await call('GET', `/_emulator/v1/login-as/${'a'.repeat(32)}?next=${encodeURIComponent(`${emu.url}/${tail}`)}`);
    expect(res.status).toBe(400);
    expect(res.body?.error.code).toBe('BadRequest');
    expect(res.body?.error.message).toMatch(/^next must be/);
  });

  it('a next with non-ASCII text redirects (302) to its percent-encoded form', async () => {
    const res = await call('GET', `/_emulator/v1/login-as/${'a'.repeat(32)}?next=${encodeURIComponent(`${emu.url}/contoso/oauth2/v2.0/authorize?login_hint=é`)}`);
    expect(res.status).toBe(302);
    expect(res.location).toBe(`${emu.url}/contoso/oauth2/v2.0/authorize?login_hint=%C3%A9`);
  });

  it('a single next still redirects (302) to it', async () => {
    const next = `${emu.url}/contoso/oauth2/v2.0/authorize`;
    const res = await call('GET', `/_emulator/v1/login-as/${'a'.repeat(32)}?next=${encodeURIComponent(next)}`);
    expect(res.status).toBe(302);
    expect(res.location).toBe(next);
  });
});

describe('moving the clock out of range', () => {
  afterEach(async () => { await call('POST', '/_emulator/v1/clock', { reset: true }); });

  it.each([
    ['milliseconds past the Date range', { advance: '99999999999999999999' }],
    ['milliseconds past year 9999', { advance: String(Date.UTC(10000, 0, 1)) }],
    ['a duration past the Date range', { advance: 'P99999999999999999999D' }],
    ['a duration past year 9999', { advance: 'P3000000D' }],
  ])('advance by %s answers 400 BadRequest and leaves the clock unchanged', async (_name, body) => {
    expect((await call('POST', '/_emulator/v1/clock', { advance: 'PT1H' })).status).toBe(200);
    const res = await call('POST', '/_emulator/v1/clock', body);
    expect(res.status).toBe(400);
    expect(res.body?.error.code).toBe('BadRequest');
    expect(res.body?.error.message).toMatch(/^the clock can move between 1970-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z only$/);
    const after = await call('GET', '/_emulator/v1/clock');
    expect(after.status).toBe(200);
    expect(after.body?.offsetMs).toBeGreaterThanOrEqual(3_600_000);
    expect(after.body?.offsetMs).toBeLessThan(3_600_000 + 60_000);
    expect((await call('GET', '/_emulator/v1/health')).status).toBe(200);
  });

  it('set to the last instant of year 9999 answers 200; one millisecond later is refused', async () => {
    const ok = await call('POST', '/_emulator/v1/clock', { set: '9999-12-31T23:59:59.000Z' });
    expect(ok.status).toBe(200);
    expect(ok.body?.now).toMatch(/^9999-12-31T23:59:59/);
    const refused = await call('POST', '/_emulator/v1/clock', { advance: '1000' });
    expect(refused.status).toBe(400);
    expect((await call('GET', '/_emulator/v1/clock')).body?.now).toMatch(/^9999-12-31T23:59:59/);
  });

  it('set before 1970 answers 400 BadRequest', async () => {
    const res = await call('POST', '/_emulator/v1/clock', { set: '1969-12-31T23:59:59Z' });
    expect(res.status).toBe(400);
    expect(res.body?.error.code).toBe('BadRequest');
    expect((await call('GET', '/_emulator/v1/clock')).body?.offsetMs).toBe(0);
  });
});
