import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * The security headers Entra sends, on every response whichever part of the emulator answers it
 * (oidc-provider's endpoints and pages, the hosted user-flow pages, Graph, the control plane):
 *
 * - `X-Content-Type-Options: nosniff` on everything: ESTS sends it on its JSON endpoints (discovery,
 *   token) and its pages alike (recorded ESTS responses in the Azure SDK for JS test recordings list
 *   it beside `x-ms-request-id` and `x-ms-ests-server`).
 * - On HTML pages, `X-Frame-Options: DENY`: Entra refuses to be framed for interactive sign-in ("for
 *   interactive requests, iFrames are not supported. We will return X-Frame-Options:DENY",
 *   MicrosoftDocs/azure-docs issue 124778, about the page "Microsoft identity platform and OAuth 2.0
 *   authorization code flow"), and a `Referrer-Policy` so the pages' URLs (which carry the
 *   authorization request) do not leak to other origins. (Entra's exact referrer policy is not in our
 *   references; `strict-origin-when-cross-origin` is the browsers' default made explicit.)
 * - Never frame options on the answer to `prompt=none`: silent renewal (msal-browser's hidden iframe,
 *   `ssoSilent`/`acquireTokenSilent`) must be able to load it, and Entra allows it. Redirects carry
 *   none either: nothing is rendered from them.
 */
export const REFERRER_POLICY = 'strict-origin-when-cross-origin';

function isSilentRequest(url: string): boolean {
  const q = url.indexOf('?');
  if (q === -1) return false;
  return new URLSearchParams(url.slice(q + 1)).get('prompt') === 'none';
}

function contentTypeOf(res: ServerResponse, headers: unknown): string {
  let type = res.getHeader('content-type');
  if (headers && typeof headers === 'object' && !Array.isArray(headers)) {
    for (const [name, value] of Object.entries(headers as OutgoingHttpHeaders)) if (name.toLowerCase() === 'content-type') type = value;
  } else if (Array.isArray(headers)) {
    // writeHead(status, [name, value, name, value…])
    for (let i = 0; i + 1 < headers.length; i += 2) if (String(headers[i]).toLowerCase() === 'content-type') type = headers[i + 1] as string;
  }
  return String(type ?? '');
}

/**
 * Called first for every request (server/app.ts): sets nosniff now, and the page headers when the
 * response turns out to be an HTML page (decided when its head is written, whoever writes it).
 */
export function applySecurityHeaders(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('x-content-type-options', 'nosniff');
  const silent = isSilentRequest(req.url ?? '');
  const writeHead = res.writeHead;
  res.writeHead = function writeHeadWithPageHeaders(this: ServerResponse, status: number, ...rest: unknown[]) {
    const headers = typeof rest[0] === 'string' ? rest[1] : rest[0];
    const redirect = status >= 300 && status < 400;
    if (!redirect && /^text\/html\b/i.test(contentTypeOf(this, headers))) {
      if (!this.hasHeader('referrer-policy')) this.setHeader('referrer-policy', REFERRER_POLICY);
      if (!silent && !this.hasHeader('x-frame-options')) this.setHeader('x-frame-options', 'DENY');
    }
    return (writeHead as (...args: unknown[]) => ServerResponse).call(this, status, ...rest);
  } as ServerResponse['writeHead'];
}
