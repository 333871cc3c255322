import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import type { TravellingClock } from '../clock.js';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { authorizeUrl, postForm } from '../testing/oauth.js';
import { signedUpCustomer } from '../testing/customers.js';
import { ALL, LOYALTY, OTP_SPA, SPA, nativeAuthKit } from './native-test-kit.js';

// The native authentication API over HTTP, as the SDKs call it (native-auth-api.md): every flow end
// to end, and the error catalogue rows and checklist items the emulator implements.
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });
// The emulator's own clock (the one POST /_emulator/v1/clock moves): tests travel with it and
// always come back, so a failed test does not leave the next one in the future.
const clock = () => emu.clock as TravellingClock;
afterEach(() => { clock().reset(); });

const { call, latestCode, expectError, expectOk, ct, expectTokens, signUpWithPassword } = nativeAuthKit(() => emu);

describe('sign-up (email + password)', () => {
  it('runs start → challenge → continue(oob) → credential_required → password → attributes_required → attributes → token', async () => {
    const email = 'nora@example.com';
    let r = await call('/signup/v1.0/start', { client_id: SPA, username: email, challenge_type: ALL });
    r = await call('/signup/v1.0/challenge', { client_id: SPA, continuation_token: ct(r), challenge_type: ALL });
    expect(r.body.challenge_target_label).toBe('n***a@ex***e.com');
    const verify = ct(r);
    // a wrong code keeps the token usable; a resend invalidates the first code
    const first = await latestCode(email);
    r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: verify, grant_type: 'oob', oob: first === '00000000' ? '11111111' : '00000000' });
    expectError(r, 400, 'invalid_grant', 50181, { suberror: 'invalid_oob_value' });
    r = await call('/signup/v1.0/challenge', { client_id: SPA, continuation_token: verify, challenge_type: ALL });
    const resent = ct({ ...r, body: expectOk(r) });
    r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: verify, grant_type: 'oob', oob: first });
    expectError(r, 400, 'invalid_request', 55200, { description: 'The continuation_token is invalid.' });
    const second = await latestCode(email);
    if (second !== first) {
      r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: resent, grant_type: 'oob', oob: first });
      expectError(r, 400, 'invalid_grant', 50181, { suberror: 'invalid_oob_value' });
    }
    r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: resent, grant_type: 'oob', oob: second });
    expectError(r, 400, 'credential_required', 55103);
    expect(r.body.continuation_token).toBeTruthy();
    r = await call('/signup/v1.0/challenge', { client_id: SPA, continuation_token: ct(r), challenge_type: ALL });
    const pw = ct(r);
    r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: pw, grant_type: 'password', password: 'short' });
    expectError(r, 400, 'invalid_grant', 399246, { suberror: 'password_too_short' });
    r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: pw, grant_type: 'password', password: 'alllowercase' });
    expectError(r, 400, 'invalid_grant', 399246, { suberror: 'password_too_weak' });
    r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: pw, grant_type: 'password', password: 'Str0ng-pass' });
    expectError(r, 400, 'attributes_required', 55106);
    const required = r.body.required_attributes as { name: string; required: boolean }[];
    expect(required.map((a) => a.name).sort()).toEqual(['country', 'displayName']);
    expect(required.every((a) => a.required)).toBe(true);
    const attrs = ct(r);
    r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: attrs, grant_type: 'attributes', attributes: JSON.stringify({ displayName: 'Nora' }) });
    expectError(r, 400, 'attributes_required', 55106);
    expect((r.body.required_attributes as { name: string }[]).map((a) => a.name)).toEqual(['country']);
    const stillNeeded = ct(r);
    r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: stillNeeded, grant_type: 'attributes', attributes: JSON.stringify({ displayName: 'Nora', country: 'Mars' }) });
    expectError(r, 400, 'invalid_grant', 9990422, { suberror: 'attribute_validation_failed' });
    expect(r.body.invalid_attributes).toEqual([{ name: 'country' }]);
    // the attribute error spends nothing: the same token takes corrected values and the account is made
    r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: stillNeeded, grant_type: 'attributes', attributes: JSON.stringify({ country: 'Norway' }) });
    expect(expectOk(r).continuation_token).toBeTruthy();
    expect(emu.directory.users.findBySignInName(DEFAULT.tenantId, 'nora@example.com')).toMatchObject({ displayName: 'Nora' });
  });

  it('creates the account, signs in with continuation_token, and the user signs in on the hosted page', async () => {
    const email = 'olaf@example.com';
    const token = await signUpWithPassword(email, 'Str0ng-pass');
    const user = emu.directory.users.findBySignInName(DEFAULT.tenantId, email)!;
    expect(user.displayName).toBe('Native Nora');
    const r = await call('/oauth2/v2.0/token', { client_id: SPA, continuation_token: token, grant_type: 'continuation_token', username: email, scope: 'openid profile offline_access', client_info: '1' });
    const { info, idToken } = expectTokens(expectOk(r));
    expect(info.uid).toBe(user.id);
    expect(idToken).toMatchObject({ oid: user.id, preferred_username: email, name: 'Native Nora', country: 'Norway', aud: SPA });
    // spent
    const again = await call('/oauth2/v2.0/token', { client_id: SPA, continuation_token: token, grant_type: 'continuation_token', username: email, scope: 'openid' });
    expectError(again, 400, 'invalid_request', 55200);

    const page = await new HttpBrowser(emu.url).signIn(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect }), email, 'Str0ng-pass');
    expect(page.url.startsWith(DEFAULT.webRedirect)).toBe(true);

    // and Microsoft Graph lists the customer, as it lists hosted-page sign-ups
    const app = await postForm(`${emu.url}/${DEFAULT.domain}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: DEFAULT.daemon, client_secret: DEFAULT.daemonSecret, scope: 'https://graph.microsoft.com/.default' });
    const graph = await fetch(`${emu.url}/v1.0/users/${user.id}`, { headers: { authorization: `Bearer ${String(app.body.access_token)}` } });
    expect(graph.status).toBe(200);
    expect(await graph.json()).toMatchObject({ id: user.id, displayName: 'Native Nora' });
  });

  it('takes the password and attributes at start, ignoring unknown attributes, and validates them there', async () => {
    let r = await call('/signup/v1.0/start', { client_id: SPA, username: 'pia@example.com', challenge_type: ALL, password: 'Str0ng-pass',
      attributes: JSON.stringify({ displayName: 'Pia', country: 'Other', [LOYALTY]: 1234567, unknownThing: 'x' }) });
    r = await call('/signup/v1.0/challenge', { client_id: SPA, continuation_token: ct(r), challenge_type: ALL });
    r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: ct(r), grant_type: 'oob', oob: await latestCode('pia@example.com') });
    expectOk(r);
    expect(r.body.continuation_token).toBeTruthy();

    r = await call('/signup/v1.0/start', { client_id: SPA, username: 'quinn@example.com', challenge_type: ALL, attributes: JSON.stringify({ [LOYALTY]: 'abc' }) });
    expectError(r, 400, 'invalid_grant', 9990422, { suberror: 'attribute_validation_failed' });
    expect(r.body.invalid_attributes).toEqual([{ name: LOYALTY }]);
    r = await call('/signup/v1.0/start', { client_id: SPA, username: 'quinn@example.com', challenge_type: ALL, password: 'x'.repeat(300) });
    expectError(r, 400, 'invalid_grant', 399246, { suberror: 'password_too_long' });
  });

  it('answers user_already_exists, 90100 for a bad username, and redirect when password is not in the list', async () => {
    expectError(await call('/signup/v1.0/start', { client_id: SPA, username: DEFAULT.alice.email, challenge_type: ALL }), 400, 'user_already_exists', 1003037);
    expectError(await call('/signup/v1.0/start', { client_id: SPA, username: 'not-an-email', challenge_type: ALL }), 400, 'invalid_request', 90100,
      { description: 'username parameter is empty or not valid' });
    const r = await call('/signup/v1.0/start', { client_id: SPA, username: 'rita@example.com', challenge_type: 'oob redirect' });
    expect(expectOk(r)).toEqual({ challenge_type: 'redirect' });
    expect(expectOk(await call('/signup/v1.0/start', { client_id: SPA, username: 'rita@example.com', challenge_type: 'redirect' }))).toEqual({ challenge_type: 'redirect' });
  });
});

describe('sign-up and sign-in with an email one-time passcode', () => {
  it('signs up with a code and attributes, then signs in with a code, and refreshes', async () => {
    const email = 'sven@example.com';
    let r = await call('/signup/v1.0/start', { client_id: OTP_SPA, username: email, challenge_type: 'oob redirect' });
    r = await call('/signup/v1.0/challenge', { client_id: OTP_SPA, continuation_token: ct(r), challenge_type: 'oob redirect' });
    expect(expectOk(r).challenge_type).toBe('oob');
    r = await call('/signup/v1.0/continue', { client_id: OTP_SPA, continuation_token: ct(r), grant_type: 'oob', oob: await latestCode(email) });
    expectError(r, 400, 'attributes_required', 55106);
    r = await call('/signup/v1.0/continue', { client_id: OTP_SPA, continuation_token: ct(r), grant_type: 'attributes', attributes: JSON.stringify({ displayName: 'Sven' }) });
    expectOk(r);
    expect(emu.directory.users.findBySignInName(DEFAULT.tenantId, email)!.passwordHash).toBeNull();

    // password only: redirect, since this user signs in with a code
    expect(expectOk(await call('/oauth2/v2.0/initiate', { client_id: OTP_SPA, username: email, challenge_type: 'password redirect' }))).toEqual({ challenge_type: 'redirect' });
    r = await call('/oauth2/v2.0/initiate', { client_id: OTP_SPA, username: email, challenge_type: ALL });
    r = await call('/oauth2/v2.0/challenge', { client_id: OTP_SPA, continuation_token: ct(r), challenge_type: ALL });
    expect(expectOk(r)).toMatchObject({ challenge_type: 'oob', code_length: 8, challenge_channel: 'email', binding_method: 'prompt' });
    const wrong = await call('/oauth2/v2.0/token', { client_id: OTP_SPA, continuation_token: ct(r), grant_type: 'oob', oob: '1', scope: 'openid' });
    expectError(wrong, 400, 'invalid_grant', 50181, { suberror: 'invalid_oob_value' });
    r = await call('/oauth2/v2.0/token', { client_id: OTP_SPA, continuation_token: ct(r), grant_type: 'oob', oob: await latestCode(email), scope: 'openid profile offline_access', client_info: '1' });
    const body = expectOk(r);
    expectTokens(body);

    const refreshed = await call('/oauth2/v2.0/token', { client_id: OTP_SPA, grant_type: 'refresh_token', refresh_token: String(body.refresh_token), scope: 'openid profile offline_access', client_info: '1' });
    expectTokens(expectOk(refreshed));
  });
});

describe('sign-in with a password', () => {
  it('initiate → challenge(password) → token(password), with an API scope; a wrong password is 50126', async () => {
    let r = await call('/oauth2/v2.0/initiate', { client_id: SPA, username: DEFAULT.alice.email, challenge_type: 'password redirect', capabilities: 'mfa_required registration_required' });
    r = await call('/oauth2/v2.0/challenge', { client_id: SPA, continuation_token: ct(r), challenge_type: 'password redirect' });
    expect(expectOk(r).challenge_type).toBe('password');
    const pw = ct(r);
    expectError(await call('/oauth2/v2.0/token', { client_id: SPA, continuation_token: pw, grant_type: 'password', password: 'wrong-one', scope: 'openid' }),
      400, 'invalid_grant', 50126);
    // what Android and msal-browser add (challenge_type, nca, claims) is ignored
    r = await call('/oauth2/v2.0/token', { client_id: SPA, continuation_token: pw, grant_type: 'password', password: DEFAULT.alice.password,
      scope: `api://${DEFAULT.api}/ToDoList.Read openid profile offline_access`, client_info: 'true', challenge_type: 'password redirect', nca: '1',
      claims: JSON.stringify({ access_token: { xms_cc: { values: ['CP1'] } } }) });
    const body = expectOk(r);
    expectTokens(body);
    expect(decodeJwt(String(body.access_token))).toMatchObject({ aud: DEFAULT.api, scp: 'ToDoList.Read', oid: DEFAULT.alice.id });
    expect(body.ext_expires_in).toBe(body.expires_in);
  });

  it('locks the account after 10 wrong passwords: invalid_grant AADSTS50053 still at 59 s, signs in at 61 s', async () => {
    // A user of its own, so a failure here cannot leave Alice locked for the tests after it.
    const email = 'native-lockout@example.com';
    await signedUpCustomer(emu, email, 'Right-passw0rd');
    let r = await call('/oauth2/v2.0/initiate', { client_id: SPA, username: email, challenge_type: 'password redirect' });
    r = await call('/oauth2/v2.0/challenge', { client_id: SPA, continuation_token: ct(r), challenge_type: 'password redirect' });
    const pw = ct(r);
    const attempt = (password: string) => call('/oauth2/v2.0/token', { client_id: SPA, continuation_token: pw, grant_type: 'password', password, scope: 'openid' });
    for (let i = 1; i <= 10; i++) expectError(await attempt(`wrong-${i}`), 400, 'invalid_grant', 50126);
    expectError(await attempt('Right-passw0rd'), 400, 'invalid_grant', 50053);
    clock().advance(59_000);
    expectError(await attempt('Right-passw0rd'), 400, 'invalid_grant', 50053);
    clock().advance(2_000);
    expectTokens(expectOk(await attempt('Right-passw0rd')));
  });

  it('answers user_not_found for an unknown user and redirect when the list lacks the method', async () => {
    expectError(await call('/oauth2/v2.0/initiate', { client_id: SPA, username: 'nobody@contoso.com', challenge_type: ALL }), 400, 'user_not_found', 50034);
    expect(expectOk(await call('/oauth2/v2.0/initiate', { client_id: SPA, username: DEFAULT.alice.email, challenge_type: 'oob redirect' }))).toEqual({ challenge_type: 'redirect' });
    expect(expectOk(await call('/oauth2/v2.0/initiate', { client_id: SPA, username: DEFAULT.alice.email, challenge_type: 'redirect' }))).toEqual({ challenge_type: 'redirect' });
  });
});

