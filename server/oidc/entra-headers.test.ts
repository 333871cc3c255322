import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { postForm } from '../testing/oauth.js';

/**
 * Response headers as Entra sends them (fidelity-gaps.md D13, D14, recorded in the Azure SDK
 * recordings, S2): discovery is cacheable for a day, token responses are never cached.
 */
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });

describe('Entra response headers', () => {
  it('sends discovery with Cache-Control "max-age=86400, private" and Access-Control-Allow-Methods "GET, OPTIONS"', async () => {
    const res = await fetch(`${emu.authority}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('max-age=86400, private');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, OPTIONS');
  });

  it.each([
    ['a token', { client_id: DEFAULT.daemon, client_secret: DEFAULT.daemonSecret, grant_type: 'client_credentials', scope: `api://${DEFAULT.api}/.default` }, 200],
    ['an error', { client_id: DEFAULT.daemon, client_secret: DEFAULT.daemonSecret, grant_type: 'client_credentials', scope: `api://${DEFAULT.api}/ToDoList.Read` }, 400],
  ])('answers %s from the token endpoint with Cache-Control "no-store, no-cache", Pragma no-cache and Expires -1', async (_name, form, status) => {
    const r = await postForm(`${emu.authority}/oauth2/v2.0/token`, form);
    expect(r.status).toBe(status);
    expect(r.headers.get('cache-control')).toBe('no-store, no-cache');
    expect(r.headers.get('pragma')).toBe('no-cache');
    expect(r.headers.get('expires')).toBe('-1');
  });
});
