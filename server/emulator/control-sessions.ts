import { createHash } from 'node:crypto';
import type { Clock, Random } from '../clock.js';

/**
 * Browser access to the control plane when an admin token is set (Docker: the host's browser is not
 * loopback, and cannot send `Authorization: Bearer`). A one-time link `/_emulator/v1/session?ticket=…`
 * (printed in the banner, or minted by a token holder with POST /_emulator/v1/session) trades its
 * ticket for an HttpOnly, SameSite=Strict session cookie, which the trusted-caller guard accepts for
 * reads (the mailbox page, the mail API, GETs of the control plane) from that browser.
 *
 * Only digests are kept, so a heap dump holds nothing a browser could replay. Sessions live as long
 * as the process: the cookie is a session cookie, and a restart prints a new link.
 */
export const CONTROL_SESSION_COOKIE = 'ciam_emulator_session';
export const SESSION_PATH = '/_emulator/v1/session';
/** a link minted through the API stays usable this long; the banner's lasts until it is used */
const MINTED_TICKET_TTL_MS = 10 * 60 * 1000;

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

export class ControlSessions {
  readonly #tickets = new Map<string, number>();
  readonly #sessions = new Set<string>();
  readonly #clock: Clock;
  readonly #random: Random;
  #startupTicket: string | undefined;

  constructor(clock: Clock, random: Random) {
    this.#clock = clock;
    this.#random = random;
  }

  /** The banner's ticket: made on first use, valid until redeemed once. */
  startupTicket(): string {
    if (!this.#startupTicket) {
      this.#startupTicket = this.#random.token(32);
      this.#tickets.set(digest(this.#startupTicket), Number.POSITIVE_INFINITY);
    }
    return this.#startupTicket;
  }

  mintTicket(): { ticket: string; expiresAt: Date } {
    const ticket = this.#random.token(32);
    const expiresAt = this.#clock.nowMs() + MINTED_TICKET_TTL_MS;
    this.#tickets.set(digest(ticket), expiresAt);
    return { ticket, expiresAt: new Date(expiresAt) };
  }

  /** Spends a ticket (once, synchronously: two parallel redemptions cannot both win) for a session id. */
  redeem(ticket: string): string | undefined {
    const key = digest(ticket);
    const expiresAt = this.#tickets.get(key);
    if (expiresAt === undefined) return undefined;
    this.#tickets.delete(key);
    if (expiresAt <= this.#clock.nowMs()) return undefined;
    const session = this.#random.token(32);
    this.#sessions.add(digest(session));
    return session;
  }

  isSession(value: string | undefined): boolean {
    return !!value && this.#sessions.has(digest(value));
  }
}
