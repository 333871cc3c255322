import type { Page, TestInfo } from '@playwright/test';
import { expect, test } from '../../fixtures.js';
import type { FlowStepPage } from '../../pages/flow-step.page.js';
import type { SignInPage } from '../../pages/sign-in.page.js';
import type { SpaPage } from '../../pages/spa.page.js';
import { freshEmail, type Mailbox } from '../../support/mailbox.js';

/**
 * The hosted user flows, driven through the real sample SPA (@azure/msal-browser in Chromium):
 * self-service sign-up with email + password, the email one-time passcode app (`?app=otp`), and
 * "Forgot password?". Codes are read from the emulator's outbox (/_emulator/v1/mail). One emulator
 * serves the whole run, so every test signs up its own fresh addresses.
 */
const APPS = {
  spa: '22222222-2222-4222-8222-222222222222',
  otp: '77777777-7777-4777-8777-777777777777',
} as const;

/** A full-page screenshot kept with the test's results (test-results/e2e/…) and attached to its report. */
async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

interface NewCustomer {
  email: string;
  password: string;
  displayName: string;
  givenName: string;
  surname: string;
  country: string;
  loyaltyNumber: string;
}

function newCustomer(label: string): NewCustomer {
  return {
    email: freshEmail(label),
    password: 'Sunny-Harbour-42',
    displayName: 'Robin Customer',
    givenName: 'Robin',
    surname: 'Customer',
    country: 'United Kingdom',
    loyaltyNumber: '20481632',
  };
}

/**
 * From the SPA's "Sign in" through "Create one" to the SPA signed in as the new customer (email +
 * password user flow). `shot` is called on each page once it is filled in, just before it is sent.
 */
async function signUpWithPassword(
  { spa, signInPage, flowPage, mailbox }: { spa: SpaPage; signInPage: SignInPage; flowPage: FlowStepPage; mailbox: Mailbox },
  customer: NewCustomer,
  shot: (name: string) => Promise<void> = async () => {},
): Promise<void> {
  await spa.button('Sign in').click();
  await expect(signInPage.heading).toBeVisible();
  await flowPage.link('Create one').click();

  await flowPage.expectStep('Create account');
  await flowPage.fill({ 'Email address': customer.email });
  await shot('1-email');
  await flowPage.submit('Next');

  await flowPage.expectStep('Enter code');
  await expect(flowPage.page.getByText(`Enter the code we sent to ${customer.email}.`)).toBeVisible();
  const { code } = await mailbox.waitForCode(customer.email, { kind: 'sign-up-code' });
  await flowPage.fill({ Code: code });
  await shot('2-code');
  await flowPage.submit('Verify');

  await flowPage.expectStep('Create your password');
  await flowPage.fill({ 'New password': customer.password, 'Confirm password': customer.password });
  await shot('3-password');
  await flowPage.submit('Next');

  await flowPage.expectStep('Tell us about yourself');
  await flowPage.fill({
    'Display Name': customer.displayName,
    'Given Name': customer.givenName,
    Surname: customer.surname,
    'Loyalty Number': customer.loyaltyNumber,
  });
  await flowPage.choose('Country/Region', customer.country);
  await shot('4-attributes');
  await flowPage.submit('Create');

  await expect(spa.status).toHaveText(`Signed in as ${customer.email}`);
}

async function signOut(page: Page, spa: SpaPage): Promise<void> {
  await spa.button('Sign out').click();
  await page.waitForURL((url) => url.origin === 'http://localhost:3000');
  await expect(spa.status).toHaveText('Not signed in.');
}

