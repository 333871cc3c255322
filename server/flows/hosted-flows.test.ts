import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser, type Page } from '../testing/browser.js';
import { authorizeUrl, pkce, postForm } from '../testing/oauth.js';
import { signedUpCustomer } from '../testing/customers.js';

// The hosted user-flow pages end to end over HTTP, reading codes from /_emulator/v1/mail as a test
// suite would: sign-up (email + password, email code), email-code sign-in, password reset.
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });

const OTP_SPA = '77777777-7777-4777-8777-777777777777';
const LOYALTY = 'extension_66666666666646668666666666666666_loyaltyNumber';

async function latestCode(to: string): Promise<string> {
  const res = await fetch(`${emu.url}/_emulator/v1/mail?to=${encodeURIComponent(to)}&top=1`);
  const { value } = await res.json() as { value: { code?: string; subject: string }[] };
  expect(value[0]?.code, `a code mailed to ${to}`).toMatch(/^\d{8}$/);
  return value[0]!.code!;
}

function webStart(browser: HttpBrowser, extra: Record<string, string> = {}) {
  return browser.go(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect, ...extra }));
}

const link = (page: Page, text: string) => new URL(new RegExp(`<a href="([^"]+)">${text}</a>`).exec(page.html)![1]!.replace(/&amp;/g, '&'), page.url).href;

async function redeem(page: Page, clientId: string, redirectUri: string, verifier?: string) {
  const code = new URL(page.url).searchParams.get('code') ?? new URLSearchParams(new URL(page.url).hash.slice(1)).get('code');
  expect(code, page.url).toBeTruthy();
  const form: Record<string, string> = { grant_type: 'authorization_code', client_id: clientId, code: code!, redirect_uri: redirectUri };
  if (verifier) form.code_verifier = verifier;
  else form.client_secret = DEFAULT.webSecret;
  const r = await postForm(`${emu.url}/${DEFAULT.domain}/oauth2/v2.0/token`, form);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return decodeJwt(String(r.body.id_token));
}

describe('sign-up with email and password (hosted pages)', () => {
  it('verifies the email, sets a password, collects attributes, creates the account and signs in with mapped claims', async () => {
    const browser = new HttpBrowser(emu.url);
    const signIn = await webStart(browser);
    let page = await browser.go(link(signIn, 'Create one'));
    expect(page.html).toContain('Create account');
    page = await browser.submit(page, { email: 'Frank@Example.com' });
    expect(page.html).toContain('Enter code');
    expect(page.html).toContain('frank@example.com');

    // a wrong code, then a resend that invalidates the first one
    const first = await latestCode('frank@example.com');
    page = await browser.submit(page, { code: first === '00000000' ? '11111111' : '00000000' });
    expect(page.status).toBe(400);
    expect(page.html).toContain('That code didn&#39;t work');
    const resendAction = /<form method="post" action="([^"]+)" class="inline-form">/.exec(page.html)![1]!.replace(/&amp;/g, '&');
    page = await browser.go(new URL(resendAction, page.url).href, { form: { _csrf: /name="_csrf" value="([^"]+)"/.exec(page.html)![1]! } });
    expect(page.html).toContain('We sent a new code');
    page = await browser.submit(page, { code: await latestCode('frank@example.com') });
    expect(page.html).toContain('Create your password');

    page = await browser.submit(page, { password: 'Sh0rt!', confirmPassword: 'Sh0rt!' });
    expect(page.html).toContain('at least 8 characters');
    page = await browser.submit(page, { password: 'Str0ng-pass', confirmPassword: 'Different-1' });
    expect(page.html).toContain('The passwords don&#39;t match.');
    page = await browser.submit(page, { password: 'Str0ng-pass', confirmPassword: 'Str0ng-pass' });
    expect(page.html).toContain('Tell us about yourself');
    expect(page.html).toContain('Loyalty Number');

    page = await browser.submit(page, { displayName: '', country: 'Norway', [LOYALTY]: 'abc' });
    expect(page.status).toBe(400);
    expect(page.html).toContain('Display Name is required.');
    expect(page.html).toContain('Loyalty Number is not in the expected format.');
    expect(emu.directory.users.findBySignInName(DEFAULT.tenantId, 'frank@example.com')).toBeUndefined();

    page = await browser.submit(page, { displayName: 'Frank Example', givenName: 'Frank', country: 'Norway', [LOYALTY]: '9876543' });
    expect(page.url.startsWith(DEFAULT.webRedirect)).toBe(true);
    const id = await redeem(page, DEFAULT.web, DEFAULT.webRedirect);
    expect(id).toMatchObject({ name: 'Frank Example', preferred_username: 'frank@example.com', loyaltyNumber: '9876543', country: 'Norway' });
    expect(emu.directory.users.findBySignInName(DEFAULT.tenantId, 'frank@example.com')).toMatchObject({ givenName: 'Frank', creationType: 'LocalAccount' });

    // the new account signs in with its password
    const again = await new HttpBrowser(emu.url).signIn(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect }), 'frank@example.com', 'Str0ng-pass');
    expect(again.url.startsWith(DEFAULT.webRedirect)).toBe(true);
  });

  it('refuses an email that already has an account', async () => {
    const browser = new HttpBrowser(emu.url);
    const page = await browser.submit(await browser.go(link(await webStart(browser), 'Create one')), { email: DEFAULT.alice.email });
    expect(page.status).toBe(400);
    expect(page.html).toContain('An account with this email address already exists');
  });

  it('goes straight to sign-up for prompt=create', async () => {
    const page = await webStart(new HttpBrowser(emu.url), { prompt: 'create' });
    expect(page.html).toContain('Create account');
  });

  it('puts mapped attributes, including the custom one, in the ID token of a fixture user', async () => {
    const page = await new HttpBrowser(emu.url).signIn(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect }), DEFAULT.alice.email, DEFAULT.alice.password);
    expect(await redeem(page, DEFAULT.web, DEFAULT.webRedirect)).toMatchObject({ loyaltyNumber: '1234567', country: 'Norway' });
  });
});

