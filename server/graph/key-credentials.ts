import { compactVerify, decodeJwt } from 'jose';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Application, Tenant } from '../directory/index.js';
import { InvalidCertificateError, type KeyCredential, type KeyCredentialInput } from '../directory/key-credentials.js';
import { GraphError, badRequest } from './errors.js';
import type { GraphDeps } from './routes.js';

/**
 * An application's certificate credentials through Microsoft Graph (application resource type,
 * keyCredentials; "application: addKey" / "removeKey"): PATCH replaces the whole collection;
 * addKey and removeKey need a proof-of-possession JWT signed by one of the app's current
 * certificates. Graph returns `key` only for `GET /applications/{id}?$select=keyCredentials`.
 */

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export function keyCredentialJson(k: KeyCredential, withKey: boolean): Record<string, unknown> {
  return {
    customKeyIdentifier: k.customKeyIdentifier, displayName: k.displayName, endDateTime: iso(k.endAt), key: withKey ? k.certificate : null,
    keyId: k.keyId, startDateTime: iso(k.startAt), type: 'AsymmetricX509Cert', usage: 'Verify',
  };
}

const invalidKeyCredentials = (reason: string) => new GraphError(400, 'Request_BadRequest',
  "Invalid value specified for property 'keyCredentials' of resource 'Application'.", [{ target: 'keyCredentials', code: 'InvalidValue', message: reason }]);

const date = (v: unknown, name: string): number | undefined => {
  if (v === undefined || v === null) return undefined;
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) throw invalidKeyCredentials(`${name} must be an ISO 8601 date and time.`);
  return t;
};

/** One keyCredential of a request body, in Graph's shape; `keep` when it names an existing key without `key`. */
function parseKeyCredential(v: unknown, newKeyId: () => string): KeyCredentialInput | { keyId: string; keep: true } {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalidKeyCredentials('Each keyCredential must be an object.');
  const k = v as Record<string, unknown>;
  if (k.type !== undefined && k.type !== 'AsymmetricX509Cert') throw invalidKeyCredentials(`type '${String(k.type)}' is not supported by ciam-emulator (AsymmetricX509Cert is).`);
  if (k.usage !== undefined && k.usage !== 'Verify') throw invalidKeyCredentials(`usage '${String(k.usage)}' is not supported by ciam-emulator (Verify is).`);
  if (k.keyId !== undefined && (typeof k.keyId !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(k.keyId))) {
    throw invalidKeyCredentials('keyId must be a GUID.');
  }
  if (k.key === undefined || k.key === null) {
    if (typeof k.keyId !== 'string') throw invalidKeyCredentials("A new keyCredential must carry the certificate in 'key'.");
    return { keyId: k.keyId, keep: true };
  }
  if (typeof k.key !== 'string') throw invalidKeyCredentials("'key' must be the base64-encoded certificate.");
  const startAt = date(k.startDateTime, 'startDateTime');
  const endAt = date(k.endDateTime, 'endDateTime');
  return {
    keyId: typeof k.keyId === 'string' ? k.keyId : newKeyId(),
    displayName: typeof k.displayName === 'string' ? k.displayName : null,
    customKeyIdentifier: typeof k.customKeyIdentifier === 'string' ? k.customKeyIdentifier : null,
    key: k.key,
    ...(startAt !== undefined ? { startAt } : {}),
    ...(endAt !== undefined ? { endAt } : {}),
  };
}

export interface KeyRouteHelpers {
  appOr404: (tenant: Tenant, key: string) => Application;
  write: (req: FastifyRequest) => { tenant: Tenant };
}

/** PATCH's keyCredentials member: validated in full before anything is written. */
export function replaceKeyCredentials(deps: GraphDeps, tenant: Tenant, a: Application, value: unknown): void {
  if (!Array.isArray(value)) throw invalidKeyCredentials('keyCredentials must be an array.');
  const inputs = value.map((v) => parseKeyCredential(v, () => deps.random.uuid()));
  const known = new Set(deps.directory.applications.keyCredentials(tenant.id, a.id).map((k) => k.keyId));
  for (const i of inputs) if ('keep' in i && !known.has(i.keyId.toLowerCase())) throw invalidKeyCredentials(`keyCredential '${i.keyId}' is not one of the application's; a new one must carry 'key'.`);
  try {
    deps.directory.applications.replaceKeys(tenant.id, a.id, inputs);
  } catch (e) {
    if (e instanceof InvalidCertificateError) throw invalidKeyCredentials(e.message);
    throw e;
  }
}

