import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import type { Clock } from '../clock.js';
import { AadError, toOAuthBody } from '../errors.js';
import { requestIds } from '../http/request-ids.js';
import type { TenantRegistry } from './registry.js';
import { checkCrossOriginRedemption, readBody, replay } from './spa-redemption.js';
import type { Directory } from '../directory/index.js';
import { redirectUriPlatform } from '../directory/redirect-uris.js';
import { sleep, type FaultEndpoint, type FaultRegistry, type FaultRule } from '../emulator/faults.js';
import type { TenantOidc } from './provider.js';
import { TokenThrottle, tokenRequestFacts } from './throttling.js';
import type { ThrottleRegistry } from '../http/throttle.js';
import type { EventEmitter } from 'node:events';

/**
 * Routes `/{tenant}/<protocol path>` to that tenant's oidc-provider, mounted at the tenant's GUID
 * (so every URL it builds uses the GUID, as Entra's discovery does). Everything else falls through
 * to fastify: the interaction pages, `/_emulator/*`, and later Graph.
 */
const PROTOCOL_PATH = /^\/(?:v2\.0\/)?\.well-known\/openid-configuration$|^\/oauth2\/v2\.0\/(?:authorize(?:\/[\w-]+)?|token|devicecode|logout(?:\/confirm|\/success)?)$|^\/oauth2\/deviceauth(?:\/[\w-]+)?$|^\/discovery\/v2\.0\/keys$|^\/openid\/userinfo$/;

export interface MountDeps {
  config: Config;
  clock: Clock;
  registry: TenantRegistry;
  directory: Directory;
  faults: FaultRegistry;
  /** the token throttle registers here, so a control-plane reset clears it */
  throttles: ThrottleRegistry;
}

/** The control plane's fault endpoints, by protocol path. */
const FAULT_ENDPOINT: Record<string, FaultEndpoint> = {
  '/oauth2/v2.0/token': 'token',
  '/oauth2/v2.0/authorize': 'authorize',
  '/.well-known/openid-configuration': 'discovery',
  '/discovery/v2.0/keys': 'keys',
  '/oauth2/v2.0/logout': 'logout',
  '/openid/userinfo': 'userinfo',
};

