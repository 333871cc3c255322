import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../testing/harness.js';

/**
 * Graph's 401 carries Entra's challenge (fidelity-gaps.md D22, recorded in the Azure SDK
 * recordings, S2): realm, the authorization_uri of the common authority and Graph's client_id.
 */
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });

const CHALLENGE = 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

describe('Graph 401 WWW-Authenticate', () => {
  it.each([
    ['no token', {}],
    ['a token that is not a JWT', { authorization: 'Bearer not-a-jwt' }],
  ])('answers %s with 401 InvalidAuthenticationToken and Entra\'s challenge', async (_name, headers: Record<string, string>) => {
    const res = await fetch(`${emu.url}/v1.0/users`, { headers });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('InvalidAuthenticationToken');
    expect(res.headers.get('www-authenticate')).toBe(CHALLENGE);
  });
});
