import type { Clock } from '../clock.js';

/**
 * Fixed-window counters for Entra's throttling rules (code resends, wrong client secrets, token
 * request loops and rates). Time comes from the injected Clock, so tests can cross a window's end.
 *
 * Memory is bounded: anonymous callers choose the keys, so the map never holds more than `maxKeys`
 * entries. Expired windows are swept at most once per window length; when the map is still full,
 * the oldest window is dropped (it is the one closest to expiring anyway), so a flood of new keys
 * costs O(1) per request.
 */
export interface WindowRule {
  /** how many events a key may have in one window */
  limit: number;
  windowMs: number;
}

interface Window {
  start: number;
  count: number;
}

export const DEFAULT_MAX_KEYS = 10_000;

export class WindowCounter {
  readonly #windows = new Map<string, Window>();
  readonly #clock: Clock;
  readonly #maxKeys: number;
  #lastSweep = 0;

  constructor(readonly rule: WindowRule, clock: Clock, maxKeys = DEFAULT_MAX_KEYS) {
    this.#clock = clock;
    this.#maxKeys = maxKeys;
  }

  get size(): number {
    return this.#windows.size;
  }

  /** Milliseconds until `key` may act again, or 0 when it is under its limit now. */
  blockedFor(key: string): number {
    const w = this.#live(key, this.#clock.nowMs());
    return w && w.count >= this.rule.limit ? w.start + this.rule.windowMs - this.#clock.nowMs() : 0;
  }

  /** Counts one event for `key`; returns the count in the current window (this one included). */
  hit(key: string): number {
    const now = this.#clock.nowMs();
    const w = this.#live(key, now);
    if (w) return ++w.count;
    this.#makeRoom(now);
    this.#windows.set(key, { start: now, count: 1 });
    return 1;
  }

  /** Counts one event unless the key is already at its limit; returns the wait in ms (0 = allowed). */
  take(key: string): number {
    const wait = this.blockedFor(key);
    if (wait > 0) return wait;
    this.hit(key);
    return 0;
  }

  clear(): void {
    this.#windows.clear();
  }

  #live(key: string, now: number): Window | undefined {
    const w = this.#windows.get(key);
    if (w && now >= w.start + this.rule.windowMs) {
      this.#windows.delete(key);
      return undefined;
    }
    // A clock moved backwards (the control plane's clock reset) starts the window again.
    if (w && now < w.start) {
      this.#windows.delete(key);
      return undefined;
    }
    return w;
  }

  /** Sweeps at most once per window length (never per request); when still full, drops the oldest window in O(1). */
  #makeRoom(now: number): void {
    if (now - this.#lastSweep >= this.rule.windowMs || now < this.#lastSweep) {
      this.#lastSweep = now;
      for (const [k, w] of this.#windows) if (now >= w.start + this.rule.windowMs || now < w.start) this.#windows.delete(k);
    }
    while (this.#windows.size >= this.#maxKeys) {
      const oldest = this.#windows.keys().next().value;
      if (oldest === undefined) break;
      this.#windows.delete(oldest);
    }
  }
}

/** Retry-After (whole seconds, at least 1) for a wait in milliseconds. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/**
 * Every throttle counter of one emulator, so that a control-plane reset starts a test from a clean
 * slate: a suite that tripped a limit in one test must not find it tripped in the next.
 */
export class ThrottleRegistry {
  readonly #counters = new Set<{ clear(): void }>();

  add<T extends { clear(): void }>(counter: T): T {
    this.#counters.add(counter);
    return counter;
  }

  clear(): void {
    for (const c of this.#counters) c.clear();
  }
}
