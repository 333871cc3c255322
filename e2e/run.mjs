#!/usr/bin/env node
// The e2e part of `npm test`: runs the Playwright browser tests against Debian's Chromium.
//
// Playwright's own browser download cannot be used here, so the tests drive the system Chromium
// (/usr/bin/chromium, or $CHROMIUM_PATH). When it is missing:
//   - CIAM_E2E_REQUIRED=1 or =true (set in CI): fail, so a broken CI image cannot pass silently;
//   - otherwise: print a loud warning that the browser tests were SKIPPED, and exit 0.
// Extra arguments are passed on to `playwright test` (e.g. `npm run test:e2e -- -g SSO`).
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// `1` and `true` (any case) both mean required, as CI systems spell booleans either way.
const required = /^(1|true)$/i.test(process.env.CIAM_E2E_REQUIRED ?? '');

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

if (!executable(chromium)) {
  const where = process.env.CHROMIUM_PATH ? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH}` : '/usr/bin/chromium';
  if (required) {
    process.stderr.write(
      `\nERROR: the browser tests are required (CIAM_E2E_REQUIRED=${process.env.CIAM_E2E_REQUIRED}) but Chromium was not found at ${where}.\n` +
      `Install it (sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium executable.\n\n`,
    );
    process.exit(1);
  }
  const bar = '!'.repeat(78);
  process.stderr.write([
    '',
    bar,
    '!!  BROWSER TESTS SKIPPED  (e2e/, Playwright)',
    `!!  No Chromium executable at ${where}.`,
    '!!  The hosted sign-in pages were NOT tested in a real browser.',
    '!!',
    '!!  To run them, install Chromium:',
    '!!      sudo apt-get install chromium          (Debian/Ubuntu: provides /usr/bin/chromium)',
    '!!  or point the tests at any Chromium/Chrome build:',
    '!!      CHROMIUM_PATH=/path/to/chromium npm run test:e2e',
    '!!  (`npx playwright install` is not needed: the tests use the system browser.)',
    '!!  CI sets CIAM_E2E_REQUIRED=1 (or true), which turns this skip into a failure.',
    bar,
    '',
    '',
  ].join('\n'));
  process.exit(0);
}

const child = spawn('npx', ['playwright', 'test', '-c', 'e2e/playwright.config.ts', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, CHROMIUM_PATH: chromium },
});
// Ctrl+C already reaches Playwright through the terminal's process group; forwarding it would make
// a second SIGINT, which Playwright treats as "stop now" and skips the global teardown. Other
// signals are forwarded so that Playwright can still stop the emulator.
process.on('SIGINT', () => {});
for (const signal of ['SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('error', (e) => {
  process.stderr.write(`e2e: could not start Playwright: ${e.message}\n`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    process.stderr.write(`e2e: Playwright was killed by ${signal}\n`);
    process.exit(1);
  }
  process.exit(code ?? 1);
});
