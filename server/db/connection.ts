import Database from 'better-sqlite3';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, makePrivate } from '../paths.js';

export type Db = Database.Database;

/** Opens the emulator database: a file `emulator.db` in the data folder, or `:memory:`. */
export function openDatabase(data: string): Db {
  let db: Db;
  if (data === ':memory:') {
    db = new Database(':memory:');
  } else {
    // The database holds signing keys, password hashes and sessions: owner-only, whatever the umask.
    ensurePrivateDir(data);
    const file = join(data, 'emulator.db');
    // Made (or kept) 0600 before SQLite opens it: SQLite gives the -wal and -shm files the mode of
    // the database file, so they are private from their first byte too.
    closeSync(openSync(file, 'a', 0o600));
    makePrivate(file);
    db = new Database(file);
    // WAL lets readers run beside the writer; NORMAL sync is durable across process crashes,
    // which is what a local emulator needs (performance-baseline: FULL costs 2.7x per write).
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // After a checkpoint the WAL is truncated back to this size instead of staying at its high-water
    // mark (a burst of writes would otherwise leave a WAL of that size on disk for good).
    db.pragma('journal_size_limit = 8388608');
    // Files a database from an older version left behind with the umask's mode.
    makePrivate(`${file}-wal`, `${file}-shm`);
  }
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Runs `fn` in one transaction: all of it lands, or none of it (never a half-written record). */
export function transaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn)();
}
