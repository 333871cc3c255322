import type { Locator, Page } from '@playwright/test';

/** The sample single-page app (e2e/apps/spa) at its registered origin. */
export class SpaPage {
  static readonly origin = 'http://localhost:3000';
  readonly status: Locator;
  readonly error: Locator;
  readonly apiResult: Locator;

  constructor(readonly page: Page) {
    this.status = page.getByTestId('status');
    this.error = page.getByTestId('error');
    this.apiResult = page.getByTestId('api-result');
  }

  async open(): Promise<void> {
    await this.page.goto(SpaPage.origin);
    await this.page.locator('body[data-ready=true]').waitFor();
  }

  button(name: 'Sign in' | 'Sign in with a popup' | 'Call the ToDo API' | 'Renew token (refresh token)' | 'Renew token (hidden iframe)' | 'Sign out'): Locator {
    return this.page.getByRole('button', { name, exact: true });
  }

  claim(name: string): Locator {
    return this.page.locator(`td[data-claim="${name}"]`);
  }
}
