import { beforeAll, describe, expect, it } from 'vitest';
import { ConfidentialClientApplication, LogLevel } from '@azure/msal-node';
import { SignJWT, decodeJwt } from 'jose';
import { DEFAULT } from '../testing/harness.js';
import { makeCertificate, type TestCertificate } from '../testing/client-certificates.js';
import { expectGraphError, graphTestKit, raw, withGraphRole } from './graph-test-kit.js';

// Certificate credentials managed through Graph (application resource type: keyCredentials;
// "application: addKey" / "removeKey"), then used by msal-node's clientCertificate.
const kit = graphTestKit();
const API_DEFAULT = `api://${DEFAULT.api}/.default`;
const DAEMON_OBJECT = 'a5555555-5555-4555-8555-555555555555';
// Writing applications needs Application.ReadWrite.All, granted to the daemon as an admin would.
let admin: string;
beforeAll(async () => { admin = await withGraphRole(kit, 'Application.ReadWrite.All'); });

function certApp(cert: TestCertificate) {
  return new ConfidentialClientApplication({
    auth: { clientId: DEFAULT.daemon, authority: kit.emu.authority, knownAuthorities: [new URL(kit.emu.url).host],
      clientCertificate: { thumbprint: cert.thumbprint, privateKey: cert.privateKeyPem } },
    system: { loggerOptions: { logLevel: LogLevel.Error, loggerCallback: () => {} } },
  });
}
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { errorMessage: string }).errorMessage;
  }
  throw new Error('expected the token request to fail');
}
const patchKeys = (keyCredentials: unknown) => raw(kit, `/v1.0/applications/${DAEMON_OBJECT}`, { method: 'PATCH', body: JSON.stringify({ keyCredentials }), auth: admin });
const proof = (cert: TestCertificate, over: { aud?: string; iss?: string } = {}) => new SignJWT({})
  .setProtectedHeader({ alg: 'RS256', x5t: Buffer.from(cert.thumbprint, 'hex').toString('base64url') })
  .setAudience(over.aud ?? '00000002-0000-0000-c000-000000000000').setIssuer(over.iss ?? DAEMON_OBJECT)
  .setNotBefore('0s').setExpirationTime('10m').sign(cert.privateKey);

describe('Graph keyCredentials', () => {
  it('PATCH registers a certificate msal-node can then sign with; GET shows it, `key` only with $select; PATCH [] removes it (700027)', async () => {
    const cert = await makeCertificate();
    expect(await failure(certApp(cert).acquireTokenByClientCredential({ scopes: [API_DEFAULT] }))).toContain('AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.');

    const res = await patchKeys([{ type: 'AsymmetricX509Cert', usage: 'Verify', key: cert.key, displayName: 'CN=daemon' }]);
    expect(res.status).toBe(204);
    const token = await certApp(cert).acquireTokenByClientCredential({ scopes: [API_DEFAULT] });
    expect(decodeJwt(token!.accessToken)).toMatchObject({ aud: DEFAULT.api, azp: DEFAULT.daemon, azpacr: '2' });

    const listed = await (await raw(kit, `/v1.0/applications/${DAEMON_OBJECT}`)).json() as { keyCredentials: Record<string, unknown>[] };
    expect(listed.keyCredentials).toEqual([expect.objectContaining({
      type: 'AsymmetricX509Cert', usage: 'Verify', displayName: 'CN=daemon', key: null, keyId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      customKeyIdentifier: Buffer.from(cert.thumbprint, 'hex').toString('base64'),
    })]);
    const selected = await (await raw(kit, `/v1.0/applications/${DAEMON_OBJECT}?$select=keyCredentials`)).json() as { keyCredentials: { key: string }[] };
    expect(selected.keyCredentials[0]!.key).toBe(cert.key);

    expect((await patchKeys([])).status).toBe(204);
    expect(await failure(certApp(cert).acquireTokenByClientCredential({ scopes: [API_DEFAULT], skipCache: true }))).toContain('AADSTS700027');
  });

  it('PATCH with a key that is not a certificate: 400 Request_BadRequest, and the app\'s certificates are unchanged', async () => {
    const cert = await makeCertificate();
    expect((await patchKeys([{ type: 'AsymmetricX509Cert', usage: 'Verify', key: cert.key }])).status).toBe(204);
    const bad = await patchKeys([{ type: 'AsymmetricX509Cert', usage: 'Verify', key: Buffer.from('nope').toString('base64') }]);
    await expectGraphError(bad, 400, 'Request_BadRequest', /^Invalid value specified for property 'keyCredentials' of resource 'Application'\.$/);
    expect(await certApp(cert).acquireTokenByClientCredential({ scopes: [API_DEFAULT], skipCache: true })).toBeTruthy();
    expect((await patchKeys([])).status).toBe(204);
  });

  it('addKey with a proof signed by a current certificate adds one; removeKey removes it; a proof with the wrong issuer is refused', async () => {
    const first = await makeCertificate();
    const second = await makeCertificate();
    expect((await patchKeys([{ type: 'AsymmetricX509Cert', usage: 'Verify', key: first.key }])).status).toBe(204);

    const refused = await raw(kit, `/v1.0/applications/${DAEMON_OBJECT}/addKey`, { method: 'POST',
      body: JSON.stringify({ keyCredential: { type: 'AsymmetricX509Cert', usage: 'Verify', key: second.key }, passwordCredential: null, proof: await proof(first, { iss: DEFAULT.daemon }) }), auth: admin });
    await expectGraphError(refused, 400, 'Request_BadRequest', /issuer must be the application's object id/);

    const added = await raw(kit, `/v1.0/applications/${DAEMON_OBJECT}/addKey`, { method: 'POST',
      body: JSON.stringify({ keyCredential: { type: 'AsymmetricX509Cert', usage: 'Verify', key: second.key, displayName: 'second' }, passwordCredential: null, proof: await proof(first) }), auth: admin });
    expect(added.status).toBe(200);
    const key = await added.json() as { keyId: string; key: unknown; displayName: string };
    expect(key).toMatchObject({ displayName: 'second', key: null, type: 'AsymmetricX509Cert', usage: 'Verify' });
    expect(await certApp(second).acquireTokenByClientCredential({ scopes: [API_DEFAULT] })).toBeTruthy();

    const removed = await raw(kit, `/v1.0/applications/${DAEMON_OBJECT}/removeKey`, { method: 'POST', body: JSON.stringify({ keyId: key.keyId, proof: await proof(first) }), auth: admin });
    expect(removed.status).toBe(204);
    expect(await failure(certApp(second).acquireTokenByClientCredential({ scopes: [API_DEFAULT], skipCache: true }))).toContain('AADSTS700027');
    expect((await patchKeys([])).status).toBe(204);
  });
});
