import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../../testing/harness.js';
import { HttpBrowser } from '../../testing/browser.js';
import { authorizeUrl } from '../../testing/oauth.js';
import { encodeLoginHint } from '../../oidc/claims.js';
import { signedUpCustomer } from '../../testing/customers.js';

let emu: TestEmulator;
const clock = new ManualClock();
beforeAll(async () => { emu = await startTestEmulator({ clock }); });
afterAll(async () => { await emu.close(); });

const base = () => `${emu.url}/${DEFAULT.domain}`;
const webAuthorize = (extra: Record<string, string> = {}) => authorizeUrl(base(), { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect, ...extra });

describe('hosted sign-in page', () => {
  it('shows an accessible, CSRF-protected form that popups can use and other sites cannot frame', async () => {
    const browser = new HttpBrowser(emu.url);
    const res = await browser.request(webAuthorize());
    const page = await browser.go(new URL(res.headers.get('location')!, emu.url).href);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<label for="email">Email address</label>');
    expect(page.html).toContain('<label for="password">Password</label>');
    expect(page.html).toMatch(/name="_csrf" value="[^"]+"/);
    expect(page.html).toContain('Contoso');
    const headers = (await browser.request(page.url)).headers;
    // No COOP: msal-browser's popup reads its own window back. DENY: Entra's interactive pages refuse to
    // be framed (silent renewal with prompt=none never renders a page, see server/http/security-headers.ts).
    expect(headers.get('cross-origin-opener-policy')).toBeNull();
    expect(headers.get('x-frame-options')).toBe('DENY');
  });

  it('prefills the email from login_hint, including the opaque login_hint claim MSAL sends back', async () => {
    const plain = await new HttpBrowser(emu.url).go(webAuthorize({ login_hint: 'alice@contoso.com' }));
    expect(plain.html).toContain('value="alice@contoso.com"');
    const user = emu.directory.users.findById(DEFAULT.tenantId, DEFAULT.alice.id)!;
    const opaque = await new HttpBrowser(emu.url).go(webAuthorize({ login_hint: encodeLoginHint(user, emu.registry.resolve('contoso')!.tenant) }));
    expect(opaque.html).toContain('value="alice@contoso.com"');
  });

  it.each([
    { name: 'a wrong password', email: DEFAULT.alice.email, password: 'nope-nope', code: 50126, message: 'Your password is incorrect.' },
    { name: 'an unknown email', email: 'nobody@contoso.com', password: 'whatever1!', code: 50034, message: "We couldn't find an account with this email address." },
    { name: 'a blocked account', email: DEFAULT.blocked.email, password: DEFAULT.blocked.password, code: 50057, message: 'Your account has been locked.' },
  ])('answers $name with AADSTS$code on the page, keeping the email', async ({ email, password, code, message }) => {
    const page = await new HttpBrowser(emu.url).signIn(webAuthorize(), email, password);
    expect(page.status).toBe(400);
    expect(page.html).toContain(`AADSTS${code}`);
    expect(page.html).toContain(message.replace("'", '&#39;'));
    expect(page.html).toContain(`value="${email}"`);
    expect(page.html).toContain('aria-invalid="true"');
  });

  it('rejects a post without the CSRF token', async () => {
    const browser = new HttpBrowser(emu.url);
    const page = await browser.go(webAuthorize());
    const action = /action="([^"]+)"/.exec(page.html)![1]!;
    const res = await browser.go(new URL(action, page.url).href, { form: { email: DEFAULT.alice.email, password: DEFAULT.alice.password } });
    expect(res.status).toBe(400);
    expect(res.html).toContain('AADSTS50089');
  });

  it('locks an account for 60 s after 10 failed attempts, counting a repeated wrong password once (AADSTS50053)', async () => {
    // A user of its own, so a failure here cannot leave Alice locked for the tests after it.
    const email = 'lockout-hosted@example.com';
    const user = await signedUpCustomer(emu, email, 'Right-passw0rd');
    const browser = new HttpBrowser(emu.url);
    const failures = () => emu.directory.users.findById(DEFAULT.tenantId, user.id)!.failedSignIns;
    // The same wrong password three times counts once.
    for (let i = 0; i < 3; i++) {
      const page = await browser.signIn(webAuthorize(), email, 'same-wrong-1');
      expect(page.status).toBe(400);
      expect(page.html).toContain('AADSTS50126');
    }
    expect(failures()).toBe(1);
    for (let i = 2; i <= 9; i++) await browser.signIn(webAuthorize(), email, `wrong-${i}`);
    expect(failures()).toBe(9);
    const tenth = await browser.signIn(webAuthorize(), email, 'wrong-10');
    expect(tenth.status).toBe(400);
    expect(tenth.html).toContain('AADSTS50126');
    // the tenth failure starts the lockout (and the count starts again for the next round)
    expect(emu.directory.users.findById(DEFAULT.tenantId, user.id)!.lockoutUntil).toBe(clock.nowMs() + 60_000);
    // Locked: even the right password is refused, for the whole minute (both sides of the boundary).
    const locked = await browser.signIn(webAuthorize(), email, 'Right-passw0rd');
    expect(locked.status).toBe(400);
    expect(locked.html).toContain('AADSTS50053');
    clock.advance(59_000);
    const stillLocked = await browser.signIn(webAuthorize(), email, 'Right-passw0rd');
    expect(stillLocked.status).toBe(400);
    expect(stillLocked.html).toContain('AADSTS50053');
    clock.advance(2_000);
    const ok = await browser.signIn(webAuthorize(), email, 'Right-passw0rd');
    expect(ok.url.startsWith(DEFAULT.webRedirect)).toBe(true);
    expect(new URL(ok.url).searchParams.get('code')).toBeTruthy();
    expect(failures()).toBe(0);
  });
});

