import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Application, Tenant } from '../directory/index.js';
import { servicePrincipalId, type ApplicationInput } from '../directory/applications.js';
import { callerOf, readOrWrite, requirePermission } from './auth.js';
import { badRequest, notFound } from './errors.js';
import { queryOptions } from './odata.js';
import type { GraphDeps } from './routes.js';
import { keyCredentialJson, keyCredentialRoutes, replaceKeyCredentials } from './key-credentials.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));
const YEARS_2 = 2 * 365 * 24 * 60 * 60 * 1000;

export function applicationRoutes(app: FastifyInstance, deps: GraphDeps): void {
  const { directory: d, clock, random, graphBase } = deps;

  /** `withKey`: Graph returns keyCredentials' `key` only to `GET /applications/{id}?$select=keyCredentials`. */
  function entity(a: Application, tenant: Tenant, withKey = false): Record<string, unknown> {
    return {
      id: a.id, appId: a.appId, displayName: a.displayName, signInAudience: 'AzureADMyOrg', identifierUris: a.identifierUris,
      isFallbackPublicClient: a.isFallbackPublicClient,
      web: { redirectUris: a.webRedirectUris, logoutUrl: a.logoutUrl,
        implicitGrantSettings: { enableIdTokenIssuance: a.idTokenIssuance, enableAccessTokenIssuance: a.accessTokenIssuance } },
      spa: { redirectUris: a.spaRedirectUris },
      publicClient: { redirectUris: a.publicRedirectUris },
      api: { requestedAccessTokenVersion: a.accessTokenVersion, oauth2PermissionScopes: a.scopes.map((s) => ({ ...s, isEnabled: true, type: 'Admin' })) },
      appRoles: a.appRoles.map((r) => ({ ...r, isEnabled: true })),
      requiredResourceAccess: a.grantedPermissions.map((g) => ({ resourceAppId: g.resourceAppId })),
      groupMembershipClaims: d.groups.groupMembershipClaims(tenant.id, a.appId),
      passwordCredentials: d.applications.passwordCredentials(tenant.id, a.id).map((p) => ({
        customKeyIdentifier: null, displayName: p.displayName, endDateTime: iso(p.endAt), hint: p.hint, keyId: p.keyId, secretText: null, startDateTime: iso(p.startAt),
      })),
      keyCredentials: d.applications.keyCredentials(tenant.id, a.id).map((k) => keyCredentialJson(k, withKey)),
    };
  }
  const SELECTABLE = ['id', 'appId', 'displayName', 'signInAudience', 'identifierUris', 'isFallbackPublicClient', 'web', 'spa', 'publicClient', 'api', 'appRoles',
    'requiredResourceAccess', 'groupMembershipClaims', 'passwordCredentials', 'keyCredentials'];
  const project = (e: Record<string, unknown>, select: string[] | undefined) => {
    if (!select) return e;
    for (const p of select) if (!SELECTABLE.includes(p)) throw badRequest(`Could not find a property named '${p}' on type 'microsoft.graph.application'.`);
    return Object.fromEntries(select.map((k) => [k, e[k] ?? null]));
  };

  /** `/applications/{object id}` or `/applications(appId='{app id}')`. */
  const appOr404 = (tenant: Tenant, key: string) => {
    const m = /^\(appId='([^']+)'\)$/.exec(key);
    const a = m ? d.applications.findByAppId(tenant.id, m[1]!) : d.applications.list(tenant.id).find((x) => x.id === key.toLowerCase());
    if (!a) throw notFound(key);
    return a;
  };
  const read = (req: FastifyRequest) => { const c = callerOf(req); requirePermission(c, readOrWrite('Application', false)); return c; };
  const write = (req: FastifyRequest) => { const c = callerOf(req); requirePermission(c, readOrWrite('Application', true)); return c; };

  app.get('/v1.0/applications', async (req) => {
    const caller = read(req);
    const q = queryOptions(req, ['$select']);
    return { '@odata.context': `${graphBase}/$metadata#applications`, value: d.applications.list(caller.tenant.id).map((a) => project(entity(a, caller.tenant), q.select)) };
  });

  // `/applications(appId='…')` has no slash, so it is its own route.
  for (const path of ['/v1.0/applications/:id', '/v1.0/applications:key']) {
    app.get(path, async (req) => {
      const caller = read(req);
      const q = queryOptions(req, ['$select']);
      const p = req.params as { id?: string; key?: string };
      const withKey = q.select?.includes('keyCredentials') ?? false;
      return { '@odata.context': `${graphBase}/$metadata#applications/$entity`, ...project(entity(appOr404(caller.tenant, p.id ?? p.key ?? ''), caller.tenant, withKey), q.select) };
    });
  }

  /** PATCH: redirect URIs, display name and certificates; they take effect at once (the repository clears its cache). */
  app.patch('/v1.0/applications/:id', async (req, reply) => {
    const caller = write(req);
    const a = appOr404(caller.tenant, (req.params as { id: string }).id);
    const body = req.body as Record<string, unknown> | null;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object.');
    const next: ApplicationInput = { ...a };
    const uris = (v: unknown, name: string): string[] => {
      if (!Array.isArray(v) || !v.every((u) => typeof u === 'string' && URL.canParse(u))) throw badRequest(`Invalid value for property '${name}': absolute URIs expected.`);
      return v as string[];
    };
    for (const [k, v] of Object.entries(body)) {
      const o = (v ?? {}) as Record<string, unknown>;
      if (k === 'keyCredentials') continue; // replaced below, once the other members are known good
      if (k === 'displayName' && typeof v === 'string' && v) next.displayName = v;
      else if (k === 'web' && Object.keys(o).every((x) => x === 'redirectUris')) next.webRedirectUris = uris(o.redirectUris, 'web.redirectUris');
      else if (k === 'spa' && Object.keys(o).every((x) => x === 'redirectUris')) next.spaRedirectUris = uris(o.redirectUris, 'spa.redirectUris');
      else if (k === 'publicClient' && Object.keys(o).every((x) => x === 'redirectUris')) next.publicRedirectUris = uris(o.redirectUris, 'publicClient.redirectUris');
      else if (k === 'groupMembershipClaims' && (v === null || ['None', 'SecurityGroup', 'All'].includes(String(v)))) continue;
      else throw badRequest(`Updating '${k}' this way is not supported by ciam-emulator (it updates displayName, web/spa/publicClient.redirectUris, groupMembershipClaims and keyCredentials).`);
    }
    // Graph's PATCH replaces the whole keyCredentials collection (validated before anything is written).
    if ('keyCredentials' in body) replaceKeyCredentials(deps, caller.tenant, a, body.keyCredentials);
    const { isConfidential: _c, tenantId: _t, ...input } = next as Application;
    d.applications.upsert(caller.tenant.id, input, clock.nowMs());
    if ('groupMembershipClaims' in body) d.groups.setGroupMembershipClaims(caller.tenant.id, a.appId, body.groupMembershipClaims as string | null);
    return reply.code(204).send();
  });

  app.post('/v1.0/applications/:id/addPassword', async (req) => {
    const caller = write(req);
    const a = appOr404(caller.tenant, (req.params as { id: string }).id);
    const pc = ((req.body ?? {}) as { passwordCredential?: { displayName?: unknown; endDateTime?: unknown; startDateTime?: unknown } }).passwordCredential ?? {};
    const now = clock.nowMs();
    const end = typeof pc.endDateTime === 'string' ? Date.parse(pc.endDateTime) : now + YEARS_2;
    const start = typeof pc.startDateTime === 'string' ? Date.parse(pc.startDateTime) : now;
    if (Number.isNaN(end) || Number.isNaN(start) || end <= start) throw badRequest('Invalid value for passwordCredential startDateTime/endDateTime.');
    // 40 characters like Entra's generated secrets: shown once, stored as SHA-256.
    const secretText = randomBytes(30).toString('base64').replace(/\+/g, '~').replace(/\//g, '_');
    const keyId = random.uuid();
    const displayName = typeof pc.displayName === 'string' ? pc.displayName : null;
    d.applications.upsertPassword(caller.tenant.id, a.id, { keyId, displayName, secretText, startAt: start, endAt: end });
    return { '@odata.context': `${graphBase}/$metadata#microsoft.graph.passwordCredential`, customKeyIdentifier: null, displayName,
      endDateTime: iso(end), hint: secretText.slice(0, 3), keyId, secretText, startDateTime: iso(start) };
  });

  keyCredentialRoutes(app, deps, { appOr404, write });

  app.post('/v1.0/applications/:id/removePassword', async (req, reply) => {
    const caller = write(req);
    const a = appOr404(caller.tenant, (req.params as { id: string }).id);
    const keyId = (req.body as { keyId?: unknown } | null)?.keyId;
    if (typeof keyId !== 'string') throw badRequest("The request body must contain 'keyId'.");
    if (!d.applications.removePassword(caller.tenant.id, a.id, keyId)) throw badRequest(`No password credential with keyId '${keyId}' was found.`);
    return reply.code(204).send();
  });

  const sp = (a: Application) => ({
    id: servicePrincipalId(a), appId: a.appId, displayName: a.displayName, appDisplayName: a.displayName, servicePrincipalType: 'Application',
    accountEnabled: true, servicePrincipalNames: [a.appId, ...a.identifierUris], appRoles: a.appRoles.map((r) => ({ ...r, isEnabled: true })),
    oauth2PermissionScopes: a.scopes.map((s) => ({ ...s, isEnabled: true, type: 'Admin' })), replyUrls: [...a.webRedirectUris, ...a.spaRedirectUris, ...a.publicRedirectUris],
  });
  app.get('/v1.0/servicePrincipals', async (req) => {
    const caller = read(req);
    queryOptions(req, []);
    return { '@odata.context': `${graphBase}/$metadata#servicePrincipals`, value: d.applications.list(caller.tenant.id).map(sp) };
  });
  for (const path of ['/v1.0/servicePrincipals/:id', '/v1.0/servicePrincipals:key']) {
    app.get(path, async (req) => {
      const caller = read(req);
      queryOptions(req, []);
      const p = req.params as { id?: string; key?: string };
      const key = p.id ?? p.key ?? '';
      const m = /^\(appId='([^']+)'\)$/.exec(key);
      const a = d.applications.list(caller.tenant.id).find((x) => (m ? x.appId === m[1]!.toLowerCase() : servicePrincipalId(x) === key.toLowerCase()));
      if (!a) throw notFound(key);
      return { '@odata.context': `${graphBase}/$metadata#servicePrincipals/$entity`, ...sp(a) };
    });
  }
}
