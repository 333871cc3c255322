import { AadError } from '../errors.js';

/**
 * Entra's password policy for customers (learn.microsoft.com/entra/identity/authentication/concept-sspr-policy):
 * 8 to 256 characters, at least 3 of lower case, upper case, digits and symbols, and only those
 * characters (no Unicode). The suberrors are the native authentication API's.
 */
export type PasswordProblem = 'password_too_short' | 'password_too_long' | 'password_is_invalid' | 'password_too_weak';

const SYMBOLS = "@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> ";
const isSymbol = (c: string) => SYMBOLS.includes(c);

export function passwordProblem(password: string): PasswordProblem | undefined {
  if (password.length < 8) return 'password_too_short';
  if (password.length > 256) return 'password_too_long';
  if ([...password].some((c) => !/[A-Za-z0-9]/.test(c) && !isSymbol(c))) return 'password_is_invalid';
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((r) => r.test(password)).length + ([...password].some(isSymbol) ? 1 : 0);
  return classes < 3 ? 'password_too_weak' : undefined;
}

export const PASSWORD_RULES: Record<PasswordProblem, string> = {
  password_too_short: 'The password must be at least 8 characters long.',
  password_too_long: 'The password must be at most 256 characters long.',
  password_is_invalid: 'The password may contain only letters A–Z and a–z, digits, spaces and the symbols @ # $ % ^ & * - _ ! + = [ ] { } | \\ : \' , . ? / ` ~ " ( ) ; < >.',
  password_too_weak: 'The password must contain characters from at least 3 of these 4 groups: lower case letters, upper case letters, digits and symbols.',
};

/** Throws Entra's password-policy error (AADSTS399246 with the rule's suberror). */
export function assertPasswordPolicy(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new AadError(399246, { detail: PASSWORD_RULES[problem] }, { suberror: problem });
}
