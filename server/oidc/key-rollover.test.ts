import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { postForm } from '../testing/oauth.js';

// Signing-key rollover as Entra does it ("Signing key rollover in the Microsoft identity platform"):
// a new key is published before it signs, the old one stays published until the tokens it signed
// have expired, and each tenant's keys are its own. Apps test their key-refresh logic against it.
// A fresh emulator per test: keys survive a tenant reset (as they should), so rotations would carry over.
let emu: TestEmulator;
beforeEach(async () => { emu = await startTestEmulator(); });
afterEach(async () => {
  expect((await control('/clock', { reset: true })).status).toBe(200);
  await emu.close();
});

const control = (path: string, body?: unknown) => fetch(`${emu.url}/_emulator/v1${path}`, {
  method: 'POST', ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
});
const rotate = async (tenant: string, body?: unknown) => {
  const res = await control(`/tenants/${tenant}/keys/rotate`, body);
  const r = await res.json() as Record<string, unknown>;
  expect(res.status, JSON.stringify(r)).toBe(200);
  return r as { kid: string; previousKid: string; activatesAt: string; previousKeyPublishedUntil: string; signingKid: string; publishedKids: string[]; jwksUri: string };
};
const jwksUri = (tenant: string = DEFAULT.tenantId) => `${emu.url}/${tenant}/discovery/v2.0/keys`;
const publishedKids = async (tenant: string = DEFAULT.tenantId) =>
  ((await (await fetch(jwksUri(tenant))).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
const issuer = (tenant: string = DEFAULT.tenantId) => `${emu.url}/${tenant}/v2.0`;
const daemonToken = async () => {
  const r = await postForm(`${emu.url}/${DEFAULT.domain}/oauth2/v2.0/token`,
    { grant_type: 'client_credentials', client_id: DEFAULT.daemon, client_secret: DEFAULT.daemonSecret, scope: `api://${DEFAULT.api}/.default` });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return String(r.body.access_token);
};
const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid;
// The emulator's travelling clock moves Date.now() (which `new Date()` does not read): verify at it.
const verifyAt = (jwt: string, keys: ReturnType<typeof createRemoteJWKSet>) =>
  jwtVerify(jwt, keys, { issuer: issuer(), audience: DEFAULT.api, currentDate: new Date(Date.now()) });

describe('signing-key rollover', () => {
  it('publishes the new key beside the old one at once, signs with it from then on, and jose verifies tokens of both', async () => {
    const before = await daemonToken();
    const oldKid = kidOf(before);
    // An app's JWKS cache, filled before the rotation; cooldown 0 lets it refetch on an unknown kid.
    const cached = createRemoteJWKSet(new URL(jwksUri()), { cooldownDuration: 0 });
    await verifyAt(before, cached);

    const r = await rotate('contoso');
    expect(r.previousKid).toBe(oldKid);
    expect(r.kid).not.toBe(oldKid);
    expect(r.signingKid).toBe(r.kid);
    expect(r.publishedKids).toEqual([r.kid, oldKid]);
    expect(r.jwksUri).toBe(jwksUri());
    expect(await publishedKids()).toEqual([r.kid, oldKid]);

    const after = await daemonToken();
    expect(kidOf(after)).toBe(r.kid);
    await expect(verifyAt(after, cached)).resolves.toMatchObject({ protectedHeader: { kid: r.kid } });
    await expect(verifyAt(before, cached)).resolves.toMatchObject({ protectedHeader: { kid: oldKid } });
    await expect(verifyAt(before, createRemoteJWKSet(new URL(jwksUri())))).resolves.toBeTruthy();
  });

  it('with a future activateAt publishes the key without signing with it until the clock reaches that time', async () => {
    const oldKid = kidOf(await daemonToken());
    const activateAt = new Date(Date.now() + 60 * 60 * 1000);
    const r = await rotate('contoso', { activateAt: activateAt.toISOString() });
    expect(r).toMatchObject({ previousKid: oldKid, activatesAt: activateAt.toISOString(), signingKid: oldKid });
    expect(await publishedKids()).toEqual([oldKid, r.kid]);

    // A JWKS read now already holds the key that will sign: no refetch is needed at the switch.
    const cached = createRemoteJWKSet(new URL(jwksUri()), { cooldownDuration: 60 * 60 * 1000 });
    const early = await daemonToken();
    await verifyAt(early, cached);

    expect((await control('/clock', { set: new Date(activateAt.getTime() - 1000).toISOString() })).status).toBe(200);
    expect(kidOf(await daemonToken())).toBe(oldKid);
    expect((await control('/clock', { set: activateAt.toISOString() })).status).toBe(200);
    const late = await daemonToken();
    expect(kidOf(late)).toBe(r.kid);
    expect(await publishedKids()).toEqual([r.kid, oldKid]);
    await expect(verifyAt(late, cached)).resolves.toMatchObject({ protectedHeader: { kid: r.kid } });
  });

  it('keeps the old key published until the longest token it signed has expired, then drops it', async () => {
    const before = await daemonToken();
    const oldKid = kidOf(before);
    const r = await rotate('contoso');
    const until = new Date(r.previousKeyPublishedUntil).getTime();
    // 90 minutes: Entra's access tokens live up to 90 minutes (the longest-lived token we sign).
    expect(until - new Date(r.activatesAt).getTime()).toBe(90 * 60 * 1000);

    // The daemon token lives 3599 s: one second before it expires it still verifies.
    const { payload } = await verifyAt(before, createRemoteJWKSet(new URL(jwksUri())));
    expect((await control('/clock', { set: new Date((payload.exp! - 1) * 1000).toISOString() })).status).toBe(200);
    await expect(verifyAt(before, createRemoteJWKSet(new URL(jwksUri())))).resolves.toBeTruthy();

    // The clock keeps running after it is set: one second of margin.
    expect((await control('/clock', { set: new Date(until - 1000).toISOString() })).status).toBe(200);
    expect(await publishedKids()).toEqual([r.kid, oldKid]);
    expect((await control('/clock', { set: new Date(until).toISOString() })).status).toBe(200);
    expect(await publishedKids()).toEqual([r.kid]);
    expect(kidOf(await daemonToken())).toBe(r.kid);
  });

  it('answers 400 for an activateAt in the past or not a date, and 404 for an unknown tenant', async () => {
    const past = await control('/tenants/contoso/keys/rotate', { activateAt: new Date(Date.now() - 60_000).toISOString() });
    expect(past.status).toBe(400);
    expect(await past.json()).toMatchObject({ error: { code: 'BadRequest', message: expect.stringMatching(/in the past/) } });
    const notADate = await control('/tenants/contoso/keys/rotate', { activateAt: 'tomorrow' });
    expect(notADate.status).toBe(400);
    const unknown = await control('/tenants/nowhere/keys/rotate');
    expect(unknown.status).toBe(404);
  });

  it('refuses a rotation asked by another site\'s page (403 CrossSiteRequest) and leaves the keys as they were', async () => {
    const before = await publishedKids();
    const res = await fetch(`${emu.url}/_emulator/v1/tenants/contoso/keys/rotate`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'CrossSiteRequest' } });
    expect(await publishedKids()).toEqual(before);
  });

  it('rotates one tenant\'s keys without touching another tenant\'s', async () => {
    const fabrikam = {
      tenant: { id: '77777777-7777-4777-8777-777777777777', subdomain: 'rollover', defaultDomain: 'rollover.onmicrosoft.com', displayName: 'Rollover' },
      applications: [{ id: 'a7777777-0001-4777-8777-777777777777', appId: '77777777-0001-4777-8777-777777777777', displayName: 'Web',
        web: { redirectUris: ['http://localhost:4000/cb'] } }],
    };
    const created = await control('/tenants', fabrikam);
    expect(created.status, await created.clone().text()).toBe(201);
    const contosoBefore = await publishedKids();
    const otherBefore = await publishedKids(fabrikam.tenant.id);
    expect(otherBefore).toHaveLength(1);
    expect(otherBefore.some((k) => contosoBefore.includes(k))).toBe(false);

    const r = await rotate('rollover');
    expect(r.previousKid).toBe(otherBefore[0]);
    expect(await publishedKids(fabrikam.tenant.id)).toEqual([r.kid, otherBefore[0]]);
    expect(await publishedKids()).toEqual(contosoBefore);
    expect(kidOf(await daemonToken())).toBe(contosoBefore[0]);
  });
});