describe('authorize endpoint', () => {
  it('signs in once and lets a second app in without the form (SSO session)', async () => {
    const browser = new HttpBrowser(emu.url);
    const first = await browser.signIn(webAuthorize(), DEFAULT.alice.email, DEFAULT.alice.password);
    expect(new URL(first.url).searchParams.get('code')).toBeTruthy();
    const spa = await browser.go(authorizeUrl(base(), { client_id: DEFAULT.spa, redirect_uri: 'http://localhost:3000', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }));
    expect(spa.url.startsWith('http://localhost:3000')).toBe(true);
    expect(new URL(spa.url).searchParams.get('code')).toBeTruthy();

    const forced = await browser.go(webAuthorize({ prompt: 'login' }));
    expect(forced.html).toContain('name="password"');
    const selectAccount = await browser.go(webAuthorize({ prompt: 'select_account' }));
    expect(selectAccount.html).toContain('name="password"');
    // prompt=create goes straight to sign-up, as in Entra
    const create = await browser.go(webAuthorize({ prompt: 'create' }));
    expect(create.url).toMatch(/\/interaction\/[\w-]+\/sign-up$/);
    expect(create.html).toContain('Create account');
    const silent = await browser.go(webAuthorize({ prompt: 'none' }));
    expect(new URL(silent.url).searchParams.get('code')).toBeTruthy();
  });

  it('answers prompt=none without a session with login_required (AADSTS50058) at the app', async () => {
    const page = await new HttpBrowser(emu.url).go(webAuthorize({ prompt: 'none', state: 'silent-1' }));
    const url = new URL(page.url);
    expect(url.origin + url.pathname).toBe(DEFAULT.webRedirect);
    expect(url.searchParams.get('error')).toBe('login_required');
    expect(url.searchParams.get('error_description')).toMatch(/^AADSTS50058: /);
    expect(url.searchParams.get('error_uri')).toBe(`${emu.url}/error?code=50058`);
    expect(url.searchParams.get('state')).toBe('silent-1');
    expect(url.searchParams.has('iss')).toBe(false);
  });

  it('shows a page, never a redirect, for an unregistered redirect URI (AADSTS50011) or an unknown client (AADSTS700016)', async () => {
    const browser = new HttpBrowser(emu.url);
    for (const [params, code] of [
      [{ client_id: DEFAULT.web, redirect_uri: 'https://evil.example/cb' }, 50011],
      // A SPA may not use the web app's redirect URI, nor a web-platform URI of its own.
      [{ client_id: DEFAULT.spa, redirect_uri: DEFAULT.webRedirect }, 50011],
      [{ client_id: '99999999-9999-4999-8999-999999999999', redirect_uri: DEFAULT.webRedirect }, 700016],
    ] as const) {
      const res = await browser.request(authorizeUrl(base(), params));
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain(`AADSTS${code}`);
    }
  });

  it('accepts the claims request MSAL always sends, including client capabilities', async () => {
    const claims = JSON.stringify({ id_token: { signin_state: { essential: false }, login_hint: { essential: false } }, access_token: { xms_cc: { values: ['CP1'] } } });
    const page = await new HttpBrowser(emu.url).go(webAuthorize({ claims, clidata: '1', 'x-client-SKU': 'msal.js.browser', pocd: '1' }));
    expect(page.status).toBe(200);
    expect(page.html).toContain('name="password"');
  });

  it('supports implicit id_token with form_post and nonce (Microsoft.Identity.Web default)', async () => {
    const page = await new HttpBrowser(emu.url).signIn(webAuthorize({ response_type: 'id_token', response_mode: 'form_post', scope: 'openid profile', client_info: '1' }),
      DEFAULT.alice.email, DEFAULT.alice.password);
    expect(page.html).toContain(`action="${DEFAULT.webRedirect}"`);
    for (const field of ['id_token', 'state', 'client_info', 'session_state']) expect(page.html, field).toContain(`name="${field}"`);
  });
});

