import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './connection.js';
import { fromRoot } from '../paths.js';

export const MIGRATIONS_DIR = fromRoot('migrations');

/**
 * Applies the numbered, forward-only SQL files in `migrations/` whose number is above
 * `PRAGMA user_version`, one transaction per file.
 */
export function migrate(db: Db, dir = MIGRATIONS_DIR): number {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort();
  let version = db.pragma('user_version', { simple: true }) as number;
  for (const file of files) {
    const n = Number(file.slice(0, 4));
    if (n <= version) continue;
    const sql = readFileSync(join(dir, file), 'utf8');
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${n}`);
    })();
    version = n;
  }
  return version;
}
