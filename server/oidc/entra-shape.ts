import { randomUUID } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config.js';
import type { Clock } from '../clock.js';
import type { Directory, Tenant } from '../directory/index.js';
import { AadError, entraTimestamp, errorUri, toOAuthBody } from '../errors.js';
import type { EventEmitter } from 'node:events';
import { acceptGraphTokenAtUserinfo, graphTokenForOidcOnly } from './graph-token.js';
import { toAadError, type MappingContext, type ProviderErrorLike } from './entra-errors.js';
import { assertionFacts } from './client-assertions.js';

/**
 * oidc-provider post-processing that makes its answers Entra's: the discovery document's keys, the
 * token response's `client_info`/`ext_expires_in`, the authorize redirect's `client_info`/
 * `session_state`, and every error in Entra's shape with an AADSTS code, trace and correlation ids.
 */
export type ErrorPageModel =
  | { kind: 'error'; tenant: Tenant; aad: AadError; traceId: string; correlationId: string; now: Date }
  | { kind: 'signed-out'; tenant: Tenant }
  | DevicePageModel;
/** The device code verification pages (server/flows/device-code/pages.ts builds the model). */
export interface DevicePageModel {
  kind: 'device';
  tenant: Tenant;
  step: 'enter-code' | 'confirm' | 'success';
  action?: string;
  xsrf?: string;
  userCode?: string;
  appName?: string;
  error?: string;
}
export type ErrorPageRenderer = (model: ErrorPageModel) => string;

export interface ShapeDeps {
  tenant: Tenant;
  config: Config;
  directory: Directory;
  clock: Clock;
  renderErrorPage: ErrorPageRenderer;
}

interface RequestState {
  traceId: string;
  correlationId: string;
  oidcErr?: ProviderErrorLike;
}

const ERROR_EVENTS = ['grant.error', 'authorization.error', 'end_session.error', 'userinfo.error', 'discovery.error',
  'jwks.error', 'server_error', 'pushed_authorization_request.error', 'introspection.error', 'revocation.error'] as const;

/** Discovery keys Entra does not publish: oidc-provider features we either disabled or Entra lacks. */
const NOT_IN_ENTRA_DISCOVERY = ['claim_types_supported', 'pushed_authorization_request_endpoint', 'require_pushed_authorization_requests',
  'dpop_signing_alg_values_supported', 'claims_parameter_supported', 'authorization_response_iss_parameter_supported',
  'request_parameter_supported', 'request_uri_parameter_supported', 'grant_types_supported',
  'id_token_signing_alg_values_supported', 'token_endpoint_auth_signing_alg_values_supported'];

export function state(ctx: { state: Record<string, unknown> }): RequestState {
  return ctx.state as unknown as RequestState;
}

