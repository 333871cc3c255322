import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Application, Tenant } from '../directory/index.js';
import type { Directory } from '../directory/index.js';
import type { TenantRegistry } from '../oidc/registry.js';
import { AadError } from '../errors.js';
import { AttributeValidationError } from '../flows/sign-up/service.js';
import { requestIds } from '../http/request-ids.js';

/** Helpers shared by the native authentication endpoints (native-auth-api.md §1–§3). */
export type Form = Record<string, string | undefined>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const KNOWN_CHALLENGE_TYPES = new Set(['password', 'oob', 'redirect', 'preverified']);

/** The form body merged over the query string (SDKs send a form body; docs show some as a query). */
export function formOf(req: FastifyRequest): Form {
  const out: Form = {};
  for (const source of [req.query, req.body]) {
    if (!source || typeof source !== 'object') continue;
    for (const [k, v] of Object.entries(source as Record<string, unknown>)) {
      const value = Array.isArray(v) ? v[0] : v;
      if (typeof value === 'string') out[k] = value;
    }
  }
  return out;
}

/** The tenant and the calling app: a public client with native authentication enabled. */
export function callerOf(registry: TenantRegistry, directory: Directory, alias: string, form: Form): { tenant: Tenant; app: Application } {
  const oidc = registry.resolve(alias);
  if (!oidc) throw new AadError(90002, { tenant: alias });
  return { tenant: oidc.tenant, app: nativeApp(directory, oidc.tenant, form.client_id) };
}

export function nativeApp(directory: Directory, tenant: Tenant, clientId: string | undefined): Application {
  if (!clientId || !GUID.test(clientId)) throw new AadError(90100, { name: 'client_id' });
  const app = directory.applications.findByAppId(tenant.id, clientId);
  if (!app) throw new AadError(700016, { clientId, tenant: tenant.defaultDomain });
  if (app.isConfidential) throw new AadError(9990410, { clientId, detail: 'native authentication is only for public clients (this app has client secrets).' });
  if (!app.nativeAuthenticationApisEnabled) throw new AadError(9990410, { clientId, detail: 'its "Enable native authentication" setting is off.' });
  return app;
}

/**
 * The client's `challenge_type` list: space separated, from password, oob, redirect (and msal-browser's
 * preverified). An unknown value or a list without `redirect` is an error (AADSTS901007).
 */
export function challengeTypes(value: string | undefined): string[] {
  const list = (value ?? '').split(/[\s,]+/).filter(Boolean);
  if (list.some((t) => !KNOWN_CHALLENGE_TYPES.has(t))) {
    throw new AadError(901007, { detail: 'The challenge_type list parameter contains an unsupported challenge type.' }, { error: 'unsupported_challenge_type' });
  }
  if (!list.includes('redirect')) throw new AadError(901007);
  return list;
}

/** `capabilities` (SDKs) or `capability` (docs), space or comma separated. */
export function capabilitiesOf(form: Form): string[] {
  return `${form.capabilities ?? ''} ${form.capability ?? ''}`.split(/[\s,]+/).filter(Boolean);
}

/** `c***r@co***o.com`: enough to recognise the address, as Entra's challenge_target_label. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const name = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : '';
  const maskLocal = local.length <= 2 ? `${local[0] ?? ''}***` : `${local[0]}***${local[local.length - 1]}`;
  const maskName = name.length <= 3 ? `${name[0] ?? ''}***` : `${name.slice(0, 2)}***${name[name.length - 1]}`;
  return `${maskLocal}@${maskName}${tld}`;
}

export const REDIRECT = (reason?: string) => ({ challenge_type: 'redirect', ...(reason ? { redirect_reason: reason } : {}) });

/** A 200 with Entra's request id headers. */
export function ok(req: FastifyRequest, reply: FastifyReply, body: Record<string, unknown>) {
  const ids = requestIds(req.raw);
  return reply.code(200).header('x-ms-request-id', ids.traceId).header('client-request-id', ids.correlationId)
    .header('cache-control', 'no-store').send(body);
}

/** The flow services' errors as the native API words them (native-auth-api.md §2). */
export function nativeError(e: unknown): unknown {
  if (e instanceof AttributeValidationError) {
    return new AadError(9990422, e.params, { extra: { invalid_attributes: [...new Set(e.problems.map((p) => p.attribute))].map((name) => ({ name })) } });
  }
  if (e instanceof AadError && e.code === 50034) return new AadError(50034, e.params, { error: 'user_not_found' });
  return e;
}

/** `attributes` is a JSON object as a string; values become the strings the flow services validate. */
export function parseAttributes(value: string | undefined): Record<string, string | string[]> | undefined {
  if (value === undefined || value === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new AadError(9002313, { detail: 'The attributes parameter must be a JSON object.' });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AadError(9002313, { detail: 'The attributes parameter must be a JSON object.' });
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v !== null && v !== undefined) out[k] = String(v);
  }
  return out;
}
