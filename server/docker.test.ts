import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FLAGS, loadConfig } from './config.js';
import { freePort, ROOT } from './testing/harness.js';
import { rawRequest } from './testing/raw-request.js';

// No Docker engine runs on the build machines. So the image and compose files are checked against
// the emulator's flags, and then the container's own command line runs here, with the environment
// the Dockerfile and the compose file give it (the data volume, the port and public URL mapped to a
// temp folder and a free port): health, browser access to the mailbox with an admin token, the first
// start's output and the way `docker stop` ends it are what a container would see.
interface Service {
  build?: string; image?: string; init?: boolean; ports?: string[]; environment?: Record<string, string>; volumes?: string[];
  depends_on?: Record<string, { condition?: string }>; healthcheck?: { test?: string[] };
}
const compose = parse(readFileSync(`${ROOT}docker-compose.yml`, 'utf8')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const dockerfile = readFileSync(`${ROOT}Dockerfile`, 'utf8');
const knownVariables = new Set(Object.values(FLAGS).map((f) => f.env).filter(Boolean));
const emulator = compose.services['ciam-emulator']!;
const composeEnv = emulator.environment ?? {};

/** The final stage of the Dockerfile, continuation lines joined. */
const finalStage = (() => {
  const joined = dockerfile.replace(/\\\n\s*/g, ' ');
  return joined.slice(joined.lastIndexOf('\nFROM ')).split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
})();
const instruction = (name: string) => finalStage.filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());
const imageEnv: Record<string, string> = Object.fromEntries(instruction('ENV').flatMap((l) => [...l.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])));
const cmd = JSON.parse(instruction('CMD').at(-1)!) as string[];
const healthcheck = JSON.parse(instruction('HEALTHCHECK').at(-1)!.replace(/^.*?CMD /, '')) as string[];
const startScript = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts.start!;

describe('docker-compose.yml', () => {
  it('sets only variables the emulator reads, and they parse as a valid configuration', () => {
    for (const name of Object.keys(composeEnv).filter((k) => k.startsWith('CIAM_'))) expect(knownVariables, name).toContain(name);
    const config = loadConfig([], composeEnv, '/app');
    expect(config).toMatchObject({ host: '0.0.0.0', port: 7443, publicUrl: 'https://localhost:7443', data: '/data', smtp: 'smtp://mailpit:1025' });
  });

  it('publishes the port the emulator listens on, at the public URL\'s port', () => {
    expect(emulator.ports).toContain(`${composeEnv.CIAM_PORT}:${composeEnv.CIAM_PORT}`);
    expect(new URL(composeEnv.CIAM_PUBLIC_URL!).port).toBe(composeEnv.CIAM_PORT);
  });

  it('keeps the data folder in a named volume', () => {
    const [volume, mountPoint] = (emulator.volumes ?? [])[0]!.split(':');
    expect(mountPoint).toBe(composeEnv.CIAM_DATA);
    expect(compose.volumes).toHaveProperty(volume!);
  });

  it('wires the SMTP relay to Mailpit\'s SMTP port, and waits for Mailpit to be healthy', () => {
    const smtp = new URL(composeEnv.CIAM_SMTP!);
    const mailpit = compose.services[smtp.hostname]!;
    expect(mailpit.ports).toContain(`${smtp.port}:${smtp.port}`);
    expect(emulator.depends_on?.[smtp.hostname]?.condition).toBe('service_healthy');
    expect(mailpit.healthcheck?.test).toEqual(['CMD', '/mailpit', 'readyz']);
  });

  it('protects the control plane, which is not loopback inside a container, and runs an init process', () => {
    expect(composeEnv.CIAM_ADMIN_TOKEN).toBeTruthy();
    expect(emulator.init).toBe(true);
  });
});

describe('Dockerfile', () => {
  it('is multi-stage and runs as a non-root user with data in a volume', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(instruction('USER')).toEqual(['node']);
    expect(instruction('VOLUME')).toEqual(['["/data"]']);
    expect(dockerfile).toMatch(/npm ci/);
    for (const name of Object.keys(imageEnv).filter((k) => k.startsWith('CIAM_'))) expect(knownVariables, name).toContain(name);
    expect(instruction('EXPOSE')).toEqual([imageEnv.CIAM_PORT]);
  });

  it('runs node itself as the container\'s process (not npm, which keeps SIGTERM from it), with npm start\'s command', () => {
    expect(cmd[0]).toBe('node');
    expect(cmd.join(' ')).toBe(startScript);
  });
});

