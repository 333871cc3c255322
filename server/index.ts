import { freePort } from './net.js';
import { TravellingClock, cryptoRandom, parseDuration } from './clock.js';
import { loadConfig } from './config.js';
import { createEmulator, type Emulator } from './emulator.js';
import { exportSnapshot, importSnapshot, resetTenant, type Snapshot } from './emulator/tenant-state.js';
import type { FaultInput, FaultRule } from './emulator/faults.js';
import { LOGIN_AS_COOKIE } from './emulator/login-as.js';
import type { StoredMail } from './mail/index.js';
import { memoizedHasher } from './emulator/tenant-state.js';
import { createPasswordHasher } from './directory/passwords.js';

/**
 * ciam-emulator inside a Node test runner: `const emu = await startEmulator()` starts a real
 * emulator (https by default, an in-memory database, the default fixtures, the cheap argon2 profile)
 * on a free loopback port, with the control plane as functions.
 *
 * MSAL needs https and Node must trust the emulator's CA before the test process starts: set
 * NODE_EXTRA_CA_CERTS to `<certs>/ca.pem` (default `./.ciam-emulator/certs/ca.pem`;
 * `npx ciam-emulator ca` prints it) in the test runner's configuration.
 */
export interface StartOptions {
  /** fixtures folder (default: the emulator's fixtures/default) */
  fixtures?: string;
  /** where the CA, TLS certificate and cached signing keys live (default ./.ciam-emulator/certs) */
  certs?: string;
  /** serve plain http (clients other than MSAL) */
  http?: boolean;
  port?: number;
  /** every emailed one-time code is this one */
  otpCode?: string;
  argon2?: 'test' | 'owasp';
  /**
   * Entra's throttling: code resend limits, 429 for wrong-secret bursts and token request loops
   * (default off here, whatever the argon2 profile: a test suite signs the same users in many times;
   * turn it on to test a client's back-off)
   */
  throttling?: boolean;
  /** log to stdout at this level (default: silent) */
  logLevel?: string;
}

export interface RunningEmulator {
  /** https://localhost:<port> */
  url: string;
  /** the default tenant's authority for MSAL: `${url}/contoso.onmicrosoft.com` */
  authority: string;
  /** MSAL's knownAuthorities entry */
  knownAuthority: string;
  tenant: { id: string; domain: string; subdomain: string; issuer: string };
  /** the CA to trust (NODE_EXTRA_CA_CERTS), absent with http */
  caFile: string | undefined;
  stop(): Promise<void>;
  /** back to the fixtures: users, sessions, codes, mail, sign-ins (keys stay) */
  reset(tenant?: string): Promise<void>;
  mail: {
    /** the newest message to this address (its `code` included), if any */
    latest(to: string): StoredMail | undefined;
    list(to?: string): StoredMail[];
    clear(to?: string): void;
  };
  clock: {
    /** milliseconds or an ISO 8601 duration (`PT11M`) */
    advance(by: number | string): void;
    set(to: Date | string): void;
    reset(): void;
    now(): Date;
  };
  faults: { add(rule: FaultInput): FaultRule; clear(): void; list(): FaultRule[] };
  /** a cookie that signs this user in at the next /authorize (set it on the emulator's origin) */
  loginAs(who: { email: string } | { userId: string }, tenant?: string): { name: string; value: string; domain: string; path: string };
  /** the tenant as JSON; private keys and plaintext secrets only with `{ includeSecrets: true }` */
  snapshot(tenant?: string, options?: { includeSecrets?: boolean }): Snapshot;
  restore(snapshot: Snapshot): Promise<void>;
  /**
   * A new signing key for the tenant, published in the JWKS at once and signing from `activateAt`
   * (now by default); the previous key stays published until the tokens it signed have expired.
   */
  rotateKeys(tenant?: string, options?: { activateAt?: Date | string }): Promise<KeyRotation>;
  /** the running emulator's internals, for what the functions above do not cover */
  emulator: Emulator;
}


export interface KeyRotation {
  tenantId: string;
  /** the new key */
  kid: string;
  /** the key that signed until the new one activates */
  previousKid: string;
  activatesAt: Date;
  /** when the previous key leaves the JWKS */
  previousKeyPublishedUntil: Date;
  /** the key signing now, and every key the JWKS lists now */
  signingKid: string;
  publishedKids: string[];
}

