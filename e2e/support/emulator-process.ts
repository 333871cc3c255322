import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * One real emulator process for the whole browser-test run, started the way a developer starts it
 * (`node --import tsx server/main.ts …`): an in-memory database, the default fixtures, the cheap
 * argon2 profile, https with a CA made in a throwaway certs folder, on a free port.
 */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RunningEmulator {
  url: string;
  certsDir: string;
  caFile: string;
  /** base64 SHA-256 of the TLS certificate's SubjectPublicKeyInfo */
  spkiSha256: string;
  /** everything the process printed, for diagnostics */
  output(): string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

export async function startEmulator(): Promise<RunningEmulator> {
  const certsDir = mkdtempSync(join(tmpdir(), 'ciam-emulator-e2e-'));
  try {
    // A free port can be taken between the probe and the listen: try a few.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        return await startOn(port, certsDir);
      } catch (e) {
        if (!(e instanceof PortTaken) || attempt >= 3) throw e;
      }
    }
  } catch (e) {
    rmSync(certsDir, { recursive: true, force: true });
    throw e;
  }
}

class PortTaken extends Error {}

/**
 * Users only the browser tests touch, added to a copy of the default fixtures, so a test that locks
 * an account out (60 s) cannot disturb the others.
 */
export const E2E_USERS = {
  lockout: { id: 'eeeeeeee-0001-4eee-8eee-eeeeeeeeeeee', email: 'lockout@contoso.com', password: 'Passw0rd!' },
} as const;

/** Apps only the browser tests use, added to the same copy. */
export const E2E_APPS = {
  nativeMfa: 'eeeeeeee-0002-4eee-8eee-eeeeeeeeeeee',
} as const;

function e2eFixtures(dir: string): string {
  const target = join(dir, 'fixtures');
  cpSync(join(ROOT, 'fixtures/default'), target, { recursive: true });
  const users = JSON.parse(readFileSync(join(target, 'users.json'), 'utf8')) as unknown[];
  for (const u of Object.values(E2E_USERS)) {
    users.push({ id: u.id, displayName: 'Lockout Example', mail: u.email, identities: [{ signInType: 'emailAddress', issuer: 'contoso.onmicrosoft.com', issuerAssignedId: u.email }], password: u.password });
  }
  writeFileSync(join(target, 'users.json'), JSON.stringify(users));
  // Native authentication: a public app whose (emulated) Conditional Access policy requires MFA
  // (e2e/specs/native-auth.spec.ts).
  const apps = JSON.parse(readFileSync(join(target, 'applications.json'), 'utf8')) as unknown[];
  apps.push({ id: 'aeeeeeee-0002-4eee-8eee-eeeeeeeeeeee', appId: E2E_APPS.nativeMfa, displayName: 'Native app requiring MFA',
    spa: { redirectUris: ['http://localhost:3000'] }, nativeAuthenticationApisEnabled: 'all', requireMultifactorAuthentication: true });
  writeFileSync(join(target, 'applications.json'), JSON.stringify(apps));
  return target;
}

async function startOn(port: number, certsDir: string): Promise<RunningEmulator> {
  // Through a guard that stops the emulator if this process dies without running the teardown
  // (e.g. on a SIGTERM, which Playwright does not handle): it watches the stdin pipe we hold.
  const child = spawn(process.execPath, [
    fileURLToPath(new URL('./emulator-guard.mjs', import.meta.url)),
    '--import', 'tsx', 'server/main.ts',
    '--data', ':memory:', '--port', String(port), '--argon2', 'test', '--certs', certsDir, '--log-level', 'warn',
    '--fixtures', e2eFixtures(certsDir),
  ], {
    cwd: ROOT,
    // Its own process group (so Ctrl+C in the terminal does not kill it before the teardown, and
    // the teardown can kill everything in it at once).
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, CIAM_E2E_REMOVE_ON_EXIT: certsDir },
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);

  // Belt and braces with the guard: if this process exits without the teardown, kill the group.
  const killOnExit = () => killGroup(child, 'SIGKILL');
  process.on('exit', killOnExit);

  const url = `https://localhost:${port}`;
  const caFile = join(certsDir, 'ca.pem');
  try {
    await waitForHealth(child, `${url}/_emulator/v1/health`, () => readFileSync(caFile, 'utf8'), () => output);
  } catch (e) {
    killGroup(child, 'SIGKILL');
    process.off('exit', killOnExit);
    throw e;
  }

  // A crash mid-run would otherwise only show up as ERR_CONNECTION_REFUSED in the next test.
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`\nciam-emulator e2e: the emulator on ${url} EXITED during the run (${code ?? signal}). Its output:\n${output}\n`);
  });

  return {
    url,
    certsDir,
    caFile,
    spkiSha256: spkiSha256(readFileSync(join(certsDir, 'tls-cert.pem'))),
    output: () => output,
    async stop() {
      stopping = true;
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      // Anything left in the group (there should be nothing) goes too.
      killGroup(child, 'SIGKILL');
      rmSync(certsDir, { recursive: true, force: true });
    },
  };
}

export function spkiSha256(certPem: Buffer | string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function waitForHealth(child: ChildProcess, healthUrl: string, ca: () => string, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastError = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const text = output();
      if (child.exitCode === 2 && /already in use/.test(text)) throw new PortTaken(text);
      throw new Error(`the emulator exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${text}`);
    }
    try {
      const status = await httpsStatus(healthUrl, ca());
      if (status === 200) return;
      lastError = `health returned ${status}`;
    } catch (e) {
      lastError = (e as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the emulator was not healthy after ${START_TIMEOUT_MS / 1000}s (${lastError}):\n${output()}`);
}

/** GET with the emulator's CA trusted (fetch cannot be given a CA without extra packages). */
function httpsStatus(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ca, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
