import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { parse } from 'node:querystring';
import type { Application } from '../directory/index.js';
import { redirectUriPlatform } from '../directory/redirect-uris.js';
import { AadError } from '../errors.js';

/**
 * Entra's rules for a token request a browser sends cross-origin (it carries `Origin`): only a
 * redirect URI registered as a Single-Page Application may be redeemed (AADSTS9002326), and only
 * with PKCE (AADSTS9002325). oidc-provider has no hook between parsing the body and redeeming the
 * code, so the body is read here, checked, and replayed to it unchanged.
 */
const LIMIT = 56 * 1024; // oidc-provider's own body limit

/**
 * The whole body, or undefined past the limit. Past the limit the rest is left unread (never
 * destroyed mid-request, which would leave the keep-alive connection hanging): the caller answers
 * with `Connection: close` (./mount.ts), so nothing else is read from that connection.
 */
export function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= LIMIT) {
        chunks.push(chunk);
        return;
      }
      done();
      req.pause();
      resolve(undefined);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks));
    };
    const onError = (e: Error) => {
      done();
      reject(e);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** A stand-in request that yields `body` again, with the original's headers and socket. */
export function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  const copy = Readable.from([body], { objectMode: false }) as unknown as IncomingMessage & Record<string, unknown>;
  for (const key of ['headers', 'rawHeaders', 'method', 'url', 'httpVersion', 'httpVersionMajor', 'httpVersionMinor', 'socket', 'originalUrl'] as const) {
    Object.defineProperty(copy, key, { value: (req as unknown as Record<string, unknown>)[key], writable: true, configurable: true, enumerable: true });
  }
  Object.defineProperty(copy, 'connection', { value: req.socket, writable: true, configurable: true });
  return copy;
}

export function checkCrossOriginRedemption(body: Buffer, origin: string, findApp: (clientId: string) => Application | undefined): AadError | undefined {
  const form = parse(body.toString('utf8'));
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  if (text(form.grant_type) !== 'authorization_code') return undefined;
  const clientId = text(form.client_id);
  const redirectUri = text(form.redirect_uri);
  const app = clientId ? findApp(clientId) : undefined;
  if (!app || !redirectUri) return undefined; // oidc-provider answers these with 700016 / 900144
  if (redirectUriPlatform(app, redirectUri) !== 'spa') return new AadError(9002326, { origin });
  return spaCodeWithoutPkce(app, redirectUri, text(form.code_verifier));
}

/**
 * Entra requires PKCE for every code issued to a Single-Page Application redirect URI ("required by
 * the Microsoft identity platform for single page apps using the authorization code flow", Microsoft
 * identity platform and OAuth 2.0 authorization code flow). The authorize endpoint still issues the
 * code; its redemption without `code_verifier` fails with AADSTS9002325, whether or not the request
 * carries `Origin` (apps that redeem a SPA code from a server or a mobile app get the same error).
 * Web (confidential) and mobile/desktop (public client) redirect URIs may omit PKCE, as in Entra.
 */
export function spaCodeWithoutPkce(app: Application, redirectUri: string, codeVerifier: string | undefined): AadError | undefined {
  if (redirectUriPlatform(app, redirectUri) !== 'spa' || codeVerifier) return undefined;
  return new AadError(9002325);
}
