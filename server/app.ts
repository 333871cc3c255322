import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import fastifyStatic from '@fastify/static';
import { join } from 'node:path';
import type { Config } from './config.js';
import type { Db } from './db/connection.js';
import type { Clock, Random } from './clock.js';
import { createDirectory, type Directory } from './directory/index.js';
import { createPasswordHasher, type PasswordHasher } from './directory/passwords.js';
import { createViews, VIEWS_DIR } from './http/views.js';
import { createPageRenderer } from './http/pages.js';
import { controlPlaneErrorHandler, oauthErrorHandler, pageErrorHandler } from './http/error-handlers.js';
import { clientErrorHandler } from './http/client-errors.js';
import { ThrottleRegistry } from './http/throttle.js';
import { frameworkErrorDispatcher, type SurfaceHandlers } from './http/framework-errors.js';
import { graphErrorHandler } from './graph/errors.js';
import { TenantRegistry } from './oidc/registry.js';
import { createOidcMount } from './oidc/mount.js';
import { errorLookupRoute, oauthRoutes } from './oidc/routes.js';
import { createUserFlows } from './flows/index.js';
import { createNativeAuth, nativeAuthCorsMount } from './native-auth/index.js';
import { DEFAULT_CODE_SETTINGS, DEFAULT_SEND_LIMIT } from './flows/codes.js';
import { emulatorRoutes } from './emulator/routes.js';
import { mailRoutes } from './emulator/mail-routes.js';
import { graphRoutes } from './graph/routes.js';
import { controlRoutes } from './emulator/control-routes.js';
import { FaultRegistry } from './emulator/faults.js';
import { LoginTickets } from './emulator/login-as.js';
import { SignInLog } from './emulator/sign-in-log.js';
import { ControlSessions } from './emulator/control-sessions.js';
import { sessionRoutes } from './emulator/session-routes.js';
import { trustedCallerGuard } from './http/trusted-caller.js';
import { applySecurityHeaders } from './http/security-headers.js';
import { faviconRoute } from './http/favicon.js';
import type { Mailer } from './mail/index.js';
import { AadError } from './errors.js';
import type { TlsMaterial } from './tls/certificates.js';

export interface AppDeps {
  config: Config;
  db: Db;
  clock: Clock;
  random: Random;
  log: FastifyServerOptions['logger'];
  /** sends the flows' codes; its outbox backs /_emulator/v1/mail and the mailbox page */
  mailer: Mailer;
  /** defaults to the profile named in config.argon2 */
  hasher?: PasswordHasher;
  /** hashes fixture passwords on reset (createEmulator passes one that remembers them) */
  fixtureHasher?: PasswordHasher;
  /** serve https with this certificate (absent with --http) */
  tls?: TlsMaterial;
  version?: string;
}

export interface App {
  app: FastifyInstance;
  directory: Directory;
  registry: TenantRegistry;
  mailer: Mailer;
  /** the user-flow services, for the native authentication API and tests */
  flows: ReturnType<typeof createUserFlows>['services'];
  /** the test-suite toolkit behind the control plane */
  toolkit: { faults: FaultRegistry; tickets: LoginTickets; signIns: SignInLog; throttles: ThrottleRegistry };
  /** browser sessions for the control plane and mailbox when an admin token is set (the banner's link) */
  controlSessions: ControlSessions;
}

