import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { parse } from 'node:querystring';
import type { Application } from '../directory/index.js';
import { redirectUriPlatform } from '../directory/applications.js';
import { AadError } from '../errors.js';

/**
 * Entra's rules for a token request a browser sends cross-origin (it carries `Origin`): only a
 * redirect URI registered as a Single-Page Application may be redeemed (AADSTS9002326), and only
 * with PKCE (AADSTS9002325). oidc-provider has no hook between parsing the body and redeeming the
 * code, so the body is read here, checked, and replayed to it unchanged.
 */
const LIMIT = 56 * 1024; // oidc-provider's own body limit

export async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > LIMIT) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
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
  if (!text(form.code_verifier)) return new AadError(9002325);
  return undefined;
}
