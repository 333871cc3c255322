import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TravellingClock } from '../clock.js';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { postForm } from '../testing/oauth.js';
import { ALL, OTP_SPA, SPA, nativeAuthKit } from './native-test-kit.js';

// The native authentication API over HTTP (native-auth-api.md): what every flow shares — client
// checks, challenge types, continuation tokens (step, client, lifetime, tenant), aliases and CORS.
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });
// The emulator's own clock (the one POST /_emulator/v1/clock moves): tests travel with it and
// always come back, so a failed test does not leave the next one in the future.
const clock = () => emu.clock as TravellingClock;
afterEach(() => { clock().reset(); });

const { call, expectError, expectOk, ct, expectTokens } = nativeAuthKit(() => emu);

describe('transport, clients, challenge types and continuation tokens', () => {
  it('rejects a challenge_type list without redirect or with an unknown value (901007)', async () => {
    expectError(await call('/oauth2/v2.0/initiate', { client_id: SPA, username: DEFAULT.alice.email, challenge_type: 'password oob' }), 400, 'invalid_request', 901007,
      { description: "does not include the 'redirect' type" });
    expectError(await call('/signup/v1.0/start', { client_id: SPA, username: 'v@example.com', challenge_type: 'password sms redirect' }), 400, 'unsupported_challenge_type', 901007,
      { description: 'contains an unsupported challenge type' });
  });

  it('checks the client: format (90100), unknown (unauthorized_client), confidential or disabled (invalid_client/nativeauthapi_disabled)', async () => {
    const form = { username: DEFAULT.alice.email, challenge_type: ALL };
    expectError(await call('/oauth2/v2.0/initiate', { ...form, client_id: 'nope' }), 400, 'invalid_request', 90100, { description: 'client_id parameter is empty or not valid' });
    expectError(await call('/oauth2/v2.0/initiate', { ...form, client_id: '99999999-9999-4999-8999-999999999999' }), 400, 'unauthorized_client', 700016);
    expectError(await call('/oauth2/v2.0/initiate', { ...form, client_id: DEFAULT.web }), 400, 'invalid_client', 9990410, { suberror: 'nativeauthapi_disabled' });
    expectError(await call('/resetpassword/v1.0/start', { ...form, client_id: DEFAULT.web }), 400, 'invalid_client', 9990410, { suberror: 'nativeauthapi_disabled' });
    expectError(await call('/oauth2/v2.0/token', { client_id: DEFAULT.web, client_secret: DEFAULT.webSecret, grant_type: 'continuation_token', continuation_token: 'x', scope: 'openid' }),
      400, 'invalid_client', 9990410, { suberror: 'nativeauthapi_disabled' });
  });

  it('binds continuation tokens to step and client', async () => {
    const init = await call('/oauth2/v2.0/initiate', { client_id: SPA, username: DEFAULT.alice.email, challenge_type: 'password redirect' });
    // wrong step: an initiate token is not a sign-up or reset token, nor good at /token
    expectError(await call('/signup/v1.0/challenge', { client_id: SPA, continuation_token: ct(init), challenge_type: ALL }), 400, 'invalid_request', 55200);
    expectError(await call('/oauth2/v2.0/token', { client_id: SPA, continuation_token: ct(init), grant_type: 'password', password: 'x', scope: 'openid' }), 400, 'invalid_request', 55200);
    // another client
    expectError(await call('/oauth2/v2.0/challenge', { client_id: OTP_SPA, continuation_token: ct(init), challenge_type: ALL }), 400, 'invalid_request', 55200);
    // garbage
    expectError(await call('/oauth2/v2.0/challenge', { client_id: SPA, continuation_token: 'garbage', challenge_type: ALL }), 400, 'invalid_request', 55200);
    // and, after all those refusals, the right step and client still take it
    expect(expectOk(await call('/oauth2/v2.0/challenge', { client_id: SPA, continuation_token: ct(init), challenge_type: 'password redirect' })).challenge_type).toBe('password');
  });

  it('expires continuation tokens after 10 minutes: valid at 9 min 59 s, expired_token (AADSTS552003) at 10 min 1 s', async () => {
    const initiate = () => call('/oauth2/v2.0/initiate', { client_id: SPA, username: DEFAULT.alice.email, challenge_type: 'password redirect' });
    const early = ct(await initiate());
    const late = ct(await initiate());
    clock().advance(9 * 60_000 + 59_000);
    expect(expectOk(await call('/oauth2/v2.0/challenge', { client_id: SPA, continuation_token: early, challenge_type: 'password redirect' })).challenge_type).toBe('password');
    clock().advance(2_000);
    expectError(await call('/oauth2/v2.0/challenge', { client_id: SPA, continuation_token: late, challenge_type: 'password redirect' }), 400, 'expired_token', 552003);
  });

  it('binds continuation tokens to their tenant: another tenant with the same client refuses them (AADSTS55200)', async () => {
    // A second tenant in which the same SPA client id is registered, with a customer of its own.
    const northwind = {
      tenant: { id: '77777777-0000-4777-8777-777777777777', subdomain: 'northwind', defaultDomain: 'northwind.onmicrosoft.com', displayName: 'Northwind' },
      applications: [{ id: 'a7777777-0001-4777-8777-777777777777', appId: SPA, displayName: 'Northwind SPA', nativeAuthenticationApisEnabled: 'all',
        spa: { redirectUris: ['http://localhost:3000'] } }],
      userFlows: [{ id: 'f7777777-0001-4777-8777-777777777777', displayName: 'Email and password', identityProviders: ['EmailPassword-OAUTH'], applications: [SPA] }],
      users: [{ id: '7a777777-0001-4777-8777-777777777777', displayName: 'Nina', password: 'Passw0rd!', identities: [{ signInType: 'emailAddress', issuer: 'northwind.onmicrosoft.com', issuerAssignedId: 'nina@northwind.com' }] }],
    };
    const created = await fetch(`${emu.url}/_emulator/v1/tenants`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(northwind) });
    expect(created.status, await created.clone().text()).toBe(201);
    const nw = `${emu.url}/northwind`;
    // the client works in the second tenant with that tenant's own tokens
    const own = await call('/oauth2/v2.0/initiate', { client_id: SPA, username: 'nina@northwind.com', challenge_type: 'password redirect' }, nw);
    expect(expectOk(await call('/oauth2/v2.0/challenge', { client_id: SPA, continuation_token: ct(own), challenge_type: 'password redirect' }, nw)).challenge_type).toBe('password');
    // a token contoso issued for the same client is refused there
    const contoso = await call('/oauth2/v2.0/initiate', { client_id: SPA, username: DEFAULT.alice.email, challenge_type: 'password redirect' });
    expectError(await call('/oauth2/v2.0/challenge', { client_id: SPA, continuation_token: ct(contoso), challenge_type: 'password redirect' }, nw), 400, 'invalid_request', 55200);
    // and contoso still takes it
    expectOk(await call('/oauth2/v2.0/challenge', { client_id: SPA, continuation_token: ct(contoso), challenge_type: 'password redirect' }));
  });

  it('works under every tenant alias and takes the query string too; the v2 API says it is not emulated', async () => {
    for (const alias of [DEFAULT.tenantId, 'contoso', 'CONTOSO.onmicrosoft.com']) {
      expectOk(await call('/oauth2/v2.0/initiate', { client_id: SPA, username: DEFAULT.alice.email, challenge_type: 'password redirect' }, `${emu.url}/${alias}`));
    }
    const q = await postForm(`${emu.url}/contoso/oauth2/v2.0/initiate?dc=ESTS-PUB-WEUR&client_id=${SPA}`, { username: DEFAULT.alice.email, challenge_type: 'password redirect' });
    expectOk(q);
    for (const path of ['/oauth2/v2.0/introspect', '/register/v1.0/introspect', '/register/v1.0/challenge']) {
      expectError(await call(path, { client_id: SPA, continuation_token: 'x' }), 400, 'invalid_request', 55200);
    }
    const v2 = await call('/oauth2/v2.0/authorize-challenge', { client_id: SPA, scope: 'openid' });
    expect(v2.status).toBe(400);
    expect(String(v2.body.error_description)).toContain('does not emulate the native authentication v2 API');
  });

  it('still issues native tokens after a tenant reset reloads its provider (control plane)', async () => {
    const reset = await fetch(`${emu.url}/_emulator/v1/tenants/contoso/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    let r = await call('/oauth2/v2.0/initiate', { client_id: SPA, username: DEFAULT.alice.email, challenge_type: 'password redirect' });
    r = await call('/oauth2/v2.0/challenge', { client_id: SPA, continuation_token: ct(r), challenge_type: 'password redirect' });
    r = await call('/oauth2/v2.0/token', { client_id: SPA, continuation_token: ct(r), grant_type: 'password', password: DEFAULT.alice.password, scope: 'openid profile offline_access', client_info: '1' });
    expectTokens(expectOk(r));
  });

  it('keeps the canonical mount CORS-free and serves a CORS mount for authApiProxyUrl', async () => {
    const pre = await fetch(`${emu.url}/${DEFAULT.domain}/oauth2/v2.0/initiate`, { method: 'OPTIONS', headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' } });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const plain = await call('/oauth2/v2.0/initiate', { client_id: SPA, username: DEFAULT.alice.email, challenge_type: 'password redirect' });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();

    const proxy = `${emu.url}/_emulator/cors/${DEFAULT.domain}`;
    const preflight = await fetch(`${proxy}/signup/v1.0/start`, { method: 'OPTIONS', headers: {
      origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, client-request-id, x-client-sku, x-custom-thing' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    const allowed = preflight.headers.get('access-control-allow-headers')!.toLowerCase();
    for (const h of ['content-type', 'client-request-id', 'x-client-sku', 'x-client-ver', 'x-client-os', 'x-client-cpu', 'x-client-current-telemetry', 'x-client-last-telemetry', 'x-custom-thing']) {
      expect(allowed).toContain(h);
    }
    let r = await postForm(`${proxy}/oauth2/v2.0/initiate`, { client_id: SPA, username: DEFAULT.alice.email, challenge_type: 'password redirect' }, { origin: 'http://localhost:3000' });
    expect(r.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(r.headers.get('access-control-expose-headers')).toContain('x-ms-request-id');
    r = await postForm(`${proxy}/oauth2/v2.0/challenge`, { client_id: SPA, continuation_token: ct(r), challenge_type: 'password redirect' }, { origin: 'http://localhost:3000' });
    r = await postForm(`${proxy}/oauth2/v2.0/token`, { client_id: SPA, continuation_token: ct(r), grant_type: 'password', password: DEFAULT.alice.password, scope: 'openid profile offline_access', client_info: '1' },
      { origin: 'http://localhost:3000' });
    expectTokens(expectOk(r));
    expect(r.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(r.headers.get('access-control-expose-headers')).toContain('x-ms-request-id');
    // a refresh through the proxy too (msal-browser's getAccessToken goes there)
    const refreshed = await postForm(`${proxy}/oauth2/v2.0/token`, { client_id: SPA, grant_type: 'refresh_token', refresh_token: String(r.body.refresh_token), scope: 'openid profile offline_access', client_info: '1' },
      { origin: 'http://localhost:3000' });
    expectTokens(expectOk(refreshed));
    const failed = await postForm(`${proxy}/oauth2/v2.0/token`, { client_id: SPA, grant_type: 'continuation_token', continuation_token: 'nope', scope: 'openid' }, { origin: 'http://localhost:3000' });
    expect(failed.status).toBe(400);
    expect(failed.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(failed.headers.get('access-control-expose-headers')).toContain('x-ms-request-id');
    const tokenPreflight = await fetch(`${proxy}/oauth2/v2.0/token`, { method: 'OPTIONS', headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' } });
    expect(tokenPreflight.status).toBe(204);
  });
});
