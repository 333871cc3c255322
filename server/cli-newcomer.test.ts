import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { DataFolderError, ensureDataFolder, lockDataFolder } from './db/data-folder.js';
import { freePort, ROOT, TEST_CERTS } from './testing/harness.js';

// What a newcomer meets first: the command line's answers to typos and odd environments. Each case
// was a stack trace or a hang before (issue 10, item 10).
const tmp = mkdtempSync(join(tmpdir(), 'ciam-newcomer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run { code: number | null; stdout: string; stderr: string }

/** Runs the CLI from source the way `npm run dev` does, with a deadline so a hang fails the test. */
function cli(args: string[], { env = {}, until, built = false }: { env?: Record<string, string>; until?: RegExp; built?: boolean } = {}): Promise<Run & { kill: () => void }> {
  const entry = built ? [join(ROOT, 'dist/main.js')] : ['--import', join(ROOT, 'node_modules/tsx/dist/esm/index.mjs'), join(ROOT, 'server/main.ts')];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: tmp, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d; if (until?.test(stdout)) done(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d; });
  let done = () => {};
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`ciam-emulator ${args.join(' ')} did not answer in 15 s\n${stderr}`)); }, 15_000);
    done = () => { clearTimeout(timer); resolve({ code: null, stdout, stderr, kill: () => child.kill('SIGTERM') }); };
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr, kill: () => {} }); });
  });
}

describe('the command line a newcomer meets', () => {
  it('--help lists the subcommands as well as the options', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    for (const sub of ['export', 'import', 'ca']) expect(run.stdout).toMatch(new RegExp(`ciam-emulator ${sub} `));
    expect(run.stdout).toContain('--log-level');
  });

  it('a bad --log-level is one line naming the valid levels, not a pino stack', async () => {
    expect(() => loadConfig(['--log-level', 'verbose'], {})).toThrow(new ConfigError("--log-level must be one of fatal, error, warn, info, debug, trace, silent, not 'verbose'"));
    expect(loadConfig(['--log-level', 'INFO'], {}).logLevel).toBe('info');
    const run = await cli(['--log-level', 'verbose', '--data', ':memory:']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual(["ciam-emulator: --log-level must be one of fatal, error, warn, info, debug, trace, silent, not 'verbose'"]);
  });

  it('a --data path under a file is one line naming the file, not an ENOTDIR stack', async () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    const run = await cli(['--data', join(file, 'data'), '--port', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([`ciam-emulator: --data ${join(file, 'data')}: ${file} exists and is not a folder`]);
  });

  it('a --data path under /proc answers at once instead of hanging in mkdir', async () => {
    const started = Date.now();
    expect(() => ensureDataFolder('/proc/ciam-emulator-data')).toThrow(DataFolderError);
    expect(Date.now() - started).toBeLessThan(1000);
    const run = await cli(['--data', '/proc/ciam-emulator-data', '--port', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^ciam-emulator: --data \/proc\/ciam-emulator-data: cannot create \/proc\/ciam-emulator-data \(E\w+/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('makes the data folder 0700 (it holds signing keys and the CA key)', () => {
    const dir = join(tmp, 'fresh', 'nested');
    ensureDataFolder(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(tmp, 'fresh')).mode & 0o777).toBe(0o700);
  });
});

describe('npm start on a fresh machine', () => {
  // The built bundle, an empty data folder and no cached signing key: what a newcomer's first
  // `npm start` does. (Tests otherwise run the sources with a cached key, which hid a bundle-only
  // failure making the first signing key's certificate.)
  it('the built bundle starts on an empty data and certs folder and publishes the new key', async () => {
    const build = spawn(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'ignore' });
    expect(await new Promise((resolve) => build.on('exit', resolve))).toBe(0);
    const data = join(tmp, 'first-start');
    const port = await freePort();
    const run = await cli(['--data', data, '--port', String(port), '--argon2', 'test', '--http'], { built: true, until: /ready on http:\/\/localhost:\d+/ });
    try {
      expect(run.stderr).toBe('');
      const jwks = await (await fetch(`http://localhost:${port}/contoso.onmicrosoft.com/discovery/v2.0/keys`)).json() as { keys: { x5c?: string[] }[] };
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]!.x5c).toHaveLength(1);
    } finally {
      run.kill();
    }
  }, 60_000);
});

describe('one emulator per data folder', () => {
  it('import refuses while a running emulator holds the folder, and works once it stopped', async () => {
    const data = join(tmp, 'held');
    const port = await freePort();
    const emulator = await cli(['--data', data, '--port', String(port), '--argon2', 'test', '--certs', TEST_CERTS], { until: /https?:\/\/localhost:\d+/ });
    try {
      expect(emulator.code).toBeNull(); // still running
      const exported = await cli(['export', '--data', data]);
      expect(exported.code).toBe(0); // reading beside it is safe
      const snapshotFile = join(tmp, 'snapshot.json');
      writeFileSync(snapshotFile, exported.stdout);
      const refused = await cli(['import', snapshotFile, '--data', data]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^ciam-emulator import: the data folder .* is in use by the emulator \(pid \d+\); stop it first/);
      emulator.kill();
      await waitFor(() => !existsSync(join(data, 'emulator.lock')));
      const imported = await cli(['import', snapshotFile, '--data', data]);
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
    } finally {
      emulator.kill();
    }
  }, 60_000);

  it('takes over a lock left by a process that is gone (kill -9)', () => {
    const dir = join(tmp, 'stale');
    ensureDataFolder(dir);
    writeFileSync(join(dir, 'emulator.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, purpose: 'the emulator' }));
    const release = lockDataFolder(dir);
    expect(JSON.parse(readFileSync(join(dir, 'emulator.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    release();
    expect(existsSync(join(dir, 'emulator.lock'))).toBe(false);
  });
});

describe('the sample apps trust the emulator CA beside an existing NODE_EXTRA_CA_CERTS', () => {
  it('bundles the developer\'s CA file and the emulator\'s into the one file Node reads', async () => {
    const certs = join(tmp, 'ca-case', '.ciam-emulator', 'certs');
    ensureDataFolder(certs);
    const emulatorCa = '-----BEGIN CERTIFICATE-----\nEMULATOR\n-----END CERTIFICATE-----\n';
    const corporateCa = '-----BEGIN CERTIFICATE-----\nCORPORATE\n-----END CERTIFICATE-----\n';
    writeFileSync(join(certs, 'ca.pem'), emulatorCa);
    writeFileSync(join(tmp, 'corporate.pem'), corporateCa);
    const child = spawn(process.execPath, [join(ROOT, 'scripts/with-emulator-ca.mjs'), process.execPath, '-e', 'process.stdout.write(require("fs").readFileSync(process.env.NODE_EXTRA_CA_CERTS, "utf8"))'], {
      cwd: join(tmp, 'ca-case'), env: { ...process.env, NODE_EXTRA_CA_CERTS: join(tmp, 'corporate.pem') }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toBe(`${corporateCa}${emulatorCa}`);
  });
});

async function waitFor(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
