import { ManualClock, cryptoRandom } from '../clock.js';
import { openDatabase } from '../db/connection.js';
import { migrate } from '../db/migrate.js';
import { createDirectory } from '../directory/index.js';
import { createPasswordHasher } from '../directory/passwords.js';
import { applyFixtures } from '../fixtures/apply.js';
import { loadFixtureSet } from '../fixtures/load.js';
import { createConfiguredMailer } from '../mail/index.js';
import { createCodeService, DEFAULT_CODE_SETTINGS, type CodeSettings } from '../flows/codes.js';
import { TransactionRepository } from '../flows/transactions.js';
import type { FlowDeps } from '../flows/flow-deps.js';
import { ROOT, DEFAULT } from './harness.js';

/** The flow services' dependencies over a fresh in-memory database with the default fixtures. */
export async function flowDeps(codeSettings: Partial<CodeSettings> = {}) {
  const db = openDatabase(':memory:');
  migrate(db);
  const clock = new ManualClock(Date.parse('2026-11-22T10:00:00Z'));
  const directory = createDirectory(db);
  const hasher = createPasswordHasher('test');
  await applyFixtures({ db, directory, hasher, clock, random: cryptoRandom }, loadFixtureSet(`${ROOT}fixtures/default`));
  const mailer = createConfiguredMailer({ config: { smtp: undefined }, db, clock, random: cryptoRandom, log: { warn: () => {} } });
  const codes = createCodeService(db, clock, { ...DEFAULT_CODE_SETTINGS, ...codeSettings });
  const deps: FlowDeps = { db, directory, transactions: new TransactionRepository(db, clock, cryptoRandom), codes, mailer, hasher, clock, random: cryptoRandom };
  const tenant = directory.tenants.get(DEFAULT.tenantId)!;
  /** the code in the newest mail to this address (as tests read it from /_emulator/v1/mail) */
  const lastCode = (to: string) => mailer.outbox.list({ to, top: 1 })[0]?.code ?? undefined;
  return { deps, db, clock, tenant, mailer, lastCode };
}
