import type { Clock, Random } from '../clock.js';

/**
 * "Log in without driving the UI": a ticket for one user that completes the next /authorize of
 * its tenant without showing the form. The app still runs the real code flow (MSAL redeems a real
 * code). The ticket travels as a cookie on the emulator's origin; it is single-use and lives 5 minutes.
 */
export const LOGIN_AS_COOKIE = 'ciam_login_as';
const TTL_MS = 5 * 60 * 1000;

export class LoginTickets {
  readonly #tickets = new Map<string, { tenantId: string; userId: string; expiresAt: number }>();
  readonly #clock: Clock;
  readonly #random: Random;

  constructor(clock: Clock, random: Random) {
    this.#clock = clock;
    this.#random = random;
  }

  issue(tenantId: string, userId: string): { ticket: string; expiresAt: Date } {
    const ticket = this.#random.token(24);
    const expiresAt = this.#clock.nowMs() + TTL_MS;
    this.#tickets.set(ticket, { tenantId, userId, expiresAt });
    return { ticket, expiresAt: new Date(expiresAt) };
  }

  /** The user a ticket signs in, once, if it is for this tenant and still valid. */
  consume(ticket: string | undefined, tenantId: string): string | undefined {
    if (!ticket) return undefined;
    const t = this.#tickets.get(ticket);
    if (!t || t.tenantId !== tenantId) return undefined;
    this.#tickets.delete(ticket);
    return t.expiresAt > this.#clock.nowMs() ? t.userId : undefined;
  }

  clear(): void {
    this.#tickets.clear();
  }
}
