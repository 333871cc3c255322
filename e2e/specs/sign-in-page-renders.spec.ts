import type { Response } from '@playwright/test';
import { expect, test } from '../fixtures.js';
import { webAppAuthorize } from '../support/authorize.js';

/** Every response of a navigation, from the first request to the committed page. */
async function redirectChain(committed: Response): Promise<Response[]> {
  const chain = [committed];
  for (let request = committed.request().redirectedFrom(); request; request = request.redirectedFrom()) {
    const response = await request.response();
    if (response) chain.unshift(response);
  }
  return chain;
}

test('the web app\'s authorize request shows the hosted sign-in page with labelled fields', async ({ page, emulator, signInPage, webApp }, testInfo) => {
  const { url } = webAppAuthorize(emulator.authority);

  const response = await page.goto(url);

  expect(response, 'a page was committed').not.toBeNull();
  expect(response!.status()).toBe(200);
  expect(page.url()).toMatch(new RegExp(`^${emulator.url}/${emulator.tenantId}/interaction/[\\w-]+$`));
  await expect(page).toHaveTitle(/Sign in/);
  await expect(signInPage.heading).toBeVisible();
  await expect(page.getByText('Welcome to Contoso. Sign in with your email address.')).toBeVisible();
  await expect(signInPage.email).toBeVisible();
  await expect(signInPage.email).toHaveAttribute('type', 'email');
  await expect(signInPage.email).toBeEmpty();
  await expect(signInPage.email).toBeFocused();
  await expect(signInPage.password).toBeVisible();
  await expect(signInPage.password).toHaveAttribute('type', 'password');
  await expect(signInPage.submitButton).toBeEnabled();
  await expect(signInPage.error()).toHaveCount(0);
  expect(webApp.requests).toEqual([]);

  // MSAL's popup flow needs login pages without Cross-Origin-Opener-Policy: neither the
  // /authorize redirect nor the sign-in page may send it.
  const chain = await redirectChain(response!);
  expect(chain.length, '/authorize redirected to the sign-in page').toBeGreaterThan(1);
  expect(new URL(chain[0]!.url()).pathname).toBe(`/${emulator.domain}/oauth2/v2.0/authorize`);
  for (const r of chain) {
    expect(await r.headerValue('cross-origin-opener-policy'), `COOP on ${r.url()}`).toBeNull();
  }

  const screenshot = await page.screenshot({ path: testInfo.outputPath('sign-in-page.png'), fullPage: true });
  await testInfo.attach('sign-in-page', { body: screenshot, contentType: 'image/png' });
});