describe('email one-time passcode flow (hosted pages)', () => {
  it('signs up without a password, then signs in with an emailed code', async () => {
    const spa = (browser: HttpBrowser, challenge: string) => browser.go(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, {
      client_id: OTP_SPA, redirect_uri: 'http://localhost:3000', code_challenge: challenge, code_challenge_method: 'S256', response_mode: 'fragment',
    }));
    const up = pkce();
    const browser = new HttpBrowser(emu.url);
    let page = await spa(browser, up.challenge);
    expect(page.html).not.toContain('name="password"');
    expect(page.html).toContain('Send code');
    page = await browser.submit(await browser.go(link(page, 'Create one')), { email: 'grace@example.com' });
    page = await browser.submit(page, { code: await latestCode('grace@example.com') });
    expect(page.html).toContain('Tell us about yourself');
    page = await browser.submit(page, { displayName: 'Grace Example' });
    expect(await redeem(page, OTP_SPA, 'http://localhost:3000', up.verifier)).toMatchObject({ name: 'Grace Example' });
    expect(emu.directory.users.findBySignInName(DEFAULT.tenantId, 'grace@example.com')!.passwordHash).toBeNull();

    const inn = pkce();
    const other = new HttpBrowser(emu.url);
    page = await other.submit(await spa(other, inn.challenge), { email: 'grace@example.com' });
    expect(page.html).toContain('Enter code');
    page = await other.submit(page, { code: await latestCode('grace@example.com') });
    expect(await redeem(page, OTP_SPA, 'http://localhost:3000', inn.verifier)).toMatchObject({ preferred_username: 'grace@example.com' });
  });

  it('tells an unknown email that there is no account', async () => {
    const browser = new HttpBrowser(emu.url);
    const page = await browser.submit(await browser.go(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, {
      client_id: OTP_SPA, redirect_uri: 'http://localhost:3000', code_challenge: pkce().challenge, code_challenge_method: 'S256' })), { email: 'nobody@example.com' });
    expect(page.status).toBe(400);
    expect(page.html).toContain('AADSTS50034');
  });
});

