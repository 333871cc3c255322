import type { FullConfig } from '@playwright/test';
import { startEmulator } from './support/emulator-process.js';
import { E2E_ENV } from './support/env.js';

/**
 * Starts the one emulator of the run before any worker exists, and hands its address and
 * certificate fingerprint to the workers through the environment (workers inherit it). The
 * function returned is the global teardown: it stops the emulator's whole process group.
 */
export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
  const emulator = await startEmulator();
  process.env[E2E_ENV.url] = emulator.url;
  process.env[E2E_ENV.spki] = emulator.spkiSha256;
  process.env[E2E_ENV.ca] = emulator.caFile;
  // The sample apps run inside the test workers: their msal-node and jose calls to the emulator
  // trust its CA the way the README tells developers to (workers inherit this environment).
  process.env.NODE_EXTRA_CA_CERTS = emulator.caFile;

  return async function globalTeardown() {
    await emulator.stop();
    // It runs with --log-level warn: any log line at warn or above is worth seeing.
    const problems = emulator.output().split(/\r?\n/).filter((line) => /"level":\s*(40|50|60)/.test(line));
    if (problems.length) {
      process.stderr.write(`\nThe emulator logged ${problems.length} warning(s)/error(s) during the browser tests:\n${problems.slice(0, 20).join('\n')}\n`);
    }
  };
}
