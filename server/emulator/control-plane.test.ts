import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { authorizeUrl, pkce, postForm } from '../testing/oauth.js';
import { signedUpCustomer } from '../testing/customers.js';

// The control plane over HTTP, as a test suite in another process uses it.
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });
// Every test starts from the fixtures, on the real clock, with no faults: one that fails half-way
// (a fault left armed, the clock left in the future) cannot make the next one fail too.
beforeEach(async () => {
  expect((await control('/clock', { body: { reset: true } })).status).toBe(200);
  expect((await control('/faults', { method: 'DELETE' })).status).toBe(204);
  expect((await control('/tenants/contoso/reset', { method: 'POST' })).status).toBe(200);
});

const control = (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  fetch(`${emu.url}/_emulator/v1${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
const json = async (res: Response) => ({ status: res.status, body: await res.json() as Record<string, unknown> });
/** The control plane's own error envelope: `{ error: { code, message } }` with the exact status. */
async function expectControlError(res: Response, status: number, code: string, message?: RegExp) {
  const r = await json(res);
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  const error = r.body.error as { code: string; message: string };
  expect(error.code).toBe(code);
  expect(typeof error.message).toBe('string');
  if (message) expect(error.message).toMatch(message);
}
const token = () => `${emu.url}/${DEFAULT.domain}/oauth2/v2.0/token`;
const daemon = { grant_type: 'client_credentials', client_id: DEFAULT.daemon, client_secret: DEFAULT.daemonSecret, scope: `api://${DEFAULT.api}/.default` };

async function spaCode(browser = new HttpBrowser(emu.url)) {
  const { verifier, challenge } = pkce();
  const page = await browser.signIn(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.spa, redirect_uri: 'http://localhost:3000', code_challenge: challenge, code_challenge_method: 'S256', scope: `openid profile offline_access api://${DEFAULT.api}/ToDoList.Read` }),
    DEFAULT.alice.email, DEFAULT.alice.password);
  return { code: new URL(page.url).searchParams.get('code')!, verifier };
}
const redeemSpa = (c: { code: string; verifier: string }) => postForm(token(), { grant_type: 'authorization_code', client_id: DEFAULT.spa, code: c.code, code_verifier: c.verifier, redirect_uri: 'http://localhost:3000' }, { origin: 'http://localhost:3000' });

describe('control plane: reset and snapshots', () => {
  // How fast a reset is (goal ≤ 20 ms) is measured in bench/control-plane.ts, not asserted here.
  it('resets the tenant to its fixtures, dropping users, sessions and mail', async () => {
    await signedUpCustomer(emu, 'reset-me@example.com');
    const browser = new HttpBrowser(emu.url);
    await browser.signIn(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect }), DEFAULT.alice.email, DEFAULT.alice.password);

    expect(emu.directory.users.findBySignInName(DEFAULT.tenantId, 'reset-me@example.com')).toBeTruthy();
    expect(emu.mailer.outbox.list({ to: 'reset-me@example.com', top: 5 })).toHaveLength(1);
    const r = await json(await control('/tenants/contoso/reset', { method: 'POST' }));
    expect(r.status).toBe(200);
    expect(r.body.tenantId).toBe(DEFAULT.tenantId);
    expect(typeof r.body.resetInMs).toBe('number');
    expect(emu.directory.users.findBySignInName(DEFAULT.tenantId, 'reset-me@example.com')).toBeUndefined();
    expect(emu.directory.users.findBySignInName(DEFAULT.tenantId, DEFAULT.alice.email)).toBeTruthy();
    expect(emu.mailer.outbox.list({ to: 'reset-me@example.com', top: 5 })).toEqual([]);
    // the SSO session is gone: the form shows again
    const again = await browser.go(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect }));
    expect(again.html).toContain('name="password"');
  });

  it('round-trips a snapshot: export, change, import restores, importing twice is the same', async () => {
    const snapshot = await (await control('/tenants/contoso/snapshot')).json() as Record<string, unknown>;
    expect(snapshot.format).toBe('ciam-emulator-snapshot/1');
    // change things after the export: a counter on a fixture user, a new customer
    emu.directory.users.saveLockoutState(DEFAULT.tenantId, DEFAULT.alice.id, { failedSignIns: 7, lockoutUntil: null, recentBadPasswords: [] });
    await signedUpCustomer(emu, 'after-snapshot@example.com');
    expect(emu.directory.users.findById(DEFAULT.tenantId, DEFAULT.alice.id)!.failedSignIns).toBe(7);
    expect(emu.directory.users.findBySignInName(DEFAULT.tenantId, 'after-snapshot@example.com')).toBeTruthy();
    for (let i = 0; i < 2; i++) {
      const r = await json(await control('/tenants/contoso/snapshot', { method: 'PUT', body: snapshot }));
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    expect(emu.directory.users.findById(DEFAULT.tenantId, DEFAULT.alice.id)!.failedSignIns).toBe(0);
    expect(emu.directory.users.findBySignInName(DEFAULT.tenantId, 'after-snapshot@example.com')).toBeUndefined();
    expect(await (await control('/tenants/contoso/snapshot')).json()).toMatchObject({ tables: (snapshot as { tables: unknown }).tables });
  });

  it.each([
    ['not a snapshot', { hello: 1 }],
    ['another tenant\'s snapshot', { format: 'ciam-emulator-snapshot/1', tenantId: '99999999-9999-4999-8999-999999999999', tables: {} }],
    ['an unknown column', { format: 'ciam-emulator-snapshot/1', tenantId: DEFAULT.tenantId, tables: { tenants: [{ id: DEFAULT.tenantId, evil: "x'); DROP TABLE users; --" }] } }],
  ])('refuses %s with a 400, changing nothing', async (_name, body) => {
    const before = await (await control('/tenants/contoso/snapshot')).json() as { tables: unknown };
    await expectControlError(await control('/tenants/contoso/snapshot', { method: 'PUT', body }), 400, 'BadRequest');
    expect(emu.directory.users.findBySignInName(DEFAULT.tenantId, DEFAULT.alice.email)).toBeTruthy();
    expect(await (await control('/tenants/contoso/snapshot')).json()).toMatchObject({ tables: before.tables });
  });
});

