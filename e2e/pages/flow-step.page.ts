import { expect, type Locator, type Page } from '@playwright/test';

/**
 * Any page of the hosted user flows (views/step.eta): sign-up, password reset and the email
 * one-time passcode sign-in. Each shows a heading, a form of labelled fields with one submit
 * button, maybe an alert above the form, a message under a field, a "Resend code" button and
 * links ("Sign in", "Create one").
 */
export class FlowStepPage {
  readonly heading: Locator;
  /** the alert above the form (data-testid="flow-error") */
  readonly error: Locator;
  /** the note above the form, e.g. "We sent a new code to …" */
  readonly info: Locator;
  readonly resendButton: Locator;
  readonly form: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1 });
    this.error = page.getByTestId('flow-error');
    this.info = page.getByTestId('info');
    this.resendButton = page.getByRole('button', { name: 'Resend code', exact: true });
    // The step's own form: the one with fields (the resend button sits in a second form).
    this.form = page.locator('form:not(.inline-form)');
  }

  /** Waits until the browser shows the step with this heading. */
  async expectStep(heading: string): Promise<void> {
    await expect(this.heading).toHaveText(heading);
  }

  /** A text, email, password or code input, by its label's exact text. */
  field(label: string): Locator {
    return this.form.getByRole('textbox', { name: label, exact: true });
  }

  async fill(values: Record<string, string>): Promise<void> {
    for (const [label, value] of Object.entries(values)) await this.field(label).fill(value);
  }

  /** Picks `option` in the radio group (fieldset) whose legend is `group`. */
  async choose(group: string, option: string): Promise<void> {
    await this.form.getByRole('group', { name: group }).getByRole('radio', { name: option, exact: true }).check();
  }

  /** The message under one field or radio group, found by the field's label (a trailing "*" is ignored). */
  fieldError(label: string): Locator {
    const name = new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s*\\*?\\s*$`);
    return this.form.locator('.field').filter({ has: this.page.locator('label, legend').filter({ hasText: name }) }).locator('.field-error');
  }

  /** Clicks the form's submit button, checking its wording (e.g. "Next", "Verify", "Create"). */
  async submit(name: string): Promise<void> {
    await this.form.getByRole('button', { name, exact: true }).click();
  }

  async resend(): Promise<void> {
    await this.resendButton.click();
  }

  link(name: string): Locator {
    return this.page.getByRole('link', { name, exact: true });
  }
}