export function installEntraShape(provider: Provider, deps: ShapeDeps): void {
  const { tenant, config } = deps;
  const base = `${config.publicUrl}/${tenant.id}`;

  const events = provider as unknown as EventEmitter;
  for (const event of ERROR_EVENTS) {
    events.on(event, (ctx: KoaContextWithOIDC, err: ProviderErrorLike) => {
      state(ctx).oidcErr = err;
    });
  }

  events.on('authorization.success', (ctx: KoaContextWithOIDC, out: Record<string, unknown> | undefined) => {
    // The device flow's success has no redirect to add to.
    if (!out) return;
    // Entra's redirect carries client_info (MSAL's account id) and session_state, and no `iss`.
    const accountId = ctx.oidc.session?.accountId;
    if (ctx.oidc.params?.client_info === '1' && accountId) out.client_info = clientInfo(accountId, tenant.id);
    out.session_state = ctx.oidc.session?.uid ? sessionState(ctx.oidc.session.uid) : randomUUID();
    delete out.iss;
  });

  provider.use(async (ctx, next) => {
    const s = state(ctx);
    s.traceId = randomUUID();
    const fromClient = ctx.get('client-request-id') || (typeof ctx.query['client-request-id'] === 'string' ? ctx.query['client-request-id'] : '');
    s.correlationId = /^[\w-]{1,64}$/.test(fromClient) ? fromClient : randomUUID();
    ctx.set('x-ms-request-id', s.traceId);
    ctx.set('client-request-id', s.correlationId);

    if (ctx.path.endsWith('/openid/userinfo')) await acceptGraphTokenAtUserinfo(provider, ctx as KoaContextWithOIDC);

    await next();

    const route = (ctx as KoaContextWithOIDC).oidc?.route;
    if (route === 'discovery' && ctx.status === 200) shapeDiscovery(ctx.body as Record<string, unknown>, base);
    else if (route === 'token' && ctx.status === 200) {
      shapeTokenResponse(ctx as KoaContextWithOIDC, tenant.id);
      if ((ctx as KoaContextWithOIDC).oidc.params?.grant_type !== 'client_credentials') await graphTokenForOidcOnly(provider, ctx as KoaContextWithOIDC);
    }

    const body = ctx.body as Record<string, unknown> | undefined;
    if (route !== 'userinfo' && body && typeof body === 'object' && !Buffer.isBuffer(body) && typeof body.error === 'string' && !body.error_codes) {
      const aad = toAadError(s.oidcErr ?? (body as ProviderErrorLike), mappingContext(ctx as KoaContextWithOIDC, deps));
      ctx.status = aad.status;
      ctx.body = toOAuthBody(aad, { traceId: s.traceId, correlationId: s.correlationId, now: deps.clock.now() }, config.publicUrl);
      if (aad.status === 401) ctx.set('WWW-Authenticate', 'Bearer');
    }
    // Entra's caching headers (Azure SDK recordings, fidelity-gaps.md D13/D14): discovery is
    // cacheable for a day, token answers (errors too) never.
    if (route === 'discovery' && ctx.status === 200) {
      ctx.set('Cache-Control', 'max-age=86400, private');
      ctx.set('Access-Control-Allow-Methods', 'GET, OPTIONS');
    } else if (route === 'token') {
      ctx.set('Cache-Control', 'no-store, no-cache');
      ctx.set('Pragma', 'no-cache');
      ctx.set('Expires', '-1');
    }
    if (route === 'authorization' || route === 'resume') shapeAuthorizationError(ctx as KoaContextWithOIDC, deps, s);
  });
}

export function clientInfo(oid: string, tid: string): string {
  return Buffer.from(JSON.stringify({ uid: oid, utid: tid })).toString('base64url');
}

