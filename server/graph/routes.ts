import type { FastifyInstance } from 'fastify';
import type { Clock, Random } from '../clock.js';
import type { Db } from '../db/connection.js';
import type { Directory } from '../directory/index.js';
import type { PasswordHasher } from '../directory/passwords.js';
import type { TenantRegistry } from '../oidc/registry.js';
import { GraphAuthenticator } from './auth.js';
import { GraphError, graphErrorHandler, graphRequestIds, notEmulated } from './errors.js';
import { userRoutes } from './users.js';
import { groupRoutes } from './groups.js';
import { applicationRoutes } from './applications.js';
import { identityRoutes } from './identity.js';

/** The Graph roots this emulator serves under /v1.0, used to recognise Graph calls with a bad version segment. */
const GRAPH_ROOTS = ['users', 'groups', 'applications', 'servicePrincipals', 'me', 'directory', 'identity'];

export interface GraphDeps {
  directory: Directory;
  registry: TenantRegistry;
  db: Db;
  clock: Clock;
  random: Random;
  hasher: PasswordHasher;
  /** `${publicUrl}/v1.0`: @odata.context and @odata.nextLink are absolute, as Graph's are */
  graphBase: string;
}

/**
 * A Microsoft Graph v1.0 subset at the origin's root (/v1.0/…), as graph.microsoft.com serves it,
 * over the same directory the sign-in pages use. Register inside its own fastify scope: it sets the
 * scope's one error handler (Graph's OData error envelope).
 */
export function graphRoutes(app: FastifyInstance, deps: Omit<GraphDeps, 'graphBase'> & { publicUrl: string }): void {
  const full: GraphDeps = { ...deps, graphBase: `${deps.publicUrl}/v1.0` };
  const auth = new GraphAuthenticator(deps);
  app.setErrorHandler(graphErrorHandler({ clock: deps.clock }));
  app.addHook('onRequest', async (req, reply) => {
    const { requestId, clientRequestId } = graphRequestIds(req);
    reply.header('request-id', requestId).header('client-request-id', clientRequestId);
    // Decide by the route the router matched, not by the raw URL: the router decodes the path, so
    // `/%761.0/users` and `/v1%2e0/users` reach the /v1.0 handlers (RFC 3986 6.2.2.2 makes them the
    // same path), and they must be authenticated like `/v1.0/users`.
    if (req.routeOptions.url?.startsWith('/v1.0/')) req.graphCaller = await auth.authenticate(req);
  });
  // Graph answers JSON bodies only.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new GraphError(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.'), undefined);
    }
  });
  // Fixed paths that would otherwise be read as an id (and answer a misleading 404).
  for (const path of ['/v1.0/users/delta', '/v1.0/groups/delta', '/v1.0/applications/delta', '/v1.0/servicePrincipals/delta', '/v1.0/directory/deletedItems/microsoft.graph.group']) {
    app.get(path, async (req) => { throw notEmulated(`Microsoft Graph GET ${req.url.split('?')[0]}`); });
  }
  userRoutes(app, full);
  groupRoutes(app, full);
  applicationRoutes(app, full);
  identityRoutes(app, full);
  // graph.microsoft.com answers a path whose first segment is not an API version (`/v9.0/users`,
  // `/me`) with 400 BadRequest "Invalid version." (before it looks at the token).
  for (const root of GRAPH_ROOTS) {
    for (const path of [`/:version/${root}`, `/:version/${root}/*`]) {
      app.all(path, async () => { throw new GraphError(400, 'BadRequest', 'Invalid version.'); });
    }
  }
  app.all('/beta/*', async () => { throw notEmulated('the Microsoft Graph beta endpoint (only v1.0 is emulated)'); });
  // Anything else under /v1.0 says it is not emulated (501), never a fake answer.
  app.all('/v1.0/*', async (req) => {
    throw notEmulated(`Microsoft Graph ${req.method} ${req.url.split('?')[0]}`);
  });
}
