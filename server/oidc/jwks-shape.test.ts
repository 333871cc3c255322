import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT, TEST_CERTS, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { startEmulator } from '../index.js';
import { decodeProtectedHeader } from 'jose';
import { postForm } from '../testing/oauth.js';

// Entra's JWKS (the recorded login.microsoftonline.com/common/discovery/v2.0/keys, fidelity-gaps.md
// S1/D4): every key is `kty, use, kid, x5t, n, e, x5c, issuer` in that order, with no `alg`; x5c is a
// self-signed certificate of the key and x5t its SHA-1 thumbprint, which is also the kid.
type Jwk = Record<string, unknown> & { kid: string; n: string; e: string; x5c: string[]; x5t: string };
const ENTRA_MEMBERS = ['kty', 'use', 'kid', 'x5t', 'n', 'e', 'x5c', 'issuer'];

let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });
const keysOf = async (e: { url: string }, tenant: string = DEFAULT.tenantId) =>
  ((await (await fetch(`${e.url}/${tenant}/discovery/v2.0/keys`)).json()) as { keys: Jwk[] }).keys;

const control = (e: { url: string }, path: string, body?: unknown, method = 'POST') => fetch(`${e.url}/_emulator/v1${path}`, {
  method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
});
const daemonKid = async (e: { url: string }) => {
  const r = await postForm(`${e.url}/${DEFAULT.domain}/oauth2/v2.0/token`,
    { grant_type: 'client_credentials', client_id: DEFAULT.daemon, client_secret: DEFAULT.daemonSecret, scope: `api://${DEFAULT.api}/.default` });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return decodeProtectedHeader(String(r.body.access_token)).kid;
};

function expectEntraKey(k: Jwk, issuer: string) {
  expect(Object.keys(k)).toEqual(ENTRA_MEMBERS);
  expect(k).toMatchObject({ kty: 'RSA', use: 'sig', issuer });
  expect(k.x5c).toHaveLength(1);
  const der = Buffer.from(k.x5c[0]!, 'base64');
  const cert = new X509Certificate(der);
  // The certificate holds the very key the JWK publishes, is self-signed, and x5t is its thumbprint.
  expect(cert.publicKey.export({ format: 'jwk' })).toEqual({ kty: 'RSA', n: k.n, e: k.e });
  expect(cert.verify(cert.publicKey)).toBe(true);
  expect(cert.subject).toBe('CN=accounts.accesscontrol.windows.net');
  expect(cert.issuer).toBe(cert.subject);
  expect(k.x5t).toBe(createHash('sha1').update(der).digest('base64url'));
  expect(k.x5t).toHaveLength(27);
}

describe('JWKS in Entra\'s shape', () => {
  it('lists kty, use, kid, x5t, n, e, x5c and issuer in Entra\'s order, no alg, with a certificate of the key', async () => {
    const keys = await keysOf(emu);
    expect(keys).toHaveLength(1);
    expectEntraKey(keys[0]!, `${emu.url}/${DEFAULT.tenantId}/v2.0`);
  });

  it('gives a rotated key a certificate too, and its x5t as its kid as Entra does', async () => {
    const res = await fetch(`${emu.url}/_emulator/v1/tenants/contoso/keys/rotate`, { method: 'POST' });
    expect(res.status).toBe(200);
    const keys = await keysOf(emu);
    expect(keys).toHaveLength(2);
    for (const k of keys) expectEntraKey(k, `${emu.url}/${DEFAULT.tenantId}/v2.0`);
    expect(keys[0]!.kid).toBe(keys[0]!.x5t);
  });
});

describe('rotated keys are kept', () => {
  it('a restart on the same data folder keeps both keys, which one signs, and when the other activates', async () => {
    const data = mkdtempSync(join(tmpdir(), 'ciam-keys-'));
    try {
      const started = await startTestEmulator({ http: true, args: ['--data', data] });
      const first = await keysOf(started);
      const activateAt = new Date(Date.now() + 60 * 60 * 1000);
      const r = await (await fetch(`${started.url}/_emulator/v1/tenants/contoso/keys/rotate`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ activateAt: activateAt.toISOString() }),
      })).json() as { kid: string; previousKid: string };
      expect(r.previousKid).toBe(first[0]!.kid);
      const before = await keysOf(started);
      await started.close();

      const again = await startTestEmulator({ http: true, args: ['--data', data] });
      try {
        expect(await keysOf(again)).toEqual(before.map((k) => ({ ...k, issuer: `${again.url}/${DEFAULT.tenantId}/v2.0` })));
        expect((await keysOf(again)).map((k) => k.kid)).toEqual([r.previousKid, r.kid]);
        expect(await daemonKid(again)).toBe(r.previousKid);
        expect((await control(again, '/clock', { set: activateAt.toISOString() })).status).toBe(200);
        expect(await daemonKid(again)).toBe(r.kid);
      } finally {
        expect((await control(again, '/clock', { reset: true })).status).toBe(200);
        await again.close();
      }
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});

describe('rotated keys and snapshots', () => {
  it('a reset keeps the rotated keys, and a snapshot put back restores the keys and which one signs', async () => {
    const kids = async () => (await keysOf(emu)).map((k) => k.kid);
    const k0 = (await keysOf(emu))[0]!.kid;
    await control(emu, '/tenants/contoso/keys/rotate');
    const afterFirst = await kids();
    expect((await control(emu, '/tenants/contoso/reset')).status).toBe(200);
    expect(await kids()).toEqual(afterFirst);

    const snapshot = await (await control(emu, '/tenants/contoso/snapshot', undefined, 'GET')).json() as { tables: { signing_keys: unknown[] } };
    expect(snapshot.tables.signing_keys.length).toBeGreaterThanOrEqual(2);
    const second = await (await control(emu, '/tenants/contoso/keys/rotate')).json() as { kid: string };
    expect(await daemonKid(emu)).toBe(second.kid);

    const put = await control(emu, '/tenants/contoso/snapshot', snapshot, 'PUT');
    expect(put.status, await put.clone().text()).toBe(200);
    expect(await kids()).toEqual(afterFirst);
    expect(await daemonKid(emu)).toBe(afterFirst[0]);
    expect(afterFirst).toContain(k0);
  });
});

describe('rotateKeys (in-process API)', () => {
  it('rotates the default tenant\'s keys and answers the new and previous kids and when the new one signs', async () => {
    const e = await startEmulator({ certs: TEST_CERTS, http: true });
    try {
      const before = await keysOf(e);
      const at = new Date(Date.now() + 10 * 60 * 1000);
      const r = await e.rotateKeys(undefined, { activateAt: at });
      expect(r).toMatchObject({ tenantId: DEFAULT.tenantId, previousKid: before[0]!.kid, activatesAt: at, signingKid: before[0]!.kid, publishedKids: [before[0]!.kid, r.kid] });
      expect(r.previousKeyPublishedUntil).toEqual(new Date(at.getTime() + 90 * 60 * 1000));
      const now = await e.rotateKeys('contoso');
      // The key still waiting is withdrawn: it signed nothing.
      expect(now).toMatchObject({ previousKid: before[0]!.kid, signingKid: now.kid, publishedKids: [now.kid, before[0]!.kid] });
      await expect(e.rotateKeys('contoso', { activateAt: '2001-01-01T00:00:00Z' })).rejects.toThrow(/in the past/);
    } finally {
      await e.stop();
    }
  });
});