/** Entra's session_state is a GUID; ours is derived from the session so it stays stable for one session. */
function sessionState(uid: string): string {
  const h = Buffer.from(uid).toString('hex').padEnd(32, '0').slice(0, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function shapeDiscovery(doc: Record<string, unknown>, base: string): void {
  for (const key of NOT_IN_ENTRA_DISCOVERY) delete doc[key];
  doc.subject_types_supported = ['pairwise'];
  doc.id_token_signing_alg_values_supported = ['RS256'];
  // Entra's order (oidc-and-msal.md §1.3); certificate credentials are private_key_jwt.
  doc.token_endpoint_auth_methods_supported = ['client_secret_post', 'private_key_jwt', 'client_secret_basic'];
  doc.response_modes_supported = ['query', 'fragment', 'form_post'];
  doc.scopes_supported = ['openid', 'profile', 'email', 'offline_access'];
  // MSAL derives the device code URL from the token URL; it is published as Entra does.
  doc.device_authorization_endpoint = `${base}/oauth2/v2.0/devicecode`;
  delete doc.cloud_instance_host_name;
}

function shapeTokenResponse(ctx: KoaContextWithOIDC, tenantId: string): void {
  const body = ctx.body as Record<string, unknown>;
  if (typeof body.expires_in === 'number') body.ext_expires_in = body.expires_in;
  if (ctx.oidc.params?.grant_type === 'client_credentials') {
    // Entra's app-only response is token_type, expires_in, ext_expires_in and access_token only.
    delete body.scope;
    return;
  }
  const accountId = ctx.oidc.entities?.Account?.accountId;
  const wantsClientInfo = (ctx.oidc.body as Record<string, unknown> | undefined)?.client_info === '1';
  if (wantsClientInfo && accountId) body.client_info = clientInfo(accountId, tenantId);
}

export function mappingContext(ctx: KoaContextWithOIDC, deps: Pick<ShapeDeps, 'directory' | 'tenant'> & { clock?: Clock }): MappingContext {
  const oidc = ctx.oidc;
  const params = (oidc?.params ?? {}) as Record<string, unknown>;
  const body = (oidc?.body ?? {}) as Record<string, unknown>;
  const query = ctx.query as Record<string, unknown>;
  const basic = /^Basic (.+)$/i.exec(ctx.get('authorization'))?.[1];
  const basicId = basic ? safeDecode(Buffer.from(basic, 'base64').toString('utf8').split(':')[0] ?? '') : undefined;
  const pick = (k: string) => [params[k], body[k], query[k]].find((v) => typeof v === 'string') as string | undefined;
  const assertion = body.client_assertion !== undefined ? assertionFacts(body.client_assertion) ?? {} : undefined;
  // oidc-provider takes the client from the assertion's `sub` when the form names none.
  const clientId = oidc?.client?.clientId ?? pick('client_id') ?? basicId ?? assertion?.sub;
  const app = clientId ? deps.directory.applications.findByAppId(deps.tenant.id, clientId) : undefined;
  const route = oidc?.route === 'token' ? 'token' : oidc?.route === 'authorization' || oidc?.route === 'resume' ? 'authorization' : 'other';
  return {
    route,
    tenantName: deps.tenant.defaultDomain,
    clientId,
    clientIsPublic: app ? !app.isConfidential : undefined,
    sentSecret: typeof body.client_secret === 'string' || Boolean(basic),
    ...(assertion ? {
      assertion,
      certificates: app ? deps.directory.applications.certificates(deps.tenant.id, app.appId) : [],
      ...(deps.clock ? { nowMs: deps.clock.nowMs() } : {}),
    } : {}),
    redirectUri: pick('redirect_uri'),
    grantType: pick('grant_type'),
    responseType: pick('response_type'),
    spa: Boolean(app && !app.isConfidential && app.spaRedirectUris.length > 0),
  };
}

/** A Basic header's client id; undefined when its percent-encoding is broken (oidc-provider answers invalid_request). */
function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * Authorize errors redirected to the app never pass through a JSON body, so the redirect itself
 * (query, fragment or form_post) is rewritten with Entra's description and error_uri.
 */
function shapeAuthorizationError(ctx: KoaContextWithOIDC, deps: ShapeDeps, s: RequestState): void {
  const location = ctx.response.get('Location');
  const m = mappingContext(ctx, deps);
  const entraParams = (p: URLSearchParams) => {
    const aad = toAadError(s.oidcErr ?? { error: p.get('error') ?? '', error_description: p.get('error_description') ?? '' }, m);
    p.set('error', aad.error);
    p.set('error_description', `${aad.message}\r\nTrace ID: ${s.traceId}\r\nCorrelation ID: ${s.correlationId}\r\nTimestamp: ${entraTimestamp(deps.clock.now())}`);
    p.set('error_uri', errorUri(deps.config.publicUrl, aad.code));
    if (aad.suberror) p.set('suberror', aad.suberror);
    p.delete('iss');
  };
  if (location && /[?#&]error=/.test(location)) {
    const url = new URL(location);
    if (url.hash.includes('error=')) {
      const p = new URLSearchParams(url.hash.slice(1));
      entraParams(p);
      url.hash = p.toString();
    } else {
      entraParams(url.searchParams);
    }
    ctx.redirect(url.href);
    ctx.status = 302;
    return;
  }
  if (location && /[?#&]code=|[?#&]id_token=/.test(location)) {
    // Entra answers authorize with 302; oidc-provider with 303. MSAL does not mind, browsers neither,
    // but the form_post and redirect shapes should match what apps see in production.
    ctx.status = 302;
    return;
  }
  if (typeof ctx.body === 'string' && ctx.type === 'text/html' && ctx.body.includes('name="error"') && ctx.body.includes('<form method="post"')) {
    const p = new URLSearchParams();
    for (const [, name, value] of ctx.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)) {
      p.set(name!, decodeHtml(value!));
    }
    entraParams(p);
    ctx.body = ctx.body.replace(/(<form method="post" action="[^"]*">)[\s\S]*?(<noscript>)/, (_all, open: string, close: string) =>
      `${open}\n${[...p].map(([k, v]) => `<input type="hidden" name="${encodeHtml(k)}" value="${encodeHtml(v)}"/>`).join('\n')}\n${close}`);
  }
}

const decodeHtml = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const encodeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
