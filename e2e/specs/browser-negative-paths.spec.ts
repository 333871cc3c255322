import { expect, test } from '../fixtures.js';
import { E2E_USERS } from '../support/emulator-process.js';
import { webAppAuthorize } from '../support/authorize.js';

test.describe('negative paths seen in the browser', () => {
  test('locks the account after 10 failed attempts (AADSTS50053)', async ({ page, emulator, signInPage }) => {
    const user = E2E_USERS.lockout;
    await page.goto(webAppAuthorize(emulator.authority).url);
    for (let i = 1; i <= 10; i++) {
      await signInPage.signIn(user.email, `wrong-password-${i}`);
      await expect(signInPage.error()).toContainText('AADSTS50126');
    }
    await signInPage.signIn(user.email, user.password);
    await expect(signInPage.error()).toContainText('AADSTS50053');
    await expect(signInPage.error()).toContainText('temporarily locked');
  });

  test('shows an error page when a SPA uses a web-platform redirect URI (AADSTS50011)', async ({ page, emulator, errorPage }) => {
    const url = webAppAuthorize(emulator.authority, { client_id: '22222222-2222-4222-8222-222222222222', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }).url;
    const response = await page.goto(url);
    expect(response?.status()).toBe(400);
    await expect(errorPage.code).toHaveText('AADSTS50011');
    expect(page.url()).toBe(url);
  });
});
