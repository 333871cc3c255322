import type { AadError } from '../../errors.js';

/**
 * What the hosted sign-in page says for each failure, in the words External ID's page uses; the
 * AADSTS code is shown beneath so developers can look it up.
 */
const PAGE_MESSAGES: Partial<Record<number, string>> = {
  50034: "We couldn't find an account with this email address.",
  50126: 'Your password is incorrect.',
  50053: 'Your account is temporarily locked to prevent unauthorized use. Try again later.',
  50057: 'Your account has been locked. Contact your support person to unlock it, then try again.',
  50055: 'Your password is expired.',
};

export function pageMessage(err: AadError): string {
  return PAGE_MESSAGES[err.code] ?? err.text;
}

/** Which field a failure is about, so focus and aria-invalid land on it. */
export function fieldFor(err: AadError): 'email' | 'password' {
  return err.code === 50126 ? 'password' : 'email';
}
