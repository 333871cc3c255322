import type { Random } from '../clock.js';
import { AADSTS, type AadCode } from '../errors.js';

/**
 * Production errors on demand: a rule makes the next `count` matching requests fail as Entra would
 * (an AADSTS code, or an HTTP status), or arrive late. Endpoints are the protocol endpoints and the
 * hosted flows' steps; a rule may name a client id or a user (email) to narrow it.
 */
export const FAULT_ENDPOINTS = ['token', 'authorize', 'discovery', 'keys', 'logout', 'userinfo', 'sign-in', 'sign-up', 'password-reset', 'email-code'] as const;
export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];

export interface FaultRule {
  id: string;
  endpoint: FaultEndpoint;
  tenant?: string;
  clientId?: string;
  user?: string;
  aadsts?: AadCode;
  status?: number;
  latencyMs?: number;
  /** how many matching requests it still affects */
  remaining: number;
}

export type FaultInput = Omit<FaultRule, 'id' | 'remaining'> & { count?: number };

export class FaultError extends Error {}

export class FaultRegistry {
  readonly #rules: FaultRule[] = [];
  readonly #random: Random;

  constructor(random: Random) {
    this.#random = random;
  }

  add(input: FaultInput): FaultRule {
    if (!FAULT_ENDPOINTS.includes(input.endpoint)) throw new FaultError(`endpoint must be one of ${FAULT_ENDPOINTS.join(', ')}`);
    if (input.aadsts === undefined && input.status === undefined && input.latencyMs === undefined) {
      throw new FaultError('a fault needs aadsts, status or latencyMs');
    }
    if (input.aadsts !== undefined && !(input.aadsts in AADSTS)) throw new FaultError(`AADSTS${input.aadsts} is not a code the emulator knows (see /error?code=…)`);
    if (input.status !== undefined && (input.status < 400 || input.status > 599)) throw new FaultError('status must be from 400 to 599');
    const { count, ...rest } = input;
    const rule: FaultRule = { ...rest, id: this.#random.uuid(), remaining: count ?? 1 };
    this.#rules.push(rule);
    return rule;
  }

  /** Whether any rule names this endpoint (so requests pay nothing when no fault is set). */
  has(endpoint: FaultEndpoint): boolean {
    return this.#rules.some((r) => r.endpoint === endpoint);
  }

  list(): FaultRule[] {
    return [...this.#rules];
  }

  clear(): void {
    this.#rules.length = 0;
  }

  /** The first rule matching this request, consumed once; undefined when none applies. */
  take(endpoint: FaultEndpoint, request: { tenantId?: string; clientId?: string | undefined; user?: string | undefined }): FaultRule | undefined {
    const i = this.#rules.findIndex((r) => r.endpoint === endpoint
      && (!r.tenant || r.tenant === request.tenantId)
      && (!r.clientId || r.clientId.toLowerCase() === request.clientId?.toLowerCase())
      && (!r.user || r.user.toLowerCase() === request.user?.toLowerCase()));
    if (i < 0) return undefined;
    const rule = this.#rules[i]!;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.#rules.splice(i, 1);
    return { ...rule };
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
