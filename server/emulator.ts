import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import { cryptoRandom, TravellingClock, type Clock, type Random } from './clock.js';
import { openDatabase, type Db } from './db/connection.js';
import { ensureDataFolder, lockDataFolder } from './db/data-folder.js';
import { migrate } from './db/migrate.js';
import { createDirectory } from './directory/index.js';
import { createPasswordHasher, type PasswordHasher } from './directory/passwords.js';
import { loadFixtureSet } from './fixtures/load.js';
import { applyFixtures, sealStoredFixtureSets } from './fixtures/apply.js';
import type { FixtureSet } from './fixtures/schema.js';
import { ensureCertificates, type TlsMaterial } from './tls/certificates.js';
import { buildApp, type App } from './app.js';
import { sweepExpired } from './oidc/adapter.js';
import { createConfiguredMailer } from './mail/index.js';

export interface EmulatorOptions {
  clock?: Clock;
  random?: Random;
  log?: FastifyServerOptions['logger'];
  hasher?: PasswordHasher;
  version?: string;
  /** how often expired protocol records are swept (default SWEEP_INTERVAL_MS) */
  sweepIntervalMs?: number;
}

/**
 * Expired interactions, codes and sessions are deleted this often (adapter.ts sweepExpired): anonymous
 * /authorize traffic then leaves at most a minute of expired rows behind.
 */
export const SWEEP_INTERVAL_MS = 60_000;

export interface Emulator extends App {
  config: Config;
  db: Db;
  fixtures: FixtureSet;
  clock: Clock;
  tls: TlsMaterial | undefined;
  close(): Promise<void>;
}

/**
 * Everything between a Config and a ready (not yet listening) emulator: database, migrations,
 * fixtures, certificates, app. main.ts and the tests both start here.
 */
export async function createEmulator(config: Config, options: EmulatorOptions = {}): Promise<Emulator> {
  // The clock the control plane can move (POST /_emulator/v1/clock); tests may pass a fixed one.
  const clock = options.clock ?? new TravellingClock();
  const random = options.random ?? cryptoRandom;
  const hasher = options.hasher ?? createPasswordHasher(config.argon2);
  // Stored fixture sets keep password hashes (fixtures/apply.ts), so a reset hashes nothing and no
  // plaintext password is remembered here either.
  const fixtureHasher = hasher;
  const fixtures = loadFixtureSet(config.fixtures);
  let release = () => {};
  if (config.data !== ':memory:') {
    ensureDataFolder(config.data);
    release = lockDataFolder(config.data);
  }
  let db: Db;
  try {
    db = openDatabase(config.data);
  } catch (e) {
    release();
    throw e;
  }
  try {
    migrate(db);
    await applyFixtures({ db, directory: createDirectory(db), hasher: fixtureHasher, clock, random }, fixtures);
    await sealStoredFixtureSets(db, fixtureHasher);
    const tls = config.http ? undefined : await ensureCertificates(config.certsDir, [config.host, new URL(config.publicUrl).hostname]);
    // The mailer exists before the app whose logger it reports SMTP failures to; nothing is mailed
    // before the app is built, so its warnings always find the log.
    let appLog: FastifyBaseLogger | undefined;
    const mailer = createConfiguredMailer({ config, db, clock, random, log: { warn: (obj, msg) => appLog?.warn(obj, msg) } });
    const built = await buildApp({ config, db, clock, random, mailer, log: options.log ?? false, hasher, fixtureHasher, ...(tls ? { tls } : {}), ...(options.version ? { version: options.version } : {}) });
    appLog = built.app.log;
    // Expired interactions, codes, sessions and tokens are swept at start and every minute (on the
    // injected clock, so a travelled clock sweeps too). unref: the timer never keeps the process alive.
    sweepExpired(db, clock);
    const sweeper = setInterval(() => {
      try {
        sweepExpired(db, clock);
      } catch (e) {
        appLog?.warn({ err: e }, 'sweeping expired protocol records failed; retrying at the next sweep');
      }
    }, options.sweepIntervalMs ?? SWEEP_INTERVAL_MS).unref();
    return {
      ...built,
      config,
      db,
      fixtures,
      clock,
      tls,
      async close() {
        clearInterval(sweeper);
        if (clock instanceof TravellingClock) clock.reset();
        await built.app.close();
        await mailer.close();
        db.close();
        release();
      },
    };
  } catch (e) {
    db.close();
    release();
    throw e;
  }
}
