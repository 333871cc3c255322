import { expect, test, USERS } from '../../fixtures.js';

// msal-browser falls back from the refresh token to the hidden iframe only when the token endpoint
// answers `invalid_grant` (StandardController); with no session left, the iframe then answers
// login_required and the app learns it needs interaction. Entra answers a revoked or unknown refresh
// token with invalid_grant (fidelity-gaps.md D1), so this is what an app sees in production.
test.describe('sample SPA (msal-browser): a refresh token the emulator no longer knows', () => {
  test('acquireTokenSilent falls back to the iframe and raises InteractionRequiredAuthError (login_required)', async ({ page, context, spa, signInPage }) => {
    await spa.open();
    await spa.button('Sign in').click();
    await signInPage.signIn(USERS.alice.email, USERS.alice.password);
    await expect(spa.status).toHaveText(`Signed in as ${USERS.alice.email}`);

    // The refresh token msal-browser holds is revoked: what reaches the token endpoint is one it does
    // not know (msal-browser 5 keeps its cache encrypted, so the request is changed on the wire).
    let refreshes = 0;
    await page.route((url) => url.pathname.endsWith('/oauth2/v2.0/token'), async (route) => {
      const body = new URLSearchParams(route.request().postData() ?? '');
      if (route.request().method() !== 'POST' || body.get('grant_type') !== 'refresh_token') return route.continue();
      refreshes += 1;
      body.set('refresh_token', 'revoked-refresh-token');
      return route.continue({ postData: body.toString() });
    });
    // and no sign-in session is left for the hidden iframe
    await context.clearCookies();

    await spa.button('Renew token (refresh token)').click();
    await expect(spa.status).toContainText('Silent renewal needs interaction: login_required');
    await expect(spa.error).toContainText('AADSTS50058');
    expect(refreshes).toBe(1);
  });
});
