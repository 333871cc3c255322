import { expect, test, USERS } from '../fixtures.js';
import { webAppAuthorize } from '../support/authorize.js';

test.describe('the sign-in page rejects credentials it cannot accept', () => {
  test.beforeEach(async ({ page, emulator, signInPage }) => {
    await page.goto(webAppAuthorize(emulator.authority).url);
    await expect(signInPage.heading).toBeVisible();
  });

  test('a wrong password shows AADSTS50126 and keeps the email', async ({ page, emulator, signInPage, webApp }) => {
    const formUrl = page.url();

    await signInPage.fill(USERS.alice.email, 'not-the-password');
    await signInPage.submit();

    await expect(signInPage.error()).toBeVisible();
    await expect(signInPage.error()).toContainText('AADSTS50126');
    await expect(signInPage.email).toHaveValue(USERS.alice.email);
    // The error is about the password: that field is marked invalid, the email is not.
    await expect(signInPage.password).toHaveAttribute('aria-invalid', 'true');
    await expect(signInPage.email).not.toHaveAttribute('aria-invalid', 'true');
    await expect(signInPage.password).toBeEmpty();
    await expect(signInPage.password).toBeFocused();
    expect(new URL(page.url()).origin).toBe(emulator.url);
    expect(webApp.requests).toEqual([]);

    // The form still works after the error: the right password now signs in.
    expect(page.url()).toContain(new URL(formUrl).pathname);
    await signInPage.fill(USERS.alice.email, USERS.alice.password);
    await signInPage.submit();
    const response = await webApp.waitForRedirect();
    expect(response.get('code')).toBeTruthy();
  });

  test('a disabled account shows AADSTS50057', async ({ page, emulator, signInPage, webApp }) => {
    await signInPage.fill(USERS.blocked.email, USERS.blocked.password);
    await signInPage.submit();

    await expect(signInPage.error()).toBeVisible();
    await expect(signInPage.error()).toContainText('AADSTS50057');
    await expect(signInPage.email).toHaveValue(USERS.blocked.email);
    expect(new URL(page.url()).origin).toBe(emulator.url);
    expect(webApp.requests).toEqual([]);
  });
});
