import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's root folder (views/, migrations/, fixtures/, package.json), found from this file
 * whether it runs from source (server/paths.ts under tsx) or from the built bundle (dist/).
 */
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'ciam-emulator') return dir;
    if (dirname(dir) === dir) throw new Error(`ciam-emulator: no package.json named ciam-emulator above ${from}`);
  }
}

export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
export const fromRoot = (...parts: string[]) => join(ROOT, ...parts);

/**
 * Makes `dir` (and any missing parents) as a private folder: 0700 for every folder this call
 * creates, set with chmod so the process umask cannot widen it. A folder that already existed
 * keeps its mode: `--data /tmp/x` must never chmod /tmp. The data folder holds the database
 * (signing keys, password hashes, sessions) and the certs folder the CA's private key.
 */
export function ensurePrivateDir(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  // mkdirSync returns the first folder it made; every folder from there down to `dir` is new.
  for (let d = resolve(dir); ; d = dirname(d)) {
    chmodSync(d, 0o700);
    if (d === resolve(first) || dirname(d) === d) break;
  }
}

/** Owner read/write only (0600), whatever the umask; missing files are left alone. */
export function makePrivate(...files: string[]): void {
  for (const file of files) {
    try {
      chmodSync(file, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}
