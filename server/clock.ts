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

const realDateNow = Date.now.bind(Date);

/**
 * Where the travelling clock may go: the Unix epoch to the end of year 9999 (the last instant an
 * ISO 8601 date-time with a 4-digit year, a JWT NumericDate and SQLite's date functions all hold).
 */
export const CLOCK_RANGE = { min: new Date('1970-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z') } as const;

export class ClockRangeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'ClockRangeError';
  }
}
let shiftedClock: TravellingClock | undefined;

/**
 * The emulator's clock: real time plus an offset the control plane can move (`POST /_emulator/v1/clock`).
 * oidc-provider reads `Date.now()` itself (token, code and session expiry), so while the clock is
 * shifted, `Date.now()` of this process is shifted with it; at offset 0 it is the real one again.
 * In-process use therefore moves the test process's `Date.now()` too, which keeps MSAL's own expiry
 * checks consistent with the emulator's.
 */
export class TravellingClock implements Clock {
  #offsetMs = 0;

  get offsetMs(): number {
    return this.#offsetMs;
  }
  now(): Date {
    return new Date(this.nowMs());
  }
  nowMs(): number {
    return realDateNow() + this.#offsetMs;
  }
  nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }
  /** @throws ClockRangeError when the clock would leave CLOCK_RANGE (the clock is then unchanged) */
  advance(ms: number): void {
    this.#shift(this.#offsetMs + ms);
  }
  /** @throws ClockRangeError when `to` is outside CLOCK_RANGE (the clock is then unchanged) */
  set(to: Date): void {
    this.#shift(to.getTime() - realDateNow());
  }
  reset(): void {
    this.#shift(0);
  }

  #shift(offsetMs: number): void {
    // Checked before anything moves: an offset that left the Date range once made every later
    // `now().toISOString()` throw until the clock was reset.
    const target = realDateNow() + offsetMs;
    if (!Number.isSafeInteger(offsetMs) || !(target >= CLOCK_RANGE.min.getTime() && target <= CLOCK_RANGE.max.getTime())) {
      throw new ClockRangeError(`the clock can move between ${CLOCK_RANGE.min.toISOString()} and ${CLOCK_RANGE.max.toISOString()} only`);
    }
    if (shiftedClock && shiftedClock !== this && shiftedClock.offsetMs !== 0) {
      throw new Error('another emulator in this process has moved the clock; reset it first');
    }
    this.#offsetMs = offsetMs;
    shiftedClock = offsetMs === 0 ? undefined : this;
    Date.now = offsetMs === 0 ? realDateNow : () => realDateNow() + this.#offsetMs;
  }
}

/** ISO 8601 durations the clock API accepts (`PT11M`, `P1D`, `PT90S`, `P1DT2H`), in milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [, d = '0', h = '0', min = '0', s = '0'] = m;
  return ((Number(d) * 24 + Number(h)) * 60 + Number(min)) * 60_000 + Number(s) * 1000;
}
