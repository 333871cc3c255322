import { expect } from 'vitest';
import { decodeJwt } from 'jose';
import { DEFAULT, type TestEmulator } from '../testing/harness.js';
import { postForm } from '../testing/oauth.js';

/**
 * What the native authentication API tests share: the SDK-like caller, Entra's error and success
 * checks, and the full email + password sign-up. `emulator` is read at call time (each test file
 * starts its own).
 */
export const SPA = DEFAULT.spa;
export const OTP_SPA = '77777777-7777-4777-8777-777777777777';
export const LOYALTY = 'extension_66666666666646668666666666666666_loyaltyNumber';
export const ALL = 'oob password redirect';
const CLIENT_REQUEST_ID = '0f0e0d0c-0b0a-4909-8807-060504030201';

export type Res = Awaited<ReturnType<typeof postForm>>;

export function nativeAuthKit(emulator: () => TestEmulator) {
  const call = (path: string, form: Record<string, string>, base = `${emulator().url}/${DEFAULT.domain}`) =>
    postForm(`${base}${path}`, form, { 'client-request-id': CLIENT_REQUEST_ID });

  async function latestCode(to: string): Promise<string> {
    const res = await fetch(`${emulator().url}/_emulator/v1/mail?to=${encodeURIComponent(to)}&top=1`);
    const { value } = await res.json() as { value: { code?: string }[] };
    expect(value[0]?.code, `a code mailed to ${to}`).toMatch(/^\d{8}$/);
    return value[0]!.code!;
  }

  function expectError(r: Res, status: number, error: string, code: number, extra: { suberror?: string; description?: string } = {}) {
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(r.body.error).toBe(error);
    expect((r.body.error_codes as number[])[0]).toBe(code);
    expect(String(r.body.error_description)).toMatch(new RegExp(`^AADSTS${code}: `));
    expect(r.body).toHaveProperty('trace_id');
    expect(r.body.correlation_id).toBe(CLIENT_REQUEST_ID);
    expect(r.headers.get('x-ms-request-id')).toBeTruthy();
    if (extra.suberror) expect(r.body.suberror).toBe(extra.suberror);
    if (extra.description) expect(String(r.body.error_description)).toContain(extra.description);
  }
  function expectOk(r: Res) {
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers.get('x-ms-request-id')).toBeTruthy();
    return r.body;
  }
  const ct = (r: Res) => String(r.body.continuation_token);

  function expectTokens(body: Record<string, unknown>) {
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBeGreaterThan(0);
    for (const k of ['access_token', 'id_token', 'refresh_token', 'client_info', 'scope']) expect(body[k], k).toBeTruthy();
    const info = JSON.parse(Buffer.from(String(body.client_info), 'base64url').toString()) as { uid: string; utid: string };
    expect(info.utid).toBe(DEFAULT.tenantId);
    return { info, idToken: decodeJwt(String(body.id_token)) };
  }

  /** Email + password sign-up through every step; returns the continuation token for sign-in. */
  async function signUpWithPassword(email: string, password: string) {
    let r = await call('/signup/v1.0/start', { client_id: SPA, username: email, challenge_type: ALL });
    expectOk(r);
    r = await call('/signup/v1.0/challenge', { client_id: SPA, continuation_token: ct(r), challenge_type: ALL });
    expect(expectOk(r)).toMatchObject({ challenge_type: 'oob', binding_method: 'prompt', challenge_channel: 'email', code_length: 8, interval: 300 });
    r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: ct(r), grant_type: 'oob', oob: await latestCode(email) });
    expectError(r, 400, 'credential_required', 55103);
    r = await call('/signup/v1.0/challenge', { client_id: SPA, continuation_token: ct(r), challenge_type: ALL });
    expect(expectOk(r)).toMatchObject({ challenge_type: 'password' });
    r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: ct(r), grant_type: 'password', password });
    expectError(r, 400, 'attributes_required', 55106);
    r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: ct(r), grant_type: 'attributes',
      attributes: JSON.stringify({ displayName: 'Native Nora', country: 'Norway' }) });
    return ct({ ...r, body: expectOk(r) });
  }
  return { call, latestCode, expectError, expectOk, ct, expectTokens, signUpWithPassword };
}