/**
 * Builds the emulator from explicit dependencies, without listening: main.ts listens, tests use
 * `inject()` or listen on a random port. The database must already be migrated and seeded.
 */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, db, clock } = deps;
  const directory = createDirectory(db);
  const views = createViews();
  const renderPage = createPageRenderer(views);
  const registry = new TenantRegistry({ config, db, directory, clock, renderErrorPage: renderPage });
  await registry.loadAll();

  // Protocol requests go straight to oidc-provider, before fastify sees them: it reads its own request
  // bodies, and skipping fastify's lifecycle for them is measurably cheaper per token (bench/).
  // Everything else (pages, control plane) is fastify's.
  const toolkit = {
    faults: new FaultRegistry(deps.random),
    tickets: new LoginTickets(clock, deps.random),
    signIns: new SignInLog(db, clock, deps.random),
    throttles: new ThrottleRegistry(),
  };
  const hasher = deps.hasher ?? createPasswordHasher(config.argon2);
  const oidcMount = createOidcMount({ config, clock, registry, directory, faults: toolkit.faults, throttles: toolkit.throttles });
  const tls = deps.tls;
  let surfaces: SurfaceHandlers | undefined;
  const app = Fastify({
    logger: deps.log,
    trustProxy: false,
    bodyLimit: 64 * 1024,
    clientErrorHandler,
    frameworkErrors: frameworkErrorDispatcher(() => surfaces),
    serverFactory: (fastifyHandler) => {
      // The native auth CORS mount (/_emulator/cors/{tenant}/{native endpoint}) rewrites to /{tenant}/… first, and
      // answers 404 for anything else under it (server/native-auth/cors.ts).
      const corsMount = nativeAuthCorsMount({ clock, publicUrl: config.publicUrl });
      const listener = (req: IncomingMessage, res: ServerResponse) => {
        // Entra's security headers on every response, whichever part answers (server/http/security-headers.ts).
        applySecurityHeaders(req, res);
        corsMount(req, res, () => oidcMount(req, res, () => fastifyHandler(req, res)));
      };
      return tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, listener) : createHttpServer(listener);
    },
  }) as unknown as FastifyInstance;

  // The control plane's OpenAPI document (/_emulator/v1/openapi.json), built from its route schemas;
  // every other route is left out of it.
  await app.register(swagger, {
    openapi: { info: { title: 'ciam-emulator control plane', version: deps.version ?? '0.0.0', description: 'Reset, snapshots, tenants, clock, faults, login-as, sign-ins and mail of a ciam-emulator.' } },
    transform: ({ schema, url }) => ({ schema: { ...(schema ?? {}), hide: !url.startsWith('/_emulator/v1/') || url === '/_emulator/v1/openapi.json' } as never, url }),
  });
  await app.register(formbody);
  await app.register(cookie);
  const secure = config.publicUrl.startsWith('https:');
  await app.register(csrf, { cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure, signed: false } });
  await app.register(fastifyStatic, { root: join(VIEWS_DIR, 'static'), prefix: '/_emulator/static/', decorateReply: false, maxAge: '1h' });
  faviconRoute(app);

  const userFlows = createUserFlows({
    db, directory, registry, views, mailer: deps.mailer, clock, random: deps.random, hasher, toolkit,
    codes: { ...DEFAULT_CODE_SETTINGS, fixedCode: config.otpCode, sendLimit: config.throttling ? DEFAULT_SEND_LIMIT : undefined, throttles: toolkit.throttles },
  });
  // Native authentication API (issue 7): endpoints in the OAuth scope below, grants in each tenant's provider.
  const nativeAuth = createNativeAuth({ db, clock, random: deps.random, directory, registry, flows: userFlows.services });
  const errorDeps = { clock, publicUrl: config.publicUrl, registry, renderPage };
  surfaces = { oauth: oauthErrorHandler(errorDeps), page: pageErrorHandler(errorDeps), graph: graphErrorHandler({ clock }), control: controlPlaneErrorHandler() };
  await app.register(async (pages) => {
    pages.setErrorHandler(pageErrorHandler(errorDeps));
    userFlows.routes(pages);
    errorLookupRoute(pages, { views });
  });
  await app.register(async (oauth) => {
    oauth.setErrorHandler(oauthErrorHandler(errorDeps));
    oauthRoutes(oauth, { registry });
    nativeAuth.routes(oauth);
    oauth.setNotFoundHandler(async (req) => {
      throw new AadError(9990404, { method: req.method, path: req.url.split('?')[0] });
    });
  });
  // Microsoft Graph v1.0 at the origin's root, with Graph's error envelope (server/graph).
  await app.register(async (graph) => {
    graphRoutes(graph, { directory, registry, db, clock, random: deps.random, hasher, publicUrl: config.publicUrl });
  }, { prefix: '' });
  const controlSessions = new ControlSessions(clock, deps.random);
  await app.register(async (control) => {
    control.setErrorHandler(controlPlaneErrorHandler());
    // Only trusted callers reach the control plane and the mailbox: no other site's page, no
    // DNS-rebound host, and the admin token when one is set (server/http/trusted-caller.ts).
    control.addHook('onRequest', trustedCallerGuard({ publicUrl: config.publicUrl, adminToken: config.adminToken, sessions: controlSessions }));
    sessionRoutes(control, { publicUrl: config.publicUrl, sessions: controlSessions });
    emulatorRoutes(control, { registry, caPem: deps.tls?.caPem, version: deps.version ?? '0.0.0' });
    mailRoutes(control, { outbox: deps.mailer.outbox, views });
    control.get('/_emulator/v1/openapi.json', async function getOpenApiDocument() {
      return app.swagger();
    });
    controlRoutes(control, { config, db, directory, registry, clock, random: deps.random, hasher: deps.fixtureHasher ?? hasher, ...toolkit });
  });

  return { app, directory, registry, mailer: deps.mailer, flows: userFlows.services, toolkit, controlSessions };
}
