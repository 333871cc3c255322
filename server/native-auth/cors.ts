import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock.js';
import { AadError, toOAuthBody } from '../errors.js';
import { requestIds } from '../http/request-ids.js';

/**
 * Entra's native authentication endpoints do not answer CORS, so a browser app needs a proxy
 * (msal-browser's `customAuth.authApiProxyUrl`, native-auth-api.md §9). This is that proxy, built in:
 * `https://localhost:7443/_emulator/cors/{tenant}` serves the tenant's native authentication endpoints
 * and its token endpoint (which custom auth also reaches through the proxy, refresh included) with
 * CORS for any origin, answers preflight with 204, and exposes `x-ms-request-id`. The canonical
 * `/{tenant}/…` native endpoints stay CORS-free, like Entra's.
 *
 * It forwards nothing else: a mount that reflects any Origin onto any path would hand every web page
 * the control plane, the mailbox and the hosted pages. Anything else under the prefix is a 404 in
 * Entra's OAuth error shape.
 */
export const CORS_PREFIX = '/_emulator/cors/';

/**
 * Exactly what msal-browser's custom auth posts to `<authApiProxyUrl>/<endpoint>`
 * (`custom_auth/core/network_client/custom_auth_api/CustomAuthApiEndpoint` in @azure/msal-browser 4.x
 * and 5.x; native-auth-api.md §1), plus the v2 preview's `authorize-challenge`, which the emulator
 * answers with a clear "not emulated" error that the browser must be able to read.
 */
export const CORS_ENDPOINTS: ReadonlySet<string> = new Set([
  '/oauth2/v2.0/initiate', '/oauth2/v2.0/challenge', '/oauth2/v2.0/token', '/oauth2/v2.0/introspect',
  '/oauth2/v2.0/authorize-challenge',
  '/signup/v1.0/start', '/signup/v1.0/challenge', '/signup/v1.0/continue',
  '/resetpassword/v1.0/start', '/resetpassword/v1.0/challenge', '/resetpassword/v1.0/continue',
  '/resetpassword/v1.0/submit', '/resetpassword/v1.0/poll_completion',
  '/register/v1.0/introspect', '/register/v1.0/challenge', '/register/v1.0/continue',
]);

// One tenant segment (GUID, subdomain or domain): no dot segments, no percent-encoding, no slash.
const TENANT_SEGMENT = /^(?!\.{1,2}$)[\w.-]{1,256}$/;

const ALLOWED_HEADERS = ['Content-Type', 'Authorization', 'x-client-SKU', 'x-client-VER', 'x-client-OS', 'x-client-CPU',
  'x-client-current-telemetry', 'x-client-last-telemetry', 'client-request-id', 'x-ms-request-id'];

export interface CorsMountDeps {
  clock: Clock;
  publicUrl: string;
}

/** `/{tenant}/{endpoint}?query` when `rest` (the URL after the prefix) names a forwarded endpoint. */
export function corsTarget(rest: string): string | undefined {
  const q = rest.indexOf('?');
  const path = q === -1 ? rest : rest.slice(0, q);
  const slash = path.indexOf('/');
  if (slash === -1) return undefined;
  const tenant = path.slice(0, slash);
  const endpoint = path.slice(slash);
  if (!TENANT_SEGMENT.test(tenant) || !CORS_ENDPOINTS.has(endpoint)) return undefined;
  return `/${rest}`;
}

export function nativeAuthCorsMount({ clock, publicUrl }: CorsMountDeps) {
  return function corsMount(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const url = req.url ?? '/';
    if (!url.startsWith(CORS_PREFIX)) return next();
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : '*';
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'Origin');
    res.setHeader('access-control-expose-headers', 'x-ms-request-id, client-request-id');
    const target = corsTarget(url.slice(CORS_PREFIX.length));
    if (target && req.method === 'OPTIONS') {
      // The docs' proxy allows a fixed list; msal-browser's requestInterceptor may add custom x-* headers, so
      // whatever the browser asks for is allowed too.
      const asked = typeof req.headers['access-control-request-headers'] === 'string' ? req.headers['access-control-request-headers'].split(',').map((h) => h.trim()).filter(Boolean) : [];
      const allowed = [...new Set([...ALLOWED_HEADERS, ...asked.filter((h) => /^[\w-]{1,64}$/.test(h))])];
      res.statusCode = 204;
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', allowed.join(', '));
      res.setHeader('access-control-max-age', '86400');
      res.end();
      return;
    }
    if (target && req.method === 'POST') {
      req.url = target;
      return next();
    }
    // Readable by the page (the CORS headers above), so a wrong authApiProxyUrl shows what is wrong.
    const ids = requestIds(req);
    const err = new AadError(9990404, { method: req.method ?? '', path: url.split('?')[0]!.slice(0, 300) });
    const body = JSON.stringify(toOAuthBody(err, { ...ids, now: clock.now() }, publicUrl));
    // A request body is never read here: close the connection rather than leave it half-read on keep-alive.
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    res.writeHead(404, {
      'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-ms-request-id': ids.traceId, 'client-request-id': ids.correlationId,
      ...(hasBody ? { connection: 'close' } : {}),
    });
    res.end(body);
  };
}
