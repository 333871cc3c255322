/**
 * `npm run bench:soak`: the built emulator under minutes of bounded mixed load, watching its memory
 * and its database. Goal (issue 10 §6): RSS ≤ 200 MiB throughout, and a database that anonymous
 * traffic cannot grow without bound. Talks to 127.0.0.1 only.
 *
 * The emulator runs as `npm start` runs it (the node flags of package.json's start script, then
 * dist/main.js from scripts/build.mjs), with plain http, a temporary --data folder and the default
 * argon2 profile. The load, each stream paced to its own rate (requests per second, all streams
 * together ~230/s at --scale 1):
 *   anonymous /authorize (a browser without a session: an Interaction row each)   120/s
 *   discovery and JWKS                                                               20/s
 *   client-credentials tokens (daemon app, JWT access tokens)                       40/s
 *   Microsoft Graph reads (users list, one user) with an app token                   40/s
 *   hosted sign-in (password) and code redemption with refresh token (web app)       2/s
 * Every few seconds: the server's RSS (VmRSS) and the size of emulator.db + -wal. Exits 1 when the
 * peak RSS is over the 200 MiB budget.
 *
 * Flags (after `--`), defaults in brackets:
 *   --minutes N [10]   --short (1 minute, samples every 2 s: a quick check)
 *   --sample S [5]     seconds between samples
 *   --scale F [1]      multiplies every stream's rate
 *   --cpu-prof DIR     run the emulator with --cpu-prof into DIR
 *   --heap-snapshot DIR  write a heap snapshot of the emulator into DIR before it stops
 *   --no-build         run the dist/ already built (npm run build) instead of building first
 *   --out FILE         also write the results as Markdown to FILE
 *   --only a,b         run only the streams whose names contain these words (authorize, discovery,
 *                      client-credentials, graph, sign-in), to find which one holds memory
 *   --node-args="…"    node flags instead of the start script's (e.g. "--max-semi-space-size=8")
 *   --throttled        keep Entra's throttling on (by default the soak runs with --throttling off)
 *   --emulator-args="…"  more emulator flags
 * SOAK_DEBUG=1 prints a failed sign-in's page and the emulator's last output. MALLOC_* variables in the
 * environment reach the emulator (and are printed): glibc's allocator settings change its RSS a lot.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { HttpBrowser } from '../server/testing/browser.js';
import { pkce } from '../server/testing/oauth.js';
import { CLIENT_ID, CLIENT_SECRET, PATHS, TENANT_ID, TOKEN_BODY, TOKEN_HEADERS } from './lib/constants.js';
import { send, sleep } from './lib/http.js';
import { freePort, killAllNow, rssMiB, startChild, waitReady, type Child } from './lib/procs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2).join(' ');
const command = process.env.npm_lifecycle_event === 'bench:soak' ? `npm run bench:soak${args ? ` -- ${args}` : ''}` : `npx tsx bench/soak.ts${args ? ` ${args}` : ''}`;
const log = (line: string) => process.stdout.write(`${line}\n`);

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    short: { type: 'boolean', default: false },
    sample: { type: 'string' },
    scale: { type: 'string', default: '1' },
    'cpu-prof': { type: 'string' },
    'heap-snapshot': { type: 'string' },
    out: { type: 'string' },
    only: { type: 'string' },
    throttled: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    'node-args': { type: 'string' },
    'emulator-args': { type: 'string' },
  },
  strict: true,
});
const num = (name: string, text: string, min: number, max: number): number => {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}, not '${text}'`);
  return n;
};
const minutes = flags.short ? 1 : num('minutes', flags.minutes, 0.25, 240);
const sampleS = num('sample', flags.sample ?? (flags.short ? '2' : '5'), 0.5, 60);
const scale = num('scale', flags.scale, 0.05, 10);

const WEB = { clientId: '33333333-3333-4333-8333-333333333333', secret: 'web-app-secret', redirect: 'http://localhost:3001/auth/redirect' };
const SPA = { clientId: '22222222-2222-4222-8222-222222222222', redirect: 'http://localhost:3000' };
const ALICE = { id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', email: 'alice@contoso.com', password: 'Passw0rd!' };
const BASE = `/${TENANT_ID}`;
const BUDGET_MIB = 200;

const tmp = mkdtempSync(join(tmpdir(), 'ciam-soak-'));
const dataDir = join(tmp, 'data');
process.on('exit', () => {
  killAllNow();
  rmSync(tmp, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping the emulator\n`);
    process.exit(130);
  });
}

/** The node flags of `npm start` (package.json scripts.start), so the soak runs what users run. */
function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = pkg.scripts.start!.split(/\s+/);
  const main = words.indexOf('dist/main.js');
  if (words[0] !== 'node' || main < 0) throw new Error(`unexpected start script: ${pkg.scripts.start}`);
  return words.slice(1, main);
}

