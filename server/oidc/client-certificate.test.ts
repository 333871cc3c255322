import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfidentialClientApplication, CryptoProvider, LogLevel, type Configuration } from '@azure/msal-node';
import { SignJWT, createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { randomUUID } from 'node:crypto';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { makeCertificate, type TestCertificate } from '../testing/client-certificates.js';

// Certificate credentials (private_key_jwt) as Entra takes them, driven by the real msal-node:
// `clientCertificate: { thumbprint, privateKey }` signs RS256 with `x5t`, and `{ thumbprintSha256,
// privateKey }` PS256 with `x5t#S256` (learn.microsoft.com "Microsoft identity platform application
// authentication certificate credentials").
let emu: TestEmulator;
let registered: TestCertificate;
const API_DEFAULT = `api://${DEFAULT.api}/.default`;
const HOUR = 60 * 60 * 1000;

const objectId = (appId: string) => emu.directory.applications.findByAppId(DEFAULT.tenantId, appId)!.id;
const register = (appId: string, cert: TestCertificate, window: { startAt?: number; endAt?: number } = {}) =>
  emu.directory.applications.upsertKey(DEFAULT.tenantId, objectId(appId), { keyId: randomUUID(), displayName: 'CN=test', key: cert.key, ...window });

beforeAll(async () => {
  emu = await startTestEmulator();
  registered = await makeCertificate();
  register(DEFAULT.daemon, registered);
});
afterAll(async () => { await emu.close(); });

const quiet = { loggerOptions: { logLevel: LogLevel.Error, loggerCallback: () => {} } };
function app(clientId: string, credential: Partial<Configuration['auth']>) {
  return new ConfidentialClientApplication({
    auth: { clientId, authority: emu.authority, knownAuthorities: [new URL(emu.url).host], ...credential },
    system: quiet,
  });
}
const tokenEndpoint = () => `${emu.url}/${DEFAULT.tenantId}/oauth2/v2.0/token`;

/** An assertion signed as msal-node signs one, with the times and key chosen by the test. */
async function assertion(cert: TestCertificate, over: { exp?: number; nbf?: number; x5t?: string; clientId?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: randomUUID(), nbf: over.nbf ?? now })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', x5t: over.x5t ?? Buffer.from(cert.thumbprint, 'hex').toString('base64url') })
    .setIssuer(over.clientId ?? DEFAULT.daemon).setSubject(over.clientId ?? DEFAULT.daemon)
    .setAudience(tokenEndpoint()).setExpirationTime(over.exp ?? now + 600)
    .sign(cert.privateKey);
}

async function clientCredentials(form: Record<string, string>) {
  const res = await fetch(tokenEndpoint(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: API_DEFAULT, ...form }) });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}
const withAssertion = (jwt: string, clientId: string = DEFAULT.daemon) =>
  clientCredentials({ client_id: clientId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: jwt });

async function rejection(p: Promise<unknown>): Promise<{ errorCode: string; errorMessage: string }> {
  try {
    await p;
  } catch (e) {
    return e as { errorCode: string; errorMessage: string };
  }
  throw new Error('expected the token request to fail');
}

