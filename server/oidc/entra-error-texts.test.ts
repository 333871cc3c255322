import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { postForm } from '../testing/oauth.js';

/**
 * Error codes and texts as Entra answers them (fidelity-gaps.md D7, D15, D16 and the client
 * credentials scope rule of issue 11 §2): tests that match on Entra's codes or wording behave here
 * as in production.
 */
let emu: TestEmulator;
let token: string;
beforeAll(async () => {
  emu = await startTestEmulator();
  token = `${emu.url}/${DEFAULT.domain}/oauth2/v2.0/token`;
});
afterAll(async () => { await emu.close(); });

const daemon = { client_id: DEFAULT.daemon, client_secret: DEFAULT.daemonSecret, grant_type: 'client_credentials' };
const API = `api://${DEFAULT.api}`;

function description(r: { body: Record<string, unknown> }): string {
  return String(r.body.error_description).split('\r\n')[0]!;
}

describe('Entra error codes and texts', () => {
  it('answers client credentials with a scope other than <resource>/.default with AADSTS1002012 (not 70011)', async () => {
    const r = await postForm(token, { ...daemon, scope: `${API}/ToDoList.Read` });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_scope', error_codes: [1002012] });
    expect(description(r)).toBe(`AADSTS1002012: The provided value for scope ${API}/ToDoList.Read is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
  });

  it('answers client credentials with only OIDC scopes with AADSTS1002012 too', async () => {
    const r = await postForm(token, { ...daemon, scope: 'openid' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_scope', error_codes: [1002012] });
    expect(description(r)).toBe('AADSTS1002012: The provided value for scope openid is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).');
  });

  it('still serves client credentials with <resource>/.default', async () => {
    const r = await postForm(token, { ...daemon, scope: `${API}/.default` });
    expect(r.status).toBe(200);
  });

  it('names the grant type it does not support in AADSTS70003 (D15)', async () => {
    const r = await postForm(token, { ...daemon, grant_type: 'urn:made:up', scope: `${API}/.default` });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'unsupported_grant_type', error_codes: [70003] });
    expect(description(r)).toBe("AADSTS70003: The app requested an unsupported grant type 'urn:made:up'.");
  });

  it('answers ROPC (grant_type=password without a continuation token) as an unsupported grant, not a native-auth error (D7)', async () => {
    const r = await postForm(token, { client_id: DEFAULT.spa, grant_type: 'password', username: DEFAULT.alice.email, password: DEFAULT.alice.password, scope: 'openid offline_access' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'unsupported_grant_type', error_codes: [70003] });
    expect(description(r)).toBe("AADSTS70003: The app requested an unsupported grant type 'password'.");
  });

  it('answers ROPC from a confidential client the same way', async () => {
    const r = await postForm(token, { client_id: DEFAULT.web, client_secret: DEFAULT.webSecret, grant_type: 'password', username: DEFAULT.alice.email, password: DEFAULT.alice.password, scope: 'openid' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'unsupported_grant_type', error_codes: [70003] });
  });

  it('names the tenant id (not its domain) in AADSTS50034, as Entra does (D16)', async () => {
    const r = await postForm(`${emu.url}/${DEFAULT.domain}/oauth2/v2.0/initiate`, { client_id: DEFAULT.spa, username: 'nobody@contoso.com', challenge_type: 'oob password redirect' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'user_not_found', error_codes: [50034] });
    expect(description(r)).toBe(`AADSTS50034: The user account {EUII Hidden} does not exist in the ${DEFAULT.tenantId} directory. To sign into this application, the account must be added to the directory.`);
  });
});
