import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';

// openid-client v6 is strict: discovery must answer at exactly `<issuer>/.well-known/…` with that
// issuer, and the id_token `iss` must equal it. A generic OIDC client needs nothing Entra-specific.
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });

describe('openid-client', () => {
  it('discovers the tenant from its issuer URL and completes a code flow with PKCE, then reads userinfo', async () => {
    const issuer = new URL(`${emu.url}/${DEFAULT.tenantId}/v2.0`);
    const config = await client.discovery(issuer, DEFAULT.web, DEFAULT.webSecret);
    expect(config.serverMetadata().issuer).toBe(issuer.href);

    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: DEFAULT.webRedirect,
      scope: 'openid profile email offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
    });
    const landed = await new HttpBrowser(emu.url).signIn(url.href, DEFAULT.alice.email, DEFAULT.alice.password);
    const tokens = await client.authorizationCodeGrant(config, new URL(landed.url), { pkceCodeVerifier: verifier, expectedNonce: nonce });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: issuer.href, aud: DEFAULT.web, oid: DEFAULT.alice.id, email: DEFAULT.alice.email, nonce });
    expect(tokens.refresh_token).toBeTruthy();

    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info).toMatchObject({ sub: claims.sub, email: DEFAULT.alice.email, name: 'Alice Example' });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();
  });
});
