import type { Locator, Page } from '@playwright/test';

/** The emulator's error page (views/error.eta), shown when Entra would not redirect back to the app. */
export class ErrorPage {
  readonly heading: Locator;
  readonly message: Locator;
  readonly code: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1 });
    this.message = page.getByTestId('error-message');
    this.code = page.getByTestId('error-code');
  }
}
