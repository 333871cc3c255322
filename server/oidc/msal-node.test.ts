import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfidentialClientApplication, CryptoProvider, LogLevel } from '@azure/msal-node';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';

// The real @azure/msal-node against the emulator, configured exactly as the README says: the
// authority and knownAuthorities are the only lines that differ from a real tenant.
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });

function webApp() {
  return new ConfidentialClientApplication({
    auth: { clientId: DEFAULT.web, clientSecret: DEFAULT.webSecret, authority: emu.authority, knownAuthorities: [new URL(emu.url).host] },
    system: { loggerOptions: { logLevel: LogLevel.Error, loggerCallback: () => {} } },
  });
}

const API_SCOPE = `api://${DEFAULT.api}/ToDoList.Read`;

async function signInWithCode(cca: ConfidentialClientApplication, scopes: string[]) {
  const crypto = new CryptoProvider();
  const { verifier, challenge } = await crypto.generatePkceCodes();
  const url = await cca.getAuthCodeUrl({ scopes, redirectUri: DEFAULT.webRedirect, codeChallenge: challenge, codeChallengeMethod: 'S256', state: 'st-1', nonce: 'n-1' });
  const landed = await new HttpBrowser(emu.url).signIn(url, DEFAULT.alice.email, DEFAULT.alice.password);
  const redirect = new URL(landed.url);
  expect(redirect.origin + redirect.pathname).toBe(DEFAULT.webRedirect);
  expect(redirect.searchParams.get('state')).toBe('st-1');
  expect(redirect.searchParams.get('session_state')).toMatch(/^[0-9a-f-]{36}$/);
  const code = redirect.searchParams.get('code');
  expect(code).toBeTruthy();
  const result = await cca.acquireTokenByCode({ code: code!, scopes, redirectUri: DEFAULT.webRedirect, codeVerifier: verifier, state: 'st-1', nonce: 'n-1' },
    { code: code!, state: 'st-1', nonce: 'n-1', client_info: redirect.searchParams.get('client_info') ?? undefined });
  return { result, redirect };
}

describe('msal-node web app (auth code flow)', () => {
  it('signs Alice in and returns Entra-shaped tokens with her account', async () => {
    const cca = webApp();
    const { result, redirect } = await signInWithCode(cca, [API_SCOPE]);

    expect(redirect.searchParams.get('client_info')).toBeTruthy();
    expect(result.account?.homeAccountId).toBe(`${DEFAULT.alice.id}.${DEFAULT.tenantId}`);
    expect(result.account?.username).toBe(DEFAULT.alice.email);
    expect(result.account?.tenantId).toBe(DEFAULT.tenantId);
    expect(result.scopes).toContain(API_SCOPE);

    const jwks = createRemoteJWKSet(new URL(`${emu.url}/${DEFAULT.tenantId}/discovery/v2.0/keys`));
    const issuer = `${emu.url}/${DEFAULT.tenantId}/v2.0`;
    const { payload: id, protectedHeader } = await jwtVerify(result.idToken, jwks, { issuer, audience: DEFAULT.web });
    expect(protectedHeader.alg).toBe('RS256');
    expect(protectedHeader.kid).toBeTruthy();
    expect(id).toMatchObject({ ver: '2.0', oid: DEFAULT.alice.id, tid: DEFAULT.tenantId, name: 'Alice Example', preferred_username: DEFAULT.alice.email, nonce: 'n-1' });
    for (const claim of ['sub', 'iat', 'nbf', 'exp', 'sid', 'uti', 'aio', 'rh']) expect(id, claim).toHaveProperty(claim);
    expect(id.sub).not.toBe(DEFAULT.alice.id); // pairwise, like Entra
    expect(id).not.toHaveProperty('email'); // only with the email scope

    const { payload: at, protectedHeader: atHeader } = await jwtVerify(result.accessToken, jwks, { issuer, audience: DEFAULT.api });
    expect(atHeader.typ).toBe('JWT');
    expect(at).toMatchObject({ ver: '2.0', scp: 'ToDoList.Read', azp: DEFAULT.web, azpacr: '1', oid: DEFAULT.alice.id, tid: DEFAULT.tenantId, idtyp: 'user' });
    for (const claim of ['sub', 'uti', 'iat', 'nbf', 'exp']) expect(at, claim).toHaveProperty(claim);
    expect(at).not.toHaveProperty('scope');
    expect(at).not.toHaveProperty('client_id');
  });

  it('renews the access token through the refresh token (acquireTokenSilent with forceRefresh)', async () => {
    const cca = webApp();
    const { result } = await signInWithCode(cca, [API_SCOPE]);
    const renewed = await cca.acquireTokenSilent({ account: result.account!, scopes: [API_SCOPE], forceRefresh: true });
    expect(renewed.accessToken).not.toBe(result.accessToken);
    expect(renewed.fromCache).toBe(false);
    expect(decodeJwt(renewed.accessToken)).toMatchObject({ oid: DEFAULT.alice.id, scp: 'ToDoList.Read' });
  });

  it('gives the email claim only when the email scope is asked for', async () => {
    const { result } = await signInWithCode(webApp(), ['openid', 'profile', 'email']);
    expect(decodeJwt(result.idToken).email).toBe(DEFAULT.alice.email);
  });
});

describe('msal-node daemon (client credentials)', () => {
  it('gets an app-only token carrying the granted app role', async () => {
    const cca = new ConfidentialClientApplication({
      auth: { clientId: DEFAULT.daemon, clientSecret: DEFAULT.daemonSecret, authority: emu.authority, knownAuthorities: [new URL(emu.url).host] },
    });
    const result = await cca.acquireTokenByClientCredential({ scopes: [`api://${DEFAULT.api}/.default`] });
    const jwks = createRemoteJWKSet(new URL(`${emu.url}/${DEFAULT.tenantId}/discovery/v2.0/keys`));
    const { payload } = await jwtVerify(result!.accessToken, jwks, { issuer: `${emu.url}/${DEFAULT.tenantId}/v2.0`, audience: DEFAULT.api });
    expect(payload).toMatchObject({ roles: ['ToDoList.Read.All'], idtyp: 'app', azp: DEFAULT.daemon, azpacr: '1', tid: DEFAULT.tenantId, ver: '2.0' });
    expect(payload.oid).toBe(payload.sub);
    expect(payload).not.toHaveProperty('scp');
  });

  it('is refused a wrong secret with AADSTS7000215', async () => {
    const cca = new ConfidentialClientApplication({
      auth: { clientId: DEFAULT.daemon, clientSecret: 'not-the-secret', authority: emu.authority, knownAuthorities: [new URL(emu.url).host] },
    });
    await expect(cca.acquireTokenByClientCredential({ scopes: [`api://${DEFAULT.api}/.default`] }))
      .rejects.toMatchObject({ errorCode: 'invalid_client', errorMessage: expect.stringContaining('AADSTS7000215') });
  });
});
