import { chromium, test as base, type BrowserContext } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorPage } from './pages/error.page.js';
import { SignInPage } from './pages/sign-in.page.js';
import { WEB_APP, WebAppStub } from './pages/web-app.page.js';
import { mapHostArg, trustCertificateArg } from './support/chromium.js';
import { E2E_ENV, fromSetup } from './support/env.js';
import { startWebAppServer, type WebAppServer } from './support/web-app-server.js';
import { startSampleApps, type SampleApps } from './support/sample-apps.js';
import { SpaPage } from './pages/spa.page.js';
import { FlowStepPage } from './pages/flow-step.page.js';
import { Mailbox } from './support/mailbox.js';

/** The emulator the global setup started for this run (default fixtures). */
export interface EmulatorUnderTest {
  url: string;
  /** `${url}/contoso.onmicrosoft.com`, the authority MSAL would be configured with */
  authority: string;
  tenantId: string;
  domain: string;
}

export const TENANT = {
  id: '11111111-1111-4111-8111-111111111111',
  domain: 'contoso.onmicrosoft.com',
} as const;

export const USERS = {
  alice: { id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', email: 'alice@contoso.com', password: 'Passw0rd!' },
  blocked: { email: 'blocked@contoso.com', password: 'Passw0rd!' },
} as const;

interface PageFixtures {
  spa: SpaPage;
  signInPage: SignInPage;
  /** any page of the hosted sign-up, password reset and email-code flows */
  flowPage: FlowStepPage;
  errorPage: ErrorPage;
  /** the web app's side: where the emulator sent the browser (support/web-app-server.ts answers) */
  webApp: WebAppStub;
}

interface WorkerFixtures {
  emulator: EmulatorUnderTest;
  webAppServer: WebAppServer;
  /** set per project: run the real sample apps (e2e/apps) instead of the redirect-URI stub */
  sampleApps: boolean;
  samples: SampleApps | undefined;
  /** the emulator's outbox (/_emulator/v1/mail), where the flows' codes are read */
  mailbox: Mailbox;
}

export const test = base.extend<PageFixtures, WorkerFixtures>({
  emulator: [
    async ({}, use) => {
      const url = fromSetup(E2E_ENV.url);
      await use({ url, authority: `${url}/${TENANT.domain}`, tenantId: TENANT.id, domain: TENANT.domain });
    },
    { scope: 'worker' },
  ],

  sampleApps: [false, { option: true, scope: 'worker' }],

  mailbox: [async ({ emulator }, use) => use(new Mailbox(emulator.url)), { scope: 'worker' }],

  samples: [
    async ({ sampleApps, emulator }, use) => {
      if (!sampleApps) return use(undefined);
      const apps = await startSampleApps(emulator.url);
      await use(apps);
      await apps.close();
    },
    { scope: 'worker' },
  ],

  webAppServer: [
    async ({}, use) => {
      const server = await startWebAppServer();
      await use(server);
      await server.close();
    },
    { scope: 'worker' },
  ],

  // Added to the config's launch options, because both are only known once things are running:
  // - the browser trusts exactly the emulator's certificate (not every certificate);
  // - the apps' registered origins (http://localhost:3000, :3001, :3002) reach the sample apps, or
  //   :3001 reaches the stub app, on whatever free ports they got.
  launchOptions: [
    async ({ launchOptions, webAppServer, samples }, use) => {
      const ports: Record<string, number> = samples
        ? { 'localhost:3000': samples.spa, 'localhost:3001': samples.web, 'localhost:3002': samples.api }
        : { [new URL(WEB_APP.origin).host]: webAppServer.port };
      await use({
        ...launchOptions,
        args: [
          ...(launchOptions.args ?? []),
          trustCertificateArg(fromSetup(E2E_ENV.spki)),
          mapHostArg(ports),
        ],
      });
    },
    { scope: 'worker' },
  ],

  // The sample apps run in a regular browser profile. Playwright's usual contexts are off-the-record
  // profiles, where Chromium blocks third-party cookies by default; the SPA's silent renewal through
  // the hidden iframe needs the emulator's session cookie inside a cross-site iframe, as it does
  // against real Entra in a user's default profile.
  context: async ({ sampleApps, browser, launchOptions }, use) => {
    let context: BrowserContext;
    let profile: string | undefined;
    if (sampleApps) {
      profile = mkdtempSync(join(tmpdir(), 'ciam-e2e-profile-'));
      // "Allow third-party cookies" (cookie_controls_mode 0), the setting the hidden iframe relies on.
      mkdirSync(join(profile, 'Default'));
      writeFileSync(join(profile, 'Default', 'Preferences'), JSON.stringify({ profile: { cookie_controls_mode: 0, block_third_party_cookies: false } }));
      context = await chromium.launchPersistentContext(profile, { ...launchOptions, headless: true });
    } else {
      context = await browser.newContext();
    }
    await use(context);
    await context.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  },
  page: async ({ context, sampleApps }, use) => {
    const page = sampleApps ? (context.pages()[0] ?? await context.newPage()) : await context.newPage();
    await use(page);
  },
  spa: async ({ page }, use) => use(new SpaPage(page)),
  signInPage: async ({ page }, use) => use(new SignInPage(page)),
  flowPage: async ({ page }, use) => use(new FlowStepPage(page)),
  errorPage: async ({ page }, use) => use(new ErrorPage(page)),
  webApp: async ({ page, webAppServer }, use) => use(new WebAppStub(page, webAppServer)),
});

export { expect } from '@playwright/test';
