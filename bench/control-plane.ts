/**
 * `npx tsx bench/control-plane.ts`: how fast a test suite gets a clean emulator on this machine.
 *   1. in-process start: `startEmulator()` (https, in-memory database, default fixtures) with the
 *      signing keys and certificates already cached, until it listens (goal: ≤ 300 ms);
 *   2. tenant reset: `POST /_emulator/v1/tenants/contoso/reset` after each round of work a test
 *      would leave behind (a new customer, mail, an SSO session), as the server reports it
 *      (`resetInMs`, goal: ≤ 20 ms) and as the caller sees it (the round trip).
 * These were assertions in server/index.test.ts and server/emulator/control-plane.test.ts; on a busy
 * CI machine a timing assertion fails for reasons that are not the code's, so the figures live here,
 * measured and reported against their goals. Talks to 127.0.0.1 only.
 * Flags: --starts N [10] --resets N [30] --out FILE (append a Markdown section)
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startEmulator } from '../server/index.js';
import { signedUpCustomer } from '../server/testing/customers.js';
import type { TestEmulator } from '../server/testing/harness.js';

const { values: flags } = parseArgs({
  options: {
    starts: { type: 'string', default: '10' },
    resets: { type: 'string', default: '30' },
    out: { type: 'string' },
  },
  strict: true,
});
const STARTS = Number(flags.starts);
const RESETS = Number(flags.resets);
const START_GOAL_MS = 300;
const RESET_GOAL_MS = 20;

const lines: string[] = [];
const report = (line: string) => { lines.push(line); process.stdout.write(`${line}\n`); };
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => x.toFixed(1);
const summary = (xs: number[]) => `median **${ms(median(xs))}** (min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))})`;
const verdict = (value: number, goal: number) => (value <= goal ? '✅ met' : '❌ missed');

async function main(): Promise<void> {
  // Certificates and signing keys made once, as on a developer's machine after the first start.
  const load = loadavg();
  const certs = mkdtempSync(join(tmpdir(), 'ciam-control-bench-'));
  try {
    await (await startEmulator({ certs })).stop();

    // 1. in-process start
    const starts: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      const t0 = performance.now();
      const emu = await startEmulator({ certs });
      starts.push(performance.now() - t0);
      await emu.stop();
    }

    // 2. reset after a round of a test's leftovers (plain http: this process does not trust the bench CA)
    const emu = await startEmulator({ certs, http: true });
    const server: number[] = [];
    const roundTrip: number[] = [];
    try {
      const asTest = Object.assign(emu.emulator, { url: emu.url, authority: emu.authority }) as TestEmulator;
      for (let i = 0; i < RESETS; i++) {
        await signedUpCustomer(asTest, `bench-${i}@example.com`);
        const t0 = performance.now();
        const res = await fetch(`${emu.url}/_emulator/v1/tenants/contoso/reset`, { method: 'POST' });
        const body = await res.json() as { resetInMs?: number };
        roundTrip.push(performance.now() - t0);
        if (res.status !== 200 || typeof body.resetInMs !== 'number') throw new Error(`reset answered ${res.status} ${JSON.stringify(body)}`);
        server.push(body.resetInMs);
      }
    } finally {
      await emu.stop();
    }

    report(`## Control plane (bench/control-plane.ts), ${new Date().toISOString()}`);
    report('');
    report(`- node ${process.version}; load average before the run ${load.map((x) => x.toFixed(2)).join(' / ')}; ${STARTS} https starts after one unmeasured start; ${RESETS} resets, each after signing up one customer`);
    report('');
    report('| Figure | Measured, ms | Goal | Result |');
    report('| --- | --- | --- | --- |');
    report(`| in-process start (startEmulator, cached keys, until listening) | ${summary(starts)} | ≤ ${START_GOAL_MS} ms | ${verdict(median(starts), START_GOAL_MS)} |`);
    report(`| tenant reset, server time (resetInMs) | ${summary(server)} | ≤ ${RESET_GOAL_MS} ms | ${verdict(median(server), RESET_GOAL_MS)} |`);
    report(`| tenant reset, round trip seen by the caller | ${summary(roundTrip)} | – |  |`);
    report('');
    if (flags.out) appendFileSync(flags.out, `${lines.join('\n')}\n`);
  } finally {
    rmSync(certs, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
