import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../testing/harness.js';

// Every bad input gets a clear 4xx, never a 500: the surfaces outside the token endpoint
// (whose junk bodies are covered in oidc/token-endpoint.test.ts).
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });

describe('bad input', () => {
  it.each([
    ['an oversized authorize query', 'GET', `/contoso/oauth2/v2.0/authorize?client_id=${'a'.repeat(20_000)}`],
    ['authorize without parameters', 'GET', '/contoso/oauth2/v2.0/authorize'],
    ['a malformed percent-encoding', 'GET', '/contoso/oauth2/v2.0/authorize?client_id=%ZZ'],
    ['a malformed tenant segment', 'POST', '/%ZZ/oauth2/v2.0/token'],
    ['an unknown interaction', 'GET', '/contoso/interaction/abc'],
    ['an interaction id with spaces', 'GET', '/contoso/interaction/a%20b'],
    ['a resume of an unknown interaction', 'GET', '/contoso/oauth2/v2.0/authorize/xyz'],
    ['an unknown protocol path', 'GET', '/contoso/oauth2/v2.0/nope'],
    ['the device code endpoint (not emulated yet)', 'POST', '/contoso/oauth2/v2.0/devicecode'],
    ['the native authentication API (not emulated yet)', 'POST', '/contoso/signup/v1.0/start'],
    ['Microsoft Graph (not emulated yet)', 'GET', '/v1.0/users'],
    ['userinfo with a junk token', 'GET', '/contoso/openid/userinfo'],
    ['an unknown error code', 'GET', '/error?code=abc'],
  ])('answers %s with a 4xx', async (_name, method, path) => {
    const res = await fetch(`${emu.url}${path}`, { method, headers: { authorization: 'Bearer junk' } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it.each([
    ['JSON', 'application/json', '{"email":1}'],
    ['XML', 'text/xml', '<a/>'],
    ['an oversized form', 'application/x-www-form-urlencoded', `email=${'a'.repeat(100_000)}`],
  ])('answers a sign-in post in %s with a 4xx page', async (_name, type, body) => {
    const res = await fetch(`${emu.url}/contoso/interaction/abc/login`, { method: 'POST', headers: { 'content-type': type }, body });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('says plainly that the device code flow is not emulated yet, in Entra\'s shape', async () => {
    const res = await fetch(`${emu.url}/contoso/oauth2/v2.0/devicecode`, { method: 'POST' });
    const body = await res.json() as Record<string, unknown>;
    expect(body.error_codes).toEqual([9990001]);
    expect(String(body.error_description)).toContain('does not emulate the device code flow');
  });
});