describe('logout', () => {
  it('clears the session and returns to a registered post_logout_redirect_uri with state', async () => {
    const browser = new HttpBrowser(emu.url);
    await browser.signIn(webAuthorize(), DEFAULT.alice.email, DEFAULT.alice.password);
    const out = await browser.go(`${base()}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent('http://localhost:3000')}&state=bye&client-request-id=abc`);
    // the self-submitting confirmation form oidc-provider shows (logoutSource in oidc/provider.ts)
    expect(out.status).toBe(200);
    expect(out.html).toContain('<input type="hidden" name="logout" value="yes"/>');
    const done = await browser.submit(out, {});
    expect(done.url).toBe('http://localhost:3000/?state=bye');
    const again = await browser.go(webAuthorize());
    expect(again.status).toBe(200);
    expect(again.html).toContain('name="password"');
  });

  it('shows the signed-out page, not a redirect, for an unregistered post_logout_redirect_uri', async () => {
    const browser = new HttpBrowser(emu.url);
    await browser.signIn(webAuthorize(), DEFAULT.alice.email, DEFAULT.alice.password);
    const out = await browser.go(`${base()}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`);
    expect(out.status).toBe(200);
    expect(out.html).toContain('<input type="hidden" name="logout" value="yes"/>');
    const done = await browser.submit(out, {});
    expect(done.status).toBe(200);
    expect(done.url.startsWith(`${emu.url}/`)).toBe(true);
    expect(done.html).toContain('You signed out of your account');
    expect(done.html).not.toContain('evil.example');
    // and the session is gone
    expect((await browser.go(webAuthorize())).html).toContain('name="password"');
  });
});

describe('a session whose user was blocked', () => {
  it('shows the sign-in page again (then AADSTS50057) instead of signing the user in', async () => {
    const tenant = emu.registry.resolve('contoso')!.tenant;
    const user = await signedUpCustomer(emu, 'soon-blocked@example.com', 'Str0ng-pass');
    const browser = new HttpBrowser(emu.url);
    const first = await browser.signIn(webAuthorize(), 'soon-blocked@example.com', 'Str0ng-pass');
    expect(first.url.startsWith(DEFAULT.webRedirect)).toBe(true);

    emu.db.prepare('UPDATE users SET account_enabled = 0 WHERE tenant_id = ? AND id = ?').run(tenant.id, user.id);
    const silent = await browser.go(webAuthorize({ prompt: 'none' }));
    expect(new URL(silent.url).searchParams.get('error')).toBe('login_required');
    const page = await browser.go(webAuthorize());
    expect(page.status).toBe(200);
    expect(page.html).toContain('name="password"');
    const refused = await browser.submit(page, { email: 'soon-blocked@example.com', password: 'Str0ng-pass' });
    expect(refused.html).toContain('AADSTS50057');
  });
});

describe('a password an admin reset with forceChangePasswordNextSignIn', () => {
  it('asks for a new password after the temporary one, refuses the same again, then signs in', async () => {
    const tenant = emu.registry.resolve('contoso')!.tenant;
    const user = await signedUpCustomer(emu, 'forced@example.com', 'Temp-passw0rd');
    emu.db.prepare('UPDATE users SET force_change_password = 1 WHERE tenant_id = ? AND id = ?').run(tenant.id, user.id);

    const browser = new HttpBrowser(emu.url);
    let page = await browser.signIn(webAuthorize(), 'forced@example.com', 'Temp-passw0rd');
    expect(page.html).toContain('Update your password');
    page = await browser.submit(page, { password: 'Temp-passw0rd', confirmPassword: 'Temp-passw0rd' });
    expect(page.status).toBe(400);
    expect(page.html).toContain('Choose a password you have not used before.');
    page = await browser.submit(page, { password: 'Brand-new-passw0rd', confirmPassword: 'Brand-new-passw0rd' });
    expect(page.url.startsWith(DEFAULT.webRedirect)).toBe(true);

    const next = await new HttpBrowser(emu.url).signIn(webAuthorize(), 'forced@example.com', 'Brand-new-passw0rd');
    expect(next.url.startsWith(DEFAULT.webRedirect)).toBe(true);
  });
});