describe('discovery', () => {
  it('lists private_key_jwt among the token endpoint auth methods, in Entra\'s order', async () => {
    const doc = await (await fetch(`${emu.url}/${DEFAULT.tenantId}/v2.0/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    expect(doc.token_endpoint_auth_methods_supported).toEqual(['client_secret_post', 'private_key_jwt', 'client_secret_basic']);
  });
});

describe('msal-node clientCertificate (client credentials)', () => {
  it('RS256 with x5t (thumbprint): gets an app-only token for the API, azpacr 2, and reuses its cached assertion', async () => {
    const cca = app(DEFAULT.daemon, { clientCertificate: { thumbprint: registered.thumbprint, privateKey: registered.privateKeyPem } });
    const first = await cca.acquireTokenByClientCredential({ scopes: [API_DEFAULT] });
    const jwks = createRemoteJWKSet(new URL(`${emu.url}/${DEFAULT.tenantId}/discovery/v2.0/keys`));
    const { payload } = await jwtVerify(first!.accessToken, jwks, { issuer: `${emu.url}/${DEFAULT.tenantId}/v2.0`, audience: DEFAULT.api });
    expect(payload).toMatchObject({ azp: DEFAULT.daemon, azpacr: '2', idtyp: 'app', tid: DEFAULT.tenantId });
    // msal-node signs one assertion and sends it again until it nears `exp`: Entra accepts the replay.
    const second = await cca.acquireTokenByClientCredential({ scopes: [API_DEFAULT], skipCache: true });
    expect(decodeJwt(second!.accessToken).uti).not.toBe(payload.uti);
  });

  it('PS256 with x5t#S256 (thumbprintSha256): gets an app-only token for the API', async () => {
    const cca = app(DEFAULT.daemon, { clientCertificate: { thumbprintSha256: registered.thumbprintSha256, privateKey: registered.privateKeyPem } });
    const r = await cca.acquireTokenByClientCredential({ scopes: [API_DEFAULT] });
    expect(decodeJwt(r!.accessToken)).toMatchObject({ aud: DEFAULT.api, azp: DEFAULT.daemon, azpacr: '2' });
  });

  it('a certificate not registered on the app: 401 invalid_client AADSTS700027 "not registered", naming its thumbprint', async () => {
    const stranger = await makeCertificate({ cn: 'not registered' });
    const e = await rejection(app(DEFAULT.daemon, { clientCertificate: { thumbprint: stranger.thumbprint, privateKey: stranger.privateKeyPem } })
      .acquireTokenByClientCredential({ scopes: [API_DEFAULT] }));
    expect(e.errorCode).toBe('invalid_client');
    expect(e.errorMessage).toContain(`AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${stranger.thumbprint}'`);

    const raw = await withAssertion(await assertion(stranger));
    expect(raw.status).toBe(401);
    expect(raw.body).toMatchObject({ error: 'invalid_client', error_codes: [700027] });
  });

  it('an app with no certificate at all answers AADSTS700027 for an assertion (the web app has only a secret)', async () => {
    const raw = await withAssertion(await assertion(registered, { clientId: DEFAULT.web }), DEFAULT.web);
    expect(raw.status).toBe(401);
    expect(raw.body).toMatchObject({ error: 'invalid_client', error_codes: [700027] });
    expect(String(raw.body.error_description)).toContain(`for app Id '${DEFAULT.web}'`);
  });

  it('a registered thumbprint on an assertion signed by another key: AADSTS700027 "invalid signature"', async () => {
    const other = await makeCertificate();
    const forged = await assertion(other, { x5t: Buffer.from(registered.thumbprint, 'hex').toString('base64url') });
    const raw = await withAssertion(forged);
    expect(raw.status).toBe(401);
    expect(raw.body.error_codes).toEqual([700027]);
    expect(String(raw.body.error_description)).toMatch(/^AADSTS700027: Client assertion contains an invalid signature\. \[Reason - The provided signature value did not match/);
  });

  it('signed by a registered certificate but naming another in x5t: AADSTS700027 "not registered" (Entra finds the key by thumbprint)', async () => {
    const stranger = await makeCertificate();
    const raw = await withAssertion(await assertion(registered, { x5t: Buffer.from(stranger.thumbprint, 'hex').toString('base64url') }));
    expect(raw.status).toBe(401);
    expect(raw.body.error_codes).toEqual([700027]);
    expect(String(raw.body.error_description)).toContain(`not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${stranger.thumbprint}'`);
  });

  it('an expired assertion: 401 invalid_client AADSTS700024 with Entra\'s times; one still valid passes', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await assertion(registered, { nbf: now - 1200, exp: now - 600 });
    const e = await rejection(app(DEFAULT.daemon, { clientAssertion: async () => expired }).acquireTokenByClientCredential({ scopes: [API_DEFAULT] }));
    expect(e.errorCode).toBe('invalid_client');
    expect(e.errorMessage).toContain('AADSTS700024: Client assertion is not within its valid time range. Current time: ');
    expect(e.errorMessage).toContain(`assertion valid from ${new Date((now - 1200) * 1000).toISOString().slice(0, 19)}.0000000Z, expiry time of assertion ${new Date((now - 600) * 1000).toISOString().slice(0, 19)}.0000000Z.`);

    const raw = await withAssertion(await assertion(registered, { nbf: now - 1200, exp: now - 600 }));
    expect(raw.status).toBe(401);
    expect(raw.body.error_codes).toEqual([700024]);
    expect((await withAssertion(await assertion(registered, { nbf: now - 1200, exp: now + 60 }))).status).toBe(200);
  });

  it('a registered certificate past its endDateTime: AADSTS700027 "The key used is expired."', async () => {
    const old = await makeCertificate();
    register(DEFAULT.daemon, old, { startAt: Date.now() - 48 * HOUR, endAt: Date.now() - HOUR });
    const e = await rejection(app(DEFAULT.daemon, { clientCertificate: { thumbprint: old.thumbprint, privateKey: old.privateKeyPem } })
      .acquireTokenByClientCredential({ scopes: [API_DEFAULT] }));
    expect(e.errorCode).toBe('invalid_client');
    expect(e.errorMessage).toContain(`AADSTS700027: Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key used by client: '${old.thumbprint}', Found key 'Start=`);
  });
});

describe('client secrets beside certificates', () => {
  it('a secret past its endDateTime: 401 invalid_client AADSTS7000222; the same app still works with its current secret and its certificate', async () => {
    emu.directory.applications.upsertPassword(DEFAULT.tenantId, objectId(DEFAULT.daemon), {
      keyId: randomUUID(), displayName: 'old', secretText: 'expired-daemon-secret', startAt: Date.now() - 48 * HOUR, endAt: Date.now() - HOUR,
    });
    const e = await rejection(app(DEFAULT.daemon, { clientSecret: 'expired-daemon-secret' }).acquireTokenByClientCredential({ scopes: [API_DEFAULT] }));
    expect(e.errorCode).toBe('invalid_client');
    expect(e.errorMessage).toContain(`AADSTS7000222: The provided client secret keys for app '${DEFAULT.daemon}' are expired.`);
    const raw = await clientCredentials({ client_id: DEFAULT.daemon, client_secret: 'expired-daemon-secret' });
    expect(raw.status).toBe(401);
    expect(raw.body.error_codes).toEqual([7000222]);

    // A wrong secret is still 7000215, and the current secret and the certificate both work.
    expect((await clientCredentials({ client_id: DEFAULT.daemon, client_secret: 'not-the-secret' })).body.error_codes).toEqual([7000215]);
    expect(await app(DEFAULT.daemon, { clientSecret: DEFAULT.daemonSecret }).acquireTokenByClientCredential({ scopes: [API_DEFAULT] })).toBeTruthy();
    const byCert = await app(DEFAULT.daemon, { clientCertificate: { thumbprint: registered.thumbprint, privateKey: registered.privateKeyPem } })
      .acquireTokenByClientCredential({ scopes: [API_DEFAULT], skipCache: true });
    expect(decodeJwt(byCert!.accessToken).azpacr).toBe('2');
  });

  it('an assertion for an app not in the tenant: 400 unauthorized_client AADSTS700016, with or without client_id in the form', async () => {
    const stranger = '99999999-9999-4999-8999-999999999999';
    const jwt = await assertion(registered, { clientId: stranger });
    for (const raw of [await withAssertion(jwt, stranger), await clientCredentials({ client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: jwt })]) {
      expect(raw.status).toBe(400);
      expect(raw.body).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
      expect(String(raw.body.error_description)).toContain(`Application with identifier '${stranger}' was not found in the directory 'contoso.onmicrosoft.com'.`);
    }
  });

  it('a public client (the SPA) sending an assertion: 401 AADSTS700025', async () => {
    const raw = await withAssertion(await assertion(registered, { clientId: DEFAULT.spa }), DEFAULT.spa);
    expect(raw.status).toBe(401);
    expect(raw.body.error_codes).toEqual([700025]);
  });
});

describe('msal-node web app with a certificate (code redemption and refresh)', () => {
  it('redeems the code and refreshes with clientCertificate, as with its secret', async () => {
    const webCert = await makeCertificate({ cn: 'web app' });
    register(DEFAULT.web, webCert);
    const cca = app(DEFAULT.web, { clientCertificate: { thumbprintSha256: webCert.thumbprintSha256, privateKey: webCert.privateKeyPem } });
    const scopes = [`api://${DEFAULT.api}/ToDoList.Read`];
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const url = await cca.getAuthCodeUrl({ scopes, redirectUri: DEFAULT.webRedirect, codeChallenge: challenge, codeChallengeMethod: 'S256', state: 's', nonce: 'n' });
    const landed = new URL((await new HttpBrowser(emu.url).signIn(url, DEFAULT.alice.email, DEFAULT.alice.password)).url);
    const code = landed.searchParams.get('code')!;
    const result = await cca.acquireTokenByCode({ code, scopes, redirectUri: DEFAULT.webRedirect, codeVerifier: verifier, state: 's', nonce: 'n' },
      { code, state: 's', nonce: 'n', client_info: landed.searchParams.get('client_info') ?? undefined });
    expect(decodeJwt(result.accessToken)).toMatchObject({ aud: DEFAULT.api, azp: DEFAULT.web, azpacr: '2', scp: 'ToDoList.Read', oid: DEFAULT.alice.id });

    const renewed = await cca.acquireTokenSilent({ account: result.account!, scopes, forceRefresh: true });
    expect(renewed.accessToken).not.toBe(result.accessToken);
    expect(decodeJwt(renewed.accessToken)).toMatchObject({ azp: DEFAULT.web, azpacr: '2' });
  });
});
