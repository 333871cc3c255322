import type { Page } from '@playwright/test';
import { expect, test, USERS } from '../../fixtures.js';

/** Screenshots are kept as test artifacts under test-results/e2e/ (CI keeps them). */
async function screenshot(page: Page, path: string): Promise<string> {
  await page.screenshot({ path, fullPage: true });
  return path;
}

// The JavaScript quickstart: @azure/msal-browser 5 in Chromium, configured with only `authority`
// and `knownAuthorities` pointing at the emulator.
test.describe('sample SPA (msal-browser)', () => {
  test('signs in with a redirect, shows the ID token claims and calls the API', async ({ page, spa, signInPage }, testInfo) => {
    await spa.open();
    await spa.button('Sign in').click();
    await expect(signInPage.heading).toBeVisible();
    await signInPage.signIn(USERS.alice.email, USERS.alice.password);

    await expect(spa.status).toHaveText(`Signed in as ${USERS.alice.email}`);
    await expect(spa.claim('oid')).toHaveText(USERS.alice.id);
    await expect(spa.claim('tid')).toHaveText('11111111-1111-4111-8111-111111111111');
    await expect(spa.claim('name')).toHaveText('Alice Example');
    await testInfo.attach('signed-in-spa', { path: await screenshot(page, testInfo.outputPath('signed-in-spa.png')), contentType: 'image/png' });

    await spa.button('Call the ToDo API').click();
    await expect(spa.status).toHaveText('API answered 200');
    await expect(spa.apiResult).toContainText('"scp": "ToDoList.Read"');
    await expect(spa.apiResult).toContainText(USERS.alice.id);
  });

  test('signs in with a popup', async ({ page, spa }) => {
    await spa.open();
    const popupOpened = page.waitForEvent('popup');
    await spa.button('Sign in with a popup').click();
    const popup = await popupOpened;
    await popup.getByLabel('Email address').fill(USERS.alice.email);
    await popup.getByLabel('Password', { exact: true }).fill(USERS.alice.password);
    await popup.getByRole('button', { name: 'Sign in' }).click();
    await expect(spa.status).toHaveText(`Signed in as ${USERS.alice.email}`);
    await expect(spa.claim('preferred_username')).toHaveText(USERS.alice.email);
  });

  test('renews silently through the refresh token and the hidden iframe, and asks for interaction without a session', async ({ page, context, spa, signInPage }) => {
    await spa.open();
    await spa.button('Sign in').click();
    await signInPage.signIn(USERS.alice.email, USERS.alice.password);
    await expect(spa.status).toHaveText(`Signed in as ${USERS.alice.email}`);

    await spa.button('Renew token (refresh token)').click();
    await expect(spa.status).toContainText('Refresh token: new access token from the emulator');

    await spa.button('Renew token (hidden iframe)').click();
    await expect(spa.status).toContainText('Hidden iframe: new access token from the emulator');

    // No emulator session any more: prompt=none answers login_required (AADSTS50058) and the app
    // learns it needs interaction.
    await context.clearCookies();
    await spa.button('Renew token (hidden iframe)').click();
    await expect(spa.status).toContainText('Silent renewal needs interaction: login_required');
    await expect(spa.error).toContainText('AADSTS50058');
    expect(page.url().startsWith('http://localhost:3000')).toBe(true);
  });

  test('signs out to the registered post-logout URI, and the next sign-in shows the form again', async ({ page, spa, signInPage }) => {
    await spa.open();
    await spa.button('Sign in').click();
    await signInPage.signIn(USERS.alice.email, USERS.alice.password);
    await expect(spa.status).toHaveText(`Signed in as ${USERS.alice.email}`);

    await spa.button('Sign out').click();
    await page.waitForURL((url) => url.origin === 'http://localhost:3000');
    await expect(spa.status).toHaveText('Not signed in.');

    await spa.button('Sign in').click();
    await expect(signInPage.heading).toBeVisible();
  });
});

test.describe('sample web app (msal-node)', () => {
  test('signs in without the form after the SPA signed in (SSO), and calls the API from the server', async ({ page, spa, signInPage }, testInfo) => {
    await spa.open();
    await spa.button('Sign in').click();
    await signInPage.signIn(USERS.alice.email, USERS.alice.password);
    await expect(spa.status).toHaveText(`Signed in as ${USERS.alice.email}`);

    const shown: string[] = [];
    page.on('response', (r) => { if (r.request().isNavigationRequest() && r.url().includes('/interaction/')) shown.push(r.url()); });
    await page.goto('http://localhost:3001/auth/signin');
    await expect(page.getByTestId('status')).toHaveText(`Signed in as ${USERS.alice.email}`);
    expect(shown, 'the sign-in form was not shown').toEqual([]);
    await expect(page.locator('td[data-claim="oid"]')).toHaveText(USERS.alice.id);
    await testInfo.attach('signed-in-web-app', { path: await screenshot(page, testInfo.outputPath('signed-in-web-app.png')), contentType: 'image/png' });

    await page.getByRole('link', { name: 'Call the ToDo API' }).click();
    await expect(page.getByTestId('status')).toHaveText('API answered 200');
    await expect(page.getByTestId('api-result')).toContainText('ToDoList.Read');

    await page.goto('http://localhost:3001/auth/signout');
    await page.waitForURL('http://localhost:3001/');
    await expect(page.getByTestId('status')).toHaveText('Not signed in.');
  });
});
