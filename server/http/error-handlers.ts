import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import type { Tenant } from '../directory/index.js';
import { AadError, toOAuthBody } from '../errors.js';
import { InteractionExpired } from '../flows/interaction.js';
import type { TenantRegistry } from '../oidc/registry.js';
import type { ErrorPageRenderer } from '../oidc/entra-shape.js';
import { requestIds } from './request-ids.js';

/**
 * One error handler per surface: the OAuth JSON endpoints, the hosted HTML pages, and the
 * emulator's control plane. Each turns an AadError into its surface's shape and anything else into
 * a logged 500 that says so (never a stack trace).
 */
export interface ErrorHandlerDeps {
  clock: Clock;
  publicUrl: string;
  registry: TenantRegistry;
  renderPage: ErrorPageRenderer;
}

const NEUTRAL_TENANT: Tenant = { id: '', subdomain: '', defaultDomain: '', displayName: 'Sign in', b2cExtensionsAppId: null, branding: {}, cookieKeys: [], fixedCodes: {} };

/** Errors that fastify itself raises for bad input (schema, content type, body size) are the client's fault. */
function asAadError(err: FastifyError | Error): AadError | undefined {
  if (err instanceof AadError) return err;
  if (err instanceof InteractionExpired) return new AadError(50089);
  const fe = err as FastifyError;
  if (fe.code?.startsWith('FST_CSRF')) return new AadError(50089);
  if (fe.validation || (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)) {
    return new AadError(9002313, { detail: fe.message });
  }
  return undefined;
}

function internal(req: FastifyRequest, err: Error): AadError {
  req.log.error({ err }, 'unhandled error');
  return new AadError(9990500);
}

export function oauthErrorHandler({ clock, publicUrl }: Pick<ErrorHandlerDeps, 'clock' | 'publicUrl'>) {
  return function handleOAuthError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
    const aad = asAadError(err) ?? internal(req, err);
    const ids = requestIds(req.raw);
    return reply.code(aad.status).header('x-ms-request-id', ids.traceId).header('client-request-id', ids.correlationId)
      .header('cache-control', 'no-store').send(toOAuthBody(aad, { ...ids, now: clock.now() }, publicUrl));
  };
}

export function pageErrorHandler({ clock, registry, renderPage }: ErrorHandlerDeps) {
  return function handlePageError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
    const aad = asAadError(err) ?? internal(req, err);
    const alias = (req.params as { tenant?: string } | undefined)?.tenant;
    const tenant = (alias && registry.resolve(alias)?.tenant) || NEUTRAL_TENANT;
    const ids = requestIds(req.raw);
    return reply.code(aad.status).type('text/html; charset=utf-8').header('cache-control', 'no-store')
      .send(renderPage({ kind: 'error', tenant, aad, ...ids, now: clock.now() }));
  };
}

const CONTROL_PLANE_CODES: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 413: 'PayloadTooLarge', 429: 'TooManyRequests' };

/** The control plane answers `{ error: { code, message } }` with the HTTP status. */
export function controlPlaneErrorHandler() {
  return function handleControlPlaneError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
    const fe = err as FastifyError;
    const status = fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'unhandled error');
    // The code names the status, as the routes that answer directly do (NotFound, Conflict …).
    const code = CONTROL_PLANE_CODES[status] ?? (status === 500 ? 'InternalError' : 'BadRequest');
    return reply.code(status).send({ error: { code, message: status === 500 ? 'ciam-emulator hit an internal error; see its log.' : fe.message } });
  };
}
