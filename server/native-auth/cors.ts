import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Entra's native authentication endpoints do not answer CORS, so a browser app needs a proxy
 * (msal-browser's `customAuth.authApiProxyUrl`, native-auth-api.md §9). This is that proxy, built in:
 * `https://localhost:7443/_emulator/cors/{tenant}` serves the tenant's endpoints (native API and the
 * token endpoint, refresh included) with CORS for any origin, answers preflight with 204, and exposes
 * `x-ms-request-id`. The canonical `/{tenant}/…` native endpoints stay CORS-free, like Entra's.
 */
export const CORS_PREFIX = '/_emulator/cors/';

const ALLOWED_HEADERS = ['Content-Type', 'Authorization', 'x-client-SKU', 'x-client-VER', 'x-client-OS', 'x-client-CPU',
  'x-client-current-telemetry', 'x-client-last-telemetry', 'client-request-id', 'x-ms-request-id'];

export function nativeAuthCorsMount(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const url = req.url ?? '/';
  if (!url.startsWith(CORS_PREFIX)) return next();
  const origin = typeof req.headers.origin === 'string' ? req.headers.origin : '*';
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('vary', 'Origin');
  res.setHeader('access-control-expose-headers', 'x-ms-request-id, client-request-id');
  if (req.method === 'OPTIONS') {
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
  req.url = `/${url.slice(CORS_PREFIX.length)}`;
  next();
}
