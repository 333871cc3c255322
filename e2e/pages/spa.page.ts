import type { Locator, Page } from '@playwright/test';

/** The sample single-page app (e2e/apps/spa) at its registered origin. */
export class SpaPage {
  static readonly origin = 'http://localhost:3000';
  readonly status: Locator;
  readonly error: Locator;
  readonly apiResult: Locator;
  /** the header line naming the app registration in use; its data-app is `default` or `otp` */
  readonly activeApp: Locator;

  constructor(readonly page: Page) {
    this.status = page.getByTestId('status');
    this.error = page.getByTestId('error');
    this.apiResult = page.getByTestId('api-result');
    this.activeApp = page.getByTestId('active-app');
  }

  /**
   * Opens the SPA; `app: 'otp'` makes it sign in with the registration linked to the email one-time
   * passcode user flow (the SPA keeps the choice for the rest of the tab's session).
   */
  async open({ app }: { app?: 'default' | 'otp' } = {}): Promise<void> {
    await this.page.goto(app ? `${SpaPage.origin}/?app=${app}` : SpaPage.origin);
    await this.page.locator('body[data-ready=true]').waitFor();
  }

  button(name: 'Sign in' | 'Sign in with a popup' | 'Call the ToDo API' | 'Renew token (refresh token)' | 'Renew token (hidden iframe)' | 'Sign out'): Locator {
    return this.page.getByRole('button', { name, exact: true });
  }

  claim(name: string): Locator {
    return this.page.locator(`td[data-claim="${name}"]`);
  }
}
