/**
 * `npx tsx bench/graph.ts`: Microsoft Graph figures on this machine.
 *   1. identity-filter lookup latency (GET /v1.0/users?$filter=identities/any(…)) with 100,000 users
 *      (goal: p50 ≤ 2 ms), sequential requests on one keep-alive connection;
 *   2. POST /v1.0/users throughput with the test argon2 profile, N concurrent keep-alive clients.
 * The emulator runs as a child process (tsx server/main.ts, --http, a temporary database file seeded
 * in-process before it starts). Talks to 127.0.0.1 only. Flags: --users N [100000] --lookups N [2000]
 * --creates N [1000] --connections N [16]
 */
import { Agent } from 'node:http';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/config.js';
import { createEmulator } from '../server/emulator.js';
import { CLIENT_ID, CLIENT_SECRET, TENANT_DOMAIN, TENANT_ID } from './lib/constants.js';
import { send } from './lib/http.js';
import { freePort, killAllNow, startChild, waitReady } from './lib/procs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const results: string[] = [];
const log = (line: string) => process.stdout.write(`${line}\n`);
/** A measured figure: printed, and kept for the --append section. */
const result = (line: string) => { results.push(line); log(line); };
const { values: flags } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    lookups: { type: 'string', default: '2000' },
    creates: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '16' },
    append: { type: 'string' },
  },
  strict: true,
});
const USERS = Number(flags.users);
const LOOKUPS = Number(flags.lookups);
const CREATES = Number(flags.creates);
const CONNECTIONS = Number(flags.connections);
const EXT = 'extension_66666666666646668666666666666666_loyaltyNumber';

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ciam-graph-bench-'));
  const data = join(dir, 'bench.db');
  process.on('exit', () => { killAllNow(); rmSync(dir, { recursive: true, force: true }); });
  try {
    // 1. Seed: migrations and fixtures through the emulator itself, then 100k customers straight into SQLite.
    const port = await freePort();
    const args = ['--data', data, '--http', '--host', '127.0.0.1', '--port', String(port), '--argon2', 'test', '--fixtures', join(ROOT, 'fixtures/default')];
    const seeded = await createEmulator(loadConfig(args, {}));
    const t0 = performance.now();
    const hash = await createPasswordHash();
    const insertUser = seeded.db.prepare(`INSERT INTO users (tenant_id, id, display_name, mail, account_enabled, user_type, creation_type, password_hash, created_at)
      VALUES (?, ?, ?, ?, 1, 'Member', 'LocalAccount', ?, ?)`);
    const insertIdentity = seeded.db.prepare(`INSERT INTO identities (tenant_id, user_id, sign_in_type, issuer, issuer_assigned_id) VALUES (?, ?, 'emailAddress', ?, ?)`);
    const insertExt = seeded.db.prepare('INSERT INTO user_extension_values (tenant_id, user_id, attribute_id, value_json) VALUES (?, ?, ?, ?)');
    seeded.db.transaction(() => {
      for (let i = 0; i < USERS; i++) {
        const id = `b0000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
        const email = `bench${i}@example.com`;
        insertUser.run(TENANT_ID, id, `Bench User ${i}`, email, hash, Date.now());
        insertIdentity.run(TENANT_ID, id, TENANT_DOMAIN, email);
        insertExt.run(TENANT_ID, id, EXT, JSON.stringify(`L${i}`));
      }
    })();
    await seeded.close();
    log(`seeded ${USERS.toLocaleString('en-US')} users in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // 2. The emulator as a child process on that database.
    const child = startChild('emulator', ['--import', 'tsx', join(ROOT, 'server/main.ts'), ...args, '--log-level', 'warn'], port, ROOT);
    await waitReady(child, '/_emulator/v1/health', 60_000, 20);
    const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    const tokenReply = await send(`${child.origin}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST', agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}` },
      body: `grant_type=client_credentials&scope=${encodeURIComponent('https://graph.microsoft.com/.default')}`,
    });
    const token = (JSON.parse(tokenReply.body) as { access_token?: string }).access_token;
    if (!token) throw new Error(`no Graph token: ${tokenReply.status} ${tokenReply.body}`);
    const headers = { authorization: `Bearer ${token}` };

    // 3. Identity-filter lookups, sequential.
    const lookup = async (i: number) => {
      const filter = `identities/any(c:c/issuerAssignedId eq 'bench${i}@example.com' and c/issuer eq '${TENANT_DOMAIN}')`;
      const r = await send(`${child.origin}/v1.0/users?$select=id,displayName,identities&$filter=${encodeURIComponent(filter)}`, { agent, headers });
      if (r.status !== 200 || !r.body.includes(`bench${i}@example.com`)) throw new Error(`lookup ${i}: ${r.status} ${r.body.slice(0, 300)}`);
    };
    for (let i = 0; i < 200; i++) await lookup((i * 7919) % USERS); // warm-up
    const times: number[] = [];
    for (let i = 0; i < LOOKUPS; i++) {
      const n = (i * 104_729) % USERS;
      const s = performance.now();
      await lookup(n);
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    result(`identity-filter lookup, ${USERS.toLocaleString('en-US')} users, ${LOOKUPS} sequential requests: p50 ${pct(times, 50).toFixed(2)} ms, p95 ${pct(times, 95).toFixed(2)} ms, p99 ${pct(times, 99).toFixed(2)} ms (goal p50 ≤ 2 ms: ${pct(times, 50) <= 2 ? 'met' : 'MISSED'})`);

    // 4. POST /users throughput, CONNECTIONS concurrent clients.
    let next = 0;
    let failures = 0;
    const create = async () => {
      for (let i = next++; i < CREATES; i = next++) {
        const email = `created${i}@example.com`;
        const r = await send(`${child.origin}/v1.0/users`, {
          method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ displayName: `Created ${i}`, mail: email, identities: [{ signInType: 'emailAddress', issuer: TENANT_DOMAIN, issuerAssignedId: email }],
            passwordProfile: { password: 'Str0ng!Passw0rd', forceChangePasswordNextSignIn: false }, passwordPolicies: 'DisablePasswordExpiration' }),
        });
        if (r.status !== 201) failures++;
      }
    };
    const s = performance.now();
    await Promise.all(Array.from({ length: CONNECTIONS }, create));
    const seconds = (performance.now() - s) / 1000;
    result(`POST /users (argon2 test profile), ${CREATES} users, ${CONNECTIONS} connections: ${(CREATES / seconds).toFixed(0)} users/s (${failures} failures)`);
    agent.destroy();
    await child.stop();
    if (flags.append) {
      // `npm run bench` adds these figures to bench/RESULTS.md, which bench/run.ts has just written.
      appendFileSync(flags.append, `\n## Microsoft Graph\n\nProduced by \`npx tsx bench/graph.ts\` (part of \`npm run bench\`) on ${new Date().toISOString()}; the emulator runs as a child process with plain http and the test argon2 profile.\n\n${results.map((r) => `- ${r}`).join('\n')}\n`);
    }
  } finally {
    killAllNow();
  }
}

/** The same argon2 test-profile hash for every seeded user (hashing 100k would take minutes). */
async function createPasswordHash(): Promise<string> {
  const { createPasswordHasher } = await import('../server/directory/passwords.js');
  return createPasswordHasher('test').hash('Passw0rd!');
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  killAllNow();
  process.exit(1);
});