describe('control plane: more tenants', () => {
  it('creates an isolated tenant with its own keys and issuer; its tokens fail against the default tenant', async () => {
    const fabrikam = {
      tenant: { id: '99999999-9999-4999-8999-999999999999', subdomain: 'fabrikam', defaultDomain: 'fabrikam.onmicrosoft.com', displayName: 'Fabrikam' },
      applications: [
        { id: 'a9999999-0001-4999-8999-999999999999', appId: '99999999-0001-4999-8999-999999999999', displayName: 'API', identifierUris: ['api://fabrikam-api'],
          appRoles: [{ id: 'e9999999-0001-4999-8999-999999999999', value: 'Read.All', allowedMemberTypes: ['Application'] }] },
        { id: 'a9999999-0002-4999-8999-999999999999', appId: '99999999-0002-4999-8999-999999999999', displayName: 'Daemon',
          passwordCredentials: [{ keyId: 'c9999999-0002-4999-8999-999999999999', secretText: 'fabrikam-secret' }],
          grantedPermissions: [{ resourceAppId: '99999999-0001-4999-8999-999999999999', roles: ['Read.All'] }] },
      ],
    };
    const created = await json(await control('/tenants', { body: fabrikam }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.issuer).toBe(`${emu.url}/99999999-9999-4999-8999-999999999999/v2.0`);
    await expectControlError(await control('/tenants', { body: fabrikam }), 409, 'Conflict');

    const r = await postForm(`${emu.url}/fabrikam/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: '99999999-0002-4999-8999-999999999999', client_secret: 'fabrikam-secret', scope: 'api://fabrikam-api/.default' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const contosoKeys = createRemoteJWKSet(new URL(`${emu.url}/contoso/discovery/v2.0/keys`));
    await expect(jwtVerify(String(r.body.access_token), contosoKeys)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    // and the default tenant does not know fabrikam's daemon
    const cross = await postForm(token(), { grant_type: 'client_credentials', client_id: '99999999-0002-4999-8999-999999999999', client_secret: 'fabrikam-secret', scope: `api://${DEFAULT.api}/.default` });
    expect(cross.status).toBe(400);
    expect(cross.body).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
  });

  it('serves an app whose redirect URIs span hosts (localhost and a deployed one) without a sector identifier', async () => {
    const body = {
      tenant: { id: '88888888-8888-4888-8888-888888888888', subdomain: 'woodgrove', defaultDomain: 'woodgrove.onmicrosoft.com', displayName: 'Woodgrove' },
      applications: [{ id: 'a8888888-0001-4888-8888-888888888888', appId: '88888888-0001-4888-8888-888888888888', displayName: 'Web',
        web: { redirectUris: ['http://localhost:4000/cb', 'https://app.woodgrove.example/cb'] } }],
    };
    expect((await control('/tenants', { body })).status).toBe(201);
    for (const redirectUri of body.applications[0]!.web.redirectUris) {
      const page = await new HttpBrowser(emu.url).go(authorizeUrl(`${emu.url}/woodgrove`, { client_id: '88888888-0001-4888-8888-888888888888', redirect_uri: redirectUri }));
      expect(page.status, page.html.slice(0, 300)).toBe(200);
      expect(page.html).toContain('name="password"');
    }
  });

  it('refuses an invalid tenant body with a 400 that names the problem', async () => {
    await expectControlError(await control('/tenants', { body: { tenant: { id: 'nope' } } }), 400, 'BadRequest', /tenant/);
  });
});

describe('control plane: time travel', () => {
  it('expires an emailed code, an authorization code, an access token and a SPA refresh token', async () => {
    {
      const tenant = emu.registry.resolve('contoso')!.tenant;
      const tx = await emu.flows.signUp.sendCode(tenant, await emu.flows.signUp.start(tenant, DEFAULT.web, 'late@example.com'));
      const code = emu.mailer.outbox.list({ to: 'late@example.com', top: 1 })[0]!.code!;
      const authCode = await spaCode();
      const tokens = await redeemSpa(await spaCode());
      expect(tokens.status).toBe(200);

      expect((await json(await control('/clock', { body: { advance: 'PT11M' } }))).body.offsetMs).toBe(11 * 60_000);
      expect(() => emu.flows.signUp.verifyCode(tenant, tx.id, code)).toThrow(expect.objectContaining({ code: 552003 }));
      expect((await redeemSpa(authCode)).body.error_codes).toEqual([70008]);

      await control('/clock', { body: { advance: 'PT2H' } });
      const info = await fetch(`${emu.url}/contoso/openid/userinfo`, { headers: { authorization: `Bearer ${String(tokens.body.access_token)}` } });
      expect(info.status).toBe(401);
      expect(info.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(await info.json()).toMatchObject({ error: 'invalid_token' });

      await control('/clock', { body: { advance: 'P1D' } });
      const refresh = await postForm(token(), { grant_type: 'refresh_token', client_id: DEFAULT.spa, refresh_token: String(tokens.body.refresh_token) }, { origin: 'http://localhost:3000' });
      expect(refresh.status).toBe(400);
      expect(refresh.body).toMatchObject({ error: 'invalid_grant', error_codes: [700084] });
    }
    // back to the real time (beforeEach resets too, should an assertion above fail)
    expect((await json(await control('/clock', { body: { reset: true } }))).body.offsetMs).toBe(0);
    expect((await json(await control('/clock'))).body.offsetMs).toBe(0);
  });

  it.each([[{ advance: 'soon' }], [{}], [{ advance: 'PT1M', reset: true }], [{ set: 'yesterday' }]])('refuses %j with a 400, leaving the clock alone', async (body) => {
    await expectControlError(await control('/clock', { body }), 400, 'BadRequest');
    expect((await json(await control('/clock'))).body.offsetMs).toBe(0);
  });
});

describe('control plane: faults', () => {
  it('fails the next token request of a client exactly as Entra would, then lets requests through', async () => {
    expect((await control('/faults', { body: { endpoint: 'token', clientId: DEFAULT.daemon, aadsts: 7000215, count: 1 } })).status).toBe(201);
    const failed = await postForm(token(), daemon);
    expect(failed.status).toBe(401);
    expect(failed.body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    expect(String(failed.body.error_description)).toMatch(/^AADSTS7000215: /);
    expect((await postForm(token(), daemon)).status).toBe(200);
    expect((await json(await control('/faults'))).body.value).toEqual([]);
  });

  it('answers an HTTP status fault, adds latency, and fails authorize back to the app', async () => {
    await control('/faults', { body: { endpoint: 'discovery', status: 503 } });
    const down = await fetch(`${emu.url}/contoso/v2.0/.well-known/openid-configuration`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ error: 'temporarily_unavailable', error_codes: [9990503] });

    await control('/faults', { body: { endpoint: 'keys', latencyMs: 300 } });
    const started = Date.now();
    expect((await fetch(`${emu.url}/contoso/discovery/v2.0/keys`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);

    await control('/faults', { body: { endpoint: 'authorize', clientId: DEFAULT.web, aadsts: 50076 } });
    const page = await new HttpBrowser(emu.url).go(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect, state: 's1' }));
    const back = new URL(page.url);
    expect(back.searchParams.get('error')).toBe('invalid_grant');
    expect(back.searchParams.get('suberror')).toBe('basic_action');
    expect(back.searchParams.get('error_description')).toMatch(/^AADSTS50076: /);
    expect(back.searchParams.get('state')).toBe('s1');
  });

  it('shows a fault on the sign-in page for one user', async () => {
    await control('/faults', { body: { endpoint: 'sign-in', user: DEFAULT.alice.email, aadsts: 50053 } });
    const page = await new HttpBrowser(emu.url).signIn(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect }), DEFAULT.alice.email, DEFAULT.alice.password);
    expect(page.html).toContain('AADSTS50053');
  });

  it.each([
    [{ endpoint: 'nowhere', aadsts: 50126 }],
    [{ endpoint: 'token' }],
    [{ endpoint: 'token', aadsts: 123 }],
    [{ endpoint: 'token', status: 200 }],
  ])('refuses the rule %j with a 400, arming nothing', async (body) => {
    await expectControlError(await control('/faults', { body }), 400, 'BadRequest');
    expect((await json(await control('/faults'))).body.value).toEqual([]);
  });
});

describe('control plane: login-as and sign-in events', () => {
  it('signs a user in without the form while msal-node runs the real code flow', async () => {
    const cca = new ConfidentialClientApplication({ auth: { clientId: DEFAULT.web, clientSecret: DEFAULT.webSecret, authority: emu.authority, knownAuthorities: [new URL(emu.url).host] } });
    const ticket = await json(await control('/tenants/contoso/login-as', { body: { email: DEFAULT.alice.email } }));
    expect(ticket.status).toBe(200);
    const browser = new HttpBrowser(emu.url);
    const cookie = ticket.body.cookie as { name: string; value: string };
    await browser.jar.setCookie(`${cookie.name}=${cookie.value}; Path=/`, emu.url);
    const url = await cca.getAuthCodeUrl({ scopes: ['openid'], redirectUri: DEFAULT.webRedirect, nonce: 'n' });
    const landed = await browser.go(url);
    const code = new URL(landed.url).searchParams.get('code');
    expect(code, landed.url).toBeTruthy();
    const result = await cca.acquireTokenByCode({ code: code!, scopes: ['openid'], redirectUri: DEFAULT.webRedirect, nonce: 'n' });
    expect(result.account?.username).toBe(DEFAULT.alice.email);

    const events = (await json(await control('/tenants/contoso/sign-ins?top=5'))).body.value as { authenticationMethod: string; userPrincipalName: string; status: { errorCode: number } }[];
    expect(events[0]).toMatchObject({ authenticationMethod: 'loginAs', userPrincipalName: DEFAULT.alice.email, status: { errorCode: 0 } });
  });

  it('records failed sign-ins with their AADSTS code', async () => {
    await new HttpBrowser(emu.url).signIn(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect }), 'nobody@contoso.com', 'x');
    const events = (await json(await control('/tenants/contoso/sign-ins?top=1'))).body.value as { status: { errorCode: number } }[];
    expect(events[0]!.status.errorCode).toBe(50034);
  });

  it('answers 404 for an unknown user or tenant, 400 for junk', async () => {
    await expectControlError(await control('/tenants/contoso/login-as', { body: { email: 'nobody@x.com' } }), 404, 'NotFound', /nobody@x\.com/);
    await expectControlError(await control('/tenants/nowhere/login-as', { body: { email: DEFAULT.alice.email } }), 404, 'NotFound', /nowhere/);
    await expectControlError(await control('/tenants/contoso/login-as', { body: { userId: 'a', email: 'b' } }), 400, 'BadRequest');
    await expectControlError(await control('/tenants/contoso/sign-ins?top=0'), 400, 'BadRequest', /top/);
  });
});

describe('control plane: access', () => {
  it('requires the admin token when one is configured', async () => {
    const locked = await startTestEmulator({ args: ['--admin-token', 's3cret'] });
    try {
      await expectControlError(await fetch(`${locked.url}/_emulator/v1/clock`), 401, 'Unauthorized');
      await expectControlError(await fetch(`${locked.url}/_emulator/v1/clock`, { headers: { authorization: 'Bearer s3cret-not' } }), 401, 'Unauthorized');
      expect((await fetch(`${locked.url}/_emulator/v1/clock`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    } finally {
      await locked.close();
    }
  });
});

describe('control plane: description', () => {
  it('publishes an OpenAPI document of its own routes only', async () => {
    const doc = await (await control('/openapi.json')).json() as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.paths);
    for (const p of ['/_emulator/v1/tenants/{tenant}/reset', '/_emulator/v1/clock', '/_emulator/v1/faults', '/_emulator/v1/mail']) expect(paths).toContain(p);
    expect(paths.every((p) => p.startsWith('/_emulator/v1/'))).toBe(true);
  });
});
