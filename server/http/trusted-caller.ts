import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CONTROL_SESSION_COOKIE, SESSION_PATH, type ControlSessions } from '../emulator/control-sessions.js';

/**
 * Who may use the emulator's own surface (`/_emulator/v1/…` and the mailbox at `/_emulator/mail`):
 * the mailbox holds every emailed code, a snapshot can carry signing keys, and the control plane resets
 * passwords and mints login-as tickets. A developer's browser runs other sites' scripts on the same
 * machine, so "the caller is loopback" is not enough. A caller is trusted when
 *
 * 1. the `Host` is one the emulator serves (the public URL's host, or localhost / 127.0.0.1 / [::1] at
 *    the listening port): a DNS-rebound name (evil.example resolving to 127.0.0.1) is refused;
 * 2. it is not a cross-site browser request: `Sec-Fetch-Site`, when sent, is `same-origin` (the
 *    mailbox page's own requests) or `none` (the developer typed or pasted the URL), and `Origin`,
 *    when sent, is the emulator's own. Test suites and curl send neither, and still work;
 * 3. with `--admin-token`, it shows the token (`Authorization: Bearer`, compared in constant time) or,
 *    for reads, the session cookie a one-time link set (./emulator/control-sessions.ts); without a
 *    token, it connects from loopback.
 *
 * Health and the CA certificate are public: they hold nothing secret and Docker's health check and a
 * browser that does not trust the CA yet need them first.
 */
export interface TrustedCallerOptions {
  publicUrl: string;
  adminToken: string | undefined;
  sessions: ControlSessions;
}

type Access = 'public' | 'ticket' | 'guarded';

const PUBLIC_READS = new Set(['/_emulator/v1/health', '/_emulator/v1/ca.pem']);

function accessOf(method: string, path: string): Access {
  const read = method === 'GET' || method === 'HEAD';
  if (read && PUBLIC_READS.has(path)) return 'public';
  // The ticket in the URL is the credential (single-use, minted by a trusted caller); the browser is
  // sent there by a test or pasted the link, so it carries no token.
  if (read && (path === SESSION_PATH || /^\/_emulator\/v1\/login-as\/[^/]+$/.test(path))) return 'ticket';
  return 'guarded';
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();
const isLoopback = (address: string | undefined) => !!address && (/^127\./.test(address) || address === '::1' || address.startsWith('::ffff:127.'));

export class Refusal extends Error {
  constructor(readonly statusCode: 401 | 403, readonly code: string, message: string) {
    super(message);
  }
}

export function trustedCallerGuard({ publicUrl, adminToken, sessions }: TrustedCallerOptions) {
  const base = new URL(publicUrl);
  const tokenDigest = adminToken ? sha256(adminToken) : undefined;

  /** Hosts at this listening port: the public URL's (with and without its default port) and loopback's names. */
  const hostsFor = (port: number | undefined): Set<string> => {
    const hosts = new Set([base.host.toLowerCase()]);
    const defaultPort = base.protocol === 'https:' ? '443' : '80';
    hosts.add(`${base.hostname.toLowerCase()}:${base.port || defaultPort}`);
    if (port) for (const name of ['localhost', '127.0.0.1', '[::1]']) hosts.add(`${name}:${port}`);
    return hosts;
  };

  const tokenMatches = (authorization: string | undefined): boolean => {
    if (!tokenDigest || !authorization?.startsWith('Bearer ')) return false;
    return timingSafeEqual(sha256(authorization.slice('Bearer '.length)), tokenDigest);
  };

  function check(req: FastifyRequest): Refusal | undefined {
    const path = req.url.split('?')[0]!;
    const access = accessOf(req.method, path);
    if (access === 'public') return undefined;

    const hosts = hostsFor(req.socket.localPort);
    const host = (req.headers.host ?? '').toLowerCase();
    if (!hosts.has(host)) {
      return new Refusal(403, 'UnknownHost', `ciam-emulator does not serve the host '${host.slice(0, 100)}'; use ${base.origin} (a request for another name may be DNS rebinding).`);
    }
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    const origins = new Set([...hosts].map((h) => `${base.protocol}//${h}`).concat(base.origin));
    const crossSite = (typeof site === 'string' && site !== 'same-origin' && site !== 'none')
      || (typeof origin === 'string' && !origins.has(origin.toLowerCase()));
    if (crossSite && access !== 'ticket') {
      return new Refusal(403, 'CrossSiteRequest', 'The emulator\'s control plane and mailbox refuse requests from other sites\' pages; open it from its own origin, or call it from a test or curl.');
    }
    if (access === 'ticket') return undefined;

    if (tokenDigest) {
      if (tokenMatches(req.headers.authorization)) return undefined;
      const read = req.method === 'GET' || req.method === 'HEAD';
      if (read && sessions.isSession(req.cookies?.[CONTROL_SESSION_COOKIE])) return undefined;
      return new Refusal(401, 'Unauthorized', 'The control plane needs Authorization: Bearer <the --admin-token value> (or, in a browser, the one-time link the emulator printed at start).');
    }
    if (!isLoopback(req.socket.remoteAddress)) {
      return new Refusal(403, 'Forbidden', 'The control plane answers loopback callers only; start the emulator with --admin-token to allow others.');
    }
    return undefined;
  }

  return async function refuseUntrustedCallers(req: FastifyRequest, reply: FastifyReply) {
    const refusal = check(req);
    if (!refusal) return undefined;
    // The control plane's error shape (controlPlaneErrorHandler); never cached, and never framed.
    return reply.code(refusal.statusCode).header('cache-control', 'no-store')
      .send({ error: { code: refusal.code, message: refusal.message } });
  };
}