describe('self-service password reset', () => {
  it('start → challenge → continue → submit → poll_completion → token; the new password works on the hosted page', async () => {
    const email = 'tove@example.com';
    await signUpWithPassword(email, 'Old-passw0rd');
    let r = await call('/resetpassword/v1.0/start', { client_id: SPA, username: email, challenge_type: 'oob redirect' });
    r = await call('/resetpassword/v1.0/challenge', { client_id: SPA, continuation_token: ct(r), challenge_type: 'oob redirect' });
    expect(expectOk(r)).toMatchObject({ challenge_type: 'oob', code_length: 8, challenge_target_label: 't***e@ex***e.com' });
    r = await call('/resetpassword/v1.0/continue', { client_id: SPA, continuation_token: ct(r), grant_type: 'oob', oob: await latestCode(email) });
    expect(expectOk(r).expires_in).toBe(600);
    const submit = ct(r);
    expectError(await call('/resetpassword/v1.0/submit', { client_id: SPA, continuation_token: submit, new_password: 'weakweak' }), 400, 'invalid_grant', 399246, { suberror: 'password_too_weak' });
    r = await call('/resetpassword/v1.0/submit', { client_id: SPA, continuation_token: submit, new_password: 'New-passw0rd' });
    expect(expectOk(r).poll_interval).toBe(2);
    r = await call('/resetpassword/v1.0/poll_completion', { client_id: SPA, continuation_token: ct(r) });
    expect(expectOk(r).status).toBe('succeeded');
    r = await call('/oauth2/v2.0/token', { client_id: SPA, continuation_token: ct(r), grant_type: 'continuation_token', username: email, scope: 'openid profile offline_access', client_info: '1' });
    expectTokens(expectOk(r));
    const page = await new HttpBrowser(emu.url).signIn(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect }), email, 'New-passw0rd');
    expect(page.url.startsWith(DEFAULT.webRedirect)).toBe(true);
  });

  it('answers user_not_found, 500222 for a passcode account, and redirect without oob', async () => {
    expectError(await call('/resetpassword/v1.0/start', { client_id: SPA, username: 'nobody@contoso.com', challenge_type: 'oob redirect' }), 400, 'user_not_found', 50034);
    // a passcode-only account of this test's own (not the one the sign-up test above makes)
    const tenant = emu.registry.resolve('contoso')!.tenant;
    const tx = await emu.flows.signUp.sendCode(tenant, await emu.flows.signUp.start(tenant, OTP_SPA, 'passcode-only@example.com'));
    emu.flows.signUp.verifyCode(tenant, tx.id, await latestCode('passcode-only@example.com'));
    emu.flows.signUp.setAttributes(tenant, tx.id, { displayName: 'Passcode Only' });
    expect(emu.flows.signUp.complete(tenant, tx.id).passwordHash).toBeNull();
    expectError(await call('/resetpassword/v1.0/start', { client_id: SPA, username: 'passcode-only@example.com', challenge_type: 'oob redirect' }), 400, 'invalid_request', 500222);
    expect(expectOk(await call('/resetpassword/v1.0/start', { client_id: SPA, username: DEFAULT.alice.email, challenge_type: 'password redirect' }))).toEqual({ challenge_type: 'redirect' });
  });
});

describe('a user made on the hosted pages signs in natively', () => {
  it('signs in the hosted-page user with a password', async () => {
    const tenant = emu.registry.resolve('contoso')!.tenant;
    const email = 'uma@example.com';
    const tx = await emu.flows.signUp.sendCode(tenant, await emu.flows.signUp.start(tenant, DEFAULT.web, email, { password: 'Hosted-passw0rd' }));
    emu.flows.signUp.verifyCode(tenant, tx.id, await latestCode(email));
    emu.flows.signUp.setAttributes(tenant, tx.id, { displayName: 'Uma', country: 'Other' });
    emu.flows.signUp.complete(tenant, tx.id);
    let r = await call('/oauth2/v2.0/initiate', { client_id: SPA, username: email, challenge_type: 'password redirect' });
    r = await call('/oauth2/v2.0/challenge', { client_id: SPA, continuation_token: ct(r), challenge_type: 'password redirect' });
    r = await call('/oauth2/v2.0/token', { client_id: SPA, continuation_token: ct(r), grant_type: 'password', password: 'Hosted-passw0rd', scope: 'openid profile offline_access', client_info: '1' });
    expect(expectTokens(expectOk(r)).idToken.name).toBe('Uma');
  });
});
