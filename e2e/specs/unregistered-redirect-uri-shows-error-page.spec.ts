import { expect, test } from '../fixtures.js';
import { WEB_APP } from '../pages/web-app.page.js';
import { webAppAuthorize } from '../support/authorize.js';

test('an unregistered redirect_uri shows the error page with AADSTS50011 and does not navigate away', async ({ page, emulator, errorPage, signInPage, webApp }) => {
  const unregistered = `${WEB_APP.origin}/not-registered`;
  const request = webAppAuthorize(emulator.authority, { redirect_uri: unregistered });

  const response = await page.goto(request.url);

  expect(response).not.toBeNull();
  expect(response!.request().redirectedFrom(), 'no redirect at all').toBeNull();
  expect(response!.status()).toBe(400);
  expect(page.url()).toBe(request.url);
  await expect(errorPage.code).toHaveText('AADSTS50011');
  await expect(errorPage.message).toContainText(unregistered);
  await expect(errorPage.message).toContainText(WEB_APP.clientId);
  await expect(signInPage.email).toHaveCount(0);

  // Nothing on the page sends the browser to the unregistered URI either.
  await page.waitForLoadState('networkidle');
  expect(page.url()).toBe(request.url);
  expect(webApp.requests).toEqual([]);
});
