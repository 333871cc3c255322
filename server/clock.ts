import { randomBytes, randomUUID } from 'node:crypto';

/**
 * Time as the emulator sees it. Everything time-based in our own code (lockout, codes, fixtures)
 * asks the clock, never `Date.now()`, so tests can travel in time.
 */
export interface Clock {
  now(): Date;
  nowMs(): number;
  nowSeconds(): number;
}

export const systemClock: Clock = {
  now: () => new Date(),
  nowMs: () => Date.now(),
  nowSeconds: () => Math.floor(Date.now() / 1000),
};

/** A clock tests can set and advance. */
export class ManualClock implements Clock {
  #ms: number;
  constructor(start: Date | number = Date.now()) {
    this.#ms = typeof start === 'number' ? start : start.getTime();
  }
  now(): Date {
    return new Date(this.#ms);
  }
  nowMs(): number {
    return this.#ms;
  }
  nowSeconds(): number {
    return Math.floor(this.#ms / 1000);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}

/** Randomness, injected beside the clock so ids and secrets can be made predictable in tests. */
export interface Random {
  uuid(): string;
  /** base64url text of `bytes` random bytes */
  token(bytes: number): string;
}

export const cryptoRandom: Random = {
  uuid: () => randomUUID(),
  token: (bytes) => randomBytes(bytes).toString('base64url'),
};
