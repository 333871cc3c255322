import type { Clock, Random } from '../clock.js';
import type { Db } from '../db/connection.js';
import type { Directory, Tenant, User } from '../directory/index.js';
import type { PasswordHasher } from '../directory/passwords.js';
import type { Mailer } from '../mail/mailer.js';
import type { CodeService } from './codes.js';
import type { TransactionRepository } from './transactions.js';
import { AadError, assertAad } from '../errors.js';
import { signInMethod, type UserFlow } from '../directory/user-flows.js';

/** What every self-service flow service needs; each takes the part it uses. */
export interface FlowDeps {
  db: Db;
  directory: Directory;
  transactions: TransactionRepository;
  codes: CodeService;
  mailer: Mailer;
  hasher: PasswordHasher;
  clock: Clock;
  random: Random;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Entra answers a malformed email with AADSTS90100 ("username parameter is empty or not valid"). */
export function normalizeEmail(email: string): string {
  const e = email.trim().toLowerCase();
  // RFC 5321: 64 characters before the @, 254 in all.
  assertAad(e.length <= 254 && e.indexOf('@') <= 64 && EMAIL.test(e), 90100, { name: 'username' });
  return e;
}

/** The user flow linked to the app, and how its customers sign in. */
export function flowFor(directory: Directory, tenant: Tenant, clientId: string): { flow: UserFlow | undefined; method: ReturnType<typeof signInMethod> } {
  const flow = directory.userFlows.forApp(tenant.id, clientId);
  return { flow, method: signInMethod(flow) };
}

/** The user behind an email address, or Entra's user-not-found (AADSTS50034). */
export function existingUser(directory: Directory, tenant: Tenant, email: string): User {
  const user = directory.users.findBySignInName(tenant.id, email);
  if (!user) throw new AadError(50034, { tenant: tenant.id });
  return user;
}
