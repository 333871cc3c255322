import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { AadError } from '../errors.js';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { flowDeps } from '../testing/flow-services.js';
import { postForm } from '../testing/oauth.js';
import { signedUpCustomer } from '../testing/customers.js';
import { HttpBrowser } from '../testing/browser.js';
import { authorizeUrl } from '../testing/oauth.js';
import { CodeError, DEFAULT_SEND_LIMIT } from './codes.js';
import { createSignUpService } from './sign-up/service.js';
import { createPasswordResetService } from './password-reset/service.js';
import { createEmailCodeSignInService } from './email-code/service.js';

// Code resends as Entra throttles them (issue 10, item 4): a resend never resets the wrong-attempt
// count, and one address gets only so many codes per flow in a window (B2C's documented defaults:
// 10 codes, a 10-minute wait), the same for the hosted pages' services and the native API.

const WINDOW = DEFAULT_SEND_LIMIT.windowMs;

const thrown = async (fn: () => unknown): Promise<AadError> => {
  try {
    await fn();
  } catch (e) {
    if (e instanceof AadError) return e;
    throw e;
  }
  throw new Error('expected an AadError');
};

describe('the code service (shared by hosted pages and native auth)', () => {
  let env: Awaited<ReturnType<typeof flowDeps>>;
  beforeEach(async () => { env = await flowDeps({ sendLimit: DEFAULT_SEND_LIMIT }); });

  it('keeps counting wrong codes across a resend: 4 wrong, resend, 1 wrong locks it, and the resent right code is refused', async () => {
    const signUp = createSignUpService(env.deps);
    const tx = await signUp.sendCode(env.tenant, await signUp.start(env.tenant, DEFAULT.spa, 'bob@example.com'));
    const first = env.lastCode('bob@example.com')!;
    const wrong = first === '00000000' ? '11111111' : '00000000';
    for (let i = 0; i < 4; i++) expect(await thrown(() => signUp.verifyCode(env.tenant, tx.id, wrong))).toMatchObject({ code: 50181, reason: 'wrong' });
    await signUp.sendCode(env.tenant, tx);
    const resent = env.lastCode('bob@example.com')!;
    const wrongAgain = resent === '00000000' ? '11111111' : '00000000';
    expect(await thrown(() => signUp.verifyCode(env.tenant, tx.id, wrongAgain))).toMatchObject({ code: 50181, reason: 'tooManyAttempts' });
    const refused = await thrown(() => signUp.verifyCode(env.tenant, tx.id, resent));
    expect(refused).toBeInstanceOf(CodeError);
    expect(refused).toMatchObject({ code: 50181, suberror: 'invalid_oob_value', reason: 'tooManyAttempts' });
  });

  it('sends an address 10 codes per flow; the 11th is AADSTS50196 and no mail, still at 9:59 after the first, sent again at 10:01', async () => {
    const signUp = createSignUpService(env.deps);
    const tx = await signUp.start(env.tenant, DEFAULT.spa, 'bob@example.com');
    for (let i = 0; i < 10; i++) {
      await signUp.sendCode(env.tenant, tx);
      env.clock.advance(1000);
    }
    expect(env.mailer.outbox.list({ to: 'bob@example.com', top: 100 })).toHaveLength(10);
    const refused = await thrown(() => signUp.sendCode(env.tenant, tx));
    expect(refused).toMatchObject({ code: 50196, error: 'invalid_grant', status: 400 });
    expect(refused.message).toMatch(/^AADSTS50196: The server terminated an operation because it encountered a client request loop\. Please contact your app vendor\. Too many codes were sent to this address/);
    expect(env.mailer.outbox.list({ to: 'bob@example.com', top: 100 })).toHaveLength(10);

    // the window opened at the first send, 10 s ago
    env.clock.advance(WINDOW - 10_000 - 1000);
    expect(await thrown(() => signUp.sendCode(env.tenant, tx))).toMatchObject({ code: 50196 });
    env.clock.advance(2000);
    await signUp.sendCode(env.tenant, tx);
    expect(env.mailer.outbox.list({ to: 'bob@example.com', top: 100 })).toHaveLength(11);
  });

  it('limits per address and per flow: another address, and the same address in another flow, still get codes', async () => {
    const reset = createPasswordResetService(env.deps);
    const emailCode = createEmailCodeSignInService(env.deps);
    const signUp = createSignUpService(env.deps);
    for (let i = 0; i < 10; i++) await reset.sendCode(env.tenant, reset.start(env.tenant, DEFAULT.web, DEFAULT.alice.email));
    expect(await thrown(() => reset.sendCode(env.tenant, reset.start(env.tenant, DEFAULT.web, DEFAULT.alice.email)))).toMatchObject({ code: 50196 });
    // a new transaction does not escape the limit (it is the address's), but another flow does
    await emailCode.sendCode(env.tenant, emailCode.start(env.tenant, DEFAULT.spa, DEFAULT.alice.email));
    await signUp.sendCode(env.tenant, await signUp.start(env.tenant, DEFAULT.spa, 'carol@example.com'));
    expect(env.mailer.outbox.list({ to: DEFAULT.alice.email, top: 100 })).toHaveLength(11);
  });

  it('sends any number of codes with throttling off (no send limit)', async () => {
    const unlimited = await flowDeps();
    const signUp = createSignUpService(unlimited.deps);
    const tx = await signUp.start(unlimited.tenant, DEFAULT.spa, 'bob@example.com');
    for (let i = 0; i < 12; i++) await signUp.sendCode(unlimited.tenant, tx);
    expect(unlimited.mailer.outbox.list({ to: 'bob@example.com', top: 100 })).toHaveLength(12);
  });
});

