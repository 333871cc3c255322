import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';

let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });

const issuer = () => `${emu.url}/${DEFAULT.tenantId}/v2.0`;

describe('discovery', () => {
  it.each([
    ['GUID', DEFAULT.tenantId],
    ['domain', DEFAULT.domain],
    ['subdomain', 'contoso'],
    ['upper-case domain', 'CONTOSO.ONMICROSOFT.COM'],
  ])('serves the same document for the %s tenant segment, at both Entra paths', async (_name, alias) => {
    for (const path of ['v2.0/.well-known/openid-configuration', '.well-known/openid-configuration']) {
      const res = await fetch(`${emu.url}/${alias}/${path}`);
      expect(res.status).toBe(200);
      const doc = await res.json() as Record<string, unknown>;
      expect(doc.issuer).toBe(issuer());
      expect(doc.authorization_endpoint).toBe(`${emu.url}/${DEFAULT.tenantId}/oauth2/v2.0/authorize`);
    }
  });

  it('has every key Entra publishes, and none it does not', async () => {
    const doc = await (await fetch(`${emu.url}/${DEFAULT.domain}/v2.0/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    const base = `${emu.url}/${DEFAULT.tenantId}`;
    expect(doc).toMatchObject({
      token_endpoint: `${base}/oauth2/v2.0/token`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      tenant_region_scope: 'NA',
      cloud_instance_name: 'microsoftonline.com',
      http_logout_supported: true,
      frontchannel_logout_supported: true,
    });
    expect(doc.userinfo_endpoint).toBeTruthy();
    expect(doc.kerberos_endpoint).toBeTruthy();
    for (const absent of ['cloud_instance_host_name', 'pushed_authorization_request_endpoint', 'authorization_response_iss_parameter_supported', 'claims_parameter_supported']) {
      expect(doc, absent).not.toHaveProperty(absent);
    }
  });

  it('never builds URLs from the Host header a client sends', async () => {
    const res = await fetch(`${emu.url}/contoso/v2.0/.well-known/openid-configuration`, { headers: { host: 'evil.example:9999', 'x-forwarded-host': 'evil.example' } });
    const doc = await res.json() as Record<string, string>;
    expect(doc.token_endpoint!.startsWith(emu.url)).toBe(true);
    expect(JSON.stringify(doc)).not.toContain('evil.example');
  });

  it('answers CORS on discovery and keys, as browsers need', async () => {
    for (const path of ['v2.0/.well-known/openid-configuration', 'discovery/v2.0/keys']) {
      const res = await fetch(`${emu.url}/contoso/${path}`, { headers: { origin: 'http://localhost:3000' } });
      expect(res.headers.get('access-control-allow-origin'), path).toBe('http://localhost:3000');
    }
  });

  it('publishes RSA signing keys with kid, n, e and use, no alg (as Entra), and no private parts', async () => {
    const { keys } = await (await fetch(`${emu.url}/contoso/discovery/v2.0/keys`)).json() as { keys: Record<string, unknown>[] };
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      expect(k).toMatchObject({ kty: 'RSA', use: 'sig' });
      expect(k).not.toHaveProperty('alg');
      for (const p of ['kid', 'n', 'e']) expect(k).toHaveProperty(p);
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(k).not.toHaveProperty(secret);
    }
  });

  it('answers an unknown tenant with AADSTS90002 in Entra\'s error shape', async () => {
    const res = await fetch(`${emu.url}/fabrikam.onmicrosoft.com/v2.0/.well-known/openid-configuration`, { headers: { 'client-request-id': 'corr-123' } });
    expect(res.status).toBe(400);
    const body = await res.json() as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'invalid_tenant', error_codes: [90002], correlation_id: 'corr-123' });
    expect(String(body.error_description)).toMatch(/^AADSTS90002: Tenant 'fabrikam.onmicrosoft.com' not found\..*\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: corr-123\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/s);
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(body.trace_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.error_uri).toBe(`${emu.url}/error?code=90002`);
  });

  it('explains every AADSTS code it sends at the error_uri', async () => {
    const res = await fetch(`${emu.url}/error?code=50126`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Error validating credentials due to invalid username or password.');
  });

  it('reports readiness at /_emulator/v1/health and serves the CA certificate', async () => {
    const health = await fetch(`${emu.url}/_emulator/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', tenants: [{ id: DEFAULT.tenantId, issuer: issuer() }] });
    const ca = await fetch(`${emu.url}/_emulator/v1/ca.pem`);
    expect(await ca.text()).toContain('-----BEGIN CERTIFICATE-----');
  });
});