interface Stream {
  name: string;
  /** requests per second for the whole stream */
  rate: number;
  workers: number;
  run: (agent: Agent) => Promise<number>;
}

interface Tally { ok: number; other: Map<number, number>; errors: number }

/** Runs `stream` until `deadline`, each worker paced to rate/workers, on its own keep-alive agent. */
async function drive(stream: Stream, deadline: number, tally: Tally): Promise<void> {
  const interval = (1000 * stream.workers) / (stream.rate * scale);
  await Promise.all(Array.from({ length: stream.workers }, async (_, w) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let next = performance.now() + (interval * w) / stream.workers;
    try {
      while (performance.now() < deadline) {
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        next += interval;
        // A stream that falls behind does not burst to catch up: the load stays bounded.
        if (next < performance.now()) next = performance.now() + interval;
        try {
          const status = await stream.run(agent);
          if (status >= 200 && status < 400) tally.ok += 1;
          else tally.other.set(status, (tally.other.get(status) ?? 0) + 1);
        } catch {
          tally.errors += 1;
        }
      }
    } finally {
      agent.destroy();
    }
  }));
}

async function appToken(child: Child, scope: string): Promise<string> {
  const r = await send(`${child.origin}${BASE}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}` },
    body: `grant_type=client_credentials&scope=${encodeURIComponent(scope)}`,
    timeoutMs: 10_000,
  });
  const token = (JSON.parse(r.body) as { access_token?: string }).access_token;
  if (r.status !== 200 || !token) throw new Error(`no app token for ${scope}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  return token;
}

/** One customer signing in on the hosted page and the web app redeeming the code. */
async function signInAndRedeem(child: Child): Promise<number> {
  const browser = new HttpBrowser(child.origin);
  const { verifier, challenge } = pkce();
  const authorize = `${child.origin}${BASE}/oauth2/v2.0/authorize?${new URLSearchParams({
    client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirect, scope: 'openid profile offline_access',
    state: 'soak', nonce: 'soak', code_challenge: challenge, code_challenge_method: 'S256',
  })}`;
  const landed = await browser.signIn(authorize, ALICE.email, ALICE.password);
  const code = landed.url.startsWith(WEB.redirect) ? new URL(landed.url).searchParams.get('code') : null;
  if (!code) {
    if (process.env.SOAK_DEBUG) process.stderr.write(`sign-in landed on ${landed.url} (${landed.status})\n${landed.html.slice(0, 2000)}\n`);
    return landed.status || 599;
  }
  const r = await send(`${child.origin}${BASE}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: WEB.redirect, client_id: WEB.clientId, client_secret: WEB.secret, code_verifier: verifier }).toString(),
    timeoutMs: 10_000,
  });
  return r.status === 200 && r.body.includes('refresh_token') ? 200 : r.status;
}

interface Sample { t: number; rss: number; dbBytes: number }

const fileSize = (file: string) => (existsSync(file) ? statSync(file).size : 0);
const dbBytes = () => fileSize(join(dataDir, 'emulator.db')) + fileSize(join(dataDir, 'emulator.db-wal'));
const mib = (bytes: number) => bytes / 1024 / 1024;

