import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../testing/harness.js';

// Every bad input gets a clear, Entra-shaped 4xx, never a 500: the surfaces outside the token
// endpoint (whose junk bodies are covered in oidc/token-endpoint.test.ts). Each row pins the exact
// status and error the surface answers with, so a row cannot pass by answering something else.
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });

/** What a row expects: an Entra page (AADSTS code in the HTML), an Entra OAuth JSON error, or a Graph OData error. */
type Expected =
  | { page: number }
  | { oauth: string; aadsts: number }
  | { graph: string }
  | { bearer: string }
  | { text: string };

describe('bad input', () => {
  it.each<[string, number, string, string, Expected]>([
    // Node's HTTP parser refuses a request line beyond its 16 KiB header limit before any route runs.
    ['an oversized authorize query', 431, 'GET', `/contoso/oauth2/v2.0/authorize?client_id=${'a'.repeat(20_000)}`, { text: 'Request Header Fields Too Large' }],
    ['authorize without parameters', 400, 'GET', '/contoso/oauth2/v2.0/authorize', { page: 900144 }],
    // `%ZZ` is not an escape; the client id is taken literally and no such client exists.
    ['a malformed percent-encoding', 400, 'GET', '/contoso/oauth2/v2.0/authorize?client_id=%ZZ', { page: 700016 }],
    ['a malformed tenant segment', 400, 'POST', '/%ZZ/oauth2/v2.0/token', { oauth: 'invalid_tenant', aadsts: 90002 }],
    ['an unknown tenant', 400, 'GET', '/nowhere/oauth2/v2.0/authorize', { oauth: 'invalid_tenant', aadsts: 90002 }],
    ['an unknown interaction', 400, 'GET', '/contoso/interaction/abc', { page: 50089 }],
    ['an interaction id with spaces', 400, 'GET', '/contoso/interaction/a%20b', { page: 50089 }],
    ['a resume of an unknown interaction', 400, 'GET', '/contoso/oauth2/v2.0/authorize/xyz', { page: 9002313 }],
    ['an unknown protocol path', 404, 'GET', '/contoso/oauth2/v2.0/nope', { oauth: 'invalid_request', aadsts: 9990404 }],
    ['the device code endpoint without a form body', 400, 'POST', '/contoso/oauth2/v2.0/devicecode', { oauth: 'invalid_request', aadsts: 9002313 }],
    ['a native authentication sign-up start without a client_id', 400, 'POST', '/contoso/signup/v1.0/start', { oauth: 'invalid_request', aadsts: 90100 }],
    ['Microsoft Graph with a bearer token that is not a JWT', 401, 'GET', '/v1.0/users', { graph: 'InvalidAuthenticationToken' }],
    ['userinfo with a junk token', 401, 'GET', '/contoso/openid/userinfo', { bearer: 'invalid_token' }],
    ['an unknown error code', 404, 'GET', '/error?code=abc', { text: 'Unknown error code' }],
  ])('answers %s with %i and its exact error', async (_name, status, method, path, expected) => {
    const res = await fetch(`${emu.url}${path}`, { method, headers: { authorization: 'Bearer junk' } });
    const text = await res.text();
    expect(res.status, text.slice(0, 300)).toBe(status);
    if ('page' in expected) {
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(text).toContain(`AADSTS${expected.page}`);
    } else if ('oauth' in expected) {
      const body = JSON.parse(text) as Record<string, unknown>;
      expect(body).toMatchObject({ error: expected.oauth, error_codes: [expected.aadsts] });
      expect(String(body.error_description)).toMatch(new RegExp(`^AADSTS${expected.aadsts}: `));
    } else if ('graph' in expected) {
      expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe(expected.graph);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    } else if ('bearer' in expected) {
      expect(JSON.parse(text)).toMatchObject({ error: expected.bearer });
      expect(res.headers.get('www-authenticate')).toContain(`error="${expected.bearer}"`);
    } else {
      expect(text).toContain(expected.text);
    }
  });

  it.each([
    // JSON is parsed, but the interaction does not exist: the sign-in session expired (AADSTS50089).
    ['JSON', 'application/json', '{"email":1}', 50089],
    ['XML', 'text/xml', '<a/>', 9002313],
    ['an oversized form', 'application/x-www-form-urlencoded', `email=${'a'.repeat(100_000)}`, 9002313],
  ])('answers a sign-in post in %s with a 400 page carrying AADSTS%i', async (_name, type, body, code) => {
    const res = await fetch(`${emu.url}/contoso/interaction/abc/login`, { method: 'POST', headers: { 'content-type': type }, body });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain(`AADSTS${code}`);
  });
});
