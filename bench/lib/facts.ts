import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

/** What RESULTS.md records about where and how it was produced. */
export function machineFacts(root: string): [string, string][] {
  const sh = (cmd: string, args: string[]): string => {
    try { return execFileSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return 'unknown'; }
  };
  const version = (pkg: string): string => {
    try { return (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version; } catch { return 'unknown'; }
  };
  const dirty = sh('git', ['status', '--porcelain']);
  return [
    ['node', `${process.version} (OpenSSL ${process.versions.openssl})`],
    ['nproc', sh('nproc', [])],
    ['CPU', cpus()[0]?.model ?? 'unknown'],
    ['memory', `${(totalmem() / 2 ** 30).toFixed(1)} GiB`],
    ['load average before the run (1/5/15 min)', loadavg().map((l) => l.toFixed(2)).join(' / ')],
    ['versions', ['oidc-provider', 'fastify', 'jose', 'better-sqlite3', 'tsx', 'autocannon'].map((p) => `${p} ${version(p)}`).join(', ')],
    ['git', `${sh('git', ['rev-parse', '--short', 'HEAD'])}${dirty && dirty !== 'unknown' ? ' with uncommitted changes' : ''}`],
  ];
}

/** The command as typed, so RESULTS.md says how to reproduce it. */
export function commandLine(): string {
  const args = process.argv.slice(2).join(' ');
  const base = process.env.npm_lifecycle_event === 'bench' ? 'npm run bench' : 'npx tsx bench/run.ts';
  return args ? `${base}${base.startsWith('npm') ? ' --' : ''} ${args}` : base;
}
