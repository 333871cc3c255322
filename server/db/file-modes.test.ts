import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureCertificates } from '../tls/certificates.js';
import { openDatabase } from './connection.js';

// The data folder holds signing keys, password hashes and sessions, the certs folder the CA's private
// key: owner-only whatever the umask of the shell that started the emulator (umask 000 here, the
// worst case, under which the old code made a world-readable database in a world-writable folder).
const mode = (path: string) => statSync(path).mode & 0o777;
let base: string;
let umask: number;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'ciam-modes-'));
  chmodSync(base, 0o755);
  umask = process.umask(0o000);
});
afterEach(() => {
  process.umask(umask);
  rmSync(base, { recursive: true, force: true });
});

describe('file modes', () => {
  it('creates the data folders 0700 and the database, its WAL and SHM 0600', () => {
    const data = join(base, 'new', 'data');
    const db = openDatabase(data);
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1);');
    try {
      expect(mode(join(base, 'new')).toString(8)).toBe('700');
      expect(mode(data).toString(8)).toBe('700');
      for (const file of ['emulator.db', 'emulator.db-wal', 'emulator.db-shm']) expect([file, mode(join(data, file)).toString(8)]).toEqual([file, '600']);
      // A folder that was there already is not ours to change (`--data /tmp/x` must not chmod /tmp).
      expect(mode(base).toString(8)).toBe('755');
    } finally {
      db.close();
    }
  });

  it('makes a database an older version left world-readable 0600 again', () => {
    const data = join(base, 'data');
    openDatabase(data).close();
    chmodSync(join(data, 'emulator.db'), 0o644);
    const db = openDatabase(data);
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1);');
    try {
      expect(mode(join(data, 'emulator.db')).toString(8)).toBe('600');
      expect(mode(join(data, 'emulator.db-wal')).toString(8)).toBe('600');
    } finally {
      db.close();
    }
  });

  it('creates the certs folder 0700 and the private keys 0600, and tightens keys left 0644', async () => {
    const certs = join(base, 'certs');
    await ensureCertificates(certs, []);
    expect(mode(certs).toString(8)).toBe('700');
    expect(mode(join(certs, 'ca-key.pem')).toString(8)).toBe('600');
    expect(mode(join(certs, 'tls-key.pem')).toString(8)).toBe('600');

    chmodSync(join(certs, 'tls-key.pem'), 0o644);
    chmodSync(join(certs, 'ca-key.pem'), 0o644);
    await ensureCertificates(certs, []);
    expect(mode(join(certs, 'ca-key.pem')).toString(8)).toBe('600');
    expect(mode(join(certs, 'tls-key.pem')).toString(8)).toBe('600');
  });
});
