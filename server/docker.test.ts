import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FLAGS, loadConfig } from './config.js';
import { ROOT } from './testing/harness.js';

// Docker cannot run on the build machines, so the image and compose files are checked against the
// CLI here: every variable they set is one the emulator reads, ports and volumes agree with it.
// (What is not exercised: building the image and running the containers.)
const compose = parse(readFileSync(`${ROOT}docker-compose.yml`, 'utf8')) as {
  services: Record<string, { build?: string; image?: string; ports?: string[]; environment?: Record<string, string>; volumes?: string[]; depends_on?: string[] }>;
  volumes?: Record<string, unknown>;
};
const dockerfile = readFileSync(`${ROOT}Dockerfile`, 'utf8');
const knownVariables = new Set(Object.values(FLAGS).map((f) => f.env).filter(Boolean));

describe('docker-compose.yml', () => {
  const emulator = compose.services['ciam-emulator']!;
  const env = emulator.environment ?? {};

  it('sets only variables the emulator reads, and they parse as a valid configuration', () => {
    for (const name of Object.keys(env).filter((k) => k.startsWith('CIAM_'))) expect(knownVariables, name).toContain(name);
    const config = loadConfig([], env, '/app');
    expect(config).toMatchObject({ host: '0.0.0.0', port: 7443, publicUrl: 'https://localhost:7443', data: '/data', smtp: 'smtp://mailpit:1025' });
  });

  it('publishes the port the emulator listens on, at the public URL\'s port', () => {
    expect(emulator.ports).toContain(`${env.CIAM_PORT}:${env.CIAM_PORT}`);
    expect(new URL(env.CIAM_PUBLIC_URL!).port).toBe(env.CIAM_PORT);
  });

  it('keeps the data folder in a named volume', () => {
    const [volume, mountPoint] = (emulator.volumes ?? [])[0]!.split(':');
    expect(mountPoint).toBe(env.CIAM_DATA);
    expect(compose.volumes).toHaveProperty(volume!);
  });

  it('wires the SMTP relay to Mailpit\'s SMTP port', () => {
    const smtp = new URL(env.CIAM_SMTP!);
    expect(compose.services[smtp.hostname]).toBeDefined();
    expect(compose.services[smtp.hostname]!.ports).toContain(`${smtp.port}:${smtp.port}`);
    expect(emulator.depends_on).toContain(smtp.hostname);
  });

  it('protects the control plane, which is not loopback inside a container', () => {
    expect(env.CIAM_ADMIN_TOKEN).toBeTruthy();
  });
});

describe('Dockerfile', () => {
  it('is multi-stage, runs as a non-root user with data in a volume, and starts with the README\'s command', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(dockerfile).toMatch(/npm ci/);
    expect(dockerfile).toMatch(/^CMD \["npm", "start"\]$/m);
    const env = Object.fromEntries([...dockerfile.matchAll(/(CIAM_\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    for (const name of Object.keys(env)) expect(knownVariables, name).toContain(name);
    expect(dockerfile).toContain(`EXPOSE ${env.CIAM_PORT}`);
  });
});
