import type { Page } from '@playwright/test';
import { expect, test, USERS } from '../fixtures.js';
import { SignInPage } from '../pages/sign-in.page.js';
import { WebAppStub } from '../pages/web-app.page.js';
import { webAppAuthorize } from '../support/authorize.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function decodeClientInfo(value: string): unknown {
  return JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
}

/** Records whether the emulator ever showed a page (rather than only redirecting) in this tab. */
function watchEmulatorPages(page: Page, origin: string): string[] {
  const shown: string[] = [];
  page.on('response', (response) => {
    const request = response.request();
    if (request.isNavigationRequest() && request.frame() === page.mainFrame() && response.url().startsWith(origin)
      && (response.status() < 300 || response.status() >= 400)) {
      shown.push(`${response.status()} ${response.url()}`);
    }
  });
  return shown;
}

test.describe('a successful sign-in returns to the web app', () => {
  test('the right password lands on the redirect URI with code, the same state, client_info and session_state', async ({ page, emulator, signInPage, webApp }) => {
    const request = webAppAuthorize(emulator.authority);
    await page.goto(request.url);

    await signInPage.fill(USERS.alice.email, USERS.alice.password);
    await signInPage.submit();
    const response = await webApp.waitForRedirect();

    expect(page.url().startsWith('http://localhost:3001/auth/redirect?'), 'response_mode=query for the code flow').toBe(true);
    expect(response.get('error')).toBeNull();
    expect(response.get('code')).toMatch(/^\S{16,}$/);
    expect(response.get('state')).toBe(request.state);
    expect(decodeClientInfo(response.get('client_info') ?? '')).toEqual({ uid: USERS.alice.id, utid: emulator.tenantId });
    expect(response.get('session_state')).toMatch(GUID);
    expect(webApp.requests).toHaveLength(1);
    await expect(page.getByRole('heading', { name: 'Contoso Web App' })).toBeVisible();
  });

  test('a second authorize in the same browser context completes without showing the form (SSO)', async ({ page, context, emulator, signInPage, webApp, webAppServer }) => {
    await page.goto(webAppAuthorize(emulator.authority).url);
    await signInPage.fill(USERS.alice.email, USERS.alice.password);
    await signInPage.submit();
    const first = await webApp.waitForRedirect();

    // A new tab in the same context: the emulator's session cookie is all it has.
    const tab = await context.newPage();
    const tabApp = new WebAppStub(tab, webAppServer);
    const shown = watchEmulatorPages(tab, emulator.url);
    const again = webAppAuthorize(emulator.authority);
    await tab.goto(again.url);
    const second = await tabApp.waitForRedirect();

    expect(shown, 'no emulator page was displayed').toEqual([]);
    await expect(new SignInPage(tab).heading).toHaveCount(0);
    expect(second.get('error')).toBeNull();
    expect(second.get('code')).toBeTruthy();
    expect(second.get('code')).not.toBe(first.get('code'));
    expect(second.get('state')).toBe(again.state);
    expect(decodeClientInfo(second.get('client_info') ?? '')).toEqual({ uid: USERS.alice.id, utid: emulator.tenantId });
    expect(second.get('session_state'), 'the same session').toBe(first.get('session_state'));
    expect(tabApp.requests).toHaveLength(1);
  });
});