describe('signing-key rollover and the emulator\'s own Graph', () => {
  it('accepts Graph tokens signed before and after a rotation', async () => {
    const graphToken = async () => {
      const r = await postForm(`${emu.url}/${DEFAULT.domain}/oauth2/v2.0/token`,
        { grant_type: 'client_credentials', client_id: DEFAULT.daemon, client_secret: DEFAULT.daemonSecret, scope: 'https://graph.microsoft.com/.default' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return String(r.body.access_token);
    };
    const users = (token: string) => fetch(`${emu.url}/v1.0/users?$top=1`, { headers: { authorization: `Bearer ${token}` } });
    const before = await graphToken();
    expect((await users(before)).status).toBe(200);
    const r = await rotate('contoso');
    const after = await graphToken();
    expect(kidOf(after)).toBe(r.kid);
    expect((await users(after)).status).toBe(200);
    expect((await users(before)).status).toBe(200);
  });
});

describe('signing-key rollover and native authentication', () => {
  it('signs a native-auth sign-in with the new key after a rotation, and after the switch of a delayed one', async () => {
    const call = (path: string, form: Record<string, string>) => postForm(`${emu.url}/${DEFAULT.domain}${path}`, { client_id: DEFAULT.spa, ...form });
    const signIn = async () => {
      let r = await call('/oauth2/v2.0/initiate', { username: DEFAULT.alice.email, challenge_type: 'oob password redirect' });
      r = await call('/oauth2/v2.0/challenge', { continuation_token: String(r.body.continuation_token), challenge_type: 'oob password redirect' });
      r = await call('/oauth2/v2.0/token', { continuation_token: String(r.body.continuation_token), grant_type: 'password', password: DEFAULT.alice.password, scope: 'openid offline_access' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return kidOf(String(r.body.id_token));
    };
    const now = await rotate('contoso');
    expect(await signIn()).toBe(now.kid);
    const activateAt = new Date(Date.now() + 60 * 60 * 1000);
    const later = await rotate('contoso', { activateAt: activateAt.toISOString() });
    expect((await control('/clock', { set: activateAt.toISOString() })).status).toBe(200);
    expect(await signIn()).toBe(later.kid);
  });
});

describe('signing-key rollover with openid-client', () => {
  it('validates id_tokens signed before and after a rotation (signatures checked against the JWKS)', async () => {
    const config = await client.discovery(new URL(issuer()), DEFAULT.web, DEFAULT.webSecret);
    // openid-client trusts the TLS channel by default; this makes it check every id_token's signature.
    client.enableNonRepudiationChecks(config);
    const signIn = async () => {
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: DEFAULT.webRedirect, scope: 'openid profile offline_access', nonce,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      const landed = await new HttpBrowser(emu.url).signIn(url.href, DEFAULT.alice.email, DEFAULT.alice.password);
      return client.authorizationCodeGrant(config, new URL(landed.url), { pkceCodeVerifier: verifier, expectedNonce: nonce });
    };
    const first = await signIn();
    const oldKid = kidOf(first.id_token!);

    // Published an hour ahead, as Entra does: the JWKS the client cached already holds the new key.
    const activateAt = new Date(Date.now() + 60 * 60 * 1000);
    const r = await rotate('contoso', { activateAt: activateAt.toISOString() });
    expect((await control('/clock', { set: activateAt.toISOString() })).status).toBe(200);
    const second = await signIn();
    expect(kidOf(second.id_token!)).toBe(r.kid);
    expect(second.claims()).toMatchObject({ iss: issuer(), aud: DEFAULT.web, oid: DEFAULT.alice.id });

    // A refresh after the switch: the new id_token is signed by the new key, and still validated.
    const refreshed = await client.refreshTokenGrant(config, first.refresh_token!);
    expect(kidOf(refreshed.id_token!)).toBe(r.kid);
    expect(r.previousKid).toBe(oldKid);
  });
});
