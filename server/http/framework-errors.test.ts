import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { rawRequest } from '../testing/raw-request.js';

// Paths fastify's router rejects before a route is chosen (bad percent-encoding, an over-long path
// parameter) are answered in the shape of the surface the path belongs to, not fastify's own JSON.
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });

const longSegment = 'x'.repeat(150);

describe('router errors in each surface\'s shape', () => {
  it('a Graph path with bad percent-encoding answers Graph\'s OData error envelope', async () => {
    const res = await rawRequest(emu.url, 'GET', '/v1.0/users/%ZZ');
    expect(res.status).toBe(400);
    const body = JSON.parse(res.body) as { error: { code: string; innerError: { 'request-id': string } } };
    expect(body.error.code).toBe('Request_BadRequest');
    expect(body.error.innerError['request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body).not.toContain('FST_ERR');
  });

  it('a control-plane path with bad percent-encoding answers the control plane\'s error shape', async () => {
    const res = await rawRequest(emu.url, 'GET', '/_emulator/v1/tenants/%ZZ/sign-ins');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'BadRequest' } });
    expect(res.body).not.toContain('FST_ERR');
  });

  it('a hosted page path with bad percent-encoding answers the hosted error page', async () => {
    const res = await rawRequest(emu.url, 'GET', '/contoso.onmicrosoft.com/interaction/%ZZ');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('AADSTS9002313');
  });

  it('any other path with an over-long parameter answers Entra\'s OAuth JSON', async () => {
    const res = await rawRequest(emu.url, 'POST', `/${longSegment}/oauth2/v2.0/initiate`, { 'content-type': 'application/x-www-form-urlencoded' }, 'client_id=x');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_request', error_codes: [9002313] });
  });
});