describe('native authentication resends (/challenge), throttling on', () => {
  const clock = new ManualClock(Date.parse('2026-11-22T10:00:00Z'));
  let emu: TestEmulator;
  beforeAll(async () => { emu = await startTestEmulator({ args: ['--throttling', 'on'], clock }); });
  afterAll(async () => { await emu.close(); });
  // each test starts in a fresh second, so the token endpoint's per-second rate never adds up across tests
  beforeEach(() => { clock.advance(2000); });

  const OTP_SPA = '77777777-7777-4777-8777-777777777777';
  const ALL = 'oob password redirect';
  const call = (path: string, form: Record<string, string>) => postForm(`${emu.url}/${DEFAULT.domain}${path}`, form);
  const ct = (r: { body: Record<string, unknown> }) => String(r.body.continuation_token);
  const mails = (to: string) => emu.mailer.outbox.list({ to, top: 100 });
  const latest = (to: string) => mails(to)[0]!.code!;

  /** The first /challenge (code 1) and a function asking for the next one, per flow. */
  const flows = {
    '/signup/v1.0/challenge': async () => {
      const email = 'nina@example.com';
      const started = await call('/signup/v1.0/start', { client_id: DEFAULT.spa, username: email, challenge_type: ALL });
      let token = ct(started);
      return { email, again: async () => { const r = await call('/signup/v1.0/challenge', { client_id: DEFAULT.spa, continuation_token: token, challenge_type: ALL }); if (r.status === 200) token = ct(r); return r; } };
    },
    '/resetpassword/v1.0/challenge': async () => {
      const email = DEFAULT.alice.email;
      const started = await call('/resetpassword/v1.0/start', { client_id: DEFAULT.spa, username: email, challenge_type: 'oob redirect' });
      let token = ct(started);
      return { email, again: async () => { const r = await call('/resetpassword/v1.0/challenge', { client_id: DEFAULT.spa, continuation_token: token, challenge_type: 'oob redirect' }); if (r.status === 200) token = ct(r); return r; } };
    },
    '/oauth2/v2.0/challenge': async () => {
      const email = 'otto@example.com';
      await signedUpCustomer(emu, email);
      const started = await call('/oauth2/v2.0/initiate', { client_id: OTP_SPA, username: email, challenge_type: ALL });
      let token = ct(started);
      return { email, again: async () => { const r = await call('/oauth2/v2.0/challenge', { client_id: OTP_SPA, continuation_token: token, challenge_type: ALL }); if (r.status === 200) token = ct(r); return r; } };
    },
  };

  it.each(Object.keys(flows) as (keyof typeof flows)[])('%s: 10 codes are sent, the 11th request answers 400 invalid_grant AADSTS50196 and mails nothing', async (path) => {
    const { email, again } = await flows[path]();
    const before = mails(email).length;
    for (let i = 0; i < 10; i++) {
      const r = await again();
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.challenge_type).toBe('oob');
    }
    const refused = await again();
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'invalid_grant', error_codes: [50196] });
    expect(String(refused.body.error_description)).toMatch(/^AADSTS50196: The server terminated an operation because it encountered a client request loop/);
    expect(refused.headers.get('x-ms-request-id')).toBeTruthy();
    expect(mails(email).length - before).toBe(10);
  });

  it('/oauth2/v2.0/challenge: a resend keeps the wrong attempts, so after 5 wrong codes the resent right code is refused (50181)', async () => {
    const email = DEFAULT.alice.email;
    let r = await call('/oauth2/v2.0/initiate', { client_id: OTP_SPA, username: email, challenge_type: ALL });
    r = await call('/oauth2/v2.0/challenge', { client_id: OTP_SPA, continuation_token: ct(r), challenge_type: ALL });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const verify = ct(r);
    const first = latest(email);
    const wrong = first === '00000000' ? '11111111' : '00000000';
    for (let i = 0; i < 5; i++) {
      const w = await call('/oauth2/v2.0/token', { client_id: OTP_SPA, continuation_token: verify, grant_type: 'oob', oob: wrong, scope: 'openid' });
      expect(w.status).toBe(400);
      expect(w.body).toMatchObject({ error: 'invalid_grant', suberror: 'invalid_oob_value', error_codes: [50181] });
    }
    r = await call('/oauth2/v2.0/challenge', { client_id: OTP_SPA, continuation_token: verify, challenge_type: ALL });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const resent = latest(email);
    const t = await call('/oauth2/v2.0/token', { client_id: OTP_SPA, continuation_token: ct(r), grant_type: 'oob', oob: resent, scope: 'openid' });
    expect(t.status, JSON.stringify(t.body)).toBe(400);
    expect(t.body).toMatchObject({ error: 'invalid_grant', suberror: 'invalid_oob_value', error_codes: [50181] });
    expect(String(t.body.error_description)).toContain('Too many wrong codes');
  });

  it('/resetpassword/v1.0/challenge: a resend keeps the wrong attempts, so after 5 wrong codes the resent right code is refused (50181)', async () => {
    clock.advance(WINDOW + 60_000); // past the send windows the tests above used up for Alice
    const email = DEFAULT.alice.email;
    let r = await call('/resetpassword/v1.0/start', { client_id: DEFAULT.spa, username: email, challenge_type: 'oob redirect' });
    r = await call('/resetpassword/v1.0/challenge', { client_id: DEFAULT.spa, continuation_token: ct(r), challenge_type: 'oob redirect' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const verify = ct(r);
    const wrong = latest(email) === '00000000' ? '11111111' : '00000000';
    for (let i = 0; i < 5; i++) {
      const w = await call('/resetpassword/v1.0/continue', { client_id: DEFAULT.spa, continuation_token: verify, grant_type: 'oob', oob: wrong });
      expect(w.body).toMatchObject({ error: 'invalid_grant', suberror: 'invalid_oob_value', error_codes: [50181] });
    }
    r = await call('/resetpassword/v1.0/challenge', { client_id: DEFAULT.spa, continuation_token: verify, challenge_type: 'oob redirect' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const t = await call('/resetpassword/v1.0/continue', { client_id: DEFAULT.spa, continuation_token: ct(r), grant_type: 'oob', oob: latest(email) });
    expect(t.status, JSON.stringify(t.body)).toBe(400);
    expect(t.body).toMatchObject({ error: 'invalid_grant', suberror: 'invalid_oob_value', error_codes: [50181] });
  });

  it('/oauth2/v2.0/challenge: a resend after fewer than 5 wrong codes still signs in with the new code', async () => {
    const email = 'pia@example.com';
    await signedUpCustomer(emu, email);
    let r = await call('/oauth2/v2.0/initiate', { client_id: OTP_SPA, username: email, challenge_type: ALL });
    r = await call('/oauth2/v2.0/challenge', { client_id: OTP_SPA, continuation_token: ct(r), challenge_type: ALL });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const verify = ct(r);
    const w = await call('/oauth2/v2.0/token', { client_id: OTP_SPA, continuation_token: verify, grant_type: 'oob', oob: latest(email) === '00000000' ? '11111111' : '00000000', scope: 'openid' });
    expect(w.body).toMatchObject({ error_codes: [50181] });
    r = await call('/oauth2/v2.0/challenge', { client_id: OTP_SPA, continuation_token: verify, challenge_type: ALL });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const t = await call('/oauth2/v2.0/token', { client_id: OTP_SPA, continuation_token: ct(r), grant_type: 'oob', oob: latest(email), scope: 'openid' });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    expect(t.body.access_token).toBeTruthy();
  });

  it('hosted pages: the 10th resend (11th code) shows the code page again, 400 with AADSTS50196 under it, and mails nothing', async () => {
    const email = 'hedda@example.com';
    const browser = new HttpBrowser(emu.url);
    const signIn = await browser.go(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect }));
    let page = await browser.go(new URL(/<a href="([^"]+)">Create one<\/a>/.exec(signIn.html)![1]!.replace(/&amp;/g, '&'), signIn.url).href);
    page = await browser.submit(page, { email });
    expect(page.html).toContain('Enter code');
    const resend = async () => {
      const action = /<form method="post" action="([^"]+)" class="inline-form">/.exec(page.html)![1]!.replace(/&amp;/g, '&');
      page = await browser.go(new URL(action, page.url).href, { form: { _csrf: /name="_csrf" value="([^"]+)"/.exec(page.html)![1]! } });
      return page;
    };
    for (let i = 0; i < 9; i++) expect((await resend()).status).toBe(200);
    expect(mails(email)).toHaveLength(10);
    const refused = await resend();
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('AADSTS50196');
    expect(refused.html).toContain('Too many codes were sent to this address');
    expect(refused.html).toContain('name="code"');
    expect(mails(email)).toHaveLength(10);
  });
});
