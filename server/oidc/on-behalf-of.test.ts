import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfidentialClientApplication, CryptoProvider, LogLevel } from '@azure/msal-node';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { postForm } from '../testing/oauth.js';

// The on-behalf-of flow with the real @azure/msal-node: the web app signs Alice in for the ToDo API;
// the ToDo API (the middle tier: secret `todo-api-secret`, admin consent on Graph User.Read in the
// default fixtures) exchanges her token for one to Microsoft Graph.
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });
beforeEach(async () => {
  expect((await control('/clock', { body: { reset: true } })).status).toBe(200);
});

const control = (path: string, init: { body?: unknown } = {}) => fetch(`${emu.url}/_emulator/v1${path}`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body ?? {}),
});

const API_SECRET = 'todo-api-secret';
const API_SCOPE = `api://${DEFAULT.api}/ToDoList.Read`;
const GRAPH_USER_READ = 'https://graph.microsoft.com/User.Read';
const GRAPH = '00000003-0000-0000-c000-000000000000';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const quiet = { loggerOptions: { logLevel: LogLevel.Error, loggerCallback: () => {} } };

const cca = (clientId: string, clientSecret: string) => new ConfidentialClientApplication({
  auth: { clientId, clientSecret, authority: emu.authority, knownAuthorities: [new URL(emu.url).host] }, system: quiet,
});
const tokenEndpoint = () => `${emu.url}/${DEFAULT.tenantId}/oauth2/v2.0/token`;

/** Alice's access token for the ToDo API, as the web app gets it (authorization code with PKCE). */
async function aliceTokenForApi(): Promise<string> {
  const web = cca(DEFAULT.web, DEFAULT.webSecret);
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const url = await web.getAuthCodeUrl({ scopes: [API_SCOPE], redirectUri: DEFAULT.webRedirect, codeChallenge: challenge, codeChallengeMethod: 'S256' });
  const landed = await new HttpBrowser(emu.url).signIn(url, DEFAULT.alice.email, DEFAULT.alice.password);
  const code = new URL(landed.url).searchParams.get('code');
  expect(code).toBeTruthy();
  const result = await web.acquireTokenByCode({ code: code!, scopes: [API_SCOPE], redirectUri: DEFAULT.webRedirect, codeVerifier: verifier });
  expect(decodeJwt(result.accessToken).aud).toBe(DEFAULT.api);
  return result.accessToken;
}

/** The raw OBO request, for exact error bodies. */
const obo = (form: Record<string, string>) => postForm(tokenEndpoint(), {
  grant_type: JWT_BEARER, requested_token_use: 'on_behalf_of', client_id: DEFAULT.api, client_secret: API_SECRET, scope: GRAPH_USER_READ, ...form,
});

function expectAad(r: { status: number; body: Record<string, unknown> }, status: number, error: string, code: number, text?: RegExp) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body.error).toBe(error);
  expect(r.body.error_codes).toEqual([code]);
  expect(String(r.body.error_description)).toMatch(new RegExp(`^AADSTS${code}: `));
  if (text) expect(String(r.body.error_description)).toMatch(text);
}

