import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { fromRoot } from './paths.js';

/**
 * The only reader of the command line and the environment. Each flag has an environment twin
 * (`--port` ↔ `CIAM_PORT`); a flag wins over its variable.
 */
export type Argon2Profile = 'owasp' | 'test';

export interface Config {
  host: string;
  port: number;
  /** serve plain http instead of https */
  http: boolean;
  /** a folder, or ':memory:' for a throwaway database */
  data: string;
  fixtures: string;
  /** base URL of every issuer and endpoint; never taken from a request's Host header */
  publicUrl: string;
  /** where the CA and leaf certificate live (inside the data folder by default) */
  certsDir: string;
  argon2: Argon2Profile;
  /** `--admin-token`: the control plane then requires it (Bearer) from every caller, loopback or not */
  adminToken: string | undefined;
  /** `--otp-code`: every emailed one-time code is this (for tests); random otherwise */
  otpCode: string | undefined;
  logLevel: string;
  /** an smtp:// or smtps:// URL every mail is relayed to, besides the outbox; undefined = outbox only */
  smtp: string | undefined;
  /**
   * `--throttling on|off`: Entra's throttling (code resend limits, 429 for wrong-secret bursts and
   * token request loops). Default on, except with `--argon2 test`, the test profile, where it would
   * slow or break suites that sign the same user in many times.
   */
  throttling: boolean;
}

export class ConfigError extends Error {}

export const FLAGS = {
  port: { type: 'string', env: 'CIAM_PORT' },
  host: { type: 'string', env: 'CIAM_HOST' },
  http: { type: 'boolean', env: 'CIAM_HTTP' },
  data: { type: 'string', env: 'CIAM_DATA' },
  fixtures: { type: 'string', env: 'CIAM_FIXTURES' },
  'public-url': { type: 'string', env: 'CIAM_PUBLIC_URL' },
  certs: { type: 'string', env: 'CIAM_CERTS' },
  argon2: { type: 'string', env: 'CIAM_ARGON2' },
  'otp-code': { type: 'string', env: 'CIAM_OTP_CODE' },
  'admin-token': { type: 'string', env: 'CIAM_ADMIN_TOKEN' },
  'log-level': { type: 'string', env: 'CIAM_LOG_LEVEL' },
  smtp: { type: 'string', env: 'CIAM_SMTP' },
  throttling: { type: 'string', env: 'CIAM_THROTTLING' },
  help: { type: 'boolean', env: '' },
} as const;

