import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { postForm } from '../testing/oauth.js';
import type { Snapshot } from './tenant-state.js';

// Issue 10 item 1: a snapshot ends up in files, CI artefacts and bug reports, so by default it holds
// no private key material and no plaintext secret; restoring it still keeps tokens verifiable.
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'];
const snapshotUrl = () => `${emu.url}/_emulator/v1/tenants/contoso/snapshot`;
const getSnapshot = async (query = '') => (await fetch(`${snapshotUrl()}${query}`)).json() as Promise<Snapshot>;
const putSnapshot = (s: unknown) => fetch(snapshotUrl(), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(s) });
const daemonToken = async () => {
  const r = await postForm(`${emu.url}/${DEFAULT.domain}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: DEFAULT.daemon, client_secret: DEFAULT.daemonSecret, scope: `api://${DEFAULT.api}/.default` });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return String(r.body.access_token);
};
const jwks = async () => (await fetch(`${emu.url}/${DEFAULT.domain}/discovery/v2.0/keys`)).json() as Promise<JSONWebKeySet>;
const jwksOf = (s: Snapshot) => s.tables.signing_keys!.map((r) => JSON.parse(String(r.private_jwk_json)) as Record<string, unknown>);

describe('tenant snapshots and secrets', () => {
  it('leaves out private keys, cookie keys and plaintext fixture secrets by default', async () => {
    const s = await getSnapshot();
    expect(s.redacted).toBe(true);
    expect(s.tables.signing_keys!.length).toBeGreaterThan(0);
    for (const jwk of jwksOf(s)) {
      expect(jwk.kty).toBe('RSA');
      for (const m of PRIVATE_MEMBERS) expect(jwk, m).not.toHaveProperty(m);
    }
    expect(s.tables.tenants![0]!.cookie_keys_json).toBe('"[redacted]"');
    const text = JSON.stringify(s);
    for (const secret of [DEFAULT.alice.password, DEFAULT.webSecret, DEFAULT.daemonSecret]) expect(text).not.toContain(secret);
  });

  it('includes them when a trusted caller asks with ?includeSecrets=true', async () => {
    const s = await getSnapshot('?includeSecrets=true');
    expect(s.redacted).toBe(false);
    for (const jwk of jwksOf(s)) expect(typeof jwk.d).toBe('string');
    expect(JSON.parse(String(s.tables.tenants![0]!.cookie_keys_json))).toEqual(expect.arrayContaining([expect.any(String)]));
  });

  it('restores a redacted snapshot keeping the signing key: a token issued before still verifies, secrets still work after a reset', async () => {
    const before = await daemonToken();
    const kids = (await jwks()).keys.map((k) => k.kid);
    const cookieKeys = (await getSnapshot('?includeSecrets=true')).tables.tenants![0]!.cookie_keys_json;
    const s = await getSnapshot();
    const put = await putSnapshot(s);
    expect(put.status, await put.clone().text()).toBe(200);
    expect((await jwks()).keys.map((k) => k.kid)).toEqual(kids);
    await jwtVerify(before, createLocalJWKSet(await jwks()));
    await jwtVerify(await daemonToken(), createLocalJWKSet(await jwks()));
    // the restored tenant keeps what a reset needs: fixture secrets and passwords still sign in after it
    expect((await fetch(`${emu.url}/_emulator/v1/tenants/contoso/reset`, { method: 'POST' })).status).toBe(200);
    await jwtVerify(await daemonToken(), createLocalJWKSet(await jwks()));
    const again = await getSnapshot('?includeSecrets=true');
    expect(again.tables.signing_keys!.every((r) => (JSON.parse(String(r.private_jwk_json)) as { d?: string }).d)).toBe(true);
    // the tenant's cookie keys were kept too, so its sessions stay valid
    expect(again.tables.tenants![0]!.cookie_keys_json).toBe(cookieKeys);
  });

  it('drops a redacted key it holds no private half for: the tenant still signs tokens that verify against its JWKS', async () => {
    const s = await getSnapshot();
    const row = s.tables.signing_keys![0]!;
    const stranger = { ...row, kid: 'not-a-key-this-emulator-has', private_jwk_json: JSON.stringify({ ...(JSON.parse(String(row.private_jwk_json)) as object), kid: 'not-a-key-this-emulator-has' }) };
    const put = await putSnapshot({ ...s, tables: { ...s.tables, signing_keys: [stranger] } });
    expect(put.status, await put.clone().text()).toBe(200);
    const set = await jwks();
    expect(set.keys.map((k) => k.kid)).not.toContain('not-a-key-this-emulator-has');
    expect(set.keys.length).toBeGreaterThan(0);
    await jwtVerify(await daemonToken(), createLocalJWKSet(set));
  });
});