describe('self-service password reset (hosted pages)', () => {
  it('resets the password with an emailed code and signs in; the new password works next time', async () => {
    const user = { email: 'heidi@example.com', password: 'Old-passw0rd' };
    // a user made through sign-up's service, so this test does not disturb Alice
    await signedUpCustomer(emu, user.email, user.password, 'Heidi');

    const browser = new HttpBrowser(emu.url);
    let page = await browser.go(link(await webStart(browser), 'Forgot password\\?'));
    expect(page.html).toContain('Reset your password');
    page = await browser.submit(page, { email: user.email });
    page = await browser.submit(page, { code: await latestCode(user.email) });
    expect(page.html).toContain('Create a new password');
    page = await browser.submit(page, { password: 'New-passw0rd', confirmPassword: 'New-passw0rd' });
    expect(page.url.startsWith(DEFAULT.webRedirect)).toBe(true);

    const next = await new HttpBrowser(emu.url).signIn(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect }), user.email, 'New-passw0rd');
    expect(next.url.startsWith(DEFAULT.webRedirect)).toBe(true);
  });
});

describe('hosted forms refuse bad posts with the exact error, changing nothing', () => {
  const formAction = (page: Page) => new URL(/<form[^>]*action="([^"]+)"/.exec(page.html)![1]!.replace(/&amp;/g, '&'), page.url).href;
  const mailTo = (to: string) => emu.mailer.outbox.list({ to, top: 5 });
  // the first page of each flow that takes an email
  const flows: [string, (browser: HttpBrowser) => Promise<Page>, string][] = [
    ['sign-up', async (browser) => browser.go(link(await webStart(browser), 'Create one')), 'refused-sign-up@example.com'],
    ['password reset', async (browser) => browser.go(link(await webStart(browser), 'Forgot password\\?')), DEFAULT.alice.email],
    ['email code sign-in', (browser) => browser.go(authorizeUrl(`${emu.url}/${DEFAULT.domain}`, {
      client_id: OTP_SPA, redirect_uri: 'http://localhost:3000', code_challenge: pkce().challenge, code_challenge_method: 'S256' })), 'refused-otp@example.com'],
  ];

  it.each(flows)('%s: a post without the CSRF token is a 400 page with AADSTS50089, and no code is mailed', async (_name, start, email) => {
    const browser = new HttpBrowser(emu.url);
    const page = await start(browser);
    expect(page.status).toBe(200);
    const before = mailTo(email).length;
    const refused = await browser.go(formAction(page), { form: { email } });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('data-testid="error-code">AADSTS50089');
    expect(mailTo(email)).toHaveLength(before);
  });

  it.each(flows)('%s: a post without the email is a 400 with the field error, and no code is mailed', async (_name, start, email) => {
    const browser = new HttpBrowser(emu.url);
    const page = await start(browser);
    const before = mailTo(email).length;
    for (const fields of [{}, { email: '' }, { email: 'not-an-email' }] as Record<string, string>[]) {
      const refused = await browser.submit(page, fields);
      expect(refused.status, JSON.stringify(fields)).toBe(400);
      expect(refused.html).toContain('aria-invalid="true" aria-describedby="error-email"');
      expect(refused.html).toContain('<p class="field-error" id="error-email">Enter a valid email address.');
    }
    expect(mailTo(email)).toHaveLength(before);
  });

  it.each([
    ['sign-up', 'Create one', 'refused-code@example.com'],
    ['password reset', 'Forgot password\\?', 'refused-reset-code@example.com'],
  ])('%s code step: no CSRF token is AADSTS50089, no code is AADSTS50181 on the field; the right code still works after', async (name, linkText, email) => {
    if (name === 'password reset') await signedUpCustomer(emu, email);
    const browser = new HttpBrowser(emu.url);
    const code = await browser.submit(await browser.go(link(await webStart(browser), linkText)), { email });
    expect(code.html).toContain('Enter code');
    const noCsrf = await browser.go(formAction(code), { form: { code: await latestCode(email) } });
    expect(noCsrf.status).toBe(400);
    expect(noCsrf.html).toContain('data-testid="error-code">AADSTS50089');
    const noCode = await browser.submit(code, {});
    expect(noCode.status).toBe(400);
    expect(noCode.html).toContain('AADSTS50181');
    expect(noCode.html).toContain('<p class="field-error" id="error-code">That code didn&#39;t work.');
    // neither refusal spent the code
    const next = await browser.submit(code, { code: await latestCode(email) });
    expect(next.status).toBe(200);
    expect(next.html).toContain(name === 'sign-up' ? 'Create your password' : 'Create a new password');
  });
});