describe('on-behalf-of (jwt-bearer, requested_token_use=on_behalf_of)', () => {
  it('msal-node acquireTokenOnBehalfOf gives the middle tier a Graph token for the same user, usable at /v1.0/me', async () => {
    const assertion = await aliceTokenForApi();
    const result = await cca(DEFAULT.api, API_SECRET).acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [GRAPH_USER_READ] });
    expect(result).not.toBeNull();

    const jwks = createRemoteJWKSet(new URL(`${emu.url}/${DEFAULT.tenantId}/discovery/v2.0/keys`));
    const { payload, protectedHeader } = await jwtVerify(result!.accessToken, jwks, { issuer: `${emu.url}/${DEFAULT.tenantId}/v2.0`, audience: GRAPH });
    expect(protectedHeader).toMatchObject({ typ: 'JWT', alg: 'RS256' });
    expect(payload).toMatchObject({ oid: DEFAULT.alice.id, tid: DEFAULT.tenantId, azp: DEFAULT.api, azpacr: '1', scp: 'User.Read', idtyp: 'user', ver: '2.0' });
    // `sub` is pairwise per app: the middle tier's, not the web app's (the assertion's) nor the object id.
    const incoming = decodeJwt(assertion);
    expect(payload.sub).toBeTruthy();
    expect(payload.sub).not.toBe(incoming.sub);
    expect(payload.sub).not.toBe(DEFAULT.alice.id);
    expect(result!.scopes.map((s) => s.toLowerCase())).toContain(GRAPH_USER_READ.toLowerCase());

    const me = await fetch(`${emu.url}/v1.0/me`, { headers: { authorization: `Bearer ${result!.accessToken}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: DEFAULT.alice.id });
  });

  it('returns a refresh token with offline_access, which the middle tier redeems for the same user (and none without)', async () => {
    const assertion = await aliceTokenForApi();
    expect((await obo({ assertion })).body).not.toHaveProperty('refresh_token');
    const r = await obo({ assertion, scope: `${GRAPH_USER_READ} openid profile offline_access` });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(typeof r.body.refresh_token).toBe('string');
    const renewed = await postForm(tokenEndpoint(), { grant_type: 'refresh_token', client_id: DEFAULT.api, client_secret: API_SECRET, refresh_token: String(r.body.refresh_token), scope: GRAPH_USER_READ });
    expect(renewed.status, JSON.stringify(renewed.body)).toBe(200);
    expect(decodeJwt(String(renewed.body.access_token))).toMatchObject({ aud: GRAPH, oid: DEFAULT.alice.id, azp: DEFAULT.api, scp: 'User.Read', sub: decodeJwt(String(r.body.access_token)).sub });
  });

  it('refuses an assertion whose audience is another app (AADSTS500131, invalid_grant)', async () => {
    const assertion = await aliceTokenForApi(); // aud: the ToDo API, presented by the web app
    const r = await obo({ assertion, client_id: DEFAULT.web, client_secret: DEFAULT.webSecret });
    expectAad(r, 400, 'invalid_grant', 500131, new RegExp(`The audience in the assertion was '${DEFAULT.api}' and the expected audience is '${DEFAULT.web}'`));
  });

  it('answers AADSTS65001 consent_required when the middle tier was not granted the downstream scope', async () => {
    const assertion = await aliceTokenForApi();
    const r = await obo({ assertion, scope: 'https://graph.microsoft.com/User.ReadWrite.All' });
    expectAad(r, 400, 'invalid_grant', 65001, new RegExp(`application with ID '${DEFAULT.api}'`));
    expect(r.body.suberror).toBe('consent_required');
    // and the granted one, in the same call shape, succeeds
    expect((await obo({ assertion })).status).toBe(200);
  });

  it('answers AADSTS500133 for an expired assertion (the clock past its exp), and serves it just before', async () => {
    const assertion = await aliceTokenForApi();
    const exp = Number(decodeJwt(assertion).exp) * 1000;
    const now = Date.now();
    expect((await control('/clock', { body: { advance: `PT${Math.floor((exp - now) / 1000) - 5}S` } })).status).toBe(200);
    expect((await obo({ assertion })).status).toBe(200);
    expect((await control('/clock', { body: { advance: 'PT10S' } })).status).toBe(200);
    const r = await obo({ assertion });
    expectAad(r, 400, 'invalid_grant', 500133, new RegExp(`expiry time of assertion ${new Date(exp).toISOString().replace('.000Z', '.0000000Z')}`));
  });

  it('answers AADSTS50057 once the user is disabled, though her token has not expired', async () => {
    const assertion = await aliceTokenForApi();
    const daemon = await postForm(tokenEndpoint(), { grant_type: 'client_credentials', client_id: DEFAULT.daemon, client_secret: 'daemon-app-secret', scope: 'https://graph.microsoft.com/.default' });
    expect(daemon.status).toBe(200);
    try {
      const patched = await fetch(`${emu.url}/v1.0/users/${DEFAULT.alice.id}`, {
        method: 'PATCH', headers: { authorization: `Bearer ${String(daemon.body.access_token)}`, 'content-type': 'application/json' }, body: JSON.stringify({ accountEnabled: false }),
      });
      expect(patched.status).toBe(204);
      expectAad(await obo({ assertion }), 400, 'invalid_grant', 50057);
    } finally {
      expect((await control('/tenants/contoso/reset')).status).toBe(200);
    }
  });

  it('answers AADSTS50027 (invalid_request) for an assertion that is not a JWT', async () => {
    expectAad(await obo({ assertion: 'not-a-jwt' }), 400, 'invalid_request', 50027);
  });

  it('answers AADSTS50013 for a tampered assertion', async () => {
    const assertion = await aliceTokenForApi();
    const [h, p, s] = assertion.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, oid: 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb' })).toString('base64url')}.${s}`;
    expectAad(await obo({ assertion: forged }), 400, 'invalid_grant', 50013, /did not match the expected signature value/);
  });

  it("refuses another tenant's token (signed with keys this tenant does not have: AADSTS50013)", async () => {
    const fabrikam = {
      tenant: { id: '98989898-9898-4898-8898-989898989898', subdomain: 'fabrikamobo', defaultDomain: 'fabrikamobo.onmicrosoft.com', displayName: 'Fabrikam OBO' },
      applications: [
        { id: 'a9898989-0001-4898-8898-989898989898', appId: '98989898-0001-4898-8898-989898989898', displayName: 'API', identifierUris: [`api://${DEFAULT.api}`],
          appRoles: [{ id: 'e9898989-0001-4898-8898-989898989898', value: 'Read.All', allowedMemberTypes: ['Application'] }] },
        { id: 'a9898989-0002-4898-8898-989898989898', appId: '98989898-0002-4898-8898-989898989898', displayName: 'Daemon',
          passwordCredentials: [{ keyId: 'c9898989-0002-4898-8898-989898989898', secretText: 'fabrikam-secret' }],
          grantedPermissions: [{ resourceAppId: '98989898-0001-4898-8898-989898989898', roles: ['Read.All'] }] },
      ],
    };
    expect((await control('/tenants', { body: fabrikam })).status).toBe(201);
    const foreign = await postForm(`${emu.url}/fabrikamobo/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: '98989898-0002-4898-8898-989898989898', client_secret: 'fabrikam-secret', scope: `api://${DEFAULT.api}/.default` });
    expect(foreign.status, JSON.stringify(foreign.body)).toBe(200);
    expectAad(await obo({ assertion: String(foreign.body.access_token) }), 400, 'invalid_grant', 50013, /The key was not found/);
  });

  it('asks for requested_token_use (AADSTS900144) and asks a public client for a credential (AADSTS7000218)', async () => {
    const assertion = await aliceTokenForApi();
    expectAad(await postForm(tokenEndpoint(), { grant_type: JWT_BEARER, client_id: DEFAULT.api, client_secret: API_SECRET, scope: GRAPH_USER_READ, assertion }),
      400, 'invalid_request', 900144, /'requested_token_use'/);
    const spa = await postForm(tokenEndpoint(), { grant_type: JWT_BEARER, requested_token_use: 'on_behalf_of', client_id: DEFAULT.spa, scope: GRAPH_USER_READ, assertion });
    expectAad(spa, 401, 'invalid_client', 7000218);
  });
});
