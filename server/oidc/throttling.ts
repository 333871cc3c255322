import { createHash } from 'node:crypto';
import { parse } from 'node:querystring';
import type { Clock } from '../clock.js';
import { AadError } from '../errors.js';
import { WindowCounter, retryAfterSeconds, type WindowRule } from '../http/throttle.js';

/**
 * Entra's throttling at the token endpoint (`--throttling on`), so that clients' retry and
 * back-off logic can be tested. Every refusal is Entra's loop error, AADSTS50196, with a
 * Retry-After header (which msal-node and msal-browser honour: they refuse the same request
 * themselves until it passes, msal-common ThrottlingUtils).
 */
export const TOKEN_RULES = {
  /** learn.microsoft.com "Microsoft Entra External ID service limits": 20 requests per second per IP per external tenant */
  rate: { limit: 20, windowMs: 1000 },
  /**
   * learn.microsoft.com "Looping clients will be interrupted": apps making the same request 15+
   * times in 5 minutes get AADSTS50196. Here the 16th identical request in a window is refused.
   */
  loop: { limit: 15, windowMs: 5 * 60_000 },
  /**
   * Wrong client secrets: Entra publishes no number; 10 per app per minute mirrors smart lockout's
   * 10 failures and 60 s. Past it, every secret-authenticated request of the app is refused (the
   * right secret too) until the minute ends.
   */
  badSecret: { limit: 10, windowMs: 60_000 },
} satisfies Record<string, WindowRule>;

export interface Refusal {
  aad: AadError;
  status: number;
  /** seconds, for the Retry-After header */
  retryAfter: number;
}

/** What a token request says about itself, read from its form body and headers. */
export interface TokenRequestFacts {
  tenantId: string;
  /** the caller's address */
  ip: string;
  clientId: string | undefined;
  /** authenticates with a client secret (form or Basic) */
  usesSecret: boolean;
  grantType: string | undefined;
  /** identical requests share it (the secret and per-request noise left out) */
  fingerprint: string;
}

/** The parameters that make two token requests "the same request" (Entra: client, scopes, user, redirect URI). */
const SAME_REQUEST = ['client_id', 'grant_type', 'scope', 'username', 'password', 'code', 'refresh_token', 'continuation_token', 'oob', 'redirect_uri', 'claims', 'assertion'];

export function tokenRequestFacts(tenantId: string, ip: string, body: Buffer, authorization: string | undefined): TokenRequestFacts {
  const form = parse(body.toString('utf8'));
  const text = (k: string) => {
    const v = form[k];
    return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
  };
  const basic = basicClientId(authorization);
  const clientId = text('client_id') ?? basic;
  const values = SAME_REQUEST.map((k) => (k === 'scope' ? (text(k) ?? '').split(' ').filter(Boolean).sort().join(' ') : k === 'client_id' ? clientId ?? '' : text(k) ?? ''));
  return {
    tenantId,
    ip,
    clientId,
    usesSecret: Boolean(text('client_secret')) || basic !== undefined,
    grantType: text('grant_type'),
    fingerprint: createHash('sha256').update(JSON.stringify(values)).digest('base64url'),
  };
}

/** The client id of a Basic Authorization header, or undefined (absent or malformed: oidc-provider rejects it). */
function basicClientId(authorization: string | undefined): string | undefined {
  const b64 = /^Basic (.+)$/i.exec(authorization ?? '')?.[1];
  if (!b64) return undefined;
  const decoded = Buffer.from(b64, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, '%20'));
  } catch {
    return undefined;
  }
}

export class TokenThrottle {
  readonly #rate: WindowCounter;
  readonly #loop: WindowCounter;
  readonly #badSecret: WindowCounter;

  constructor(clock: Clock, rules: typeof TOKEN_RULES = TOKEN_RULES) {
    this.#rate = new WindowCounter(rules.rate, clock);
    this.#loop = new WindowCounter(rules.loop, clock);
    this.#badSecret = new WindowCounter(rules.badSecret, clock);
  }

  clear(): void {
    for (const counter of [this.#rate, this.#loop, this.#badSecret]) counter.clear();
  }

  /** Counts the request; a Refusal when a rule stops it. */
  check(r: TokenRequestFacts): Refusal | undefined {
    if (r.usesSecret && r.clientId) {
      const wait = this.#badSecret.blockedFor(`${r.tenantId}|${r.clientId}`);
      if (wait > 0) return refusal(429, wait, `Too many requests with a wrong client secret for application '${r.clientId}'.`);
    }
    const rateWait = this.#rate.take(`${r.tenantId}|${r.ip}`);
    if (rateWait > 0) return refusal(429, rateWait, 'Too many token requests from this address.');
    const loopWait = this.#loop.take(`${r.tenantId}|${r.fingerprint}`);
    if (loopWait > 0) {
      // MSAL.NET "client and server throttling": for client credentials Entra answers 429 with
      // Retry-After; user-facing requests get invalid_grant AADSTS50196 (a 400).
      return refusal(r.grantType === 'client_credentials' ? 429 : 400, loopWait, 'The same token request was made too many times.');
    }
    return undefined;
  }

  /** oidc-provider refused a client secret (AADSTS7000215). */
  secretRejected(tenantId: string, clientId: string): void {
    this.#badSecret.hit(`${tenantId}|${clientId}`);
  }
}

function refusal(status: number, waitMs: number, detail: string): Refusal {
  return { aad: new AadError(50196, { detail }), status, retryAfter: retryAfterSeconds(waitMs) };
}