async function main(): Promise<void> {
  const started = new Date();
  log(`ciam-emulator soak: ${minutes} min of mixed load at scale ${scale}, a sample every ${sampleS} s`);
  if (!flags['no-build']) execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  const port = await freePort();
  const nodeFlags = [...(flags['node-args'] !== undefined ? flags['node-args'].split(/\s+/).filter(Boolean) : startFlags()), ...(flags['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', resolve(flags['cpu-prof'])] : []),
    ...(flags['heap-snapshot'] ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${resolve(flags['heap-snapshot'])}`] : [])];
  // The public URL names 127.0.0.1 so the hosted pages' redirects stay on the address the bench may talk to.
  const emulatorArgs = ['dist/main.js', '--http', '--data', dataDir, '--port', String(port), '--public-url', `http://127.0.0.1:${port}`, '--log-level', 'warn',
    // Entra's throttling (429 beyond a generous token rate) would turn most of the token load away;
    // the soak measures what the emulator keeps while it serves the load.
    ...(flags.throttled ? [] : ['--throttling', 'off']),
    ...(flags['emulator-args'] ?? '').split(/\s+/).filter(Boolean)];
  const child = startChild('emulator', [...nodeFlags, ...emulatorArgs], port, ROOT);
  const stopped = { done: false };
  try {
    await waitReady(child, PATHS.emulator.discovery, 30_000, 20);
    const graphToken = await appToken(child, 'https://graph.microsoft.com/.default');
    const graph = { authorization: `Bearer ${graphToken}` };
    // One full sign-in before the clock starts, so a broken flow fails the run at once.
    const first = await signInAndRedeem(child);
    if (first !== 200) throw new Error(`the hosted sign-in and code redemption gave ${first}`);

    let n = 0;
    const streams: Stream[] = [
      { name: 'anonymous /authorize', rate: 120, workers: 6, run: async (agent) => (await send(`${child.origin}${BASE}/oauth2/v2.0/authorize?${new URLSearchParams({
        client_id: SPA.clientId, response_type: 'code', redirect_uri: SPA.redirect, scope: 'openid profile', state: `s${n++}`,
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
      })}`, { agent })).status },
      { name: 'discovery + keys', rate: 20, workers: 1, run: async (agent) => {
        const d = await send(`${child.origin}${PATHS.emulator.discovery}`, { agent });
        if (d.status !== 200) return d.status;
        return (await send(`${child.origin}${BASE}/discovery/v2.0/keys`, { agent })).status;
      } },
      { name: 'client-credentials tokens', rate: 40, workers: 4, run: async (agent) => (await send(`${child.origin}${PATHS.emulator.token}`, { method: 'POST', headers: TOKEN_HEADERS, body: TOKEN_BODY, agent, timeoutMs: 10_000 })).status },
      { name: 'Graph reads', rate: 40, workers: 2, run: async (agent) => {
        const list = await send(`${child.origin}/v1.0/users?$top=10`, { agent, headers: graph });
        if (list.status !== 200) return list.status;
        return (await send(`${child.origin}/v1.0/users/${ALICE.id}`, { agent, headers: graph })).status;
      } },
      { name: 'hosted sign-in + code redemption', rate: 2, workers: 1, run: () => signInAndRedeem(child) },
    ];
    if (flags.only) {
      const words = flags.only.split(',').map((w) => w.trim().toLowerCase());
      streams.splice(0, streams.length, ...streams.filter((st) => words.some((w) => st.name.toLowerCase().includes(w))));
    }
    const tallies = streams.map((): Tally => ({ ok: 0, other: new Map(), errors: 0 }));

    const t0 = performance.now();
    const deadline = t0 + minutes * 60_000;
    const samples: Sample[] = [{ t: 0, rss: rssMiB(child.pid), dbBytes: dbBytes() }];
    if (mallocEnv()) log(`  emulator environment: ${mallocEnv().trim()}`);
    log(`  ready: RSS ${samples[0]!.rss.toFixed(1)} MiB, database ${mib(samples[0]!.dbBytes).toFixed(2)} MiB`);
    const sampler = (async () => {
      let last = performance.now();
      while (performance.now() < deadline) {
        await sleep(Math.min(sampleS * 1000, deadline - performance.now()));
        if (child.exited()) throw new Error(`the emulator exited during the soak:\n${child.output()}`);
        const s = { t: (performance.now() - t0) / 1000, rss: rssMiB(child.pid), dbBytes: dbBytes() };
        samples.push(s);
        if (performance.now() - last >= 30_000 || performance.now() >= deadline) {
          last = performance.now();
          const done = tallies.reduce((a, x) => a + x.ok, 0);
          log(`  ${s.t.toFixed(0).padStart(5)} s  RSS ${s.rss.toFixed(1)} MiB  db+wal ${mib(s.dbBytes).toFixed(2)} MiB  requests ok ${done}`);
        }
      }
    })();
    await Promise.all([sampler, ...streams.map((s, i) => drive(s, deadline, tallies[i]!))]);
    const elapsedS = (performance.now() - t0) / 1000;

    if (flags['heap-snapshot']) await heapSnapshot(child, resolve(flags['heap-snapshot']));
    const final = samples[samples.length - 1]!;
    if (process.env.SOAK_DEBUG) process.stderr.write(`emulator output (tail):\n${child.output()}\n`);
    await child.stop();
    stopped.done = true;
    const rows = readRows();
    const peak = samples.reduce((a, s) => (s.rss > a.rss ? s : a));
    const dbPeak = Math.max(...samples.map((s) => s.dbBytes));
    const lines = [
      `peak RSS ${peak.rss.toFixed(1)} MiB (at ${peak.t.toFixed(0)} s), final RSS ${final.rss.toFixed(1)} MiB, ready RSS ${samples[0]!.rss.toFixed(1)} MiB; budget ${BUDGET_MIB} MiB: ${peak.rss <= BUDGET_MIB ? 'met' : 'MISSED'}`,
      `database + WAL: ${mib(samples[0]!.dbBytes).toFixed(2)} MiB at start, ${mib(final.dbBytes).toFixed(2)} MiB at the end (growth ${mib(final.dbBytes - samples[0]!.dbBytes).toFixed(2)} MiB), peak ${mib(dbPeak).toFixed(2)} MiB`,
      `oidc_payloads rows at the end: ${rows}`,
      ...streams.map((s, i) => {
        const t = tallies[i]!;
        const other = [...t.other].map(([status, count]) => `${count}×${status}`).join(', ');
        return `${s.name}: ${t.ok} ok (${(t.ok / elapsedS).toFixed(1)}/s)${other ? `, other statuses ${other}` : ''}${t.errors ? `, ${t.errors} errors` : ''}`;
      }),
    ];
    log('');
    for (const line of lines) log(line);
    if (flags.out) {
      const md = [`# Soak: ${minutes} min of mixed load`, '', `Command: \`${command}\`  `, `Date: ${started.toISOString()}, ${elapsedS.toFixed(0)} s of load`, '',
        `Emulator: \`${mallocEnv()}node ${[...nodeFlags, ...emulatorArgs].join(' ').replace(dataDir, '<tmp>/data').replaceAll(String(port), '<free>')}\``, '',
        ...lines.map((l) => `- ${l}`), '', '| t (s) | RSS (MiB) | db+wal (MiB) |', '|---:|---:|---:|',
        ...samples.filter((_, i) => i % Math.max(1, Math.round(30 / sampleS)) === 0 || i === samples.length - 1)
          .map((s) => `| ${s.t.toFixed(0)} | ${s.rss.toFixed(1)} | ${mib(s.dbBytes).toFixed(2)} |`), ''];
      writeFileSync(resolve(flags.out), md.join('\n'));
      log(`\nwrote ${flags.out}`);
    }
    if (peak.rss > BUDGET_MIB) process.exitCode = 1;
  } finally {
    if (!stopped.done) await child.stop();
  }
}

/** glibc malloc settings the emulator inherits (they change its RSS a lot), as a command prefix. */
function mallocEnv(): string {
  return Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_') || k === 'GLIBC_TUNABLES').map(([k, v]) => `${k}=${v} `).join('');
}

/** Asks the emulator for a heap snapshot (--heapsnapshot-signal) and waits until it is written. */
async function heapSnapshot(child: Child, dir: string): Promise<void> {
  const before = new Set(readdirSync(dir));
  process.kill(child.pid, 'SIGUSR2');
  let last = -1;
  for (let i = 0; i < 240; i++) {
    await sleep(500);
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    const size = file ? statSync(join(dir, file)).size : -1;
    if (size > 0 && size === last) {
      log(`  heap snapshot: ${join(dir, file!)} (${mib(size).toFixed(1)} MiB)`);
      return;
    }
    last = size;
  }
  log('  heap snapshot: not written within 2 minutes');
}

/** Rows per model the emulator left in its database (read after it stopped). */
function readRows(): string {
  if (!readdirSync(dataDir).includes('emulator.db')) return 'no database';
  const db = new Database(join(dataDir, 'emulator.db'), { readonly: true });
  try {
    const counts = db.prepare<[], { model: string; n: number }>('SELECT model, count(*) AS n FROM oidc_payloads GROUP BY model ORDER BY model').all();
    return counts.map((c) => `${c.model} ${c.n}`).join(', ') || 'none';
  } finally {
    db.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`soak failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
}).finally(() => killAllNow());
