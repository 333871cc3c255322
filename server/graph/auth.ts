import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import type { Db } from '../db/connection.js';
import type { Tenant } from '../directory/index.js';
import { GRAPH_APP_ID } from '../oidc/resources.js';
import type { TenantRegistry } from '../oidc/registry.js';
import { GraphError, denied } from './errors.js';

/** Who calls Graph: the tenant (from the token's `tid`), app permissions (`roles`) or delegated ones (`scp`) for a user. */
export interface GraphCaller {
  tenant: Tenant;
  appId: string;
  /** app-only tokens: the app roles; delegated tokens: none */
  roles: string[];
  /** delegated tokens: the scopes, and the signed-in user's object id */
  scopes: string[];
  userId: string | undefined;
}

const invalidToken = (message: string) => new GraphError(401, 'InvalidAuthenticationToken', message);

/**
 * Validates Graph bearer tokens with jose against the token's tenant's own signing keys: audience
 * Microsoft Graph, issuer the tenant's, not expired.
 */
export class GraphAuthenticator {
  readonly #registry: TenantRegistry;
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #keySets = new Map<string, ReturnType<typeof createLocalJWKSet>>();

  constructor(deps: { registry: TenantRegistry; db: Db; clock: Clock }) {
    this.#registry = deps.registry;
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  #keys(tenantId: string) {
    let set = this.#keySets.get(tenantId);
    if (!set) {
      const rows = this.#db.prepare<[string], { private_jwk_json: string }>('SELECT private_jwk_json FROM signing_keys WHERE tenant_id = ?').all(tenantId);
      const keys = rows.map((r) => {
        const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = JSON.parse(r.private_jwk_json) as JWK;
        return pub;
      });
      set = createLocalJWKSet({ keys });
      this.#keySets.set(tenantId, set);
    }
    return set;
  }

  async authenticate(req: FastifyRequest): Promise<GraphCaller> {
    const header = req.headers.authorization;
    if (!header) throw invalidToken('Access token is empty.');
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw invalidToken('Access token validation failure. Invalid audience.');
    const token = m[1]!;
    let tid: unknown;
    try {
      const part = token.split('.')[1] ?? '';
      tid = (JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as JWTPayload).tid;
    } catch {
      throw invalidToken('IDX14100: JWT is not well formed, there are no dots (.).');
    }
    const oidc = typeof tid === 'string' ? this.#registry.resolve(tid) : undefined;
    if (!oidc) throw invalidToken('Access token validation failure. Invalid tenant.');
    let payload: JWTPayload;
    const verify = () => jwtVerify(token, this.#keys(oidc.tenant.id), {
      issuer: oidc.issuer, audience: GRAPH_APP_ID, currentDate: this.#clock.now(), clockTolerance: 0,
    });
    try {
      try {
        ({ payload } = await verify());
      } catch (e) {
        // The tenant's keys may have changed (snapshot restore, tenant re-created): read them again once.
        if (!(e instanceof joseErrors.JWKSNoMatchingKey)) throw e;
        this.#keySets.delete(oidc.tenant.id);
        ({ payload } = await verify());
      }
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) throw invalidToken('Lifetime validation failed, the token is expired.');
      if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === 'aud') throw invalidToken('Access token validation failure. Invalid audience.');
      if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === 'iss') throw invalidToken('Access token validation failure. Invalid issuer.');
      throw invalidToken('Access token validation failure.');
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.map(String) : [];
    const scopes = typeof payload.scp === 'string' ? payload.scp.split(' ').filter(Boolean) : [];
    const appOnly = payload.idtyp === 'app' || !payload.scp;
    return {
      tenant: oidc.tenant,
      appId: String(payload.azp ?? payload.appid ?? ''),
      roles: appOnly ? roles : [],
      scopes: appOnly ? [] : scopes,
      userId: appOnly ? undefined : String(payload.oid),
    };
  }
}

/**
 * Graph's permission check: any of `appRoles` for app-only callers, any of `scopes` for delegated
 * ones. A `.ReadWrite.` permission implies the matching `.Read.` one.
 */
export function requirePermission(caller: GraphCaller, anyOf: string[]): void {
  const held = caller.userId ? caller.scopes : caller.roles;
  if (!anyOf.some((p) => held.includes(p))) throw denied();
}

export function readOrWrite(resource: 'User' | 'Group' | 'Application' | 'IdentityUserFlow', write: boolean): string[] {
  const w = `${resource}.ReadWrite.All`;
  const extra = resource === 'User' && !write ? ['User.Read.All', 'User.ReadBasic.All'] : [];
  return write ? [w] : [`${resource}.Read.All`, w, ...extra];
}

declare module 'fastify' {
  interface FastifyRequest {
    graphCaller?: GraphCaller;
  }
}

export function callerOf(req: FastifyRequest): GraphCaller {
  if (!req.graphCaller) throw new Error('Graph route without an authenticated caller');
  return req.graphCaller;
}
