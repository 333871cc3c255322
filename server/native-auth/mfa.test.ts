import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { postForm } from '../testing/oauth.js';

// Email one-time passcode MFA and just-in-time strong-auth registration in the native authentication
// API (native-auth-api.md §5 MFA sequence, §6), for an app whose Conditional Access policy requires
// MFA. Its own emulator: the SPA's setting is switched on here.
let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
  const spa = emu.directory.applications.findByAppId(DEFAULT.tenantId, DEFAULT.spa)!;
  emu.directory.applications.upsert(DEFAULT.tenantId, { ...spa, requireMultifactorAuthentication: true }, Date.now());
});
afterAll(async () => { await emu.close(); });

const SPA = DEFAULT.spa;
const alice = DEFAULT.alice;
const call = (path: string, form: Record<string, string>) => postForm(`${emu.url}/${DEFAULT.domain}${path}`, { client_id: SPA, ...form });
const ct = (r: { body: Record<string, unknown> }) => String(r.body.continuation_token);

async function latestCode(to: string): Promise<string> {
  const res = await fetch(`${emu.url}/_emulator/v1/mail?to=${encodeURIComponent(to)}&top=1`);
  const { value } = await res.json() as { value: { code?: string }[] };
  return value[0]!.code!;
}

/** initiate → challenge → token(password), with these capabilities */
async function password(capabilities: string, parameter: 'capabilities' | 'capability' = 'capabilities') {
  let r = await call('/oauth2/v2.0/initiate', { username: alice.email, challenge_type: 'oob password redirect', ...(capabilities ? { [parameter]: capabilities } : {}) });
  r = await call('/oauth2/v2.0/challenge', { continuation_token: ct(r), challenge_type: 'oob password redirect' });
  expect(r.body.challenge_type).toBe('password');
  return call('/oauth2/v2.0/token', { continuation_token: ct(r), grant_type: 'password', password: alice.password, scope: 'openid profile offline_access', client_info: '1' });
}

describe('MFA required by the app', () => {
  it('redirects a client without the capabilities, with a redirect_reason', async () => {
    const r = await password('');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ challenge_type: 'redirect', redirect_reason: 'Client is missing registration_required capability' });
  });

  it('registers the sign-in email just in time (preverified), then signs in', async () => {
    let r = await password('mfa_required registration_required');
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_grant', suberror: 'registration_required', error_codes: [50079] });
    expect(r.body.continuation_token).toBeTruthy();

    r = await call('/register/v1.0/introspect', { continuation_token: ct(r) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.methods).toEqual([{ id: 'email', challenge_type: 'oob', challenge_channel: 'email', login_hint: 'a***e@co***o.com' }]);
    const introspected = ct(r);

    const bad = await call('/register/v1.0/challenge', { continuation_token: introspected, challenge_type: 'oob', challenge_target: 'not an email', challenge_channel: 'email' });
    expect(bad.body).toMatchObject({ error: 'invalid_request', error_codes: [901001] });
    r = await call('/register/v1.0/challenge', { continuation_token: introspected, challenge_type: 'oob', challenge_target: alice.email, challenge_channel: 'email' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.challenge_type).toBe('preverified');

    r = await call('/register/v1.0/continue', { continuation_token: ct(r), grant_type: 'continuation_token' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    r = await call('/oauth2/v2.0/token', { continuation_token: ct(r), grant_type: 'continuation_token', username: alice.email, scope: 'openid profile offline_access', client_info: '1' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(decodeJwt(String(r.body.id_token)).oid).toBe(alice.id);
  });

  it('then asks for the emailed MFA code: mfa_required → introspect → challenge(id) → token(mfa_oob)', async () => {
    let r = await password('registration_required');
    expect(r.body).toEqual({ challenge_type: 'redirect', redirect_reason: 'Client is missing mfa_required capability' });

    // the docs' spelling: `capability`, comma separated
    r = await password('registration_required,mfa_required', 'capability');
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_grant', suberror: 'mfa_required', error_codes: [50076] });
    r = await call('/oauth2/v2.0/introspect', { continuation_token: ct(r) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const [method] = r.body.methods as { id: string; challenge_type: string; challenge_channel: string; login_hint: string }[];
    expect(method).toMatchObject({ challenge_type: 'oob', challenge_channel: 'email', login_hint: 'a***e@co***o.com' });
    expect(method!.id).toMatch(/^[0-9a-f-]{36}$/);

    r = await call('/oauth2/v2.0/challenge', { continuation_token: ct(r), challenge_type: 'oob redirect', id: method!.id });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ challenge_type: 'oob', binding_method: 'prompt', challenge_channel: 'email', code_length: 8 });
    const verify = ct(r);
    const wrong = await call('/oauth2/v2.0/token', { continuation_token: verify, grant_type: 'mfa_oob', oob: '00000001', scope: 'openid' });
    expect(wrong.body).toMatchObject({ error: 'invalid_grant', suberror: 'invalid_oob_value', error_codes: [50181] });
    r = await call('/oauth2/v2.0/token', { continuation_token: verify, grant_type: 'mfa_oob', oob: await latestCode(alice.email), scope: 'openid profile offline_access', client_info: '1' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    for (const k of ['access_token', 'id_token', 'refresh_token', 'client_info']) expect(r.body[k]).toBeTruthy();
  });
});
