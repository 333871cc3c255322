import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/chromium.js';

/**
 * Browser tests of the hosted pages: `npm run test:e2e` (e2e/run.mjs checks for Chromium first).
 * One emulator serves the whole run (global-setup.ts); one worker keeps its shared state simple.
 */
export default defineConfig<object, { sampleApps: boolean }>({
  testDir: './specs',
  // The hosted pages are tested against a stub app; the quickstart sample apps (e2e/apps) run for real.
  projects: [
    { name: 'hosted-pages', testIgnore: /sample-apps\// },
    { name: 'sample-apps', testMatch: /sample-apps\/.*\.spec\.ts/, use: { sampleApps: true } },
  ],
  outputDir: '../test-results/e2e',
  globalSetup: './global-setup.ts',
  workers: 1,
  fullyParallel: false,
  forbidOnly: process.env.CI === 'true' || /^(1|true)$/i.test(process.env.CIAM_E2E_REQUIRED ?? ''),
  retries: 0,
  timeout: 20_000,
  expect: { timeout: 5_000 },
  reporter: process.env.CI ? [['list'], ['html', { outputFolder: '../playwright-report', open: 'never' }]] : [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    // The emulator's certificate is trusted with --ignore-certificate-errors-spki-list (fixtures.ts).
    // That works with Debian's Chromium 156 (checked: without the switch, or with another key's
    // hash, navigation fails with ERR_CERT_AUTHORITY_INVALID), so HTTPS errors are NOT ignored
    // wholesale.
    ignoreHTTPSErrors: false,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    actionTimeout: 5_000,
    navigationTimeout: 10_000,
  },
});