describe('the container\'s command line, run here', () => {
  let child: ChildProcess;
  let tmp: string;
  let port: number;
  let url: string;
  let env: Record<string, string>;
  let stdout = '';
  let stderr = '';
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let ca: string;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'ciam-docker-'));
    port = await freePort();
    url = `https://localhost:${port}`;
    // The container's environment: the image's ENV, then compose's, with the volume (/data) mapped to
    // a temp folder, and the published port to a free one on loopback. Nothing from this process's
    // environment leaks in (vitest's NODE_EXTRA_CA_CERTS, for one), as nothing would in a container.
    const mapped = (v: string) => v.replace(/^\/data(?=\/|$)/, `${tmp}/data`);
    env = Object.fromEntries(Object.entries({ ...imageEnv, ...composeEnv }).map(([k, v]) => [k, mapped(v)]));
    Object.assign(env, { PATH: process.env.PATH ?? '', HOME: tmp, CIAM_PORT: String(port), CIAM_PUBLIC_URL: url, CIAM_HOST: '127.0.0.1' });
    // dist/main.js is built from these sources by npm ci in the image; here tsx runs the sources
    // themselves, with the same node flags.
    const [node, ...args] = cmd;
    expect(node).toBe('node');
    const argv = ['--import', 'tsx', ...args.map((a) => (a === 'dist/main.js' ? 'server/main.ts' : a))];
    child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
    exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const ready = await Promise.race([
      new Promise<boolean>((resolve) => {
        const check = setInterval(() => { if (stdout.includes('ciam-emulator is ready on')) { clearInterval(check); resolve(true); } }, 50);
      }),
      exited.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 50_000)),
    ]);
    expect(ready, `the emulator did not start:\n${stdout}\n${stderr}`).toBe(true);
    ca = readFileSync(`${tmp}/data/certs/ca.pem`, 'utf8');
  }, 60_000);

  afterAll(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  const get = (path: string, headers: Record<string, string> = {}) => rawRequest(url, 'GET', path, headers, undefined, { ca });

  it('starts without a warning: no missing CA file on a fresh volume', () => {
    expect(stderr).toBe('');
    expect(stdout).not.toMatch(/warn/i);
  });

  it('answers health without the admin token, and the image\'s HEALTHCHECK command passes', async () => {
    const health = await get('/_emulator/v1/health');
    expect(health.status).toBe(200);
    expect((JSON.parse(health.body) as { status: string }).status).toBe('ok');
    const [probe, ...probeArgs] = healthcheck;
    expect(probe).toBe('node');
    const run = spawnSync(process.execPath, probeArgs, { cwd: ROOT, env, encoding: 'utf8', timeout: 10_000 });
    expect(run.status, run.stderr).toBe(0);
  });

  it('refuses the mailbox without the token, and opens it in a browser through the banner\'s one-time link', async () => {
    expect((await get('/_emulator/mail')).status).toBe(401);
    expect((await get('/_emulator/v1/mail')).status).toBe(401);
    const link = new RegExp(`${url}(/_emulator/v1/session\\?ticket=[\\w-]+)`).exec(stdout)?.[1];
    expect(link, stdout).toBeTruthy();
    const started = await get(link!, { 'sec-fetch-site': 'none' });
    expect(started.status).toBe(303);
    const cookie = String(started.headers['set-cookie']).split(';')[0]!;
    const mailbox = await get('/_emulator/mail', { cookie, 'sec-fetch-site': 'none' });
    expect(mailbox.status).toBe(200);
    expect(mailbox.body).toContain('Mailbox');
    expect((await get('/_emulator/v1/ca.pem')).body).toBe(ca);
    // the cross-site checks still hold for that browser
    expect((await get('/_emulator/mail', { cookie, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
  });

  it('lets SIGTERM (docker stop) reach node, which closes and exits 0', async () => {
    child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000));
    expect(await Promise.race([exited, timeout])).toEqual({ code: 0, signal: null });
  });
});