export function createOidcMount({ config, clock, registry, directory, faults, throttles }: MountDeps) {
  const publicUrl = new URL(config.publicUrl);
  // Entra's throttling (`--throttling on`): token requests are counted before oidc-provider sees them.
  const throttle = config.throttling ? throttles.add(new TokenThrottle(clock)) : undefined;
  const watched = new WeakSet<object>();

  const sendError = (req: IncomingMessage, res: ServerResponse, aad: AadError, status = aad.status, headers: Record<string, string> = {}) => {
    const ids = requestIds(req);
    res.statusCode = status;
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-ms-request-id', ids.traceId);
    res.setHeader('client-request-id', ids.correlationId);
    // A browser calling the token endpoint must be able to read the error.
    if (req.headers.origin) {
      res.setHeader('access-control-allow-origin', req.headers.origin);
      res.setHeader('vary', 'Origin');
      if (headers['retry-after']) res.setHeader('access-control-expose-headers', 'Retry-After');
    }
    res.end(JSON.stringify(toOAuthBody(aad, { ...ids, now: clock.now() }, config.publicUrl)));
  };

  /**
   * A body past the limit is left unread, so the connection cannot carry another request: the
   * answer says `Connection: close` and the socket closes once it is sent (no keep-alive stall).
   */
  const sendTooLarge = (req: IncomingMessage, res: ServerResponse) => {
    res.shouldKeepAlive = false;
    res.on('finish', () => {
      if (!req.socket.destroyed) req.socket.destroySoon();
    });
    sendError(req, res, new AadError(9002313, { detail: 'The request body is too large.' }), undefined, { connection: 'close' });
  };

  /** Wrong client secrets count towards the app's throttle (oidc-provider reports them as grant errors). */
  const watchSecrets = (oidc: TenantOidc, t: TokenThrottle) => {
    if (watched.has(oidc.provider)) return;
    watched.add(oidc.provider);
    (oidc.provider as unknown as EventEmitter).on('grant.error', (ctx: { oidc?: { client?: { clientId: string } } }, err: { error_detail?: string }) => {
      const clientId = ctx.oidc?.client?.clientId;
      if (err?.error_detail === 'invalid secret provided' && clientId) t.secretRejected(oidc.tenant.id, clientId);
    });
  };

  function oidcMount(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    const search = q === -1 ? '' : url.slice(q);
    const match = /^\/([^/]+)(\/.*)$/.exec(pathname);
    if (!match || !PROTOCOL_PATH.test(match[2]!)) return next();
    let alias: string;
    try {
      alias = decodeURIComponent(match[1]!);
    } catch {
      return sendError(req, res, new AadError(90002, { tenant: match[1] }));
    }
    const oidc = registry.resolve(alias);
    if (!oidc) return sendError(req, res, new AadError(90002, { tenant: alias }));

    const rest = match[2]!.replace(/^\/v2\.0\/\.well-known\//, '/.well-known/');
    if (rest === '/oauth2/v2.0/token' && req.method !== 'POST' && req.method !== 'OPTIONS') {
      return sendError(req, res, new AadError(900561, { method: req.method, allowed: 'POST, OPTIONS' }));
    }

    // Never build URLs from the request's Host: the issuer and every endpoint come from the public URL.
    req.headers.host = publicUrl.host;
    req.headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
    delete req.headers['x-forwarded-host'];
    delete req.headers['x-forwarded-for'];
    const target = rest === '/oauth2/v2.0/authorize' ? sanitizeAuthorizeQuery(search)
      : rest === '/oauth2/v2.0/logout' ? logoutClient(search, (uri) => directory.applications.findByRedirectUri(oidc.tenant.id, uri)?.appId) : search;
    const raw = req as IncomingMessage & { originalUrl?: string };
    raw.originalUrl = `/${oidc.tenant.id}${rest}${target}`;
    raw.url = `${rest}${target}`;

    const faultEndpoint = FAULT_ENDPOINT[rest];
    if (faultEndpoint && faults.has(faultEndpoint)) {
      // A test asked for this endpoint to fail or be slow (POST /_emulator/v1/faults).
      withFaults(faultEndpoint, req, res, new URLSearchParams(search), oidc).then((r) => r && continueWith(r, res, rest, oidc),
        () => { if (!res.headersSent) sendError(req, res, new AadError(9990500)); });
      return;
    }
    continueWith(req, res, rest, oidc);
  }

  /** Applies a matching fault rule; resolves to the request to continue with, or undefined if answered. */
  async function withFaults(endpoint: FaultEndpoint, req: IncomingMessage, res: ServerResponse, params: URLSearchParams, oidc: TenantOidc): Promise<IncomingMessage | undefined> {
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    let clientId = params.get('client_id') ?? (basic ? Buffer.from(basic, 'base64').toString('utf8').split(':')[0] : undefined);
    let request = req;
    if (!clientId && endpoint === 'token' && req.method === 'POST') {
      // MSAL sends client_id in the form body: read it, then hand the same body on.
      const body = await readBody(req);
      if (!body) {
        sendTooLarge(req, res);
        return undefined;
      }
      clientId = new URLSearchParams(body.toString('utf8')).get('client_id') ?? undefined;
      request = replay(req, body);
    }
    const rule = faults.take(endpoint, { tenantId: oidc.tenant.id, clientId });
    if (!rule) return request;
    return (await injectFault(rule, endpoint, request, res, params, oidc.tenant.id)) ? undefined : request;
  }

  /** Makes the request fail as Entra would (or just late); true when it answered. */
  async function injectFault(rule: FaultRule, endpoint: FaultEndpoint, req: IncomingMessage, res: ServerResponse, params: URLSearchParams, tenantId: string): Promise<boolean> {
    if (rule.latencyMs) await sleep(rule.latencyMs);
    if (rule.aadsts === undefined && rule.status === undefined) return false;
    const aad = rule.aadsts !== undefined ? new AadError(rule.aadsts) : new AadError(9990503, { status: rule.status });
    const status = rule.status ?? aad.status;
    const clientId = params.get('client_id');
    const redirectUri = params.get('redirect_uri');
    const app = clientId ? directory.applications.findByAppId(tenantId, clientId) : undefined;
    if (endpoint === 'authorize' && app && redirectUri && redirectUriPlatform(app, redirectUri)) {
      // Authorize errors go back to the app, as Entra sends them.
      const ids = requestIds(req);
      const body = toOAuthBody(aad, { ...ids, now: clock.now() }, config.publicUrl);
      const out = new URLSearchParams({ error: body.error, error_description: body.error_description, error_uri: body.error_uri,
        ...(body.suberror ? { suberror: body.suberror } : {}), ...(params.get('state') ? { state: params.get('state')! } : {}) });
      const url = new URL(redirectUri);
      if (params.get('response_mode') === 'fragment') url.hash = out.toString();
      else for (const [k, v] of out) url.searchParams.set(k, v);
      res.writeHead(302, { location: url.href, 'x-ms-request-id': ids.traceId }).end();
      return true;
    }
    sendError(req, res, aad, status);
    return true;
  }

  /**
   * Token requests whose body must be seen first (cross-origin ones, and all of them with throttling
   * on) are read here, checked, and replayed to oidc-provider; the rest go straight to it.
   */
  function continueWith(req: IncomingMessage, res: ServerResponse, rest: string, oidc: TenantOidc): void {
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    if (rest !== '/oauth2/v2.0/token' || req.method !== 'POST' || (origin === undefined && !throttle)) {
      oidc.callback(req, res);
      return;
    }
    readBody(req).then((body) => {
      if (!body) return sendTooLarge(req, res);
      if (throttle) {
        watchSecrets(oidc, throttle);
        const refused = throttle.check(tokenRequestFacts(oidc.tenant.id, req.socket.remoteAddress ?? '', body, req.headers.authorization));
        if (refused) return sendError(req, res, refused.aad, refused.status, { 'retry-after': String(refused.retryAfter) });
      }
      if (origin !== undefined) {
        const failure = checkCrossOriginRedemption(body, origin, (id) => directory.applications.findByAppId(oidc.tenant.id, id));
        if (failure) return sendError(req, res, failure);
      }
      return oidc.callback(replay(req, body), res);
    }).catch((e: unknown) => {
      process.emitWarning(`ciam-emulator: token request failed: ${String(e)}`);
      if (!res.headersSent) sendError(req, res, new AadError(9990500));
    });
  }

  return oidcMount;
}

/**
 * oidc-provider honours post_logout_redirect_uri only with client_id or id_token_hint, and
 * msal-browser sends neither; Entra accepts any registered redirect URI, so the app is found by it.
 */
function logoutClient(search: string, appIdFor: (uri: string) => string | undefined): string {
  const params = new URLSearchParams(search);
  const uri = params.get('post_logout_redirect_uri');
  if (!uri || params.has('client_id') || params.has('id_token_hint')) return search;
  const appId = appIdFor(uri);
  if (!appId) return search;
  params.set('client_id', appId);
  return `?${params.toString()}`;
}

/**
 * MSAL adds a `claims` request (`{"access_token":{"xms_cc":…}}` or id_token claims) that Entra accepts
 * whole; oidc-provider accepts only its id_token/userinfo members, so the rest is dropped here.
 */
function sanitizeAuthorizeQuery(search: string): string {
  if (!search.includes('claims=')) return search;
  const params = new URLSearchParams(search);
  const claims = params.get('claims');
  if (claims === null) return search;
  try {
    const parsed = JSON.parse(claims) as Record<string, unknown>;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return search;
    const kept = Object.fromEntries(Object.entries(parsed).filter(([k, v]) => (k === 'id_token' || k === 'userinfo') && v && typeof v === 'object'));
    if (Object.keys(kept).length) params.set('claims', JSON.stringify(kept));
    else params.delete('claims');
    return `?${params.toString()}`;
  } catch {
    return search; // malformed JSON: oidc-provider rejects it (AADSTS9002313)
  }
}
