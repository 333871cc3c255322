import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { expect, test } from '../fixtures.js';
import { E2E_USERS } from '../support/emulator-process.js';
import { E2E_ENV, fromSetup } from '../support/env.js';
import { webAppAuthorize } from '../support/authorize.js';

/** Moves the emulator's clock over the control plane (`POST /_emulator/v1/clock`), from the test process. */
function moveClock(emulatorUrl: string, body: { advance: string } | { reset: true }): Promise<void> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(`${emulatorUrl}/_emulator/v1/clock`, {
      method: 'POST', ca: readFileSync(fromSetup(E2E_ENV.ca), 'utf8'), timeout: 5_000,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`POST /clock ${payload} answered ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8')}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('POST /clock timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

test.describe('negative paths seen in the browser', () => {
  test('locks the account after 10 failed attempts for 60 s (AADSTS50053 still 50 s later, signed in 65 s later)', async ({ page, emulator, signInPage, webApp }) => {
    // lockout@contoso.com exists for this test only (support/emulator-process.ts), so the lock it
    // leaves behind touches no other test; the clock always goes back to the real time. The emulator's
    // clock is real time plus the offset we add, and browser steps take real seconds on a busy
    // machine, so the travels keep a margin; the exact 59 s / 61 s boundary is pinned with a manual
    // clock in server/flows/sign-in/sign-in.test.ts.
    const user = E2E_USERS.lockout;
    test.slow(); // thirteen sign-ins in a real browser
    try {
      await page.goto(webAppAuthorize(emulator.authority).url);
      for (let i = 1; i <= 10; i++) {
        await signInPage.signIn(user.email, `wrong-password-${i}`);
        await expect(signInPage.error()).toContainText('AADSTS50126');
      }
      await signInPage.signIn(user.email, user.password);
      await expect(signInPage.error()).toContainText('AADSTS50053');
      await expect(signInPage.error()).toContainText('temporarily locked');

      await moveClock(emulator.url, { advance: 'PT50S' });
      await page.goto(webAppAuthorize(emulator.authority).url);
      await signInPage.signIn(user.email, user.password);
      await expect(signInPage.error()).toContainText('AADSTS50053');

      await moveClock(emulator.url, { advance: 'PT15S' });
      await page.goto(webAppAuthorize(emulator.authority).url);
      await signInPage.signIn(user.email, user.password);
      const response = await webApp.waitForRedirect();
      expect(response.get('error')).toBeNull();
      expect(response.get('code')).toMatch(/^\S{16,}$/);
    } finally {
      await moveClock(emulator.url, { reset: true });
    }
  });

  test('shows an error page when a SPA uses a web-platform redirect URI (AADSTS50011)', async ({ page, emulator, errorPage }) => {
    const url = webAppAuthorize(emulator.authority, { client_id: '22222222-2222-4222-8222-222222222222', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }).url;
    const response = await page.goto(url);
    expect(response?.status()).toBe(400);
    await expect(errorPage.code).toHaveText('AADSTS50011');
    expect(page.url()).toBe(url);
  });
});
