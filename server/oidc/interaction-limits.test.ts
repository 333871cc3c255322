import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, TravellingClock } from '../clock.js';
import { openDatabase, type Db } from '../db/connection.js';
import { migrate } from '../db/migrate.js';
import { loadConfig } from '../config.js';
import { createEmulator, type Emulator } from '../emulator.js';
import { DEFAULT, ROOT, TEST_CERTS, freePort } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { authorizeUrl, pkce } from '../testing/oauth.js';
import { createAdapterFactory, storageKey, sweepExpired } from './adapter.js';

// What anonymous /authorize traffic can make the emulator keep: each request without a session is
// an Interaction row. They expire after 30 minutes, are swept within a sweep interval of that, and
// a tenant never holds more than a ceiling of them.

describe('the interaction ceiling (adapter)', () => {
  const T = '11111111-1111-4111-8111-111111111111';
  let db: Db;
  let clock: ManualClock;
  const adapterFor = (model: string, maxInteractions: number) => {
    const Adapter = createAdapterFactory({ db, clock, tenantId: T, clientSource: () => undefined, maxInteractions });
    return new Adapter(model);
  };
  const count = (model: string) => (db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM oidc_payloads WHERE model = ?').get(model)!).n;
  const has = (model: string, id: string) => db.prepare('SELECT 1 FROM oidc_payloads WHERE model = ? AND id = ?').get(model, storageKey(id)) !== undefined;

  beforeAll(() => {
    db = openDatabase(':memory:');
    migrate(db);
    db.prepare("INSERT INTO tenants (id, subdomain, default_domain, display_name, cookie_keys_json, created_at) VALUES (?, 'c', 'c.onmicrosoft.com', 'C', '[]', 0)").run(T);
    clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  });
  afterAll(() => db.close());

  it('keeps at most the ceiling of interactions, evicting the oldest unfinished one first and never a session', async () => {
    db.prepare('DELETE FROM oidc_payloads').run();
    const interactions = adapterFor('Interaction', 3);
    const sessions = adapterFor('Session', 3);
    for (let i = 0; i < 5; i++) await sessions.upsert(`session-${i}`, { accountId: 'a', uid: `u${i}` }, 86400);
    // i1 has a login result (it waits for its resume): it outlives older and newer unfinished ones.
    await interactions.upsert('i0', { kind: 'Interaction' }, 1800);
    clock.advance(1000);
    await interactions.upsert('i1', { kind: 'Interaction', result: { login: { accountId: 'a' } } }, 1800);
    clock.advance(1000);
    await interactions.upsert('i2', { kind: 'Interaction' }, 1800);
    clock.advance(1000);
    expect(count('Interaction')).toBe(3);
    expect([has('Interaction', 'i0'), has('Interaction', 'i1'), has('Interaction', 'i2')]).toEqual([true, true, true]);

    await interactions.upsert('i3', { kind: 'Interaction' }, 1800);
    expect(count('Interaction')).toBe(3);
    expect([has('Interaction', 'i0'), has('Interaction', 'i1'), has('Interaction', 'i2'), has('Interaction', 'i3')]).toEqual([false, true, true, true]);

    clock.advance(1000);
    await interactions.upsert('i4', { kind: 'Interaction' }, 1800);
    expect([has('Interaction', 'i1'), has('Interaction', 'i2'), has('Interaction', 'i3'), has('Interaction', 'i4')]).toEqual([true, false, true, true]);
    expect(count('Session')).toBe(5);
  });

  it('re-saving an interaction at the ceiling (its login result) evicts nothing', async () => {
    db.prepare('DELETE FROM oidc_payloads').run();
    const interactions = adapterFor('Interaction', 2);
    await interactions.upsert('a', { kind: 'Interaction' }, 1800);
    await interactions.upsert('b', { kind: 'Interaction' }, 1800);
    await interactions.upsert('a', { kind: 'Interaction', result: { login: { accountId: 'x' } } }, 1800);
    expect([has('Interaction', 'a'), has('Interaction', 'b')]).toEqual([true, true]);
  });

  it('sweeps an interaction as soon as it expires, an authorization code an hour after, a refresh token a day after', async () => {
    db.prepare('DELETE FROM oidc_payloads').run();
    await adapterFor('Interaction', 100).upsert('int', { kind: 'Interaction' }, 1800);
    await adapterFor('AuthorizationCode', 100).upsert('code', { kind: 'AuthorizationCode' }, 600);
    await adapterFor('RefreshToken', 100).upsert('rt', { kind: 'RefreshToken' }, 60);
    clock.advance(1799 * 1000);
    sweepExpired(db, clock);
    expect(has('Interaction', 'int')).toBe(true);
    clock.advance(1000);
    sweepExpired(db, clock);
    expect(has('Interaction', 'int')).toBe(false);
    expect(has('AuthorizationCode', 'code')).toBe(true);
    clock.advance((600 + 3600 - 1800 - 1) * 1000); // 1 s short of the code's expiry + 1 h
    sweepExpired(db, clock);
    expect(has('AuthorizationCode', 'code')).toBe(true);
    clock.advance(1000);
    sweepExpired(db, clock);
    expect(has('AuthorizationCode', 'code')).toBe(false);
    expect(has('RefreshToken', 'rt')).toBe(true);
    clock.advance(24 * 3600 * 1000);
    sweepExpired(db, clock);
    expect(has('RefreshToken', 'rt')).toBe(false);
  });
});

describe('anonymous /authorize on a running emulator', () => {
  let emu: Emulator;
  let url: string;
  const clock = new TravellingClock();
  beforeAll(async () => {
    const port = await freePort();
    const config = loadConfig(['--data', ':memory:', '--port', String(port), '--argon2', 'test', '--certs', TEST_CERTS, '--fixtures', `${ROOT}fixtures/default`], {});
    emu = await createEmulator(config, { clock, sweepIntervalMs: 100 });
    await emu.app.listen({ host: '127.0.0.1', port });
    url = config.publicUrl;
  });
  afterAll(async () => {
    clock.reset();
    await emu.close();
  });

  const interactionRows = () => (emu.db.prepare<[], { n: number }>("SELECT count(*) AS n FROM oidc_payloads WHERE model = 'Interaction'").get()!).n;
  const waitForSweep = async (until: () => boolean) => {
    for (let i = 0; i < 50 && !until(); i++) await new Promise((r) => setTimeout(r, 50));
  };

  it('gives each sign-in page 30 minutes and sweeps it on the timer once expired', async () => {
    const { challenge } = pkce();
    const page = await new HttpBrowser(url).go(authorizeUrl(`${url}/${DEFAULT.domain}`, { client_id: DEFAULT.spa, redirect_uri: 'http://localhost:3000', code_challenge: challenge, code_challenge_method: 'S256' }));
    expect(page.status).toBe(200);
    const row = emu.db.prepare<[], { expires_at: number }>("SELECT expires_at FROM oidc_payloads WHERE model = 'Interaction'").get()!;
    expect(row.expires_at - clock.nowSeconds()).toBeGreaterThanOrEqual(1799);
    expect(row.expires_at - clock.nowSeconds()).toBeLessThanOrEqual(1800);

    clock.advance(29 * 60 * 1000);
    await new Promise((r) => setTimeout(r, 300)); // three sweeps
    expect(interactionRows()).toBe(1);

    clock.advance(61 * 1000);
    await waitForSweep(() => interactionRows() === 0);
    expect(interactionRows()).toBe(0);
  });
});

describe('the sweep timer', () => {
  it('does not keep the process alive', async () => {
    // A process that makes an emulator and never closes it must still exit on its own, at once.
    const script = `
      const { loadConfig } = await import(${JSON.stringify(`${ROOT}server/config.ts`)});
      const { createEmulator } = await import(${JSON.stringify(`${ROOT}server/emulator.ts`)});
      await createEmulator(loadConfig(['--data', ':memory:', '--http', '--argon2', 'test', '--fixtures', ${JSON.stringify(`${ROOT}fixtures/default`)}], {}), { sweepIntervalMs: 50 });
      console.log('created');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      // Starting under tsx may take long on a busy machine; exiting after that must not.
      const created = await new Promise<boolean>((r) => {
        child.stdout.on('data', (c: Buffer) => { if (c.toString().includes('created')) r(true); });
        void exited.then(() => r(false));
        setTimeout(() => r(false), 60_000);
      });
      expect(created, stderr).toBe(true);
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running after 3 s'), 3000))]);
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);
});