test.describe('sample SPA: self-service user flows', () => {
  // Each test walks several pages and hashes passwords: more than the default 20 s on a slow box.
  test.describe.configure({ timeout: 60_000 });

  test('signs up with email and password from "Create one", and the ID token carries what was entered', async ({ page, spa, signInPage, flowPage, mailbox }, testInfo) => {
    const customer = newCustomer('signup');
    await spa.open();
    await expect(spa.activeApp).toHaveAttribute('data-app', 'default');
    await expect(spa.activeApp).toContainText(APPS.spa);

    await signUpWithPassword({ spa, signInPage, flowPage, mailbox }, customer, (name) => screenshot(page, testInfo, name));

    await expect(spa.claim('aud')).toHaveText(APPS.spa);
    await expect(spa.claim('preferred_username')).toHaveText(customer.email);
    await expect(spa.claim('name')).toHaveText(customer.displayName);
    await expect(spa.claim('loyaltyNumber')).toHaveText(customer.loyaltyNumber);
    await expect(spa.claim('country')).toHaveText(customer.country);
    await expect(page.getByTestId('user-name')).toHaveText(customer.displayName);
    await screenshot(page, testInfo, '5-signed-in-spa');
  });

  test('the sign-up pages refuse a wrong code, an old code after "Resend code", and invalid attributes', async ({ page, spa, signInPage, flowPage, mailbox }, testInfo) => {
    const customer = newCustomer('signup-errors');
    await spa.open();
    await spa.button('Sign in').click();
    await expect(signInPage.heading).toBeVisible();
    await flowPage.link('Create one').click();
    await flowPage.expectStep('Create account');
    await flowPage.fill({ 'Email address': customer.email });
    await flowPage.submit('Next');

    await flowPage.expectStep('Enter code');
    const first = await mailbox.waitForCode(customer.email, { kind: 'sign-up-code' });
    const wrong = first.code === '00000000' ? '11111111' : '00000000';
    await flowPage.fill({ Code: wrong });
    await flowPage.submit('Verify');
    // The message and its code sit under the field they are about, not in a box above the form too.
    await expect(flowPage.fieldError('Code')).toContainText("That code didn't work.");
    await expect(flowPage.fieldError('Code')).toContainText('AADSTS50181');
    await expect(flowPage.error).toHaveCount(0);
    await expect(flowPage.field('Code')).toHaveAttribute('aria-invalid', 'true');
    await screenshot(page, testInfo, '2b-code-wrong');

    // A resend replaces the code: the first one stops working, the new one verifies.
    await flowPage.resend();
    await expect(flowPage.info).toHaveText(`We sent a new code to ${customer.email}.`);
    const second = await mailbox.waitForCode(customer.email, { after: first.mail, kind: 'sign-up-code' });
    await flowPage.fill({ Code: first.code });
    await flowPage.submit('Verify');
    await expect(flowPage.fieldError('Code')).toContainText('AADSTS50181');
    await flowPage.fill({ Code: second.code });
    await flowPage.submit('Verify');

    await flowPage.expectStep('Create your password');
    await flowPage.fill({ 'New password': customer.password, 'Confirm password': `${customer.password}x` });
    await flowPage.submit('Next');
    await expect(flowPage.fieldError('Confirm password')).toContainText("The passwords don't match.");
    await screenshot(page, testInfo, '3b-password-mismatch');
    await flowPage.fill({ 'New password': customer.password, 'Confirm password': customer.password });
    await flowPage.submit('Next');

    // Loyalty Number must match ^[0-9]{6,10}$; Country/Region is required.
    await flowPage.expectStep('Tell us about yourself');
    await flowPage.fill({ 'Display Name': customer.displayName, 'Loyalty Number': '12ab' });
    await flowPage.submit('Create');
    await expect(flowPage.error).toHaveText('Please correct the highlighted information.');
    await expect(flowPage.fieldError('Loyalty Number')).toBeVisible();
    await expect(flowPage.fieldError('Country/Region')).toBeVisible();
    await expect(flowPage.fieldError('Display Name')).toHaveCount(0);
    await expect(flowPage.field('Display Name')).toHaveValue(customer.displayName);
    await screenshot(page, testInfo, '4b-attributes-invalid');

    await flowPage.fill({ 'Loyalty Number': customer.loyaltyNumber });
    await flowPage.choose('Country/Region', 'Norway');
    await flowPage.submit('Create');
    await expect(spa.status).toHaveText(`Signed in as ${customer.email}`);
    await expect(spa.claim('country')).toHaveText('Norway');
    await expect(spa.claim('loyaltyNumber')).toHaveText(customer.loyaltyNumber);
  });

  test('the email one-time passcode app (?app=otp): signs up with a code, signs out, signs in with a new code', async ({ page, spa, flowPage, mailbox }, testInfo) => {
    const email = freshEmail('otp');
    await spa.open({ app: 'otp' });
    await expect(spa.activeApp).toHaveAttribute('data-app', 'otp');
    await expect(spa.activeApp).toContainText(APPS.otp);

    // The sign-in page of an email-code flow asks for the email only.
    await spa.button('Sign in').click();
    await flowPage.expectStep('Sign in');
    await expect(flowPage.field('Email address')).toBeVisible();
    await expect(page.getByLabel('Password')).toHaveCount(0);
    await expect(flowPage.form.getByRole('button', { name: 'Send code' })).toBeVisible();
    await screenshot(page, testInfo, '1-otp-sign-in');

    await flowPage.link('Create one').click();
    await flowPage.expectStep('Create account');
    await flowPage.fill({ 'Email address': email });
    await flowPage.submit('Next');
    await flowPage.expectStep('Enter code');
    const signUpMail = await mailbox.waitForCode(email, { kind: 'sign-up-code' });
    await flowPage.fill({ Code: signUpMail.code });
    await flowPage.submit('Verify');

    // No password page: straight to the flow's one attribute.
    await flowPage.expectStep('Tell us about yourself');
    await expect(flowPage.form.getByRole('textbox')).toHaveCount(1);
    await flowPage.fill({ 'Display Name': 'Otto Passcode' });
    await screenshot(page, testInfo, '2-otp-attributes');
    await flowPage.submit('Create');

    await expect(spa.status).toHaveText(`Signed in as ${email}`);
    await expect(spa.claim('aud')).toHaveText(APPS.otp);
    await expect(spa.claim('name')).toHaveText('Otto Passcode');
    const userId = await spa.claim('oid').textContent();

    // The app choice survives the sign-out round trip (sessionStorage).
    await signOut(page, spa);
    await expect(spa.activeApp).toHaveAttribute('data-app', 'otp');

    await spa.button('Sign in').click();
    await flowPage.expectStep('Sign in');
    await flowPage.fill({ 'Email address': email });
    await flowPage.submit('Send code');
    await flowPage.expectStep('Enter code');
    const signInMail = await mailbox.waitForCode(email, { after: signUpMail.mail, kind: 'sign-in-code' });
    expect(signInMail.mail.subject).toBe('Contoso account sign-in code');
    await flowPage.fill({ Code: signInMail.code });
    await flowPage.submit('Verify');

    await expect(spa.status).toHaveText(`Signed in as ${email}`);
    await expect(spa.claim('aud')).toHaveText(APPS.otp);
    await expect(spa.claim('oid')).toHaveText(userId!);
    await screenshot(page, testInfo, '3-otp-signed-in-spa');
  });

  test('"Forgot password?" resets the password of a new customer, who then signs in with it', async ({ page, spa, signInPage, flowPage, mailbox }, testInfo) => {
    const customer = newCustomer('reset');
    const newPassword = 'Quiet-Meadow-97';
    await spa.open();
    await signUpWithPassword({ spa, signInPage, flowPage, mailbox }, customer);
    const userId = await spa.claim('oid').textContent();
    await signOut(page, spa);

    await spa.button('Sign in').click();
    await expect(signInPage.heading).toBeVisible();
    await flowPage.link('Forgot password?').click();
    await flowPage.expectStep('Reset your password');
    await flowPage.fill({ 'Email address': customer.email });
    await screenshot(page, testInfo, '1-reset-email');
    await flowPage.submit('Send code');

    await flowPage.expectStep('Enter code');
    const { code, mail } = await mailbox.waitForCode(customer.email, { kind: 'reset-code' });
    expect(mail.subject).toBe('Contoso account password reset code');
    await flowPage.fill({ Code: code });
    await flowPage.submit('Verify');

    await flowPage.expectStep('Create a new password');
    // The policy is checked here too: 3 of 4 character groups.
    await flowPage.fill({ 'New password': 'alllowercase', 'Confirm password': 'alllowercase' });
    await flowPage.submit('Reset password');
    await expect(flowPage.fieldError('New password')).toContainText('at least 3 of these 4 groups');
    await flowPage.fill({ 'New password': newPassword, 'Confirm password': newPassword });
    await screenshot(page, testInfo, '2-reset-new-password');
    await flowPage.submit('Reset password');

    await expect(spa.status).toHaveText(`Signed in as ${customer.email}`);
    await expect(spa.claim('oid')).toHaveText(userId!);
    await signOut(page, spa);

    // The old password no longer works; the new one does.
    await spa.button('Sign in').click();
    await signInPage.signIn(customer.email, customer.password);
    await expect(signInPage.error()).toContainText('AADSTS50126');
    await signInPage.signIn(customer.email, newPassword);
    await expect(spa.status).toHaveText(`Signed in as ${customer.email}`);
    await expect(spa.claim('oid')).toHaveText(userId!);
    await expect(spa.claim('loyaltyNumber')).toHaveText(customer.loyaltyNumber);
  });
});
