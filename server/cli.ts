import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, USAGE } from './config.js';
import { cryptoRandom, systemClock } from './clock.js';
import { openDatabase } from './db/connection.js';
import { DataFolderError, ensureDataFolder, lockDataFolder } from './db/data-folder.js';
import { migrate } from './db/migrate.js';
import { createDirectory } from './directory/index.js';
import { createPasswordHasher } from './directory/passwords.js';
import { exportSnapshot, importSnapshot, TenantStateError } from './emulator/tenant-state.js';
import { ensureCertificates } from './tls/certificates.js';

/**
 * The CLI's other commands, working on the data folder without starting the server:
 *   ciam-emulator export [--tenant T] [--include-secrets] [--data DIR] > tenant.json
 *   ciam-emulator import FILE [--data DIR]
 *   ciam-emulator ca [--certs DIR]
 */
export const COMMANDS_USAGE = `Usage: ciam-emulator [start] [options]            start the emulator (npm start)
       ciam-emulator export [--tenant T] [--include-secrets] [options]
                                                    print a tenant's snapshot (JSON) from the data folder;
                                                    private keys and secrets only with --include-secrets
       ciam-emulator import FILE [options]          load a snapshot into the data folder (stop the emulator first)
       ciam-emulator ca [options]                   print the local CA's path and how to trust it

${USAGE}`;

export async function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    switch (command) {
      case 'export': return exportCommand(args, env);
      case 'import': return await importCommand(args, env);
      case 'ca': return await caCommand(args, env);
      case 'help': process.stdout.write(`${COMMANDS_USAGE}\n`); return 0;
      default: process.stderr.write(`ciam-emulator: unknown command '${command}'\n\n${COMMANDS_USAGE}\n`); return 2;
    }
  } catch (e) {
    if (e instanceof ConfigError || e instanceof TenantStateError || e instanceof DataFolderError) {
      process.stderr.write(`ciam-emulator ${command}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

/** Takes `--name value` out of the arguments (the rest go to the emulator's own options). */
function take(args: string[], name: string): [string | undefined, string[]] {
  const i = args.indexOf(name);
  if (i < 0) return [undefined, args];
  if (i + 1 >= args.length) throw new ConfigError(`${name} needs a value`);
  return [args[i + 1], [...args.slice(0, i), ...args.slice(i + 2)]];
}

function openData(args: string[], env: NodeJS.ProcessEnv, { write }: { write: boolean }) {
  const config = loadConfig(args, env);
  if (config.data === ':memory:') throw new ConfigError('export and import work on a data folder, not :memory:');
  ensureDataFolder(config.data);
  // Reading beside a running emulator is safe (SQLite WAL); writing under it is not: its caches and
  // signing keys would no longer match the database.
  const release = write ? lockDataFolder(config.data, 'ciam-emulator import') : () => {};
  try {
    const db = openDatabase(config.data);
    migrate(db);
    return { config, db, directory: createDirectory(db), release };
  } catch (e) {
    release();
    throw e;
  }
}

function exportCommand(args: string[], env: NodeJS.ProcessEnv): number {
  const [tenantAlias, afterTenant] = take(args, '--tenant');
  // Private signing keys and plaintext secrets leave the data folder only when asked for by name.
  const includeSecrets = afterTenant.includes('--include-secrets');
  const rest = afterTenant.filter((a) => a !== '--include-secrets');
  const { db, directory } = openData(rest, env, { write: false });
  try {
    const tenant = tenantAlias ? directory.tenants.findByAlias(tenantAlias) : directory.tenants.list()[0];
    if (!tenant) throw new TenantStateError(404, tenantAlias ? `no tenant '${tenantAlias}' in the data folder` : 'the data folder has no tenant yet: start the emulator once');
    process.stdout.write(`${JSON.stringify(exportSnapshot({ db, clock: systemClock }, tenant.id, { includeSecrets }), null, 2)}\n`);
    return 0;
  } finally {
    db.close();
  }
}

async function importCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [file, ...rest] = args;
  if (!file || file.startsWith('-')) throw new ConfigError('import needs a snapshot file: ciam-emulator import tenant.json');
  let snapshot: { tenantId?: unknown };
  try {
    snapshot = JSON.parse(readFileSync(file, 'utf8')) as { tenantId?: unknown };
  } catch (e) {
    throw new ConfigError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const { config, db, directory, release } = openData(rest, env, { write: true });
  try {
    const tenantId = String(snapshot.tenantId ?? '').toLowerCase();
    const counts = await importSnapshot({ db, directory, clock: systemClock, random: cryptoRandom, hasher: createPasswordHasher(config.argon2) }, tenantId, snapshot);
    process.stdout.write(`imported tenant ${tenantId} into ${config.data}: ${Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', ')}\n`);
    return 0;
  } finally {
    db.close();
    release();
  }
}

async function caCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(args, env);
  const tls = await ensureCertificates(config.certsDir, [config.host, new URL(config.publicUrl).hostname]);
  process.stdout.write(`${tls.caFile}

Trust it:
  Node (MSAL, openid-client):   ${nodeTrust(tls.caFile, env.NODE_EXTRA_CA_CERTS)}
  Chrome/Chromium on Linux:     certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n ciam-emulator -i ${tls.caFile}
  macOS:                        sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${tls.caFile}
  Windows:                      certutil -addstore -f Root ${tls.caFile}
`);
  return 0;
}

/**
 * Node reads NODE_EXTRA_CA_CERTS once and takes one file: replacing a value the developer already has
 * (a corporate CA) would break their other connections, so then the advice is a bundle of both.
 */
function nodeTrust(caFile: string, existing: string | undefined): string {
  if (!existing || existing === caFile) return `export NODE_EXTRA_CA_CERTS=${caFile}`;
  const bundle = caFile.replace(/ca\.pem$/, 'node-extra-ca-bundle.pem');
  return `cat "${existing}" ${caFile} > ${bundle} && export NODE_EXTRA_CA_CERTS=${bundle}
                                (NODE_EXTRA_CA_CERTS is already set and Node reads only one file: this keeps both)`;
}
