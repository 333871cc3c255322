import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The data folder (`--data`): made before anything opens it, with one clear line when it cannot be
 * used, and held by one emulator process at a time.
 */
export class DataFolderError extends Error {}

const LOCK_FILE = 'emulator.lock';

/**
 * Creates the folder (0700: it holds signing keys and the CA's private key) and checks it is
 * writable. Creates one level at a time instead of `mkdirSync(…, { recursive: true })`, which never
 * returns for a path under /proc (Node keeps retrying ENOENT there).
 */
export function ensureDataFolder(dir: string): void {
  const absolute = resolve(dir);
  const missing: string[] = [];
  for (let at = absolute; ; at = dirname(at)) {
    const kind = statKind(at);
    if (kind === 'dir') break;
    if (kind === 'other') throw new DataFolderError(`--data ${dir}: ${at} exists and is not a folder`);
    if (dirname(at) === at) break;
    missing.unshift(at);
  }
  for (const at of missing) {
    try {
      mkdirSync(at, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new DataFolderError(`--data ${dir}: cannot create ${at} (${describe(e)})`);
    }
  }
  const probe = join(absolute, `.write-test-${process.pid}`);
  try {
    closeSync(openSync(probe, 'w', 0o600));
    unlinkSync(probe);
  } catch (e) {
    throw new DataFolderError(`--data ${dir}: the folder is not writable (${describe(e)})`);
  }
}

/**
 * Marks the folder as held by this process (`emulator.lock` with its pid), so `import` and a second
 * emulator refuse to write into a database a running emulator serves from. A lock left by a process
 * that is gone (kill -9, a crash) is taken over. Returns the release function.
 */
export function lockDataFolder(dir: string, purpose = 'the emulator'): () => void {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, purpose }));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new DataFolderError(`--data ${dir}: cannot write ${LOCK_FILE} (${describe(e)})`);
      const holder = readHolder(file);
      if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
        throw new DataFolderError(`the data folder ${dir} is in use by ${holder.purpose} (pid ${holder.pid}); stop it first, or use another --data folder`);
      }
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new DataFolderError(`--data ${dir}: could not take ${LOCK_FILE}`);
}

function readHolder(file: string): { pid: number; purpose: string } | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown; purpose?: unknown };
    return Number.isInteger(parsed.pid) ? { pid: parsed.pid as number, purpose: String(parsed.purpose ?? 'another process') } : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function statKind(path: string): 'dir' | 'other' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'other';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a parent is a file; the walk up names that parent.
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw new DataFolderError(`cannot use ${path} (${describe(e)})`);
  }
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message.replace(/^\w+: /, '')}` : String(err.message ?? e);
}
