import type { Page } from '@playwright/test';
import { expect, test, USERS } from '../fixtures.js';
import { freshEmail } from '../support/mailbox.js';
import { startNativeApp } from '../apps/native/server.js';
import { sampleConfig } from '../apps/sample-config.js';
import type { NativeAuthPage } from '../apps/native/browser.js';
import { E2E_APPS } from '../support/emulator-process.js';

/**
 * The native authentication API driven by the real SDK, `CustomAuthPublicClientApplication` from
 * `@azure/msal-browser/custom-auth`, in Chromium: a page (e2e/apps/native) whose SDK talks to the
 * emulator's CORS mount as its authApiProxyUrl. Codes come from the emulator's outbox.
 */
let nativeApp: Awaited<ReturnType<typeof startNativeApp>> | undefined;
test.beforeAll(async ({ emulator }) => {
  nativeApp = await startNativeApp(sampleConfig({ EMULATOR_URL: emulator.url }), 0, { mfaClientId: E2E_APPS.nativeMfa });
});
test.afterAll(async () => { await nativeApp?.close(); });

/** Runs one `window.nativeAuth` helper in the page. */
function sdk<K extends keyof NativeAuthPage>(page: Page, name: K, ...args: Parameters<NativeAuthPage[K]>): Promise<Awaited<ReturnType<NativeAuthPage[K]>>> {
  return page.evaluate(([n, a]) => ((window as unknown as { nativeAuth: Record<string, (...x: unknown[]) => unknown> }).nativeAuth[n as string]!(...(a as unknown[]))) as never,
    [name, args] as const);
}

async function open(page: Page): Promise<void> {
  await page.goto(`http://127.0.0.1:${nativeApp!.port}/`);
  await expect(page.locator('#status')).toHaveText('ready');
}

const ATTRIBUTES = { displayName: 'Native Customer', country: 'Norway' };

test('signs up with a password (code from the mailbox), signs out, signs in, and refreshes the access token', async ({ page, mailbox }) => {
  await open(page);
  const email = freshEmail('native-up');
  expect(await sdk(page, 'signUpStart', 'password', email)).toEqual({ codeLength: 8 });
  const first = await mailbox.waitForCode(email, { kind: 'sign-up-code' });
  expect((await sdk(page, 'signUpWrongCode', 'password', first.code === '00000000' ? '11111111' : '00000000')).invalidCode).toBe(true);
  await sdk(page, 'signUpResend', 'password');
  const { code } = await mailbox.waitForCode(email, { kind: 'sign-up-code', after: first.mail });
  const account = await sdk(page, 'signUpFinish', 'password', code, 'Sunny-Harbour-42', ATTRIBUTES);
  expect(account).toMatchObject({ username: email, name: 'Native Customer' });
  expect(account!.homeAccountId).toContain('11111111-1111-4111-8111-111111111111');

  expect(await sdk(page, 'signOut', 'password')).toBe('signed out');
  expect(await sdk(page, 'account', 'password')).toBeUndefined();

  const wrong = await sdk(page, 'signInWithPassword', email, 'Wrong-Harbour-42');
  expect(wrong).toMatchObject({ signedIn: false, passwordIncorrect: true });
  const signedIn = await sdk(page, 'signInWithPassword', email, 'Sunny-Harbour-42');
  expect(signedIn).toMatchObject({ signedIn: true, account: { username: email } });

  const cached = await sdk(page, 'accessToken', 'password', false);
  const refreshed = await sdk(page, 'accessToken', 'password', true);
  expect(refreshed.fromCache).toBe(false);
  expect(refreshed.accessToken).toBeTruthy();
  expect(refreshed.accessToken).not.toBe(cached.accessToken);
});

test('tells an unknown user apart from a wrong password', async ({ page }) => {
  await open(page);
  expect(await sdk(page, 'signInWithPassword', freshEmail('nobody'), 'Whatever-42')).toMatchObject({ signedIn: false, userNotFound: true });
});

test('signs up and signs in with an email one-time passcode', async ({ page, mailbox }) => {
  await open(page);
  const email = freshEmail('native-otp');
  await sdk(page, 'signUpStart', 'otp', email);
  const up = await mailbox.waitForCode(email, { kind: 'sign-up-code' });
  expect(await sdk(page, 'signUpFinish', 'otp', up.code, undefined, { displayName: 'Otp Customer' })).toMatchObject({ username: email, name: 'Otp Customer' });
  expect(await sdk(page, 'signOut', 'otp')).toBe('signed out');

  expect(await sdk(page, 'signInOtpStart', email)).toEqual({ codeLength: 8 });
  const inCode = await mailbox.waitForCode(email, { kind: 'sign-in-code' });
  expect(await sdk(page, 'signInOtpFinish', inCode.code)).toMatchObject({ username: email });
  expect((await sdk(page, 'accessToken', 'otp', true)).accessToken).toBeTruthy();
});

test('resets a password and is signed in; the new password works', async ({ page, mailbox }) => {
  await open(page);
  const email = freshEmail('native-reset');
  await sdk(page, 'signUpStart', 'password', email);
  const up = await mailbox.waitForCode(email, { kind: 'sign-up-code' });
  await sdk(page, 'signUpFinish', 'password', up.code, 'Sunny-Harbour-42', ATTRIBUTES);
  await sdk(page, 'signOut', 'password');

  await sdk(page, 'resetStart', email);
  const reset = await mailbox.waitForCode(email, { kind: 'reset-code' });
  expect(await sdk(page, 'resetFinish', reset.code, 'Windy-Harbour-43')).toMatchObject({ username: email });
  await sdk(page, 'signOut', 'password');
  expect(await sdk(page, 'signInWithPassword', email, 'Windy-Harbour-43')).toMatchObject({ signedIn: true });
});

test('falls back to the browser redirect when the app configures no challenge types', async ({ page }) => {
  await open(page);
  const outcome = await sdk(page, 'redirectFallback', USERS.alice.email);
  expect(outcome.error).toMatchObject({ redirect: true });
});

test('an app that requires MFA: registers the sign-in email just in time, then asks for an emailed code', async ({ page, mailbox }) => {
  await open(page);
  const email = freshEmail('native-mfa');
  await sdk(page, 'signUpStart', 'password', email);
  const up = await mailbox.waitForCode(email, { kind: 'sign-up-code' });
  await sdk(page, 'signUpFinish', 'password', up.code, 'Sunny-Harbour-42', ATTRIBUTES);
  await sdk(page, 'signOut', 'password');

  const registered = await sdk(page, 'mfaSignInRegistering', email, 'Sunny-Harbour-42');
  expect(registered).toMatchObject({ methods: 1, account: { username: email } });
  await sdk(page, 'signOut', 'mfa');

  await sdk(page, 'mfaSignInStart', email, 'Sunny-Harbour-42');
  const mfa = await mailbox.waitForCode(email, { kind: 'sign-in-code' });
  expect(await sdk(page, 'mfaSignInFinish', mfa.code)).toMatchObject({ username: email });
});
