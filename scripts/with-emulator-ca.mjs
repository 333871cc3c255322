#!/usr/bin/env node
// Runs a command with Node trusting the emulator's local CA *in addition to* whatever
// NODE_EXTRA_CA_CERTS already names (a corporate CA, say). Node reads that variable once at start and
// takes a single file, so a sample started with `NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS:-ca.pem}`
// lost the emulator's CA whenever the variable was already set, and MSAL then failed with
// endpoints_resolution_error. Here both go into one bundle.
//   node scripts/with-emulator-ca.mjs tsx e2e/apps/web/server.ts
// The CA is CIAM_CA_FILE, or .ciam-emulator/certs/ca.pem below the current folder.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: node scripts/with-emulator-ca.mjs COMMAND [ARGS…]\n');
  process.exit(2);
}
const ca = resolve(process.env.CIAM_CA_FILE || join('.ciam-emulator', 'certs', 'ca.pem'));
if (!existsSync(ca)) {
  process.stderr.write(`with-emulator-ca: ${ca} does not exist yet: start the emulator once (npm start), or set CIAM_CA_FILE\n`);
  process.exit(2);
}
const existing = process.env.NODE_EXTRA_CA_CERTS ? resolve(process.env.NODE_EXTRA_CA_CERTS) : undefined;
let extra = ca;
if (existing && existing !== ca) {
  if (!existsSync(existing)) {
    process.stderr.write(`with-emulator-ca: NODE_EXTRA_CA_CERTS names ${existing}, which does not exist; trusting only the emulator's CA\n`);
  } else {
    extra = join(dirname(ca), 'node-extra-ca-bundle.pem');
    mkdirSync(dirname(extra), { recursive: true });
    writeFileSync(extra, `${readFileSync(existing, 'utf8').trimEnd()}\n${readFileSync(ca, 'utf8')}`, { mode: 0o644 });
  }
}
const child = spawn(command, args, { stdio: 'inherit', shell: process.platform === 'win32', env: { ...process.env, NODE_EXTRA_CA_CERTS: extra } });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)));
