import type { Locator, Page } from '@playwright/test';

/** The hosted "Sign in" page (views/sign-in.eta): email and password on one form. */
export class SignInPage {
  readonly heading: Locator;
  readonly email: Locator;
  readonly password: Locator;
  readonly submitButton: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Sign in' });
    this.email = page.getByLabel('Email address');
    this.password = page.getByLabel('Password', { exact: true });
    this.submitButton = page.getByRole('button', { name: 'Sign in' });
  }

  async fill(email: string, password: string): Promise<void> {
    await this.email.fill(email);
    await this.password.fill(password);
  }

  async submit(): Promise<void> {
    await this.submitButton.click();
  }

  async signIn(email: string, password: string): Promise<void> {
    await this.fill(email, password);
    await this.submit();
  }

  /** The alert above the form, e.g. "… AADSTS50126". */
  error(): Locator {
    return this.page.getByTestId('sign-in-error');
  }
}
