import type { Application } from './applications.js';

/**
 * How Entra matches a request's redirect URI against an app's registered ones: which forms are the
 * same URI, and under which platform (web, SPA, public client) it was registered.
 */
/** An http(s) URI that is only a scheme and an authority, with or without a lone `/`. */
const PATHLESS = /^https?:\/\/[^/?#]+\/?$/i;

/**
 * The forms of a registered redirect URI Entra accepts: the URI itself and, when it has no path,
 * the same URI with `/` (or without it). Entra answers a path-less redirect URI with a trailing slash
 * (learn.microsoft.com "Redirect URI (reply URL) outline and restrictions"), so a client sending
 * `http://localhost:3000/` for a registered `http://localhost:3000` — Microsoft's SPA sample does — is
 * the same URI. Anything else (a query, another path, a double slash) stays an exact match.
 */
export function redirectUriForms(uri: string): string[] {
  if (!PATHLESS.test(uri)) return [uri];
  return uri.endsWith('/') ? [uri, uri.slice(0, -1)] : [uri, `${uri}/`];
}

const registers = (uris: string[], uri: string) => uris.includes(uri) || redirectUriForms(uri).some((u) => uris.includes(u));

/** Every redirect URI the app registered, with the platform it was registered under. */
export function redirectUriPlatform(app: Application, uri: string): 'web' | 'spa' | 'publicClient' | undefined {
  if (registers(app.spaRedirectUris, uri)) return 'spa';
  if (registers(app.webRedirectUris, uri)) return 'web';
  if (registers(app.publicRedirectUris, uri)) return 'publicClient';
  return undefined;
}
