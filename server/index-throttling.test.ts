import { describe, expect, it } from 'vitest';
import { startEmulator } from './index.js';
import { TEST_CERTS } from './testing/harness.js';

// The in-process API's throttling default (issue 10, item 4): off, whatever the argon2 profile, so a
// suite signing the same users in many times is never throttled; on when a test asks for it.
describe('startEmulator throttling', () => {
  it.each([
    [{}, false],
    [{ argon2: 'owasp' as const }, false],
    [{ throttling: true }, true],
  ])('with %j, config.throttling is %s', async (options, expected) => {
    const emu = await startEmulator({ certs: TEST_CERTS, http: true, ...options });
    try {
      expect(emu.emulator.config.throttling).toBe(expected);
    } finally {
      await emu.stop();
    }
  });
});
