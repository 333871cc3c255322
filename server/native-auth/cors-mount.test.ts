import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { postForm } from '../testing/oauth.js';
import { rawRequest, type RawResponse } from '../testing/raw-request.js';
import { CORS_ENDPOINTS } from './cors.js';

// Issue 10 item 1: the CORS mount (/_emulator/cors/{tenant}/…) is msal-browser's authApiProxyUrl and
// nothing else; it must not hand a web page the control plane, the mailbox or the hosted pages.
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });
const APP = 'http://localhost:3000';

function expectNoEndpoint(res: RawResponse) {
  expect(res.status, res.body.slice(0, 300)).toBe(404);
  const body = JSON.parse(res.body) as { error: string; error_codes: number[]; error_description: string };
  expect(body.error).toBe('invalid_request');
  expect(body.error_codes).toEqual([9990404]);
  expect(body.error_description).toMatch(/^AADSTS9990404: ciam-emulator has no endpoint at /);
  // readable by the page that asked, so a wrong authApiProxyUrl says what is wrong
  expect(res.headers['access-control-allow-origin']).toBe(APP);
}

describe('the native authentication CORS mount', () => {
  it('lists exactly the endpoints msal-browser custom auth calls, the token endpoint included', () => {
    expect([...CORS_ENDPOINTS].sort()).toEqual([
      '/oauth2/v2.0/authorize-challenge', '/oauth2/v2.0/challenge', '/oauth2/v2.0/initiate', '/oauth2/v2.0/introspect', '/oauth2/v2.0/token',
      '/register/v1.0/challenge', '/register/v1.0/continue', '/register/v1.0/introspect',
      '/resetpassword/v1.0/challenge', '/resetpassword/v1.0/continue', '/resetpassword/v1.0/poll_completion', '/resetpassword/v1.0/start', '/resetpassword/v1.0/submit',
      '/signup/v1.0/challenge', '/signup/v1.0/continue', '/signup/v1.0/start',
    ]);
  });

  it('answers 404 (AADSTS9990404) for the control plane and the mailbox through the mount, and leaks no mail', async () => {
    await postForm(`${emu.url}/${DEFAULT.domain}/signup/v1.0/start`, { client_id: DEFAULT.spa, username: 'cors-probe@example.com', challenge_type: 'oob password redirect' });
    for (const path of ['/_emulator/cors/_emulator/v1/mail', '/_emulator/cors/_emulator/mail', '/_emulator/cors/x/_emulator/v1/mail',
      '/_emulator/cors/_emulator/v1/tenants/contoso/snapshot', '/_emulator/cors/contoso/../_emulator/v1/mail', '/_emulator/cors/contoso/%2e%2e/_emulator/v1/mail',
      '/_emulator/cors/../_emulator/v1/mail']) {
      const res = await rawRequest(emu.url, 'GET', path, { origin: APP });
      expectNoEndpoint(res);
      expect(res.body).not.toContain('cors-probe@example.com');
    }
    expectNoEndpoint(await rawRequest(emu.url, 'POST', '/_emulator/cors/_emulator/v1/tenants/contoso/reset', { origin: APP, 'content-type': 'application/json' }, '{}'));
  });

  it('answers 404 for the interactive and metadata endpoints: authorize, logout, discovery, keys, the hosted pages', async () => {
    for (const path of [`/oauth2/v2.0/authorize?client_id=${DEFAULT.spa}&response_type=code`, '/oauth2/v2.0/logout', '/v2.0/.well-known/openid-configuration',
      '/discovery/v2.0/keys', '/openid/userinfo', '/interaction/abc']) {
      expectNoEndpoint(await rawRequest(emu.url, 'GET', `/_emulator/cors/${DEFAULT.domain}${path}`, { origin: APP }));
    }
    expectNoEndpoint(await rawRequest(emu.url, 'POST', `/_emulator/cors/${DEFAULT.domain}/oauth2/v2.0/authorize`, { origin: APP, 'content-type': 'application/x-www-form-urlencoded' }, `client_id=${DEFAULT.spa}`));
    // a native endpoint only takes POST through the mount
    expectNoEndpoint(await rawRequest(emu.url, 'GET', `/_emulator/cors/${DEFAULT.domain}/oauth2/v2.0/initiate`, { origin: APP }));
    // preflight for a path it does not forward gets no CORS grant either
    expectNoEndpoint(await rawRequest(emu.url, 'OPTIONS', '/_emulator/cors/_emulator/v1/mail', { origin: APP, 'access-control-request-method': 'GET' }));
  });

  it('still forwards native authentication with CORS: preflight 204, initiate 200 with the continuation token', async () => {
    const preflight = await rawRequest(emu.url, 'OPTIONS', `/_emulator/cors/${DEFAULT.domain}/oauth2/v2.0/initiate`, { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toBe('POST, OPTIONS');
    const r = await postForm(`${emu.url}/_emulator/cors/${DEFAULT.domain}/oauth2/v2.0/initiate?dc=ESTS-PUB-WEUR`, { client_id: DEFAULT.spa, username: DEFAULT.alice.email, challenge_type: 'password redirect' }, { origin: APP });
    expect(r.status).toBe(200);
    expect(typeof r.body.continuation_token).toBe('string');
    expect(r.headers.get('access-control-allow-origin')).toBe(APP);
    // the token endpoint is reached too (its own error, not the mount's 404)
    const t = await postForm(`${emu.url}/_emulator/cors/${DEFAULT.tenantId}/oauth2/v2.0/token`, { client_id: DEFAULT.spa, grant_type: 'password' }, { origin: APP });
    expect(t.status).toBe(400);
    expect(t.body.error_codes).not.toEqual([9990404]);
    expect(t.headers.get('access-control-allow-origin')).toBe(APP);
  });
});
