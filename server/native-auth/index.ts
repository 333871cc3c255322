import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/connection.js';
import type { Clock, Random } from '../clock.js';
import type { Directory } from '../directory/index.js';
import type { TenantRegistry } from '../oidc/registry.js';
import type { createUserFlows } from '../flows/index.js';
import { ContinuationStore } from './continuations.js';
import { installNativeGrants } from './grants.js';
import { nativeAuthRoutes } from './routes.js';
import { MfaMethodRepository } from './mfa-methods.js';

export { nativeAuthCorsMount, CORS_PREFIX } from './cors.js';

export interface NativeAuthDeps {
  db: Db;
  clock: Clock;
  random: Random;
  directory: Directory;
  registry: TenantRegistry;
  flows: ReturnType<typeof createUserFlows>['services'];
}

/** The native authentication API: its endpoints (fastify) and its token grants (each tenant's oidc-provider). */
export function createNativeAuth(deps: NativeAuthDeps) {
  const store = new ContinuationStore(deps.db, deps.clock, deps.random);
  const mfa = new MfaMethodRepository(deps.db, deps.clock, deps.random);
  const grantDeps = { directory: deps.directory, clock: deps.clock, flows: deps.flows, store, mfa };
  const { registry } = deps;
  // Every tenant's provider, including those made later (new tenants, restores, key rollover).
  registry.onProvider((oidc) => installNativeGrants(oidc, grantDeps));
  return {
    store,
    routes(app: FastifyInstance) {
      nativeAuthRoutes(app, { registry, directory: deps.directory, flows: deps.flows, store, mfa });
    },
  };
}
