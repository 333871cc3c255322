import { expect, test, USERS } from '../fixtures.js';
import { webAppAuthorize } from '../support/authorize.js';

test.describe('silent sign-in (prompt=none)', () => {
  test('with no session it returns login_required with AADSTS50058 to the app', async ({ page, emulator, signInPage, webApp }) => {
    const request = webAppAuthorize(emulator.authority, { prompt: 'none' });

    await page.goto(request.url);
    const response = await webApp.waitForRedirect();

    expect(response.get('error')).toBe('login_required');
    expect(response.get('error_description')).toMatch(/^AADSTS50058: /);
    expect(response.get('state')).toBe(request.state);
    expect(response.get('code')).toBeNull();
    await expect(signInPage.heading).toHaveCount(0);
  });

  test('with a session it returns a code without a page', async ({ page, emulator, signInPage, webApp }) => {
    await page.goto(webAppAuthorize(emulator.authority).url);
    await signInPage.fill(USERS.alice.email, USERS.alice.password);
    await signInPage.submit();
    await webApp.waitForRedirect();

    const request = webAppAuthorize(emulator.authority, { prompt: 'none' });
    await page.goto(request.url);
    const response = await webApp.waitForRedirect();

    expect(response.get('error')).toBeNull();
    expect(response.get('code')).toBeTruthy();
    expect(response.get('state')).toBe(request.state);
  });
});