/** pino's levels (fastify's logger); anything else would fail deep inside pino with a stack. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const USAGE = `Usage: npm start -- [options]   (each option also as an environment variable)
  --port N            CIAM_PORT        port to listen on (default 7443)
  --host H            CIAM_HOST        address to bind (default 127.0.0.1)
  --http              CIAM_HTTP=1      serve plain http instead of https
  --data DIR          CIAM_DATA        data folder, or :memory: (default ./.ciam-emulator)
  --fixtures DIR      CIAM_FIXTURES    fixtures folder (default: the emulator's fixtures/default)
  --public-url URL    CIAM_PUBLIC_URL  base URL for the issuer and all endpoints (Docker, proxies)
  --certs DIR         CIAM_CERTS       where the local CA and TLS certificate are kept (default <data>/certs)
  --argon2 PROFILE    CIAM_ARGON2      password hashing cost: owasp (default) or test (cheap)
  --admin-token T     CIAM_ADMIN_TOKEN the control plane (/_emulator/v1) then requires 'Authorization: Bearer T';
                                       without it, it answers loopback callers only
  --otp-code CODE     CIAM_OTP_CODE    make every emailed one-time code this 8-digit code (tests); random by default
  --log-level LEVEL   CIAM_LOG_LEVEL   ${LOG_LEVELS.join('|')} (default warn; info logs every request)
  --smtp URL          CIAM_SMTP        also relay every mail to this SMTP server (smtp://host:port); mail is
                                       always kept in the mailbox at /_emulator/mail
  --throttling on|off CIAM_THROTTLING  Entra's throttling: code resend limits, 429 for wrong-secret bursts and token
                                       request loops (default on; off with --argon2 test)`;

function truthy(v: string): boolean {
  return ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
}

/** Loopback and wildcard binds are reached as `localhost`, the name the TLS certificate and apps use. */
function hostForUrl(host: string): string {
  if (['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost'].includes(host)) return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv, cwd = process.cwd()): Config & { help: boolean } {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.entries(FLAGS).map(([k, v]) => [k, { type: v.type }]));
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\n\n${USAGE}`);
  }
  const get = (name: keyof typeof FLAGS): string | boolean | undefined => {
    const flag = values[name];
    if (flag !== undefined) return flag;
    const envName = FLAGS[name].env;
    const fromEnv = envName ? env[envName] : undefined;
    if (fromEnv === undefined || fromEnv === '') return undefined;
    return FLAGS[name].type === 'boolean' ? truthy(fromEnv) : fromEnv;
  };

  const portText = String(get('port') ?? '7443');
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new ConfigError(`--port must be a number from 0 to 65535, not '${portText}'`);
  const host = String(get('host') ?? '127.0.0.1');
  const http = Boolean(get('http') ?? false);
  const dataText = String(get('data') ?? '.ciam-emulator');
  const data = dataText === ':memory:' ? ':memory:' : resolve(cwd, dataText);
  const fixtureFlag = get('fixtures');
  const fixtures = fixtureFlag ? resolve(cwd, String(fixtureFlag)) : fromRoot('fixtures', 'default');
  const argon2 = String(get('argon2') ?? 'owasp');
  if (argon2 !== 'owasp' && argon2 !== 'test') throw new ConfigError(`--argon2 must be 'owasp' or 'test', not '${argon2}'`);

  const otpCode = get('otp-code') as string | undefined;
  if (otpCode !== undefined && !/^\d{8}$/.test(otpCode)) throw new ConfigError('--otp-code must be 8 digits');

  let publicUrl = get('public-url') as string | undefined;
  if (publicUrl) {
    let parsed: URL;
    try {
      parsed = new URL(publicUrl);
    } catch {
      throw new ConfigError(`--public-url must be an absolute URL, not '${publicUrl}'`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new ConfigError('--public-url must be http or https');
    if (parsed.pathname !== '/' || parsed.search || parsed.hash) throw new ConfigError('--public-url must be an origin only (no path, query or fragment)');
    publicUrl = parsed.origin;
  } else {
    publicUrl = `${http ? 'http' : 'https'}://${hostForUrl(host)}:${port}`;
  }
  const smtp = get('smtp') as string | undefined;
  if (smtp !== undefined) {
    const parsed = URL.canParse(smtp) ? new URL(smtp) : undefined;
    // The message does not repeat the value: an SMTP URL may carry a password.
    if (!parsed || (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') || !parsed.hostname) {
      throw new ConfigError('--smtp must be an smtp:// or smtps:// URL with a host, such as smtp://localhost:1025');
    }
  }

  const logLevel = String(get('log-level') ?? 'warn').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not '${logLevel}'`);

  const throttlingText = get('throttling') as string | undefined;
  if (throttlingText !== undefined && !/^(on|off|true|false|1|0)$/i.test(throttlingText)) throw new ConfigError(`--throttling must be 'on' or 'off', not '${throttlingText}'`);
  const throttling = throttlingText === undefined ? argon2 !== 'test' : /^(on|true|1)$/i.test(throttlingText);

  // With an in-memory database the certificates still need a stable home, or every run would mint a
  // new CA that nobody trusts; they go to the default data folder.
  const certsDir = resolve(cwd, String(get('certs') ?? (data === ':memory:' ? '.ciam-emulator/certs' : `${data}/certs`)));

  return Object.freeze({
    host, port, http, data, fixtures, publicUrl, certsDir,
    argon2: argon2 as Argon2Profile,
    otpCode,
    adminToken: (get('admin-token') as string | undefined) || undefined,
    logLevel,
    smtp,
    throttling,
    help: Boolean(values.help),
  });
}