export function keyCredentialRoutes(app: FastifyInstance, deps: GraphDeps, { appOr404, write }: KeyRouteHelpers): void {
  const { directory: d, clock, graphBase } = deps;

  /**
   * addKey/removeKey's `proof`: a JWT signed by one of the app's current certificates, with
   * aud 00000002-0000-0000-c000-000000000000, iss the application's object id, and a valid exp.
   */
  async function checkProof(tenant: Tenant, a: Application, proof: unknown): Promise<void> {
    if (typeof proof !== 'string') throw badRequest("The request body must contain 'proof', a JWT signed by one of the application's current certificates.");
    const now = clock.nowMs();
    const current = d.applications.certificates(tenant.id, a.appId).filter((c) => c.startAt <= now && now < c.endAt);
    if (current.length === 0) {
      throw badRequest('The application has no valid certificate to prove possession of; use PATCH /applications/{id} with keyCredentials instead.');
    }
    let verified = false;
    for (const c of current) {
      try {
        await compactVerify(proof, c.publicKey, { algorithms: ['RS256', 'PS256'] });
        verified = true;
        break;
      } catch { /* try the next certificate */ }
    }
    if (!verified) throw badRequest('The proof is not signed by any of the application\'s valid certificates.');
    const claims = decodeJwt(proof);
    if (claims.aud !== '00000002-0000-0000-c000-000000000000' && !(Array.isArray(claims.aud) && claims.aud.includes('00000002-0000-0000-c000-000000000000'))) {
      throw badRequest("The proof's audience must be 00000002-0000-0000-c000-000000000000.");
    }
    if (typeof claims.iss !== 'string' || claims.iss.toLowerCase() !== a.id) throw badRequest("The proof's issuer must be the application's object id.");
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now || (typeof claims.nbf === 'number' && claims.nbf * 1000 > now)) {
      throw badRequest('The proof has expired or is not yet valid.');
    }
  }

  app.post('/v1.0/applications/:id/addKey', async (req) => {
    const caller = write(req);
    const a = appOr404(caller.tenant, (req.params as { id: string }).id);
    const body = (req.body ?? {}) as { keyCredential?: unknown; proof?: unknown; passwordCredential?: unknown };
    if (body.passwordCredential) throw badRequest('ciam-emulator adds client secrets through addPassword; addKey takes a keyCredential.');
    if (!body.keyCredential) throw badRequest("The request body must contain 'keyCredential'.");
    const input = parseKeyCredential(body.keyCredential, () => deps.random.uuid());
    if ('keep' in input) throw invalidKeyCredentials("A new keyCredential must carry the certificate in 'key'.");
    await checkProof(caller.tenant, a, body.proof);
    let added: KeyCredential;
    try {
      added = d.applications.upsertKey(caller.tenant.id, a.id, input);
    } catch (e) {
      if (e instanceof InvalidCertificateError) throw invalidKeyCredentials(e.message);
      throw e;
    }
    return { '@odata.context': `${graphBase}/$metadata#microsoft.graph.keyCredential`, ...keyCredentialJson(added, false) };
  });

  app.post('/v1.0/applications/:id/removeKey', async (req, reply) => {
    const caller = write(req);
    const a = appOr404(caller.tenant, (req.params as { id: string }).id);
    const body = (req.body ?? {}) as { keyId?: unknown; proof?: unknown };
    if (typeof body.keyId !== 'string') throw badRequest("The request body must contain 'keyId'.");
    if (!d.applications.keyCredentials(caller.tenant.id, a.id).some((k) => k.keyId === String(body.keyId).toLowerCase())) {
      throw badRequest(`No key credential with keyId '${body.keyId}' was found.`);
    }
    await checkProof(caller.tenant, a, body.proof);
    d.applications.removeKey(caller.tenant.id, a.id, body.keyId);
    return reply.code(204).send();
  });
}
