import { fileURLToPath } from 'node:url';
import type { Clock } from '../clock.js';
import { freePort } from '../net.js';

export { freePort };
import { loadConfig, type Config } from '../config.js';
import { createEmulator, type Emulator } from '../emulator.js';
import { createPasswordHasher, type PasswordHasher } from '../directory/passwords.js';

/**
 * Starts a real emulator for a test: a fresh in-memory database, the default fixtures, the cheap
 * argon2 profile, https with the test CA (vitest.config.ts makes it and points NODE_EXTRA_CA_CERTS
 * at it before the test workers start), on a free loopback port.
 */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TEST_CERTS = `${ROOT}node_modules/.cache/ciam-emulator-test/certs`;

export const DEFAULT = {
  tenantId: '11111111-1111-4111-8111-111111111111',
  domain: 'contoso.onmicrosoft.com',
  spa: '22222222-2222-4222-8222-222222222222',
  web: '33333333-3333-4333-8333-333333333333',
  webSecret: 'web-app-secret',
  webRedirect: 'http://localhost:3001/auth/redirect',
  api: '44444444-4444-4444-8444-444444444444',
  daemon: '55555555-5555-4555-8555-555555555555',
  daemonSecret: 'daemon-app-secret',
  alice: { id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', email: 'alice@contoso.com', password: 'Passw0rd!' },
  blocked: { email: 'blocked@contoso.com', password: 'Passw0rd!' },
} as const;


export interface TestEmulator extends Emulator {
  url: string;
  /** `${url}/contoso.onmicrosoft.com` */
  authority: string;
}

export async function startTestEmulator(options: { http?: boolean; args?: string[]; clock?: Clock; hasher?: PasswordHasher } = {}): Promise<TestEmulator> {
  const port = await freePort();
  const args = ['--data', ':memory:', '--port', String(port), '--argon2', 'test', '--certs', TEST_CERTS,
    '--fixtures', `${ROOT}fixtures/default`, ...(options.http ? ['--http'] : []), ...(options.args ?? [])];
  const config: Config = loadConfig(args, {});
  const emulator = await createEmulator(config, { ...(options.clock ? { clock: options.clock } : {}), ...(options.hasher ? { hasher: options.hasher } : {}) });
  await emulator.app.listen({ host: '127.0.0.1', port });
  return Object.assign(emulator, { url: config.publicUrl, authority: `${config.publicUrl}/${DEFAULT.domain}` });
}

/** The test argon2 profile, counting verifications: what a lockout test needs to see how many guesses were checked. */
export function countingHasher(): PasswordHasher & { verifications: number } {
  const real = createPasswordHasher('test');
  const counting = {
    verifications: 0,
    hash: (p: string) => real.hash(p),
    verify: (h: string, p: string) => { counting.verifications++; return real.verify(h, p); },
  };
  return counting;
}
