import { test as base } from '@playwright/test';
import { ErrorPage } from './pages/error.page.js';
import { SignInPage } from './pages/sign-in.page.js';
import { WEB_APP, WebAppStub } from './pages/web-app.page.js';
import { mapHostArg, trustCertificateArg } from './support/chromium.js';
import { E2E_ENV, fromSetup } from './support/env.js';
import { startWebAppServer, type WebAppServer } from './support/web-app-server.js';

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
  signInPage: SignInPage;
  errorPage: ErrorPage;
  /** the web app's side: where the emulator sent the browser (support/web-app-server.ts answers) */
  webApp: WebAppStub;
}

interface WorkerFixtures {
  emulator: EmulatorUnderTest;
  webAppServer: WebAppServer;
}

export const test = base.extend<PageFixtures, WorkerFixtures>({
  emulator: [
    async ({}, use) => {
      const url = fromSetup(E2E_ENV.url);
      await use({ url, authority: `${url}/${TENANT.domain}`, tenantId: TENANT.id, domain: TENANT.domain });
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
  // - http://localhost:3001 (the web app's registered redirect URI) reaches the stub app.
  launchOptions: [
    async ({ launchOptions, webAppServer }, use) => {
      await use({
        ...launchOptions,
        args: [
          ...(launchOptions.args ?? []),
          trustCertificateArg(fromSetup(E2E_ENV.spki)),
          mapHostArg(new URL(WEB_APP.origin).host, webAppServer.port),
        ],
      });
    },
    { scope: 'worker' },
  ],

  signInPage: async ({ page }, use) => use(new SignInPage(page)),
  errorPage: async ({ page }, use) => use(new ErrorPage(page)),
  webApp: async ({ page, webAppServer }, use) => use(new WebAppStub(page, webAppServer)),
});

export { expect } from '@playwright/test';