export async function startEmulator(options: StartOptions = {}): Promise<RunningEmulator> {
  const port = options.port ?? await freePort();
  const args = ['--data', ':memory:', '--port', String(port), '--argon2', options.argon2 ?? 'test',
    ...(options.fixtures ? ['--fixtures', options.fixtures] : []), ...(options.certs ? ['--certs', options.certs] : []),
    ...(options.http ? ['--http'] : []), ...(options.otpCode ? ['--otp-code', options.otpCode] : []),
    '--throttling', options.throttling ? 'on' : 'off'];
  const config = loadConfig(args, {});
  const clock = new TravellingClock();
  const emulator = await createEmulator(config, {
    clock,
    hasher: createPasswordHasher(config.argon2),
    ...(options.logLevel ? { log: { level: options.logLevel } } : {}),
  });
  await emulator.app.listen({ host: '127.0.0.1', port });

  const tenantId = (alias?: string) => {
    const t = alias ? emulator.registry.resolve(alias) : emulator.registry.list()[0];
    if (!t) throw new Error(`ciam-emulator: no tenant ${alias ?? ''}`);
    return t.tenant.id;
  };
  const first = emulator.registry.list()[0]!;
  const stateDeps = { ...emulator, hasher: memoizedHasher(createPasswordHasher(config.argon2)), clock, random: cryptoRandom };

  return {
    url: config.publicUrl,
    authority: `${config.publicUrl}/${first.tenant.defaultDomain}`,
    knownAuthority: new URL(config.publicUrl).host,
    tenant: { id: first.tenant.id, domain: first.tenant.defaultDomain, subdomain: first.tenant.subdomain, issuer: first.issuer },
    caFile: emulator.tls?.caFile,
    stop: () => emulator.close(),
    reset: async (tenant) => {
      await resetTenant(stateDeps, tenantId(tenant));
      emulator.toolkit.tickets.clear();
      emulator.toolkit.throttles.clear();
    },
    mail: {
      latest: (to) => emulator.mailer.outbox.list({ to, top: 1 })[0],
      list: (to) => emulator.mailer.outbox.list({ to, top: 100 }),
      clear: (to) => { emulator.mailer.outbox.clear(to); },
    },
    clock: {
      advance: (by) => {
        const ms = typeof by === 'number' ? by : parseDuration(by);
        if (ms === undefined) throw new Error(`ciam-emulator: '${String(by)}' is not milliseconds or an ISO 8601 duration`);
        clock.advance(ms);
      },
      set: (to) => clock.set(new Date(to)),
      reset: () => clock.reset(),
      now: () => clock.now(),
    },
    faults: {
      add: (rule) => emulator.toolkit.faults.add(rule),
      clear: () => emulator.toolkit.faults.clear(),
      list: () => emulator.toolkit.faults.list(),
    },
    loginAs: (who, tenant) => {
      const id = tenantId(tenant);
      const user = 'email' in who ? emulator.directory.users.findBySignInName(id, who.email) : emulator.directory.users.findById(id, who.userId);
      if (!user) throw new Error(`ciam-emulator: no such user ${JSON.stringify(who)}`);
      return { name: LOGIN_AS_COOKIE, value: emulator.toolkit.tickets.issue(id, user.id).ticket, domain: new URL(config.publicUrl).hostname, path: '/' };
    },
    snapshot: (tenant, options) => exportSnapshot(stateDeps, tenantId(tenant), options),
    restore: async (snapshot) => { await importSnapshot(stateDeps, tenantId(snapshot.tenantId), snapshot); },
    rotateKeys: async (tenant, options = {}) => {
      const id = tenantId(tenant);
      const at = options.activateAt === undefined || options.activateAt === 'now' ? undefined : new Date(options.activateAt);
      if (at && Number.isNaN(at.getTime())) throw new Error(`ciam-emulator: activateAt '${String(options.activateAt)}' is not a date`);
      const r = await emulator.registry.rotateKeys(id, at ? { activateAt: at } : {});
      return { tenantId: id, kid: r.kid, previousKid: r.previousKid, activatesAt: r.activatesAt, previousKeyPublishedUntil: r.previousKeyPublishedUntil, signingKid: r.signing, publishedKids: r.published };
    },
    emulator,
  };
}

export type { Snapshot } from './emulator/tenant-state.js';
export type { FaultInput, FaultRule } from './emulator/faults.js';
export type { StoredMail } from './mail/index.js';
